"""One exception type for every user-facing error: the CLI prints its message without a traceback."""


class GanreproError(Exception):
    """An error the user can fix; the message names the file, key or value and how to fix it."""

"""One exception type for every user-facing error: the CLI prints its message without a traceback."""


class GanreproError(Exception):
    """An error the user can fix; the message names the file, key or value and how to fix it."""


class Preempted(Exception):
    """SIGTERM/SIGINT arrived during training; a checkpoint was written and the next start resumes from it."""

    def __init__(self, signum: int, iteration: int, checkpoint: str) -> None:
        self.signum, self.iteration, self.checkpoint = signum, iteration, checkpoint
        super().__init__(
            f"stopped by signal {signum} after iteration {iteration}; checkpoint written to {checkpoint}. "
            "Run the same command again to resume."
        )

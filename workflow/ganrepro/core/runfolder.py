"""Reading the files of a run folder (config.json, status.json, losses.csv, hist/, evals/) so that a damaged one
is one line naming it, set aside (renamed `*.corrupt`, kept for inspection) so the error does not repeat, with
the command that writes it again. A file that is merely missing is the caller's message (it names the job)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError


def set_aside(path: Path) -> Path:
    """Rename a damaged file to <name>.corrupt (<name>.corrupt-2, ... when that exists); return the new path."""
    bad, n = path.with_name(path.name + ".corrupt"), 1
    while bad.exists():
        n += 1
        bad = path.with_name(f"{path.name}.corrupt-{n}")
    path.rename(bad)
    return bad


def damaged(path: Path, why: str, fix: str) -> GanreproError:
    """Set `path` aside and return the one-line error that says so."""
    try:
        bad = set_aside(path)
        where = f"moved it to {bad.name} (kept, never read again)"
    except OSError as e:
        where = f"could not move it aside ({e.strerror})"
    return GanreproError(f"{path} is damaged ({why}); {where}; {fix}")


def read_json(path: Path, fix: str) -> dict[str, Any]:
    """A JSON object written by ganrepro; a damaged file is set aside (module docstring)."""
    try:
        obj = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise damaged(path, "not UTF-8 text", fix) from None
    except json.JSONDecodeError as e:
        raise damaged(path, f"not valid JSON: {e.msg} at line {e.lineno}", fix) from None
    if not isinstance(obj, dict):
        raise damaged(path, f"a JSON {type(obj).__name__}, not an object", fix)
    return obj


def read_csv(path: Path, fix: str, columns: tuple[str, ...] = (), allow_empty: bool = False) -> Any:
    """A CSV written by ganrepro with at least `columns`; an empty file is an empty table only if `allow_empty`.
    A damaged file is set aside (module docstring)."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        if allow_empty:
            return pd.DataFrame(columns=list(columns))
        raise damaged(path, "empty", fix) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise damaged(path, f"unreadable as CSV: {str(e).splitlines()[0][:100]}", fix) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise damaged(path, f"no column(s) {', '.join(missing)}", fix)
    return df

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


def _tail_lines(path: Path) -> list[str] | None:
    """The lines of a file's last 4 KiB (a status view never reads a whole log); None when it cannot be read."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            return f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return None


def _last_logged_iteration(losses: Path) -> int | None:
    """The iteration of losses.csv's last row, reading only the file's end (the engine rewrites the file at each
    checkpoint, so this is the checkpoint's iteration); None when the file is absent, empty or not ours."""
    lines = _tail_lines(losses)
    if lines is None:
        return None
    try:
        return int(lines[-1].split(",", 1)[0]) if len(lines) > 1 else None
    except ValueError:
        return None


def _last_progress(log: Path | None) -> str:
    """'; log HH:MM: <its last progress line>' from a training job's log (the rate and time left that the
    engine prints every 10%, or where it resumed), '' when there is none."""
    from datetime import datetime

    lines = _tail_lines(log) if log is not None else None
    if not lines:
        return ""
    try:
        when = datetime.fromtimestamp(log.stat().st_mtime).astimezone().strftime("%H:%M")
    except OSError:
        return ""
    line = next((x for x in reversed(lines) if x.startswith(f"{log.stem[:40]}: ")), "")
    return f"; log {when}: {line.split(': ', 1)[1]}" if line else ""


def progress_of(run_dir: Path, planned: int, log: Path | None = None) -> tuple[str, str]:
    """(state, one line) on where a run stands, for `ganrepro plan --status`; state is completed, diverged,
    unfinished, no checkpoint, not started or unreadable. An unfinished run adds the last progress line of its
    job's `log` (rate and time left). Read only: a damaged file is reported, never set aside (the job that reads
    it does that)."""
    from datetime import datetime

    status_path = run_dir / "status.json"
    if status_path.exists():
        try:
            st = json.loads(status_path.read_text())
            state, done = st["status"], st["iterations_done"]
        except (OSError, ValueError, KeyError, TypeError):
            return "unreadable", "status.json unreadable: the run's next job sets it aside and says what to do"
        hours = f", {st['wall_time_s'] / 3600:.1f} h" if isinstance(st.get("wall_time_s"), int | float) else ""
        if state == "diverged":
            return state, f"diverged at G it {st.get('diverged_at')} of {planned} ({st.get('divergence_reason')})"
        return state, f"{state}, {done}/{planned} G its ({st.get('device', '?')}{hours})"
    ckpt = run_dir / "ckpt" / "last.pt"
    if ckpt.exists():
        at = _last_logged_iteration(run_dir / "losses.csv")
        when = datetime.fromtimestamp(ckpt.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M")
        return "unfinished", (
            f"unfinished: logged to G it {'?' if at is None else at} of {planned}, last checkpoint {when} "
            f"(running now, or resumes from it when its job runs again){_last_progress(log)}"
        )
    if run_dir.exists():  # a run leaves no trace between its start and its first checkpoint
        return "no checkpoint", (
            "config written, no checkpoint yet (not started, or running before its first one)" + _last_progress(log)
        )
    return "not started", "not started"

"""Progress of long loops: a tqdm bar on a terminal; where stderr is a file (SLURM and Snakemake logs) one plain
line every 10% instead, because a bar redraws itself with carriage returns that fill logs with half-lines."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

STEP = 10  # percent of the total between two log lines
_quiet = False  # `ganrepro -q`: no progress output at all, whatever a caller asks for


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


class LogProgress:
    """The part of tqdm's interface ganrepro uses (iterate, update, close, with-block), written as one line per
    STEP percent; silent when not `enabled`."""

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        *,
        total: float | None = None,
        desc: str = "",
        unit: str = "it",
        initial: float = 0,
        unit_scale: bool = False,
        enabled: bool = True,
        file: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.iterable, self.total, self.desc, self.unit, self.unit_scale = iterable, total, desc, unit, unit_scale
        self.n = self.start = initial
        self.enabled, self.file, self.clock = enabled, file, clock
        self.t0 = self.t_last = clock()
        self.n_last = initial
        self.shown = self._pct() // STEP * STEP  # a resumed loop starts counting at its own 10% mark
        self.closed = False
        if initial and total:  # where a resumed loop took up, before its first 10% line (minutes away, or hours)
            self._line(f"resumed at {self._pct()}% ", timing=False)

    def _pct(self) -> int:
        return int(100 * self.n // self.total) if self.total else 0

    def _amount(self, x: float) -> str:
        from tqdm import tqdm

        return tqdm.format_sizeof(x) if self.unit_scale else f"{x:.0f}" if x == int(x) else f"{x:g}"

    def _line(self, head: str, timing: bool = True) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        now = self.clock()
        elapsed, recent = now - self.t0, now - self.t_last
        # The rate since the previous line, not since the start: a job that shared its node, was paused or
        # changed speed gets a time left from how fast it goes now.
        rate = (self.n - self.n_last) / recent if recent > 0 and self.n > self.n_last else 0.0
        if timing:
            self.t_last, self.n_last = now, self.n
        of = f"/{self._amount(self.total)}" if self.total else ""
        left = (self.total - self.n) / rate if self.total and rate > 0 else None
        eta = f", about {tqdm.format_interval(left)} left" if left else ""
        times = f", {tqdm.format_interval(elapsed)} elapsed, {tqdm.format_sizeof(rate)} {self.unit}/s{eta}"
        print(
            f"{self.desc}: {head}{self._amount(self.n)}{of} {self.unit}{times if timing else ''}",
            file=self.file or sys.stderr,
            flush=True,
        )

    def update(self, n: float = 1) -> None:
        self.n += n
        pct = self._pct()
        if self.total and pct >= self.shown + STEP:
            self.shown = min(pct, 100) // STEP * STEP
            self._line(f"{min(pct, 100)}% ")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.total:
            self._line("done, ")
        elif self.n > self.start and self._pct() < 100 and self._pct() > self.shown:
            self._line(f"stopped at {self._pct()}% ")  # ended early (diverged, preempted, an error)

    def __iter__(self) -> Iterator[Any]:
        try:
            for x in self.iterable or ():
                yield x
                self.update(1)
        finally:
            self.close()

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: float | None = None,
    desc: str = "",
    unit: str = "it",
    initial: float = 0,
    unit_scale: bool = False,
    enabled: bool = True,
    file: TextIO | None = None,
) -> Any:
    """A tqdm bar when `file` (default stderr) is a terminal, else a LogProgress (a line every 10%); nothing
    is written when not `enabled` or after set_quiet(True). Both support iteration, update(n), close() and
    with-blocks."""
    out = file or sys.stderr
    enabled = enabled and not _quiet
    if enabled and getattr(out, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(
            iterable,
            total=total,
            desc=desc,
            unit=unit,
            initial=initial,
            unit_scale=unit_scale,
            file=out,
            mininterval=1.0,
        )
    kw = dict(total=total, desc=desc, unit=unit, initial=initial, unit_scale=unit_scale, enabled=enabled, file=out)
    return LogProgress(iterable, **kw)

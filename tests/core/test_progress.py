"""Progress: a bar on a terminal, about ten plain lines (no carriage returns) in a log file."""

import io

from ganrepro.core.progress import LogProgress, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_every_ten_percent_and_no_carriage_returns():
    log = io.StringIO()
    for _ in progress(range(1000), desc="train x", unit="it", file=log):
        pass
    out = log.getvalue()
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 10, out
    assert lines[0].startswith("train x: 10% 100/1000 it") and lines[-1].startswith("train x: 100% 1000/1000 it")


def test_a_resumed_run_counts_from_where_it_was_and_an_early_stop_says_so():
    log = io.StringIO()
    with progress(total=100, initial=45, desc="run", file=log) as bar:
        for _ in range(22):  # 45 -> 67: lines at 50% and 60%, then stopped at 67%
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert [line.split(" ")[1] for line in lines] == ["resumed", "50%", "60%", "stopped"], lines
    assert lines[0] == "run: resumed at 45% 45/100 it" and "67%" in lines[-1]


def test_unknown_total_and_bytes_give_one_line_at_the_end():
    log = io.StringIO()
    with progress(total=None, desc="mnist.gz", unit="B", unit_scale=True, file=log) as bar:
        bar.update(3_000_000)
    assert log.getvalue().startswith("mnist.gz: done, 3.00M B") and len(log.getvalue().splitlines()) == 1


def test_a_terminal_gets_a_tqdm_bar_and_disabled_progress_writes_nothing():
    tty = Terminal()
    bar = progress(range(5), desc="x", file=tty)
    assert not isinstance(bar, LogProgress)
    list(bar)
    assert "\r" in tty.getvalue()
    quiet = io.StringIO()
    assert list(progress(range(5), enabled=False, file=quiet)) == list(range(5)) and quiet.getvalue() == ""
    quiet_tty = Terminal()
    list(progress(range(5), enabled=False, file=quiet_tty))
    assert quiet_tty.getvalue() == ""


def test_the_rate_and_time_left_follow_the_latest_stretch_not_the_whole_run():
    """A job that ran slowly (paused, or sharing its node) and then fast: the time left comes from the fast
    stretch. Control: at a steady pace the recent and overall rates agree."""
    now = [0.0]
    log = io.StringIO()
    bar = LogProgress(total=100, desc="run", file=log, clock=lambda: now[0])
    for seconds in [10.0] * 10 + [1.0] * 10:  # 10 its at 0.1 it/s, then 10 at 1 it/s
        now[0] += seconds
        bar.update(1)
    last = log.getvalue().splitlines()[-1]
    assert last.startswith("run: 20% 20/100 it") and "1.00 it/s" in last and "about 01:20 left" in last, last
    steady, now[0] = io.StringIO(), 0.0
    bar = LogProgress(total=100, desc="run", file=steady, clock=lambda: now[0])
    for _ in range(20):
        now[0] += 2.0
        bar.update(1)
    lines = steady.getvalue().splitlines()
    assert all("0.50 it/s" in line for line in lines) and "about 02:40 left" in lines[-1], lines

"""The local fork server (ganrepro.forkserver): a `ganrepro` command run through it behaves as one run in its own
process (output, exit status, results, SIGTERM), and without a server the command runs by itself."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from ganrepro import forkserver

from .conftest import tiny_run_config


@pytest.fixture
def server():
    s = forkserver.start()
    try:
        yield s
    finally:
        forkserver.stop(s)
    assert not os.path.exists(s.path) and os.environ.get(forkserver.ENV) is None


def _ganrepro(*argv, env=None):
    return subprocess.run(["ganrepro", *argv], capture_output=True, text=True, env=env, timeout=600)


def _direct_env():
    return dict(os.environ, **{forkserver.ENV: forkserver.OFF})


def test_a_command_through_the_server_gives_the_same_output_and_status(server, capfd):
    assert forkserver.delegate(["plan", "--config", "papers=[wgan]"]) == 0  # served (None: it was not)
    assert "wgan/fig1" in capfd.readouterr().out  # written by the forked child to this process's stdout
    via = _ganrepro("plan", "--config", "papers=[wgan]", "seeds=[0]")
    direct = _ganrepro("plan", "--config", "papers=[wgan]", "seeds=[0]", env=_direct_env())
    assert via.returncode == direct.returncode == 0 and via.stdout == direct.stdout and "wgan/fig1" in via.stdout
    bad = _ganrepro("plan", "--config", "scale=huge")
    assert bad.returncode == 2 and "'huge'" in bad.stderr and bad.stdout == ""


def test_training_through_the_server_equals_its_own_process_and_sigterm_checkpoints(server, tmp_path):
    cfg = tiny_run_config(iterations=20)
    runs = {}
    for name in ("via", "direct", "stopped"):
        runs[name] = tmp_path / name
        runs[name].mkdir()
        (runs[name] / "config.json").write_text(json.dumps(cfg))
    assert _ganrepro("train", str(runs["via"]), "--no-progress").returncode == 0
    assert _ganrepro("train", str(runs["direct"]), "--no-progress", env=_direct_env()).returncode == 0
    assert (runs["via"] / "losses.csv").read_bytes() == (runs["direct"] / "losses.csv").read_bytes()

    # preemption: SIGTERM to the command reaches the forked job, which checkpoints and exits 128 + 15
    (runs["stopped"] / "config.json").write_text(json.dumps(tiny_run_config(iterations=100_000, checkpoint_every=10)))
    proc = subprocess.Popen(
        ["ganrepro", "train", str(runs["stopped"]), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):
        if (runs["stopped"] / "ckpt" / "last.pt").exists():
            break
        time.sleep(0.2)
    # the forked job is named after its command in `top` / `ps -o comm`; the server keeps its own name
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    names = [Path(f"/proc/{c}/comm").read_text().strip() for c in children]
    assert names == ["gr-train"], names
    assert Path(f"/proc/{server.pid}/comm").read_text().strip() != "gr-train"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "checkpoint written" in err


@pytest.mark.parametrize("value", [None, forkserver.OFF, "/nonexistent/ganrepro-fs/sock"])
def test_without_a_server_the_command_runs_by_itself(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(forkserver.ENV, raising=False)
    else:
        monkeypatch.setenv(forkserver.ENV, value)
    assert forkserver.delegate(["plan"]) is None


def test_a_command_of_another_runtime_is_not_served(server, monkeypatch):
    """A job in a conda env or container (another interpreter or ganrepro) is left to run by itself."""
    monkeypatch.setattr(forkserver, "_runtime", lambda: ["/other/python", "/other/ganrepro"])
    assert forkserver.delegate(["plan"]) is None


def test_the_job_log_records_each_served_job_with_its_cpu_time(tmp_path, monkeypatch):
    log = tmp_path / "jobs.jsonl"
    monkeypatch.setenv(forkserver.JOB_LOG_ENV, str(log))
    s = forkserver.start()
    try:
        assert forkserver.delegate(["plan", "--config", "papers=[wgan]", "seeds=[0]"]) == 0
        assert forkserver.delegate(["plan", "--config", "scale=huge"]) == 2
    finally:
        forkserver.stop(s)
    jobs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [j["argv"][0] for j in jobs] == ["plan", "plan"] and [j["rc"] for j in jobs] == [0, 2]
    # planning takes real CPU in the child (imports are the server's, so the child's own work is what is counted)
    assert all(j["wall_s"] > 0 for j in jobs) and jobs[0]["cpu_s"] > 0

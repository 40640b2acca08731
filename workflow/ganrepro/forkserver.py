"""A fork server for local DAG runs: torch and the other heavy libraries are imported once, and each `ganrepro`
job of the run is a child forked from that process instead of a fresh interpreter.

Why: at smoke scale most of a training or evaluation job's CPU time is start-up. Every job imports torch (~2.4 s of
CPU on the 2-core VM), torch._dynamo (~1.9 s more, pulled in by the first torch.optim step) and, for the Inception
metrics, torchvision; the five-paper smoke DAG has ~250 such jobs.

How: the Snakefile starts one server per local run (``onstart`` in workflow/rules/common.smk; never under a
cluster executor) and sets GANREPRO_FORKSERVER to its socket. A `ganrepro` command that finds the variable sends
its argv, working directory, environment and its stdin/stdout/stderr file descriptors to the server, which forks
a child that becomes the command: same fds, cwd and environment, torch's thread count from OMP_NUM_THREADS as a
new process would take it, and ``ganrepro.cli.main(argv)``. The server sends the child's pid and, once reaped, its
exit status (a signal N as 128 + N, the shell's convention). The client forwards SIGTERM, SIGINT and SIGHUP to
the child, so a preempted training job still checkpoints and exits 128 + 15; if the client dies, the server
terminates the child. When no server answers, the command runs in its own process as before. The server imports
nothing of ganrepro beyond the command line, so no module-level state depends on the server's repository or
config. GANREPRO_FORKSERVER=off in the environment turns the server off.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV = "GANREPRO_FORKSERVER"
OFF = "off"
# imported once by the server, in this order; what is not installed is skipped
PRELOAD = (
    "numpy",
    "yaml",
    "jsonschema",
    "pandas",
    "scipy.linalg",
    "matplotlib.pyplot",
    "torch",
    "torch._dynamo",
    "torch.optim",
    "torchvision",
    "pytorch_fid.inception",
    "torch_fidelity",
    "tqdm",
)
_LEN = struct.Struct("!I")
_PID = struct.Struct("!q")
_RC = struct.Struct("!i")
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# When set (in the environment the server starts with), the server appends one JSON line per finished job to this
# file: argv, wall seconds, CPU seconds (user + sys of the job and its children), exit status. `ganrepro bench
# smoke` uses it to say where a DAG's time goes, job kind by job kind.
JOB_LOG_ENV = "GANREPRO_JOB_LOG"


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


# ------------------------------------------------------------------------------------------------ client


def _runtime() -> list[str]:
    """The interpreter and the ganrepro package a command would run with: the server serves only commands whose
    runtime is its own (a job in a conda env or container runs by itself)."""
    return [os.path.realpath(sys.executable), os.path.realpath(os.path.dirname(__file__))]


def delegate(argv: Sequence[str]) -> int | None:
    """Run ``ganrepro <argv>`` in a child of the server named by $GANREPRO_FORKSERVER and return its exit status;
    None when there is no server to ask (the caller then runs the command itself)."""
    path = os.environ.get(ENV, "")
    if not path or path == OFF:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        payload = json.dumps(
            {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ), "runtime": _runtime()}
        ).encode()
        socket.send_fds(sock, [_LEN.pack(len(payload))], [0, 1, 2])
        sock.sendall(payload)
        got = _recv_exact(sock, _PID.size)
    except OSError:
        sock.close()
        return None
    if got is None:  # the server went away before forking: run here
        sock.close()
        return None
    (pid,) = _PID.unpack(got)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for s in _FORWARDED:
        signal.signal(s, forward)
    while True:
        try:
            got = _recv_exact(sock, _RC.size)
            break
        except InterruptedError:  # a forwarded signal interrupted the wait: keep waiting for the child
            continue
    sock.close()
    if got is None:
        print(f"ganrepro: the fork server ({path}) stopped before the command finished", file=sys.stderr)
        return 1
    return _RC.unpack(got)[0]


# ------------------------------------------------------------------------------------------------ server


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N -> 128 + N, as a shell reports it


def _name_process(argv: Sequence[str]) -> None:
    """Name this child after its command in `top` and `ps -o comm` ("gr-train", ...; Linux keeps 15 bytes): every
    child otherwise shows the server's command line, and a long training job cannot be told from a short one."""
    sub = next((a for a in argv if not a.startswith("-")), "job")
    with contextlib.suppress(OSError):
        with open("/proc/self/comm", "w") as f:
            f.write(f"gr-{sub}"[:15])


def _run_child(
    server_socks: list[socket.socket], fds: list[int], request: dict, run: Callable[[list[str]], int]
) -> None:
    """In the forked child: become the client's command, then exit with its status (never returns)."""
    code = 1
    try:
        for sock in server_socks:  # the listener and every client's connection belong to the server
            sock.close()
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        for s in _FORWARDED:
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # TMPDIR as the command's environment says
        # a fresh process seeds torch's and numpy's global generators from the OS; forked children would share one
        if "torch" in sys.modules:
            sys.modules["torch"].seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        threads = os.environ.get("OMP_NUM_THREADS", "")
        if threads.isdigit() and int(threads) >= 1 and "torch" in sys.modules:
            # a new process reads OMP_NUM_THREADS when torch loads; this one loaded torch before the request
            sys.modules["torch"].set_num_threads(int(threads))
        sys.argv = ["ganrepro", *request["argv"]]
        _name_process(request["argv"])
        code = run(list(request["argv"]))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - report and fail like an interpreter would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def serve(path: str | Path, run: Callable[[list[str]], int], preload: Sequence[str] = PRELOAD) -> None:
    """Listen on the UNIX socket ``path``, import ``preload``, then fork one child per request until SIGTERM or
    until the process that started the server is gone. ``run(argv)`` is what a child executes
    (ganrepro.cli.main)."""
    import importlib

    path = str(path)
    parent = os.getppid()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)  # bound before the imports: early clients wait in the backlog instead of starting Python
    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    children: dict[int, socket.socket] = {}  # pid -> the connection to its client
    started: dict[int, tuple[float, list[str]]] = {}  # pid -> (start time, argv), for the job log
    job_log = os.environ.get(JOB_LOG_ENV) or None
    stopped: set[int] = set()  # children told to stop because their client went away
    try:
        while not stop and os.getppid() == parent:
            ready, _, _ = select.select([listener, *children.values()], [], [], 0.05)
            for sock in ready:
                if sock is listener:
                    _accept(listener, children, run, started)
                    continue
                # a client's connection turns readable only when the client closed it: stop its job, once
                pid = next(p for p, c in children.items() if c is sock)
                if pid not in stopped:
                    stopped.add(pid)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            _reap(children, started, job_log)
            stopped &= set(children)
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        for pid, conn in children.items():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            conn.close()


def _accept(
    listener: socket.socket,
    children: dict[int, socket.socket],
    run: Callable[[list[str]], int],
    started: dict[int, tuple[float, list[str]]],
) -> None:
    conn, _ = listener.accept()
    try:
        head, fds, _, _ = socket.recv_fds(conn, _LEN.size, 3)
        body = _recv_exact(conn, _LEN.unpack(head)[0]) if len(head) == _LEN.size and len(fds) == 3 else None
        request = json.loads(body) if body is not None else None
    except (OSError, ValueError, struct.error):
        request, fds = None, []
    if request is None or request.get("runtime") != _runtime():  # not ours to run: the client runs it itself
        for fd in fds:
            os.close(fd)
        conn.close()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _run_child([listener, conn, *children.values()], fds, request, run)
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(_PID.pack(pid))
    except OSError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    children[pid] = conn
    started[pid] = (time.monotonic(), [str(a) for a in request.get("argv", [])])


def _reap(children: dict[int, socket.socket], started: dict[int, tuple[float, list[str]]], job_log: str | None) -> None:
    while children:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        t0, argv = started.pop(pid, (time.monotonic(), []))
        if job_log:
            line = {
                "argv": argv,
                "wall_s": round(time.monotonic() - t0, 3),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                "rc": _exit_code(status),
            }
            with contextlib.suppress(OSError), open(job_log, "a") as f:
                f.write(json.dumps(line) + "\n")
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(_RC.pack(_exit_code(status)))
            conn.close()


@dataclass
class Server:
    pid: int
    path: str
    folder: str


def start() -> Server | None:
    """Start a server in the background for the calling process (a local Snakemake run) and point this process's
    environment, which its jobs inherit, at it. None when $GANREPRO_FORKSERVER is "off"."""
    import shutil
    import subprocess
    import tempfile

    if os.environ.get(ENV) == OFF:
        return None
    folder = tempfile.mkdtemp(prefix="ganrepro-fs-")  # short: a socket path has ~100 bytes at most
    path = os.path.join(folder, "sock")
    code = "import sys; from ganrepro.cli import main; from ganrepro.forkserver import serve; serve(sys.argv[1], main)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C on the terminal reaches Snakemake and its jobs, not the server
    )
    # wait until it listens (Python start-up, well under a second; the heavy imports come after the bind), so that
    # the first jobs are served too; a server that fails to come up leaves every job to run by itself
    for _ in range(300):
        if os.path.exists(path) or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(path):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
        return None
    os.environ[ENV] = path
    return Server(proc.pid, path, folder)


def stop(server: Server | None) -> None:
    """Stop a server started by ``start`` (its running children are told to stop too) and forget it."""
    import shutil

    if server is None:
        return
    if os.environ.get(ENV) == server.path:
        del os.environ[ENV]
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(server.pid, signal.SIGTERM)
        os.waitpid(server.pid, 0)
    shutil.rmtree(server.folder, ignore_errors=True)

"""What a result records about where it came from: git commit, hardware, date."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any


def git_commit(root: Path | None = None) -> str:
    """The commit (+dirty) of the code that is running: the checkout holding this package, not the current
    directory (a run started from another folder records the code it ran). "unknown" outside a git checkout."""
    root = root or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    """The processor's name (Linux /proc/cpuinfo), so two timings or two results can be told apart by the CPU
    they ran on: `platform.processor()` says only "x86_64" on Linux. Falls back to that elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware(load_torch: bool = True) -> dict[str, Any]:
    """Where a result was computed. ``load_torch=False`` (a job that ran no torch code, e.g. most artifacts): when
    torch is not imported yet, record its installed version without importing it (the import alone costs ~2.5 s
    of CPU per process) and leave out torch's thread count and GPU, which such a job never used."""
    if not load_torch and "torch" not in sys.modules:
        from importlib.metadata import PackageNotFoundError, version

        try:
            torch_version = version("torch")
        except PackageNotFoundError:
            torch_version = "absent"
        return {
            "host": platform.node(),
            "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            "torch": torch_version,
        }
    import torch

    info: dict[str, Any] = {
        "host": platform.node(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")

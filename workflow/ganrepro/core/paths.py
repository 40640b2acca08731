"""Where things are: the repository root and the results/ layout (the only place its paths are spelled)."""

from __future__ import annotations

import os
from pathlib import Path


def _is_root(p: Path) -> bool:
    return (p / "Snakefile").exists() and (p / "paper_tables").is_dir()


def repo_root() -> Path:
    """The repository root: $GANREPRO_ROOT, else the cwd or its nearest parent holding a Snakefile and
    paper_tables/ (so a second checkout or a test copy uses its own files), else this package's checkout."""
    env = os.environ.get("GANREPRO_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd().resolve()
    for parent in [cwd, *cwd.parents]:
        if _is_root(parent):
            return parent
    for parent in Path(__file__).resolve().parents:
        if _is_root(parent):
            return parent
    return cwd

"""The one pattern per kind of name. Names from paper.yaml and from the command line become parts of paths (run
folders, artifact files, paper folders), so each is checked here before it is used: no '/', no '..', no spaces.
The paper schema and the Snakemake wildcard constraints use the same patterns (tests/spec/test_names.py)."""

from __future__ import annotations

import re

from ganrepro.core.errors import GanreproError

PATTERNS = {
    "paper": r"[a-z][a-z0-9_]*",
    "run": r"[A-Za-z0-9_]+",  # a run's key in paper.yaml
    "artifact": r"[A-Za-z0-9_]+",
    "claim": r"[a-z0-9_]+",
    "run_id": r"[A-Za-z0-9_.-]+",  # <method>-<dataset>-s<seed>-<scale>-<hash>
    "eval": r"[A-Za-z0-9_.-]+",
}


def check(kind: str, value: object, where: str = "") -> str:
    """`value` if it is a valid name of this kind, else a GanreproError naming it and the pattern."""
    if not isinstance(value, str) or not re.fullmatch(PATTERNS[kind], value) or value in (".", ".."):
        at = f"{where}: " if where else ""
        raise GanreproError(
            f"{at}{kind} name {value!r} is not valid: use only {PATTERNS[kind]} (it becomes part of a path)"
        )
    return value

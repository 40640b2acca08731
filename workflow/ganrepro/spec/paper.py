"""A paper folder: paper_tables/<paper>/paper.yaml, loaded, validated and cross-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import config_hash
from ganrepro.spec.config import _load_yaml, _validate


def load_paper(folder: Path) -> dict[str, Any]:
    path = folder / "paper.yaml"
    spec = _load_yaml(path)
    _validate(spec, "paper", str(path))
    if spec["paper"] != folder.name:
        raise GanreproError(f"{path}: 'paper: {spec['paper']}' must equal the folder name '{folder.name}'")
    for name, art in spec["artifacts"].items():
        for r in art.get("runs", []):
            if r not in spec["runs"]:
                raise GanreproError(
                    f"{path}: artifact '{name}' needs run '{r}', which is not declared under 'runs:' "
                    f"(declared: {', '.join(spec['runs']) or 'none'})"
                )
    for claim in spec["claims"]:
        if claim["artifact"] not in spec["artifacts"]:
            raise GanreproError(
                f"{path}: claim '{claim['id']}' refers to artifact '{claim['artifact']}', which is not declared"
            )
    return spec


CLAIM_RULE_KEYS = ("artifact", "statement", "check", "rule", "control")  # what a revision must account for


def claim_sha256(claim: dict[str, Any]) -> str:
    """The hash of what decides a claim's verdict (its statement, check with tolerance, rule and control). It is
    recorded when a run that the claim judges starts (the run folder's claims_at_start.json) and when its result is
    kept (verdicts.csv): a change after either must come with a recorded revision."""
    return config_hash({k: claim.get(k) for k in CLAIM_RULE_KEYS}, 16)

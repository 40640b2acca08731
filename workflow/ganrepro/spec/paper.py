"""A paper folder: paper_tables/<paper>/paper.yaml, loaded, validated and cross-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
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

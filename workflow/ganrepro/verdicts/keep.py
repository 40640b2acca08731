"""Copy a paper's non-smoke artifacts (CSV, PNG, provenance) into paper_tables/<paper>/reproduced/ for committing,
and record the claim verdicts they give in reproduced/verdicts.csv (what `ganrepro check` expects).

Paper-scale runs take hours; keeping their artifacts in git lets the report show them on any machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ganrepro.core.errors import GanreproError
from ganrepro.core.paths import fresh_dir, repo_root
from ganrepro.spec import names
from ganrepro.spec import scale as scales
from ganrepro.spec.paper import load_paper


def keep(paper: str, force: bool = False, only: list[str] | None = None) -> list[Path]:
    names.check("paper", paper, "ganrepro keep")
    root = repo_root()
    spec = load_paper(root / "paper_tables" / paper)
    src_dir = fresh_dir(paper)
    dst_dir = root / "paper_tables" / paper / "reproduced"
    todo = []
    for name in only or spec["artifacts"]:
        if name not in spec["artifacts"]:
            raise GanreproError(f"paper {paper} has no artifact {name!r}; declared: {', '.join(spec['artifacts'])}")
        prov_path = src_dir / f"{name}.provenance.json"
        if not prov_path.exists():
            if force:
                continue
            raise GanreproError(
                f"{prov_path} missing: build artifact {paper}/{name} first (or pass --force to skip it)"
            )
        prov = json.loads(prov_path.read_text())
        if not scales.comparable(prov["scale"]):
            raise GanreproError(
                f"{prov_path}: artifact {paper}/{name} was made at scale=smoke; only non-smoke results are kept. "
                "Rebuild with: snakemake --cores N --config scale=paper"
            )
        todo.append(name)
    dst_dir.mkdir(parents=True, exist_ok=True)
    kept = []
    for name in todo:
        for ext in ("csv", "png", "provenance.json"):
            src = src_dir / f"{name}.{ext}"
            if src.exists():
                tmp = dst_dir / f".{name}.{ext}.tmp"
                shutil.copyfile(src, tmp)
                tmp.replace(dst_dir / f"{name}.{ext}")
                kept.append(dst_dir / f"{name}.{ext}")
    if todo:  # the verdicts of the kept results: what `ganrepro check` expects them (and fresh runs) to give
        from ganrepro.verdicts.check import record_verdicts

        kept.append(record_verdicts(paper))
    return kept

"""Copy a paper's non-smoke artifacts (CSV, PNG, provenance) into paper_tables/<paper>/reproduced/ for committing,
and record the claim verdicts they give in reproduced/verdicts.csv (what `ganrepro check` expects).

Paper-scale runs take hours; keeping their artifacts in git lets the report show them on any machine.
"""

from __future__ import annotations

from pathlib import Path

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_group, sha256_file
from ganrepro.core.paths import fresh_dir, repo_root
from ganrepro.spec import names
from ganrepro.spec import scale as scales
from ganrepro.spec.paper import load_paper
from ganrepro.verdicts.results import read_json

KEPT = ("csv", "png", "provenance.json")  # an artifact is kept whole


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
        prov = read_json(prov_path, f"rebuild it with `ganrepro artifact {paper} {name} --config scale=paper`")
        if not scales.comparable(prov["scale"]):
            raise GanreproError(
                f"{prov_path}: artifact {paper}/{name} was made at scale=smoke; only non-smoke results are kept. "
                "Rebuild with: snakemake --cores N --config scale=paper"
            )
        todo.append(name)
        missing = [f"{name}.{ext}" for ext in KEPT if not (src_dir / f"{name}.{ext}").exists()]
        if missing:  # never a new provenance or PNG next to an old CSV
            raise GanreproError(
                f"{src_dir}: artifact {paper}/{name} is incomplete (missing {', '.join(missing)}); rebuild it with "
                f"`ganrepro artifact {paper} {name} --config scale=paper` before keeping it"
            )
        for ext, digest in (prov.get("files_sha256") or {}).items():
            f = src_dir / f"{name}.{ext}"
            if f.exists() and sha256_file(f) != digest:
                raise GanreproError(
                    f"{f} differs from the bytes its provenance records (edited after it was built); rebuild it with "
                    f"`ganrepro artifact {paper} {name} --config scale=paper`"
                )
    dst_dir.mkdir(parents=True, exist_ok=True)
    kept = [dst_dir / f"{name}.{ext}" for name in todo for ext in KEPT]
    if not todo:
        return kept
    backup = {p: p.read_bytes() for p in [*kept, dst_dir / "verdicts.csv"] if p.exists()}
    # an artifact whose CSV is byte for byte the kept one brings no new result: its claims' verdicts may not move
    same = {n for n in todo if backup.get(dst_dir / f"{n}.csv") == (src_dir / f"{n}.csv").read_bytes()}
    with atomic_group() as files:  # every file of every kept artifact, or none
        for name in todo:
            for ext in KEPT:
                files.copy(src_dir / f"{name}.{ext}", dst_dir / f"{name}.{ext}")
    # the verdicts of the kept results: what `ganrepro check` expects them (and fresh runs) to give. If they cannot
    # be recorded (a claim no longer fits), the previous files come back: the folder is never half updated.
    from ganrepro.verdicts.check import record_verdicts

    try:
        kept.append(record_verdicts(paper, same))
    except BaseException:
        with atomic_group() as files:
            for path in kept:
                if path in backup:
                    files.write_bytes(path, backup[path])
                else:
                    path.unlink(missing_ok=True)
        raise
    return kept

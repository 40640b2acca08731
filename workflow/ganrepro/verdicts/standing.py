"""Where each claim stands: the judged rows behind the report's scoreboard, its per-paper tables and claims.csv.

`judge_paper` judges every claim of a paper on every result that exists (ganrepro.verdicts.results, the same
function `ganrepro check` uses) and, for a claim with no paper-scale result, adds one row that says why in words
(the GPU and datasets its paper-scale runs need that this machine lacks). Exactly one row per claim is `counted`:
its paper-scale result (committed before fresh), else that not-run row. The scoreboard counts those rows and
nothing else, so its numbers are the ones claims.csv holds.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import deep_merge
from ganrepro.spec.plan import Paper, Plan, resolve_run
from ganrepro.verdicts.claims import MIN_SEEDS
from ganrepro.verdicts.results import Result, judge, published, results

# the scoreboard's columns, in order; any other standing (not comparable, cannot judge, descriptive) is "other"
BUCKETS = ("holds", "fails", "inconclusive", "preliminary", "not measurable", "not run")
# why a claim has no paper-scale result, shortest first in the scoreboard
NOT_RUN_BECAUSE = ("needs a GPU", "dataset not available", "not yet run")


@dataclass
class Line:
    """One claim judged on one result, or on none (then `why_not_run` says why): one row of claims.csv."""

    paper: str
    claim: dict[str, Any]
    aspec: dict[str, Any]
    result: Result | None
    prov: dict[str, Any]
    res: dict[str, Any]
    published: pd.DataFrame | None
    counted: bool = False
    not_run_because: str = ""
    why_not_run: str = ""

    @property
    def comparable(self) -> bool:
        return self.result is not None and self.result.comparable

    @property
    def analogue(self) -> bool:
        """The artifact asks the paper's question in another setting (its title says ANALOGUE)."""
        return str(self.aspec.get("title", "")).startswith("ANALOGUE")

    @property
    def n_seeds(self) -> int:
        return len(self.prov.get("seeds") or [])

    @property
    def data_kind(self) -> str:
        data = str(self.prov.get("data", "")).lower()
        if "stand-in" in data:
            return "stand-in data"
        for start, kind in (("real", "real data"), ("toy", "toy data"), ("analytic", "analytic")):
            if data.startswith(start):
                return kind
        return "data unknown"

    @property
    def evidence(self) -> str:
        """What the number stands on, e.g. 'paper scale · 3 seeds · real data · ANALOGUE'."""
        if self.result is None:
            return "no result"
        scale = "paper scale" if self.comparable else f"{self.result.scale} (NOT COMPARABLE)"
        n = self.n_seeds
        seeds = "no training seeds" if n == 0 else f"{n} seed" + ("s" if n > 1 else "")
        parts = [scale, seeds, self.data_kind] + (["ANALOGUE"] if self.analogue else [])
        return " · ".join(parts)

    @property
    def standing(self) -> str:
        """The verdict the scoreboard counts this row under."""
        if self.result is None:
            return "not run"
        if self.res.get("descriptive"):
            return "descriptive"
        return str(self.res["verdict"])

    @property
    def full_weight(self) -> bool:
        """A `holds` or `fails` on the paper's own setting with enough seeds (or none needed: analytic tables),
        the only kind that earns the plain ✓ / ✗."""
        seeds = self.res.get("seeds_total")
        return self.comparable and not self.analogue and (seeds is None or seeds >= MIN_SEEDS)

    def csv_row(self) -> dict[str, Any]:
        r = self.result
        row = {
            "paper": self.paper,
            "claim": self.claim["id"],
            "artifact": self.claim["artifact"],
            "source": r.source if r is not None else "none",
            "scale": r.scale if r is not None else "",
            "comparable": self.comparable,
            **self.res,
            "counted": self.counted,
            "standing": self.standing if self.counted else "",
            "evidence": self.evidence,
            "analogue": self.analogue,
            "not_run_because": self.not_run_because,
            "why_not_run": self.why_not_run,
        }
        for k in ("seed_measured", "seed_reference"):  # per-seed lists as space-separated cells
            row[k] = " ".join(f"{v:.6g}" for v in row.get(k) or [])
        return row


@functools.cache
def _cuda_here() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _dataset_title(name: str) -> str:
    from ganrepro.data import DATASETS

    return str(getattr(DATASETS.get(name), "title", name))


def _dataset_available(name: str, data_root: str, sources: dict[str, str]) -> bool:
    """Whether every file of a real dataset is present where training would look (checksums are training's job)."""
    from ganrepro import data
    from ganrepro.data import assets
    from ganrepro.spec.manifest import assets_for

    if not data.needs_files(name):
        return True
    root = assets.resolve_data_root(data_root)
    return all(assets.locate(a, root, sources) is not None for a in assets_for([name]))


def why_not_run(plan: Plan, paper: Paper, aname: str) -> tuple[str, str]:
    """(short reason, sentence) for an artifact without a paper-scale result: what its paper-scale runs need
    (paper.yaml `accelerator`, the datasets of config/datasets.yaml with files) that this machine lacks."""
    spec = paper.spec
    aspec = spec["artifacts"][aname]
    resolved = deep_merge(aspec, (aspec.get("at_scale") or {}).get("paper", {}))
    try:
        cfgs = [resolve_run(paper.name, key, spec["runs"][key], 0, "paper") for key in resolved.get("runs", [])]
    except GanreproError as e:  # `ganrepro validate` names this; the report still says what it can
        return "not yet run", f"not yet run at paper scale; its paper-scale runs do not resolve: {e}"
    datasets = {c["dataset"]["name"] for c in cfgs}
    if resolved.get("classifier"):  # a mode-count metric's LeNet-5 trains on that dataset
        datasets.add(resolved["classifier"])
    root, sources = plan.config["data_root"], dict(plan.config.get("sources") or {})
    missing = sorted(_dataset_title(d) for d in datasets if not _dataset_available(d, root, sources))
    gpu = any(c.get("accelerator") == "gpu" for c in cfgs) and not _cuda_here()
    needs = missing + (["a GPU"] if gpu else [])
    need_text = " and ".join(needs) if len(needs) < 3 else ", ".join(needs[:-1]) + " and " + needs[-1]
    papers = f"papers=[{paper.name}]"
    if gpu:
        return "needs a GPU", f"needs {need_text}; run `snakemake --profile slurm --config {papers}`"
    if missing:
        return (
            "dataset not available",
            f"needs {need_text} (files not found under data_root or sources); "
            f"`ganrepro prefetch --config allow_download=true scale=paper {papers}`, then "
            f"`snakemake --cores 2 --config scale=paper {papers}`",
        )
    return "not yet run", f"not yet run at paper scale; run `snakemake --cores 2 --config scale=paper {papers}`"


def no_provenance(r: Result) -> dict[str, Any]:
    """A result whose provenance file is missing is still shown and judged, labelled as such."""
    missing = "unknown (no provenance file)"
    return {
        "scale": r.scale,
        "data": missing,
        "seeds": [],
        "runs": [],
        "train_wall_time_s": 0.0,
        "artifact_wall_time_s": 0.0,
        "git_commit": missing,
        "date": missing,
        "weights": missing,
    }


def judge_paper(plan: Plan, paper: Paper) -> list[Line]:
    """Every claim of the paper judged on every result of its artifact, plus a not-run row for each claim without a
    paper-scale result; one row per claim is marked `counted` (see the module docstring)."""
    pub = published(paper.folder)
    lines: list[Line] = []
    for aname, aspec in paper.spec["artifacts"].items():
        claims = [c for c in paper.spec["claims"] if c["artifact"] == aname]
        found = results(paper.name, aname)
        reason = ("", "") if any(r.comparable for r in found) else why_not_run(plan, paper, aname)
        for c in claims:
            mine = [Line(paper.name, c, aspec, r, r.prov or no_provenance(r), judge(c, r, pub), pub) for r in found]
            if reason[0]:
                mine.append(Line(paper.name, c, aspec, None, {}, judge(c, None, pub), pub, False, *reason))
            # the counted row: the first paper-scale result (committed comes first), else the not-run row
            next(ln for ln in mine if ln.comparable or ln.result is None).counted = True
            lines += mine
    return lines


def tally(lines: list[Line]) -> dict[str, Any]:
    """The scoreboard's numbers for one paper, from its counted rows only."""
    counted = [ln for ln in lines if ln.counted]
    by = Counter(ln.standing for ln in counted)
    return {
        "claims": len(counted),
        "buckets": {b: by.get(b, 0) for b in BUCKETS},
        "other": {k: v for k, v in by.items() if k not in BUCKETS},
        "not_run_because": Counter(ln.not_run_because for ln in counted if ln.result is None),
        "analogue_holds": sum(ln.standing == "holds" and ln.analogue for ln in counted),
        "evidence": Counter(ln.evidence for ln in counted if ln.result is not None),
        "smoke": len({ln.claim["id"] for ln in lines if ln.result is not None and not ln.comparable}),
    }

"""`ganrepro validate`: every paper folder of a plan can be built and every claim can be judged.

Beyond the schema and cross-references checked while planning (ganrepro.spec), this checks each artifact's
params against its kind's declaration and each claim's expressions against the artifact's declared columns. A
misspelled column (`y: W_estimat_filtered`) is an error here, naming the paper.yaml, the claim and the name, not
a claim quietly reported as "not run".
"""

from __future__ import annotations

from typing import Any

from ganrepro.artifacts import columns_of
from ganrepro.core.errors import GanreproError
from ganrepro.verdicts.expressions import claim_problems


def validate_plan(plan: Any, documents: bool = False) -> int:
    """Raise GanreproError on the first artifact or claim that cannot be built or judged; return the number of
    claims checked. With `documents` (`ganrepro validate`), each paper folder must also hold its DEVIATIONS.md."""
    n = 0
    for paper in plan.papers.values():
        dev = paper.folder / "DEVIATIONS.md"
        if documents and (not dev.is_file() or not dev.read_text(encoding="utf-8").strip()):
            raise GanreproError(
                f"{dev} is missing or empty: every paper folder writes down where it departs from the paper or fills "
                "its gaps (README, adding a paper)"
            )
        where = f"{paper.folder}/paper.yaml"
        cols = {name: columns_of(art) for name, art in paper.artifacts.items()}
        for claim in paper.spec["claims"]:
            art = paper.artifacts[claim["artifact"]]
            problems = claim_problems(claim, cols[claim["artifact"]])
            if problems:
                raise GanreproError(
                    f"{where}: {problems[0]}; artifact '{art.name}' (kind {art.kind}) has the "
                    f"columns {', '.join(cols[art.name])}"
                )
            n += 1
        _revisions_listed(paper)
    return n


def _revisions_listed(paper: Any) -> None:
    """Every revised claim is named (as `claim_id`) in its paper's DEVIATIONS.md, where a reader of the deviations
    looks for what changed after results were seen (README, claims fixed before results)."""
    revised = [c["id"] for c in paper.spec["claims"] if c.get("revisions")]
    if not revised:
        return
    path = paper.folder / "DEVIATIONS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    missing = [cid for cid in revised if f"`{cid}`" not in text]
    if missing:
        raise GanreproError(
            f"{path}: claim(s) {', '.join(missing)} have `revisions:` in paper.yaml but are not named here; add a row "
            "that names each (`claim_id`) with its date, old rule and why"
        )

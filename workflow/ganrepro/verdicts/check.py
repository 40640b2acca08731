"""`ganrepro check`: judge every claim on the reproduced tables, one line per claim per source, for CI.

Sources, per paper: the committed results `paper_tables/<paper>/reproduced/<artifact>.csv` and (unless
committed_only) the fresh ones `results/paper_tables/<paper>/<artifact>.csv`. Each line reads
`<paper> <claim> [<source>, scale=<scale>]: <verdict> (<detail>)`.

A reproduction may honestly fail a paper's claim; that is a result, not a broken build. So the verdicts of the
committed reproduction are recorded in `paper_tables/<paper>/reproduced/verdicts.csv` (written by `ganrepro
keep`, see record_verdicts) and `check` fails (exit 1) when
  - a committed result no longer gives its recorded verdict and seed count, or its measured value moved from the
    recorded one by more than the claim's tolerance (someone edited the numbers, or the claim changed);
  - a fresh non-smoke result gives another verdict than the recorded one (it does not reproduce it);
  - a non-smoke result fails a claim that has no recorded verdict.
Never failures: smoke-scale results ("not comparable (smoke)"), artifacts not built yet ("not run"), and
comparisons with published numbers whose protocol differs ("not comparable", with the reason).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_to_csv
from ganrepro.core.paths import repo_root
from ganrepro.spec.paper import load_paper
from ganrepro.verdicts.claims import evaluate, load_published

VERDICT_COLUMNS = ["paper", "claim", "verdict", "seeds_holding", "seeds_total", "artifact", "measured"]


def _published(folder: Path) -> pd.DataFrame | None:
    try:
        return load_published(folder / "published.csv")
    except (ValueError, pd.errors.ParserError) as e:
        raise GanreproError(str(e)) from e


def record_verdicts(paper: str) -> Path:
    """Evaluate the paper's claims on its committed CSVs and write reproduced/verdicts.csv (the expected verdicts)."""
    folder = repo_root() / "paper_tables" / paper
    spec = load_paper(folder)
    published = _published(folder)
    kept = folder / "reproduced"
    rows = []
    for claim in spec["claims"]:
        path = kept / f"{claim['artifact']}.csv"
        res = _evaluate_safe(claim, pd.read_csv(path) if path.exists() else None, published)
        rows.append({"paper": paper, "claim": claim["id"], "verdict": res["verdict"],
                     "seeds_holding": res["seeds_holding"], "seeds_total": res["seeds_total"],
                     "artifact": claim["artifact"], "measured": res["measured"]})
    out = kept / "verdicts.csv"
    atomic_to_csv(pd.DataFrame(rows, columns=VERDICT_COLUMNS).astype({"seeds_holding": "Int64", "seeds_total": "Int64"}), out)
    return out


def _evaluate_safe(claim: dict[str, Any], df: pd.DataFrame | None, published: pd.DataFrame | None) -> dict[str, Any]:
    """evaluate(), with a claim that does not fit the CSV at all (a bad column, a bad query) as 'not run'."""
    try:
        return evaluate(claim, df, published)
    except Exception as e:  # noqa: BLE001 - reported on the claim's line, never a crash of the whole check
        return {"verdict": "not run", "detail": f"cannot evaluate: {type(e).__name__}: {e}", "measured": None,
                "seeds_holding": None, "seeds_total": None}


def _expected(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "reproduced" / "verdicts.csv"
    if not path.exists():
        return {}
    df = pd.read_csv(path)
    return {r["claim"]: r for r in df.to_dict("records")}


def _int(x: Any) -> int | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _same_value(a: float, b: float, tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol + 1e-12 * max(1.0, abs(a), abs(b))


def _scale(dir_: Path, name: str, df: pd.DataFrame) -> tuple[str, bool]:
    """(scale, comparable) from the provenance file, else from the CSV's scale column."""
    prov_path = dir_ / f"{name}.provenance.json"
    if prov_path.exists():
        prov = json.loads(prov_path.read_text())
        scale = str(prov.get("scale", "unknown"))
        return scale, bool(prov.get("comparable", scale != "smoke")) and scale != "smoke"
    if "scale" in df.columns and df["scale"].nunique() == 1:
        scale = str(df["scale"].iloc[0])
        return scale, scale != "smoke"
    return "unknown", False


def _seeds(res: dict[str, Any]) -> str:
    n = _int(res.get("seeds_total"))
    return f"{_int(res['seeds_holding'])}/{n} seeds" if n else "no seeds"


def check(papers: list[str], committed_only: bool = False) -> tuple[int, list[str]]:
    """Return (exit code, lines): 0 when nothing fails, 1 otherwise (module docstring)."""
    root = repo_root()
    lines: list[str] = []
    n_fail = 0
    for paper in papers:
        folder = root / "paper_tables" / paper
        if not (folder / "paper.yaml").exists():
            raise GanreproError(f"no paper folder paper_tables/{paper}/ (with a paper.yaml)")
        spec = load_paper(folder)
        published = _published(folder)
        expected = _expected(folder)
        sources = [("committed", folder / "reproduced")]
        if not committed_only:
            sources.append(("fresh", root / "results" / "paper_tables" / paper))
        used_keys = set()
        for claim in spec["claims"]:
            tol = float(claim["check"].get("tolerance", 0))
            if claim["check"]["type"] == "published":
                used_keys.add(str(claim["check"].get("key")))
            exp = expected.get(claim["id"])
            for label, dir_ in sources:
                head = f"{paper} {claim['id']} [{label}"
                path = dir_ / f"{claim['artifact']}.csv"
                if not path.exists():
                    lines.append(f"{head}]: not run (no {path.relative_to(root)})")
                    continue
                df = pd.read_csv(path)
                scale, comparable = _scale(dir_, claim["artifact"], df)
                head = f"{head}, scale={scale}]"
                res = _evaluate_safe(claim, df, published)
                v, detail = res["verdict"], res["detail"]
                if not comparable:
                    why = "smoke" if scale == "smoke" else f"scale {scale}, not marked comparable"
                    lines.append(f"{head}: not comparable ({why}; measured: {v}" + (f", {detail}" if detail else "") + ")")
                    continue
                problems = []
                if exp is not None:
                    if v != exp["verdict"]:
                        problems.append(f"recorded verdict is {exp['verdict']} ({_seeds(exp)})")
                    elif label == "committed" and (_int(res["seeds_holding"]), _int(res["seeds_total"])) != (
                            _int(exp["seeds_holding"]), _int(exp["seeds_total"])):
                        problems.append(f"recorded {_seeds(exp)}, now {_seeds(res)}")
                    if label == "committed" and not _same_value(_num(res["measured"]), _num(exp.get("measured")), tol):
                        problems.append(f"measured value moved from the recorded {exp.get('measured')} to {res['measured']}, "
                                        f"more than the tolerance {tol}")
                    note = "as recorded in reproduced/verdicts.csv" if not problems else "; ".join(problems)
                elif v == "fails":
                    problems.append("no recorded verdict in reproduced/verdicts.csv")
                    note = problems[0]
                else:
                    note = "no recorded verdict"
                if problems:
                    n_fail += 1
                    note = "CHECK FAILED: " + note
                text = "; ".join(s for s in (detail, note) if s)
                lines.append(f"{head}: {v} ({text})")
        if published is not None:
            lines.append(f"{paper} published.csv: {len(published)} published values, {len(used_keys & set(published['key']))} "
                         "compared by claims")
            for key in sorted(used_keys - set(published["key"])):
                lines.append(f"{paper} published.csv: key {key!r} used by a claim is not in published.csv")
    lines.append(f"check: {n_fail} failing line(s)" if n_fail else "check: ok (nothing fails)")
    return (1 if n_fail else 0), lines

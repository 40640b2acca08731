"""Which results a claim is judged on, whether each is comparable with the paper, and the verdict on each.

`ganrepro check`, `ganrepro keep` and the report all call these functions, so they judge the same results by the
same rules. An artifact has up to two results:
  committed  paper_tables/<paper>/reproduced/<artifact>.csv (+ .provenance.json), kept in git by `ganrepro keep`
  fresh      results/paper_tables/<paper>/<artifact>.csv (+ .provenance.json), written by the last DAG run
A result is comparable when its provenance says a non-smoke scale and comparable (a CSV without provenance is
read by its `scale` column). Each is judged on its own; smoke results are labelled, never compared.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.paths import committed_dir, fresh_dir
from ganrepro.spec import scale as scales
from ganrepro.verdicts.claims import evaluate, load_published
from ganrepro.verdicts.expressions import ExpressionError, claim_problems

SOURCES = ("committed", "fresh")
CANNOT_JUDGE = "cannot judge"  # a result exists but the claim does not fit it: a failure of check, never quiet


@dataclass
class Result:
    source: str  # committed | fresh
    dir: Path
    csv: Path
    df: pd.DataFrame
    prov: dict[str, Any] | None
    scale: str
    comparable: bool

    @property
    def label(self) -> str:
        return (
            f"committed (paper_tables/{self.csv.parent.parent.name}/reproduced)"
            if self.source == "committed"
            else "this run (results/paper_tables)"
        )


def published(folder: Path) -> pd.DataFrame | None:
    try:
        return load_published(folder / "published.csv")
    except (ValueError, pd.errors.ParserError) as e:
        raise GanreproError(str(e)) from e


def _scale(prov: dict[str, Any] | None, df: pd.DataFrame) -> tuple[str, bool]:
    """(scale, comparable) from the provenance file, else from the CSV's scale column."""
    if prov is not None:
        scale = str(prov.get("scale", "unknown"))
        return scale, bool(prov.get("comparable", True)) and scales.comparable(scale)
    if "scale" in df.columns and df["scale"].nunique() == 1:
        scale = str(df["scale"].iloc[0])
        return scale, scales.comparable(scale)
    return "unknown", False


def _fix(source: str, path: Path) -> str:
    if source == "committed":
        return f"restore it with `git checkout -- {path}` or keep a fresh result with `ganrepro keep`"
    return "delete it and rerun `snakemake` to rebuild it"


def read_table(path: Path, fix: str, allow_empty: bool = False, text: tuple[str, ...] = ()) -> pd.DataFrame:
    """A results CSV, or one GanreproError naming the file and the fix (truncated, empty, binary, hand-edited).
    Columns in `text` are read as strings (a hash such as 1234e567 must not turn into a number)."""
    try:
        df = pd.read_csv(path, dtype={c: str for c in text})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as e:
        raise GanreproError(f"{path}: unreadable table ({str(e).splitlines()[0][:120]}); {fix}") from e
    if (df.empty and not allow_empty) or len(df.columns) < 2:
        raise GanreproError(f"{path}: the table is empty; {fix}")
    return df


def read_json(path: Path, fix: str) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise GanreproError(f"{path}: unreadable JSON ({str(e).splitlines()[0][:120]}); {fix}") from e
    if not isinstance(obj, dict):
        raise GanreproError(f"{path}: expected a JSON object; {fix}")
    return obj


def result(paper: str, artifact: str, source: str) -> Result | None:
    """The artifact's committed or fresh result, None when it has not been produced."""
    d = committed_dir(paper) if source == "committed" else fresh_dir(paper)
    csv = d / f"{artifact}.csv"
    if not csv.exists():
        return None
    df = read_table(csv, _fix(source, csv))
    prov_path = d / f"{artifact}.provenance.json"
    prov = read_json(prov_path, _fix(source, prov_path)) if prov_path.exists() else None
    scale, comparable = _scale(prov, df)
    return Result(source, d, csv, df, prov, scale, comparable)


def results(paper: str, artifact: str, committed_only: bool = False) -> list[Result]:
    """Every result of an artifact that exists, committed first."""
    out = [result(paper, artifact, "committed")]
    if not committed_only:
        out.append(result(paper, artifact, "fresh"))
    return [r for r in out if r is not None]


def judge(claim: dict[str, Any], res: Result | None, published_df: pd.DataFrame | None) -> dict[str, Any]:
    """The claim's verdict on one result (claims.evaluate), after checking that every expression is plain data
    and names only columns the result has: otherwise the verdict is CANNOT_JUDGE with the reason."""
    if res is None:
        return evaluate(claim, None, published_df)
    try:
        problems = claim_problems(claim, list(res.df.columns))
    except ExpressionError as e:
        problems = [str(e)]
    if problems:
        return {
            **evaluate(claim, None, published_df),
            "verdict": CANNOT_JUDGE,
            "detail": f"{'; '.join(problems)} (in {res.csv.name})",
        }
    try:
        return evaluate(claim, res.df, published_df)
    except Exception as e:  # noqa: BLE001 - reported on the claim's line as a failure, never a crash of the check
        return {
            **evaluate(claim, None, published_df),
            "verdict": CANNOT_JUDGE,
            "detail": f"evaluating it raised {type(e).__name__}: {e}",
        }


def same_value(a: float, b: float, tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol + 1e-12 * max(1.0, abs(a), abs(b))

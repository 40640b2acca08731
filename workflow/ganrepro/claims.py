"""Machine-checkable claims: each paper.yaml claim is evaluated on its artifact's CSV.

Check types (all selections use a pandas `where` query and a `value` column or expression):
  threshold  agg(value) <op> target, within tolerance
  compare    agg(left) <op> agg(right), within tolerance
  spearman   Spearman rho(x, y) <op> target, within tolerance
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

AGGS = {"mean": np.mean, "min": np.min, "max": np.max, "median": np.median}


def _select(df: pd.DataFrame, sel: dict[str, Any]) -> pd.Series:
    sub = df.query(sel["where"], engine="python") if sel.get("where") else df
    if sub.empty:
        raise LookupError(f"no rows match where={sel.get('where')!r}")
    return sub.eval(sel["value"], engine="python") if sel.get("value") not in sub.columns else sub[sel["value"]]


def _agg(values: pd.Series, how: str) -> float:
    return float(AGGS[how](values.to_numpy(dtype=float)))


def _compare(x: float, op: str, target: float, tol: float) -> bool:
    if math.isnan(x) or math.isnan(target):
        return False
    return {
        "<=": x <= target + tol,
        ">=": x >= target - tol,
        "<": x < target + tol,
        ">": x > target - tol,
        "==": abs(x - target) <= tol if math.isfinite(x) or math.isfinite(target) else x == target,
    }[op]


def describe(check: dict[str, Any]) -> str:
    t = check["type"]
    tol = check.get("tolerance", 0)
    if t == "threshold":
        w = f" where {check['where']}" if check.get("where") else ""
        return f"{check['agg']}({check['value']}){w} {check['op']} {check['target']} (tolerance {tol})"
    if t == "compare":
        left, right = check["left"], check["right"]
        return (f"{left['agg']}({left['value']} where {left.get('where', 'all')}) {check['op']} "
                f"{right['agg']}({right['value']} where {right.get('where', 'all')}) (tolerance {tol})")
    if t == "spearman":
        return f"spearman({check['x']}, {check['y']}) where {check.get('where', 'all')} {check['op']} {check['target']} (tolerance {tol})"
    return str(check)


def evaluate(claim: dict[str, Any], df: pd.DataFrame | None) -> dict[str, Any]:
    """Return {'verdict': holds | fails | not run, 'measured': ..., 'detail': ...}."""
    check = claim["check"]
    out = {"check": describe(check), "measured": None, "reference": None}
    if df is None:
        return {**out, "verdict": "not run", "detail": "artifact CSV not produced yet"}
    tol = float(check.get("tolerance", 0))
    try:
        if check["type"] == "threshold":
            x = _agg(_select(df, check), check["agg"])
            target = float(check["target"])
        elif check["type"] == "compare":
            x = _agg(_select(df, check["left"]), check["left"]["agg"])
            target = _agg(_select(df, check["right"]), check["right"]["agg"])
        elif check["type"] == "spearman":
            from scipy.stats import spearmanr

            sub = df.query(check["where"], engine="python") if check.get("where") else df
            if len(sub) < 3:
                raise LookupError(f"only {len(sub)} rows match where={check.get('where')!r}; need 3")
            x = float(spearmanr(sub[check["x"]], sub[check["y"]]).statistic)
            target = float(check["target"])
        else:
            return {**out, "verdict": "not run", "detail": f"unknown check type {check['type']!r}"}
    except LookupError as e:
        return {**out, "verdict": "not run", "detail": str(e)}
    ok = _compare(x, check["op"], target, tol)
    return {**out, "measured": x, "reference": target, "verdict": "holds" if ok else "fails", "detail": ""}

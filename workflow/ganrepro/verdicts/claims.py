"""Machine-checkable claims: each paper.yaml claim is evaluated on its artifact's CSV.

Check types (all selections use a pandas `where` query and a `value` column or expression, and an `agg`:
mean | min | max | median, or over a curve argmin | argmax | first_reach, see CURVE_AGGS):
  threshold  agg(value) <op> target, within tolerance
  compare    agg(left) <op> agg(right), within tolerance
  spearman   Spearman rho(x, y) <op> target, within tolerance
  published  agg(value) <op, default ==> the published number of paper_tables/<paper>/published.csv row `key`,
             within tolerance. With `requires_protocol: <metric name>` (config/metrics.yaml) the selected rows
             must record that protocol in a `protocol` or `metric` column; when they record another one, or none,
             the verdict is "not comparable" with the reason, never holds or fails.

Seeds and the verdict rule. The check is first evaluated on all selected rows together (the aggregate, e.g.
the mean or the min over seeds; `measured` and `reference` are the aggregate's). When the selected rows have a
`seed` column with more than one training seed, the check is also evaluated on each seed's rows alone (a
`compare` check compares left and right within the same seed) and the final verdict follows the claim's
`rule` (default "all"; apply_rule is its one home):
  fewer than 3 judged seeds  preliminary (one seed is an anecdote)
  all       holds if it holds on every seed; fails if it fails on every seed; otherwise inconclusive.
  majority  holds if more than half of the seeds hold; fails if more than half fail; otherwise inconclusive.
A seed whose rows cannot be judged (e.g. too few rows) counts as neither holding nor failing. The result
reports `seeds_holding` and `seeds_total`, and its detail says e.g. "holds in 3/3 seeds", with the per-seed
effect (how far past the threshold) as mean ± std (n), its 95% interval, and for an inconclusive verdict how
many seeds the observed effect would need. Without a seed column (analytic tables) the verdict is the
aggregate's.

Verdicts: holds | fails | inconclusive | preliminary | not measurable | not comparable | not run.
"preliminary": fewer than MIN_SEEDS (3) training seeds could be judged; the per-seed results are shown, and the
verdict is never counted as holds or fails. The pooled "all seeds together" verdict is shown, never deciding.
A measurement that cannot be made (NaN: no finite rows, a constant series for Spearman, a diverged run) is
"not measurable" with the reason, never "fails"; a seed that is not measurable counts as not judged.

Negative controls. Every claim is also judged on data where it is false, its control (`control:` in paper.yaml,
or the general rule of its check type):
  compare   (rule) the same check with its two sides exchanged: "A beats B" must not also hold as "B beats A"
  spearman  (rule) the x column reversed (x -> min + max - x): a rising trend must not also rise when reversed
  swap: [A, B]               the table with every cell equal to A relabelled B and vice versa (roles swapped, e.g.
                             the clipping run in place of the GP run)
  set: {column: C, value: V} the rows the check selects with column C set to V (a value the claim excludes)
  reverse: C                 column C reversed, as the spearman rule does
  descriptive: "<why>"       no data can contradict the statement: shown, kept out of the verdict counts
A claim that holds while its control holds too has not been told apart from its opposite on this data (a tie,
or a check too loose for the data): its verdict is "inconclusive", with the control's result in the detail. With
several seeds the control is judged per seed, like the claim: a seed in which both hold counts as an inconclusive
seed (judged, neither holding nor failing) and the rule is applied to the per-seed verdicts, so "holds" needs the
control to fail in every seed (rule 'all').
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.verdicts.expressions import names

AGGS = {"mean": np.mean, "min": np.min, "max": np.max, "median": np.median}
# Aggregations over a curve: they need `x` (e.g. iteration) in the selection. The curve is the value averaged
# over the selected rows at each x (over seeds when several are selected; per-seed judging selects one seed).
#   argmin / argmax  the x at which the curve is lowest / highest (the first such x on ties)
#   first_reach      the first x at which `value <op> target` holds, with `reach: {op: "<=", target: 60}`;
#                    inf when it is never reached (NaN values, e.g. after a divergence, never reach)
CURVE_AGGS = ("argmin", "argmax", "first_reach")
RULES = ("all", "majority")
CONTROL_KINDS = ("swap", "set", "reverse", "descriptive")
PUBLISHED_COLUMNS = ["artifact", "key", "column", "value", "where", "protocol"]  # plus optional std, note


class NotComparable(Exception):
    """The reproduced value's protocol differs from the one the published number needs."""


def load_published(path: str | Path) -> pd.DataFrame | None:
    """Read a paper's published.csv (None when the file does not exist); ValueError when malformed."""
    path = Path(path)
    if not path.exists():
        return None
    df = pd.read_csv(path, dtype={"key": str, "where": str, "protocol": str})
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(PUBLISHED_COLUMNS)}")
    if df["key"].duplicated().any():
        raise ValueError(f"{path}: duplicate key(s) {', '.join(df.loc[df['key'].duplicated(), 'key'])}")
    return df


def _select(df: pd.DataFrame, sel: dict[str, Any]) -> pd.Series:
    sub = _rows(df, sel)
    if sel.get("value") in sub.columns:
        return sub[sel["value"]]
    return sub.eval(_data_expression(sel["value"]), engine="python")


def _data_expression(expr: str) -> str:
    """The expression, once it is known to be plain data (verdicts.expressions): the only way an expression from
    a paper.yaml reaches pandas, so no caller can run code through it."""
    names(expr, "claim expression")
    return expr


def _rows(df: pd.DataFrame, sel: dict[str, Any]) -> pd.DataFrame:
    sub = df.query(_data_expression(sel["where"]), engine="python") if sel.get("where") else df
    if sub.empty:
        raise LookupError(f"no rows match where={sel.get('where')!r}")
    return sub


def _agg(values: pd.Series, how: str) -> float:
    return float(AGGS[how](values.to_numpy(dtype=float)))


def _aggregate(df: pd.DataFrame, sel: dict[str, Any]) -> float:
    """agg(value) over the rows a selection picks; curve aggregations (CURVE_AGGS) return an x."""
    how = sel["agg"]
    if how not in CURVE_AGGS:
        if how not in AGGS:
            raise LookupError(f"unknown agg {how!r}; expected one of {', '.join([*AGGS, *CURVE_AGGS])}")
        return _agg(_select(df, sel), how)
    if "x" not in sel:
        raise LookupError(f"agg {how!r} needs `x` (the curve's axis, e.g. iteration)")
    sub = _rows(df, sel)
    vals = _select(df, sel).astype(float)
    curve = vals.groupby(sub[sel["x"]].to_numpy()).mean().sort_index()
    if how == "argmin":
        return float(curve.idxmin()) if curve.notna().any() else math.nan
    if how == "argmax":
        return float(curve.idxmax()) if curve.notna().any() else math.nan
    reach = sel.get("reach") or {}
    if "op" not in reach or "target" not in reach:
        raise LookupError("agg 'first_reach' needs `reach: {op: ..., target: ...}`")
    hit = [x for x, v in curve.items() if _compare(float(v), reach["op"], float(reach["target"]), 0.0)]
    return float(hit[0]) if hit else math.inf


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


def _agg_text(sel: dict[str, Any]) -> str:
    how = sel["agg"]
    if how == "first_reach":
        r = sel.get("reach") or {}
        return f"first {sel.get('x', 'x')} with {sel['value']} {r.get('op')} {r.get('target')}"
    if how in ("argmin", "argmax"):
        return f"{how}_{sel.get('x', 'x')}({sel['value']})"
    return f"{how}({sel['value']})"


def describe(check: dict[str, Any]) -> str:
    t = check["type"]
    tol = check.get("tolerance", 0)
    if t == "threshold":
        w = f" where {check['where']}" if check.get("where") else ""
        return f"{_agg_text(check)}{w} {check['op']} {check['target']} (tolerance {tol})"
    if t == "compare":
        left, right = check["left"], check["right"]
        return (
            f"{_agg_text(left)} where {left.get('where', 'all')} {check['op']} "
            f"{_agg_text(right)} where {right.get('where', 'all')} (tolerance {tol})"
        )
    if t == "spearman":
        return (
            f"spearman({check['x']}, {check['y']}) where {check.get('where', 'all')} {check['op']} "
            f"{check['target']} (tolerance {tol})"
        )
    if t == "published":
        w = f" where {check['where']}" if check.get("where") else ""
        p = f", protocol {check['requires_protocol']}" if check.get("requires_protocol") else ""
        return (
            f"{check['agg']}({check['value']}){w} {check.get('op', '==')} published[{check['key']}] "
            f"(tolerance {tol}{p})"
        )
    return str(check)


def _published_row(check: dict[str, Any], published: pd.DataFrame | None) -> pd.Series:
    if published is None:
        raise LookupError("no published.csv for this paper")
    hit = published[published["key"] == str(check["key"])]
    if hit.empty:
        raise LookupError(f"published.csv has no row with key {check['key']!r}")
    return hit.iloc[0]


def _protocol_problem(check: dict[str, Any], df: pd.DataFrame, row: pd.Series) -> str | None:
    """Why the selected rows cannot be compared with the published number (None when they can)."""
    need = check.get("requires_protocol")
    if not need:
        return None
    sub = _rows(df, check)
    col = "protocol" if "protocol" in sub.columns else "metric" if "metric" in sub.columns else None
    printed = f"published: {row['protocol']} ({row['where']})"
    if col is None:
        return f"the artifact records no protocol/metric column; {need} is required; {printed}"
    have = sorted({str(v) for v in sub[col].dropna().unique()})
    if have != [str(need)]:
        return f"reproduced with {col} {', '.join(have) or 'none'}, the comparison requires {need}; {printed}"
    return None


def spearman(x: pd.Series, y: pd.Series) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (ties share their mean rank), as
    scipy.stats.spearmanr computes it (tests/verdicts/test_claims.py compares the two); NaN when either side is
    constant. Written out because importing scipy.stats takes longer than `ganrepro check` may."""
    rx = pd.Series(np.asarray(x, dtype=float)).rank(method="average").to_numpy()
    ry = pd.Series(np.asarray(y, dtype=float)).rank(method="average").to_numpy()
    dx, dy = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum() / den) if den > 0 else math.nan


def _measure(check: dict[str, Any], df: pd.DataFrame, published: pd.DataFrame | None) -> tuple[float, float]:
    """(measured, reference) of one check on df; LookupError when the rows needed are missing."""
    t = check["type"]
    if t == "threshold":
        return _aggregate(df, check), float(check["target"])
    if t == "compare":
        left, right = _aggregate(df, check["left"]), _aggregate(df, check["right"])
        if math.isinf(left) and math.isinf(right) and "first_reach" in (check["left"]["agg"], check["right"]["agg"]):
            return math.nan, math.nan  # neither side ever reaches its threshold: the claim cannot hold
        return left, right
    if t == "spearman":
        sub = df.query(_data_expression(check["where"]), engine="python") if check.get("where") else df
        if len(sub) < 3:
            raise LookupError(f"only {len(sub)} rows match where={check.get('where')!r}; need 3")
        return spearman(sub[check["x"]], sub[check["y"]]), float(check["target"])
    if t == "published":
        row = _published_row(check, published)
        return _aggregate(df, check), float(row["value"])
    raise ValueError(f"unknown check type {t!r}")


def _selected(check: dict[str, Any], df: pd.DataFrame) -> pd.DataFrame:
    """All rows the check reads (both sides of a compare)."""
    sels = [check["left"], check["right"]] if check["type"] == "compare" else [check]
    parts = []
    for s in sels:
        try:
            parts.append(_rows(df, s))
        except LookupError:
            continue
    return pd.concat(parts) if parts else df.iloc[:0]


def _one(
    check: dict[str, Any], df: pd.DataFrame, published: pd.DataFrame | None
) -> tuple[str, float | None, float | None, str]:
    try:
        x, target = _measure(check, df, published)
    except (LookupError, NameError, SyntaxError) as e:  # missing rows/columns: nothing to judge
        return "not run", None, None, str(e)
    nan = [name for name, v in (("measured value", x), ("reference", target)) if math.isnan(v)]
    if nan:
        why = " and ".join(nan) + " NaN"
        if check["type"] == "spearman":
            why += " (a constant or empty series has no rank correlation)"
        elif check["type"] == "compare":
            why += " (no finite rows on a side, or neither side ever reaches its threshold)"
        return "not measurable", x, target, why
    ok = _compare(x, check.get("op", "=="), target, float(check.get("tolerance", 0)))
    return ("holds" if ok else "fails"), x, target, ""


MIN_SEEDS = 3  # fewer training seeds than this: a verdict is "preliminary", shown but never counted
# Student's t quantiles for df = 1..30 (two-sided 95% interval; one-sided 5% test); beyond 30 the normal's
# fmt: off
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
T95 = (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753,
       1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697)
# fmt: on


def _t(table: tuple[float, ...], df: int, normal: float) -> float:
    return table[df - 1] if df <= len(table) else normal


def apply_rule(rule: str, aggregate: str, per_seed: list[str]) -> str:
    """The verdict from the per-seed verdicts, the one decision rule (module docstring and README): with fewer than
    MIN_SEEDS judged seeds "preliminary"; rule 'all': holds when every seed holds, fails when every seed fails,
    else inconclusive; 'majority': more than half hold / fail. The pooled (all seeds together) verdict is shown,
    never deciding."""
    judged = [v for v in per_seed if v in ("holds", "fails", "inconclusive")]  # inconclusive: held on its control
    if not judged:
        return "not measurable" if "not measurable" in per_seed or aggregate == "not measurable" else "not run"
    if len(judged) < MIN_SEEDS:
        return "preliminary"
    n = len(per_seed)
    n_hold, n_fail = per_seed.count("holds"), per_seed.count("fails")
    if rule == "all":
        if n_hold == n:
            return "holds"
        return "fails" if n_fail == n else "inconclusive"
    if rule == "majority":
        if n_hold > n / 2:
            return "holds"
        return "fails" if n_fail > n / 2 else "inconclusive"
    raise ValueError(f"unknown verdict rule {rule!r}; expected one of {', '.join(RULES)}")


def effects(check: dict[str, Any], measured: list[float], reference: list[float]) -> list[float]:
    """Per seed, how far the measurement is on the claim's side of its threshold (positive: holds; the tolerance
    included): measured - (reference - tol) for > and >=, (reference + tol) - measured for < and <=,
    tol - |measured - reference| for ==."""
    op, tol = check.get("op", "=="), float(check.get("tolerance", 0))
    out = []
    for m, r in zip(measured, reference, strict=False):
        if op in (">", ">="):
            out.append(m - (r - tol))
        elif op in ("<", "<="):
            out.append((r + tol) - m)
        else:
            out.append(tol - abs(m - r))
    return out


def seed_summary(check: dict[str, Any], measured: list[float], reference: list[float], verdict: str) -> str:
    """mean ± std (n) of the per-seed effects, their 95% interval against 0 (the threshold), and for an
    inconclusive verdict the number of seeds at which the observed effect would pass a one-sided 5% t-test."""
    e = np.asarray(effects(check, measured, reference), dtype=float)
    if len(e) < 2 or not np.isfinite(e).all():
        return ""
    n, mean, sd = len(e), float(e.mean()), float(e.std(ddof=1))
    half = _t(T975, n - 1, 1.960) * sd / math.sqrt(n)
    text = (
        f"effect per seed (distance past the threshold, > 0 is on the claim's side) {mean:.4g} ± {sd:.3g} (n={n}), "
        f"95% interval [{mean - half:.4g}, {mean + half:.4g}]"
    )
    if verdict in ("inconclusive", "preliminary"):
        text += _seeds_needed(mean, sd, n)
    return text


def _seeds_needed(mean: float, sd: float, n: int) -> str:
    """'; about k seeds would pass a one-sided 5% t-test for (against) the claim at this effect': the smallest k at
    which the observed mean effect passes that test on its side of 0 with the observed spread ('' for a zero effect,
    which no number of seeds decides, and for n >= MIN_SEEDS seeds that all agree, where the count says nothing)."""
    if mean == 0:
        return ""
    if sd == 0:
        return f"; every seed agrees, {MIN_SEEDS} seeds would give a verdict" if n < MIN_SEEDS else ""
    side = "for" if mean > 0 else "against"
    need = next((k for k in range(2, 1001) if abs(mean) / (sd / math.sqrt(k)) >= _t(T95, k - 1, 1.645)), None)
    if need is None:
        return f"; over 1,000 seeds would be needed to pass a one-sided 5% t-test {side} the claim at this effect"
    return f"; about {need} seeds would pass a one-sided 5% t-test {side} the claim at this effect"


def evaluate(claim: dict[str, Any], df: pd.DataFrame | None, published: pd.DataFrame | None = None) -> dict[str, Any]:
    """Return {'verdict', 'measured', 'reference', 'detail', 'check', 'rule', 'aggregate_verdict',
    'seeds_holding', 'seeds_total', 'seed_verdicts', 'seed_measured', 'seed_reference', 'control',
    'control_verdict', 'descriptive'}; see the module docstring for the rule and the control. seed_measured /
    seed_reference hold one value per judged training seed (the aggregate's when there is no more than one seed):
    the measured value and what it is compared with (target, published value or the right side of a compare).

    `published` is the paper's published.csv (load_published), needed by `published` checks only.
    """
    out = _judge(claim, df, published)
    ctrl = control_of(claim)
    out.update(control=describe_control(ctrl), control_verdict=None, descriptive="descriptive" in ctrl)
    if df is None or not ctrl or out["verdict"] in ("not run", "not comparable") or "descriptive" in ctrl:
        return out  # paper.yaml claims always have a control (verdicts.expressions.claim_problems)
    try:
        c_claim, c_df = control_case(claim, df)
        c_out = _judge(c_claim, c_df, published)
    except (LookupError, NameError, SyntaxError, ValueError, KeyError) as e:
        out["control_verdict"] = "not run"
        out["detail"] = "; ".join(x for x in (out["detail"], f"control not run: {e}") if x)
        return out
    out["control_verdict"] = c_out["verdict"]
    tied = _tied_seeds(out, c_out)
    if tied:
        return _judge_ties(claim["check"], out, c_out, tied)
    if _holds_per_seed(out) and _holds_per_seed(c_out):
        out["verdict"] = "inconclusive"
        note = (
            f"the check also holds on its control ({out['control']}: measured {_short(c_out['measured'])} vs "
            f"{_short(c_out['reference'])}), so this data does not tell the claim from its opposite"
        )
        out["detail"] = "; ".join(x for x in (out["detail"], note) if x)
    return out


def seed_verdicts_of(res: dict[str, Any]) -> dict[str, str]:
    """{seed: verdict} from a result's seed_verdicts ('0:holds 1:not measurable 2:fails'; a verdict may hold a
    space, a seed name never does)."""
    out: dict[str, str] = {}
    seed = ""
    for token in (res["seed_verdicts"] or "").split():
        if ":" in token:
            seed, verdict = token.split(":", 1)
            out[seed] = verdict
        elif seed:
            out[seed] += " " + token
    return out


def _tied_seeds(out: dict[str, Any], c_out: dict[str, Any]) -> list[str]:
    """The seeds in which the check holds on its control too, when the claim was judged on several seeds (none
    for a single seed or a table without seeds: there the verdicts as a whole are compared)."""
    mine, theirs = seed_verdicts_of(out), seed_verdicts_of(c_out)
    if len(mine) < 2:
        return []
    return [s for s, v in mine.items() if v == "holds" and theirs.get(s) == "holds"]


def _judge_ties(check: dict[str, Any], out: dict[str, Any], c_out: dict[str, Any], tied: list[str]) -> dict[str, Any]:
    """The control is judged per seed, like the claim: a seed in which the check holds on its control too does not
    tell the claim from its opposite, so it counts as an inconclusive seed (judged, neither holding nor failing),
    and the decision rule is applied again to the per-seed verdicts."""
    per = {s: ("inconclusive" if s in tied else v) for s, v in seed_verdicts_of(out).items()}
    verdicts = list(per.values())
    final = apply_rule(out["rule"], out["aggregate_verdict"], verdicts)
    many = len(tied) > 1
    note = (
        f"in seed{'s' if many else ''} {', '.join(tied)} the check also holds on its control ({out['control']}; "
        f"control per seed: {c_out['seed_verdicts']}), so {'they do' if many else 'it does'} not tell the claim "
        f"from its opposite: counted inconclusive, so {verdicts.count('holds')}/{len(per)} seeds hold"
    )
    if final == "preliminary":
        note += f" ({MIN_SEEDS} judged seeds needed for a verdict)"
    if final in ("inconclusive", "preliminary"):
        # no count of seeds from the effect here: a tied seed's effect is measured against the threshold, not
        # against the control, so more seeds like these would add ties, not evidence
        note += "; more seeds decide it only where they separate the claim from its control"
    out.update(
        verdict=final,
        seeds_holding=verdicts.count("holds"),
        seed_verdicts=" ".join(f"{s}:{v}" for s, v in per.items()),
        detail="; ".join(x for x in (out["detail"], note) if x),
    )
    return out


def _holds_per_seed(res: dict[str, Any]) -> bool:
    """The check held (a preliminary verdict: in every seed it was judged on)."""
    if res["verdict"] == "holds":
        return True
    return res["verdict"] == "preliminary" and bool(res["seeds_total"]) and res["seeds_holding"] == res["seeds_total"]


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def control_of(claim: dict[str, Any]) -> dict[str, Any]:
    """The claim's declared control, or the general rule of its check type ({} when it has neither)."""
    if claim.get("control"):
        return dict(claim["control"])
    t = claim["check"]["type"]
    if t == "compare":
        return {"sides": "exchanged"}
    if t == "spearman":
        return {"reverse": claim["check"]["x"]}
    return {}


def describe_control(ctrl: dict[str, Any]) -> str:
    if not ctrl:
        return "none"
    if "sides" in ctrl:
        return "the two sides exchanged"
    if "swap" in ctrl:
        a, b = ctrl["swap"]
        return f"{a!s} and {b!s} swapped"
    if "set" in ctrl:
        return f"{ctrl['set']['column']} set to {ctrl['set']['value']} on the selected rows"
    if "reverse" in ctrl:
        return f"{ctrl['reverse']} reversed"
    return f"descriptive: {ctrl['descriptive']}"


def control_case(claim: dict[str, Any], df: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    """(the claim without its control, the data it is judged on as its control); LookupError when the claim has no
    control."""
    ctrl = control_of(claim)
    bare = {k: v for k, v in claim.items() if k != "control"}
    bare["control"] = {"descriptive": "this is a control"}  # no control of a control
    check = claim["check"]
    if "sides" in ctrl:
        swapped = {**check, "left": check["right"], "right": check["left"]}
        return {**bare, "check": swapped}, df
    out = df.copy()
    if "swap" in ctrl:
        a, b = ctrl["swap"]
        for col in out.columns:
            text = pd.api.types.is_string_dtype(out[col]) or pd.api.types.is_object_dtype(out[col])
            if text if isinstance(a, str) else pd.api.types.is_numeric_dtype(out[col]):
                is_a, is_b = out[col] == a, out[col] == b
                out[col] = out[col].where(~is_a, b).where(~is_b, a)
        return bare, out
    if "set" in ctrl:
        col, value = ctrl["set"]["column"], ctrl["set"]["value"]
        idx = _selected(check, df).index
        out[col] = out[col].astype(float) if isinstance(value, float) else out[col]
        out.loc[idx, col] = value
        return bare, out
    if "reverse" in ctrl:
        col = ctrl["reverse"]
        x = out[col].astype(float)
        out[col] = x.min() + x.max() - x
        return bare, out
    raise LookupError("the claim has no control (declare one, or `descriptive:` with the reason)")


def _judge(claim: dict[str, Any], df: pd.DataFrame | None, published: pd.DataFrame | None) -> dict[str, Any]:
    check = claim["check"]
    rule = claim.get("rule", "all")
    out: dict[str, Any] = {
        "check": describe(check),
        "measured": None,
        "reference": None,
        "rule": rule,
        "aggregate_verdict": None,
        "seeds_holding": None,
        "seeds_total": None,
        "seed_verdicts": "",
        "seed_measured": [],
        "seed_reference": [],
    }
    if df is None:
        return {**out, "verdict": "not run", "detail": "artifact CSV not produced yet"}
    if check["type"] not in ("threshold", "compare", "spearman", "published"):
        return {**out, "verdict": "not run", "detail": f"unknown check type {check['type']!r}"}
    if rule not in RULES:
        return {
            **out,
            "verdict": "not run",
            "detail": f"unknown verdict rule {rule!r}; expected one of {', '.join(RULES)}",
        }
    note = ""
    if check["type"] == "published":
        try:
            row = _published_row(check, published)
            problem = _protocol_problem(check, df, row)
        except (LookupError, NameError, SyntaxError) as e:
            return {**out, "verdict": "not run", "detail": str(e)}
        if problem:
            return {**out, "verdict": "not comparable", "detail": problem}
        std = f" ± {row['std']}" if "std" in row.index and pd.notna(row["std"]) else ""
        note = f"published {row['value']}{std} ({row['where']}; {row['protocol']})"
    verdict, x, target, why = _one(check, df, published)
    out.update(measured=x, reference=target, aggregate_verdict=verdict)
    if verdict == "not run":
        return {**out, "verdict": verdict, "detail": why}
    # every seed of the artifact counts, judged on its own rows; seeds taken from the pooled selection would drop a
    # seed that diverged early (its last iteration is not the pooled last), and a seed with no row the check reads
    # is one where the claim was not shown ("not judged"), not one to leave out
    seeds = sorted(df["seed"].dropna().unique().tolist()) if "seed" in df.columns else []
    if len(seeds) <= 1:
        out.update(seed_measured=[x], seed_reference=[target])
        detail = ""
        if seeds:  # one training seed is an anecdote: shown as measured, never counted as holds or fails
            out.update(
                seeds_holding=int(verdict == "holds"),
                seeds_total=1,
                seed_verdicts=f"{_seed_name(seeds[0])}:{verdict}",
            )
            detail = f"{verdict} in the one seed"
            if verdict in ("holds", "fails"):
                detail += f" ({MIN_SEEDS} needed for a verdict)"
                verdict = "preliminary"
        return {**out, "verdict": verdict, "detail": "; ".join(s for s in (detail, why, note) if s)}
    judged = [_one(check, df[df["seed"] == s], published) for s in seeds]
    per_seed = [j[0] for j in judged]
    # the per-seed values behind the table's mean +- std over training seeds (seeds that could not be judged left out)
    out.update(
        seed_measured=[j[1] for j in judged if j[1] is not None and not math.isnan(j[1])],
        seed_reference=[j[2] for j in judged if j[2] is not None and not math.isnan(j[2])],
    )
    final = apply_rule(rule, verdict, per_seed)
    n_hold, n_fail = per_seed.count("holds"), per_seed.count("fails")
    parts = [f"holds in {n_hold}/{len(seeds)} seeds"]
    if n_fail:
        parts.append(f"fails in {n_fail}/{len(seeds)}")
    n_nm = per_seed.count("not measurable")
    if n_nm:
        why_nm = next(j[3] for j in judged if j[0] == "not measurable")
        parts.append(f"not measurable in {n_nm}/{len(seeds)} ({why_nm})")
    if len(seeds) - n_hold - n_fail - n_nm:
        parts.append(f"not judged in {len(seeds) - n_hold - n_fail - n_nm}/{len(seeds)}")
    detail = ", ".join(parts) + f"; all seeds together (shown, not deciding): {verdict}; rule '{rule}'"
    if final == "preliminary":
        detail += f" ({MIN_SEEDS} judged seeds needed for a verdict)"
    stats = seed_summary(check, out["seed_measured"], out["seed_reference"], final)
    if stats and len(out["seed_measured"]) == len(out["seed_reference"]):
        detail += "; " + stats
    out.update(
        seeds_holding=n_hold,
        seeds_total=len(seeds),
        seed_verdicts=" ".join(f"{_seed_name(s)}:{v}" for s, v in zip(seeds, per_seed, strict=True)),
    )
    return {**out, "verdict": final, "detail": "; ".join(s for s in (detail, note) if s)}


def _seed_name(s: Any) -> str:
    return str(int(s)) if isinstance(s, float) and s.is_integer() else str(s)

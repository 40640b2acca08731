"""Every claim of every paper, judged on synthetic tables shaped like its artifact (the declared columns, the plan's
runs, methods and seeds at paper scale, the values its expressions name): its check must be able to hold and to
fail, and on every table where it holds, its negative control must not hold too. This covers the claims that have
no committed result yet; test_controls.py judges the committed ones on their real data."""

from __future__ import annotations

import ast
import math
import zlib

import numpy as np
import pandas as pd
import pytest
from ganrepro.artifacts import columns_of
from ganrepro.spec.catalog import papers
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan
from ganrepro.verdicts.claims import _judge, control_case, control_of
from ganrepro.verdicts.expressions import FIELDS
from ganrepro.verdicts.results import published

PLAN = build_plan(load_config(overrides={"scale": "paper", "seeds": [0, 1, 2], "papers": papers()}))
CLAIMS = [(p, c) for p in papers() for c in PLAN.papers[p].spec["claims"]]
TEXT = {"run", "method", "run_id", "status", "metric", "data", "reference", "feature_extractor", "eval_id"}
TEXT |= {"region", "divergence_reason", "column", "png", "sha256", "param", "scale"}
DRAWS = 160


def _selections(check: dict) -> list[dict]:
    return [check["left"], check["right"]] if check["type"] == "compare" else [check]


def _literals(check: dict) -> dict[str, set]:
    """Column -> the constants the claim's expressions compare it with (`run == 'a'`, `iteration == 400`)."""
    out: dict[str, set] = {}
    for sel in _selections(check):
        for f in FIELDS:
            if not isinstance(sel.get(f), str):
                continue
            for node in ast.walk(ast.parse(sel[f], mode="eval")):
                if not isinstance(node, ast.Compare):
                    continue
                sides = [node.left, *node.comparators]
                for a, b in zip(sides, sides[1:], strict=False):
                    for name, lit in ((a, b), (b, a)):
                        if isinstance(name, ast.Name):
                            consts = lit.elts if isinstance(lit, (ast.List, ast.Tuple)) else [lit]
                            vals = {c.value for c in consts if isinstance(c, ast.Constant)}
                            out.setdefault(name.id, set()).update(vals)
    return out


def _references(check: dict, pub: pd.DataFrame | None) -> list[float]:
    """The numbers the check compares with (its target, a first_reach level, the published value): the scale of
    the drawn values."""
    refs = [float(check["target"])] if "target" in check else []
    refs += [float(s["reach"]["target"]) for s in _selections(check) if isinstance(s.get("reach"), dict)]
    if check["type"] == "published" and pub is not None:
        hit = pub[pub["key"] == str(check["key"])]
        refs += [float(v) for v in hit["value"]]
    return [r for r in refs if r != 0] + [1.0]


def _axes(check: dict) -> list[str]:
    """Numeric columns a curve or a trend runs along (besides iteration): each gets a few values of its own."""
    xs = {check.get("x")} | {s.get("x") for s in _selections(check)}
    return sorted(x for x in xs if isinstance(x, str) and x != "iteration")


def _skeleton(paper: str, claim: dict) -> pd.DataFrame:
    """The rows an artifact of this claim has: one per run key x seed x iteration (x named categorical values)."""
    art = PLAN.artifact(paper, claim["artifact"])
    cols = columns_of(art)
    lits = _literals(claim["check"])
    groups = [
        {"run": key, "method": r.config["method"]["name"], "seed": r.seed, "run_id": r.run_id}
        for key, runs in art.runs.items()
        for r in runs
    ] or [{"seed": s} for s in (0, 1, 2)]
    its = sorted({*range(0, 10001, 1250), *(int(v) for v in lits.get("iteration", ()) if v == v)})
    rows = []
    for g in groups:
        for it in its:
            row = {"iteration": it, "final": it == its[-1], "status": "completed", **g}
            rows.append(row)
    df = pd.DataFrame(rows)
    for x in _axes(claim["check"]):
        df = pd.concat([df.assign(**{x: float(v)}) for v in range(5)], ignore_index=True)
    need = claim["check"].get("requires_protocol")
    for c in cols:
        if lits.get(c) and c not in ("run", "iteration", "seed", "method"):
            # every named value gets its own rows, and one value not named (for `!=` and `not in`)
            vals = sorted(lits[c], key=str)
            vals.append(max(vals) + 1 if all(isinstance(v, (int, float)) for v in vals) else "zz_not_named")
            df = pd.concat([df.assign(**{c: v}) for v in vals], ignore_index=True)
        elif c in ("metric", "protocol") and need:
            df[c] = need
    keep = [c for c in cols if c in df.columns or c not in TEXT]
    for c in keep:
        if c not in df.columns:
            df[c] = 0.0  # numeric: drawn per table below
    if "seed" not in cols:
        df = df.drop(columns=["seed"])
    return df[[c for c in keep if c in df.columns]]


def _draw(
    base: pd.DataFrame, numeric: list[str], refs: list[float], axes: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Per run: a level near one of the claim's reference numbers, a trend over iterations and noise; small
    per-seed jitter, so that a table usually decides every seed the same way."""
    df = base.copy()
    keys = df["run"] if "run" in df.columns else pd.Series("all", index=df.index)
    axis = next((x for x in axes if x in df.columns), "iteration")
    t = df[axis] / max(float(df[axis].max()), 1.0) if axis in df.columns else 0.0
    seed = df["seed"] if "seed" in df.columns else pd.Series(0, index=df.index)
    finite = [r for r in refs if math.isfinite(r)]
    for c in numeric:
        if rng.random() < 0.1:  # a constant column at a reference value (e.g. an infinite KL)
            df[c] = float(rng.choice(refs))
            continue
        spread = rng.choice([0.02, 0.3, 1.5, 6.0])
        keyset = sorted(set(keys))
        level = {
            k: rng.choice(finite) * math.exp(rng.normal(0, spread)) * (-1 if rng.random() < 0.2 else 1) for k in keyset
        }
        rate = {k: rng.normal(0, 3) for k in keyset}
        lv, r = keys.map(level).astype(float), keys.map(rate).astype(float)
        trend = np.exp(r * t) if rng.random() < 0.5 else 1 + r * t  # growth by orders of magnitude, or linear
        noise = rng.normal(0, rng.choice([0.0, 0.05]), len(df)) + 0.01 * rng.normal(0, 1) * seed
        df[c] = lv * trend + noise * lv.abs()
    return df


def _holds(res: dict) -> bool:
    return res["verdict"] == "holds"


@pytest.mark.parametrize("paper, claim", CLAIMS, ids=[f"{p}/{c['id']}" for p, c in CLAIMS])
def test_every_claim_can_hold_and_fail_and_its_control_never_holds_with_it(paper, claim):
    pub = published(PLAN.papers[paper].folder)
    base = _skeleton(paper, claim)
    axes = _axes(claim["check"])
    named = {c for c, v in _literals(claim["check"]).items() if v}  # rows per named value: not drawn
    numeric = [c for c in base.columns if c not in TEXT | named and c not in ("seed", "iteration", "final", *axes)]
    refs = _references(claim["check"], pub)
    rng = np.random.default_rng(zlib.crc32(claim["id"].encode()))
    held, failed, told_apart = 0, 0, 0
    descriptive = "descriptive" in control_of(claim)
    for _ in range(DRAWS):
        df = _draw(base, numeric, refs, axes, rng)
        res = _judge(claim, df, pub)
        if res["verdict"] == "fails":
            failed += 1
        if not _holds(res):
            continue
        held += 1
        if descriptive:
            continue
        c_claim, c_df = control_case(claim, df)
        if not _holds(_judge(c_claim, c_df, pub)):
            told_apart += 1
        if failed and told_apart:
            break
    assert held, f"the check never held on {DRAWS} tables shaped like its artifact"
    assert failed, f"the check never failed on {DRAWS} tables shaped like its artifact: it cannot fail"
    assert descriptive or told_apart, "wherever the check held, its control held too: it cannot tell the claim apart"

import math

import pandas as pd
from ganrepro.verdicts.claims import evaluate


def _claim(check):
    return {"id": "c", "artifact": "a", "statement": "s", "tolerance_reason": "r", "check": check}


DF = pd.DataFrame(
    {
        "method": ["a", "a", "b", "b"],
        "iteration": [1, 2, 1, 2],
        "final": [False, True, False, True],
        "modes": [3, 8, 2, 4],
        "w1": [0.9, 0.2, 0.8, 0.7],
    }
)


def test_threshold_holds_and_fails():
    c = {
        "type": "threshold",
        "where": "final and method == 'a'",
        "value": "modes",
        "agg": "min",
        "op": ">=",
        "target": 8,
    }
    assert evaluate(_claim(c), DF)["verdict"] == "holds"
    c["where"] = "final and method == 'b'"
    r = evaluate(_claim(c), DF)
    assert r["verdict"] == "fails" and r["measured"] == 4


def test_tolerance_is_applied():
    c = {
        "type": "threshold",
        "value": "abs(w1 - 0.5)",
        "agg": "max",
        "op": "<=",
        "target": 0.0,
        "tolerance": 0.39,
    }
    assert evaluate(_claim(c), DF)["verdict"] == "fails"
    c["tolerance"] = 0.4
    assert evaluate(_claim(c), DF)["verdict"] == "holds"


def test_compare_and_spearman():
    c = {
        "type": "compare",
        "op": "<",
        "left": {"where": "method == 'b'", "value": "modes", "agg": "mean"},
        "right": {"where": "method == 'a'", "value": "modes", "agg": "mean"},
    }
    assert evaluate(_claim(c), DF)["verdict"] == "holds"
    s = {"type": "spearman", "x": "iteration", "y": "w1", "op": "<=", "target": -0.5}
    r = evaluate(_claim(s), DF)
    assert r["verdict"] == "holds" and r["measured"] < -0.5
    s["where"] = "method == 'b'"  # w1 0.8 -> 0.7 over 2 rows: too few rows to judge
    assert evaluate(_claim(s), DF)["verdict"] == "not run"


def test_not_run_when_missing_or_empty():
    c = {
        "type": "threshold",
        "where": "method == 'zzz'",
        "value": "modes",
        "agg": "min",
        "op": ">=",
        "target": 0,
    }
    assert evaluate(_claim(c), None)["verdict"] == "not run"
    assert evaluate(_claim(c), DF)["verdict"] == "not run"


def test_infinite_target():
    df = pd.DataFrame({"kl": [math.inf, math.inf]})
    c = {"type": "threshold", "value": "kl", "agg": "min", "op": ">=", "target": math.inf}
    assert evaluate(_claim(c), df)["verdict"] == "holds"
    df.loc[0, "kl"] = 1e9
    assert evaluate(_claim(c), df)["verdict"] == "fails"


# --- per-seed verdicts (rule "all" / "majority") ------------------------------------------------------------------

SEEDS = pd.DataFrame({"seed": [0, 0, 1, 1, 2, 2], "method": ["a", "b"] * 3, "modes": [8, 5, 8, 6, 7, 7]})


def _seeded(where, target=8, agg="min", rule=None):
    c = _claim({"type": "threshold", "where": where, "value": "modes", "agg": agg, "op": ">=", "target": target})
    if rule:
        c["rule"] = rule
    return c


def test_all_seeds_hold():
    r = evaluate(_seeded("method == 'a'", target=7), SEEDS)
    assert r["verdict"] == "holds" and (r["seeds_holding"], r["seeds_total"]) == (3, 3)
    assert "holds in 3/3 seeds" in r["detail"]


def test_rule_all_inconclusive_and_majority_holds():
    # method a: seeds 0 and 1 cover 8 modes, seed 2 covers 7; min over all seeds (7) fails
    r = evaluate(_seeded("method == 'a'"), SEEDS)
    assert r["aggregate_verdict"] == "fails" and r["verdict"] == "inconclusive"
    assert (r["seeds_holding"], r["seeds_total"]) == (2, 3) and "holds in 2/3 seeds" in r["detail"]
    assert r["measured"] == 7  # the aggregate stays what it was
    assert evaluate(_seeded("method == 'a'", rule="majority"), SEEDS)["verdict"] == "holds"


def test_the_pooled_verdict_is_shown_never_deciding_and_fewer_than_3_seeds_are_preliminary():
    # each seed falls (rho -1), but the seeds sit at different levels, so the pooled series rises
    df = pd.DataFrame({"seed": [0] * 3 + [1] * 3 + [2] * 3, "it": [1, 2, 3] * 3, "w1": [3, 2, 1, 6, 5, 4, 9, 8, 7]})
    c = _claim({"type": "spearman", "x": "it", "y": "w1", "op": "<=", "target": -0.5})
    r = evaluate(c, df)
    assert r["aggregate_verdict"] == "fails" and r["verdict"] == "holds" and "not deciding" in r["detail"]
    two = evaluate(c, df[df.seed < 2])
    assert two["verdict"] == "preliminary" and "holds in 2/2" in two["detail"] and "3 judged seeds" in two["detail"]
    one = evaluate(c, df[df.seed == 0])
    assert one["verdict"] == "preliminary" and "holds in the one seed" in one["detail"]


def test_fails_on_every_seed_and_majority_fails():
    r = evaluate(_seeded("method == 'b'"), SEEDS)
    assert r["verdict"] == "fails" and r["seeds_holding"] == 0 and "fails in 3/3" in r["detail"]
    df = SEEDS.copy()
    df.loc[1, "modes"] = 8  # seed 0 of b now holds: 1/3 hold, 2/3 fail
    assert evaluate(_seeded("method == 'b'"), df)["verdict"] == "inconclusive"
    assert evaluate(_seeded("method == 'b'", rule="majority"), df)["verdict"] == "fails"


def test_majority_inconclusive_with_an_unjudged_seed():
    df = pd.DataFrame(
        {"seed": [0, 0, 0, 1, 1, 1, 2, 2], "it": [1, 2, 3, 1, 2, 3, 1, 2], "w1": [3, 2, 1, 1, 2, 3, 3, 2]}
    )
    c = _claim({"type": "spearman", "x": "it", "y": "w1", "op": "<=", "target": -0.5})
    c["rule"] = "majority"
    r = evaluate(c, df)  # seed 0 holds, seed 1 fails, seed 2 has 2 rows: not judged, 2 judged seeds of 3 needed
    assert r["verdict"] == "preliminary" and r["seed_verdicts"] == "0:holds 1:fails 2:not run"
    assert "not judged in 1/3" in r["detail"]


def test_compare_is_judged_within_each_seed():
    c = _claim(
        {
            "type": "compare",
            "op": "<",
            "left": {"where": "method == 'b'", "value": "modes", "agg": "mean"},
            "right": {"where": "method == 'a'", "value": "modes", "agg": "mean"},
        }
    )
    r = evaluate(c, SEEDS)  # b < a in seeds 0, 1; equal in seed 2
    assert r["seed_verdicts"] == "0:holds 1:holds 2:fails" and r["verdict"] == "inconclusive"
    c["rule"] = "majority"
    assert evaluate(c, SEEDS)["verdict"] == "holds"


def test_no_seed_column_unchanged_and_unknown_rule():
    r = evaluate(_claim({"type": "threshold", "value": "modes", "agg": "min", "op": ">=", "target": 2}), DF)
    assert r["verdict"] == "holds" and r["seeds_total"] is None and r["detail"] == ""
    assert evaluate(_seeded("method == 'a'", rule="mostly"), SEEDS)["verdict"] == "not run"


# --- published values ---------------------------------------------------------------------------------------------

PUB = pd.DataFrame(
    {
        "artifact": ["t1"],
        "key": ["is_x"],
        "column": ["IS"],
        "value": [4.47],
        "std": [0.23],
        "where": ["Table 1, p. 6"],
        "protocol": ["unstated"],
    }
)
REPRO = pd.DataFrame(
    {"seed": [0, 1, 2], "method": ["x"] * 3, "is_mean": [4.4, 4.5, 4.6], "metric": ["is50k_10splits"] * 3}
)


def _pub(**over):
    check = {
        "type": "published",
        "key": "is_x",
        "where": "method == 'x'",
        "value": "is_mean",
        "agg": "mean",
        "tolerance": 0.2,
        **over,
    }
    return _claim(check)


def test_published_holds_within_tolerance():
    r = evaluate(_pub(requires_protocol="is50k_10splits"), REPRO, PUB)
    assert r["verdict"] == "holds" and r["reference"] == 4.47 and "Table 1, p. 6" in r["detail"]
    assert (
        evaluate(_pub(tolerance=0.04), REPRO, PUB)["verdict"] == "inconclusive"
    )  # mean 4.5 holds; seeds 4.4, 4.6 miss
    assert evaluate(_pub(tolerance=0.01), REPRO, PUB)["verdict"] == "fails"


def test_published_protocol_mismatch_is_not_comparable():
    r = evaluate(_pub(requires_protocol="is1k_x10_swgan"), REPRO, PUB)
    assert r["verdict"] == "not comparable" and "is50k_10splits" in r["detail"] and "is1k_x10_swgan" in r["detail"]
    r = evaluate(_pub(requires_protocol="is50k_10splits"), REPRO.drop(columns="metric"), PUB)
    assert r["verdict"] == "not comparable" and "no protocol" in r["detail"]


def test_published_missing_key_or_file_is_not_run():
    assert evaluate(_pub(key="nope"), REPRO, PUB)["verdict"] == "not run"
    assert evaluate(_pub(), REPRO, None)["verdict"] == "not run"


# ---- curve aggregations: argmin / argmax / first_reach ------------------------------------------------------------


def _curves(gp: list[float], wg: list[float], seeds: tuple[int, ...] = (0, 1, 2)) -> pd.DataFrame:
    rows = []
    for s in seeds:
        for method, vals in (("wgangp", gp), ("wgan", wg)):
            rows += [{"seed": s, "method": method, "iteration": 100 * (i + 1), "value": v} for i, v in enumerate(vals)]
    return pd.DataFrame(rows)


def _first_reach_claim(thr: float) -> dict:
    side = {"x": "iteration", "value": "value", "agg": "first_reach", "reach": {"op": "<=", "target": thr}}
    return {
        "id": "c",
        "statement": "",
        "tolerance_reason": "",
        "check": {
            "type": "compare",
            "op": "<",
            "left": {"where": "method == 'wgangp'", **side},
            "right": {"where": "method == 'wgan'", **side},
        },
    }


def test_first_reach_earlier_holds_and_later_fails():
    df = _curves([90, 50, 40, 30], [90, 80, 55, 40])
    res = evaluate(_first_reach_claim(60), df)
    assert (res["verdict"], res["measured"], res["reference"]) == ("holds", 200.0, 300.0)
    assert "first iteration with value <= 60" in res["check"]
    res = evaluate(_first_reach_claim(60), _curves([90, 80, 55, 40], [90, 50, 40, 30]))
    assert res["verdict"] == "fails"


def test_first_reach_never_reached_is_inf_and_neither_is_not_measurable():
    res = evaluate(_first_reach_claim(60), _curves([90, 50, 40, 30], [90, 80, 70, float("nan")]))
    assert res["verdict"] == "holds" and math.isinf(res["reference"])
    res = evaluate(_first_reach_claim(10), _curves([90, 50, 40, 30], [90, 80, 70, 65]))
    assert res["verdict"] == "not measurable"  # neither reaches 10: which is faster cannot be measured
    assert "neither side ever reaches" in res["detail"]


def test_nan_measurements_are_not_measurable_never_fails():
    df = pd.DataFrame(
        {"run": ["a"] * 6, "seed": [0, 0, 0, 1, 1, 1], "x": [1, 2, 3, 1, 2, 3], "y": [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]}
    )
    claim = {
        "id": "c",
        "statement": "",
        "tolerance_reason": "",
        "check": {"type": "spearman", "x": "x", "y": "y", "op": ">=", "target": 0.5},
    }
    one = evaluate(claim, df[df.seed == 0])  # all-zero series: no rank correlation exists
    assert one["verdict"] == "not measurable" and "constant" in one["detail"]
    claim["check"]["type"] = "threshold"
    claim["check"].update(value="y", agg="mean", where="y != y")  # no rows -> not run; NaN rows -> not measurable
    nan_df = df.assign(y=float("nan"))
    claim["check"].pop("where")
    assert evaluate(claim, nan_df)["verdict"] == "not measurable"
    # per seed: one seed measurable and holding, one not: never "fails"
    mixed = df.assign(y=[float("nan")] * 3 + [1.0, 2.0, 3.0])
    res = evaluate(claim, mixed)
    assert res["verdict"] == "preliminary" and "not measurable in 1/2" in res["detail"]  # 1 judged seed of 3 needed


def test_first_reach_per_seed():
    df = pd.concat(
        [
            _curves([90, 50, 40, 30], [90, 80, 55, 40], (0, 2)),
            _curves([90, 80, 55, 40], [90, 50, 40, 30], (1,)),
        ]
    )
    res = evaluate(_first_reach_claim(60), df)
    assert res["verdict"] == "inconclusive"
    assert res["seed_measured"] == [200.0, 300.0, 200.0] and res["seed_reference"] == [300.0, 200.0, 300.0]
    assert "seeds would pass a one-sided 5% t-test for the claim at this effect" in res["detail"]
    assert "95% interval" in res["detail"]


def test_argmin_and_argmax_of_the_seed_mean_curve():
    df = _curves([5, 3, 4, 6], [5, 4, 3, 2])
    side = {"x": "iteration", "value": "value"}
    claim = {
        "id": "c",
        "statement": "",
        "tolerance_reason": "",
        "check": {
            "type": "compare",
            "op": "<=",
            "left": {"where": "method == 'wgangp'", "agg": "argmin", **side},
            "right": {"where": "method == 'wgan'", "agg": "argmin", **side},
        },
    }
    res = evaluate(claim, df)
    assert (res["verdict"], res["measured"], res["reference"]) == ("holds", 200.0, 400.0)
    claim["check"]["left"]["agg"] = claim["check"]["right"]["agg"] = "argmax"
    res = evaluate(claim, df)
    assert (res["measured"], res["reference"]) == (400.0, 100.0) and res["verdict"] == "fails"


def test_curve_agg_without_x_is_not_run():
    claim = {
        "id": "c",
        "statement": "",
        "tolerance_reason": "",
        "check": {
            "type": "threshold",
            "where": "method == 'wgan'",
            "value": "value",
            "agg": "argmin",
            "op": "<=",
            "target": 1,
        },
    }
    res = evaluate(claim, _curves([1, 2], [1, 2]))
    assert res["verdict"] == "not run" and "needs `x`" in res["detail"]


def test_spearman_equals_scipy_on_ties_and_noise():
    import numpy as np
    import pandas as pd
    from ganrepro.verdicts.claims import spearman
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    for n in (3, 10, 200):
        x = pd.Series(rng.integers(0, 5, n).astype(float))  # many ties
        y = pd.Series(rng.normal(size=n).round(1))
        assert abs(spearman(x, y) - spearmanr(x, y).statistic) < 1e-12
    assert np.isnan(spearman(pd.Series([1.0, 1.0, 1.0]), pd.Series([1.0, 2.0, 3.0])))


def _no_later_claim() -> dict:
    claim = _first_reach_claim(60)
    claim["check"]["op"] = "<="  # "no later than": a tie satisfies the check, and its control (sides exchanged) too
    return claim


def test_the_control_is_judged_per_seed_and_a_tied_seed_is_inconclusive():
    earlier, tied = ([90, 50, 40, 30], [90, 80, 55, 40]), ([90, 50, 40, 30], [90, 50, 40, 30])
    df = pd.concat([_curves(*earlier, (0,)), _curves(*tied, (1, 2))])
    res = evaluate(_no_later_claim(), df)
    # the check holds in 3/3 seeds, but in seeds 1 and 2 its control holds too: those seeds decide nothing
    assert (res["verdict"], res["seeds_holding"], res["seeds_total"]) == ("inconclusive", 1, 3)
    assert res["seed_verdicts"] == "0:holds 1:inconclusive 2:inconclusive"
    assert "in seeds 1, 2 the check also holds on its control" in res["detail"] and "1/3 seeds hold" in res["detail"]
    # no count of seeds: more seeds that tie with the control would add ties, not evidence
    assert "seeds would pass" not in res["detail"]
    assert "more seeds decide it only where they separate the claim from its control" in res["detail"]
    # control: strictly earlier in every seed, so the control fails in every seed and the claim holds
    res = evaluate(_no_later_claim(), _curves(*earlier))
    assert (res["verdict"], res["seeds_holding"], res["seed_verdicts"]) == ("holds", 3, "0:holds 1:holds 2:holds")
    assert "also holds on its control" not in res["detail"]
    # a tie in every seed: inconclusive in every seed, as before
    res = evaluate(_no_later_claim(), _curves(*tied))
    assert (res["verdict"], res["seeds_holding"]) == ("inconclusive", 0)
    assert "seeds would" not in res["detail"]  # not "3 seeds would give a verdict": there are 3, all tied
    # a seed that fails stays failed; ties are judged seeds, so 1 fail + 2 ties is inconclusive, not preliminary
    later = ([90, 80, 55, 40], [90, 50, 40, 30])
    res = evaluate(_no_later_claim(), pd.concat([_curves(*later, (0,)), _curves(*tied, (1, 2))]))
    assert (res["verdict"], res["seed_verdicts"]) == ("inconclusive", "0:fails 1:inconclusive 2:inconclusive")
    # two seeds, one tied: still fewer than 3 seeds, so preliminary
    res = evaluate(_no_later_claim(), pd.concat([_curves(*earlier, (0,)), _curves(*tied, (1,))]))
    assert res["verdict"] == "preliminary" and "3 judged seeds needed" in res["detail"]


def test_each_seed_is_judged_at_its_own_last_snapshot_when_one_diverged_early():
    # seed 1 diverged after 2 snapshots: "its last" must be its iteration 2, not the other seeds' iteration 4
    rows = [(s, it, v) for s in (0, 2) for it, v in ((2, 3.0), (4, 6.0))] + [(1, 2, 5.5)]
    df = pd.DataFrame(rows, columns=["seed", "iteration", "value"]).assign(run="r")
    where = "run == 'r' and iteration == iteration.groupby(run).transform('max')"
    c = _claim({"type": "threshold", "where": where, "value": "value", "agg": "mean", "op": ">=", "target": 5.0})
    r = evaluate(c, df)
    assert r["verdict"] == "holds" and (r["seeds_holding"], r["seeds_total"]) == (3, 3)
    assert sorted(r["seed_measured"]) == [5.5, 6.0, 6.0]
    # control: the diverged seed's last value below the target fails that seed (were it dropped, 2/2 would hold)
    df.loc[df["seed"] == 1, "value"] = 4.0
    r = evaluate(c, df)
    assert r["verdict"] == "inconclusive" and (r["seeds_holding"], r["seeds_total"]) == (2, 3)
    # a seed with no row the check reads (it diverged before the iteration a claim names) is not judged, and
    # counts: the claim was not shown on every seed, so 2 judged seeds are preliminary, never "holds"
    df.loc[df["seed"] == 1, "value"] = 5.5
    at4 = _claim(
        {"type": "threshold", "where": "iteration == 4", "value": "value", "agg": "mean", "op": ">=", "target": 5}
    )
    r = evaluate(at4, df)
    assert r["verdict"] == "preliminary" and (r["seeds_holding"], r["seeds_total"]) == (2, 3)
    assert "not judged in 1/3" in r["detail"]


def test_the_seed_count_is_given_only_where_more_seeds_could_change_the_verdict():
    from ganrepro.verdicts.claims import MIN_SEEDS, _seeds_needed

    # two agreeing seeds: a third gives a verdict; three or more agreeing seeds need no count
    assert _seeds_needed(1.0, 0.0, 2) == f"; every seed agrees, {MIN_SEEDS} seeds would give a verdict"
    assert _seeds_needed(1.0, 0.0, MIN_SEEDS) == ""
    assert _seeds_needed(0.0, 1.0, 5) == ""  # a zero effect: no number of seeds decides it
    # mean 1, sd 2: t = sqrt(k) / 2 passes the one-sided 5% quantile first at k = 13 (3.606 / 2 = 1.80 >= 1.782)
    want = "; about 13 seeds would pass a one-sided 5% t-test for the claim at this effect"
    assert _seeds_needed(1.0, 2.0, 3) == want
    assert "13 seeds would pass a one-sided 5% t-test against the claim" in _seeds_needed(-1.0, 2.0, 3)
    assert "over 1,000" in _seeds_needed(1e-3, 1.0, 3)

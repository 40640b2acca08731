import math

import pandas as pd
from ganrepro.claims import evaluate


def _claim(check):
    return {"id": "c", "artifact": "a", "statement": "s", "tolerance_reason": "r", "check": check}


DF = pd.DataFrame({"method": ["a", "a", "b", "b"], "iteration": [1, 2, 1, 2], "final": [False, True, False, True],
                   "modes": [3, 8, 2, 4], "w1": [0.9, 0.2, 0.8, 0.7]})


def test_threshold_holds_and_fails():
    c = {"type": "threshold", "where": "final and method == 'a'", "value": "modes", "agg": "min", "op": ">=", "target": 8}
    assert evaluate(_claim(c), DF)["verdict"] == "holds"
    c["where"] = "final and method == 'b'"
    r = evaluate(_claim(c), DF)
    assert r["verdict"] == "fails" and r["measured"] == 4


def test_tolerance_is_applied():
    c = {"type": "threshold", "value": "abs(w1 - 0.5)", "agg": "max", "op": "<=", "target": 0.0, "tolerance": 0.39}
    assert evaluate(_claim(c), DF)["verdict"] == "fails"
    c["tolerance"] = 0.4
    assert evaluate(_claim(c), DF)["verdict"] == "holds"


def test_compare_and_spearman():
    c = {"type": "compare", "op": "<", "left": {"where": "method == 'b'", "value": "modes", "agg": "mean"},
         "right": {"where": "method == 'a'", "value": "modes", "agg": "mean"}}
    assert evaluate(_claim(c), DF)["verdict"] == "holds"
    s = {"type": "spearman", "x": "iteration", "y": "w1", "op": "<=", "target": -0.5}
    r = evaluate(_claim(s), DF)
    assert r["verdict"] == "holds" and r["measured"] < -0.5
    s["where"] = "method == 'b'"  # w1 0.8 -> 0.7 over 2 rows: too few rows to judge
    assert evaluate(_claim(s), DF)["verdict"] == "not run"


def test_not_run_when_missing_or_empty():
    c = {"type": "threshold", "where": "method == 'zzz'", "value": "modes", "agg": "min", "op": ">=", "target": 0}
    assert evaluate(_claim(c), None)["verdict"] == "not run"
    assert evaluate(_claim(c), DF)["verdict"] == "not run"


def test_infinite_target():
    df = pd.DataFrame({"kl": [math.inf, math.inf]})
    c = {"type": "threshold", "value": "kl", "agg": "min", "op": ">=", "target": math.inf}
    assert evaluate(_claim(c), df)["verdict"] == "holds"
    df.loc[0, "kl"] = 1e9
    assert evaluate(_claim(c), df)["verdict"] == "fails"

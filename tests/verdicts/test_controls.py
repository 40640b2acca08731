"""Negative controls: every claim is judged on data where it is false, and a check that holds there too does not
make a verdict."""

import pandas as pd
import pytest
from ganrepro.core.paths import paper_dir
from ganrepro.spec.catalog import papers
from ganrepro.spec.paper import load_paper
from ganrepro.verdicts.claims import _holds_per_seed, control_case, control_of, evaluate
from ganrepro.verdicts.results import published, result

ALL_CLAIMS = [(p, c) for p in papers() for c in load_paper(paper_dir(p))["claims"]]


def _claim(check, control=None):
    c = {"id": "c", "artifact": "a", "statement": "", "tolerance_reason": "", "check": check}
    if control:
        c["control"] = control
    return c


CURVES = pd.DataFrame(
    {
        "run": ["a"] * 4 + ["b"] * 4,
        "iteration": [1, 2, 3, 4] * 2,
        "value": [1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0],
    }
)


def test_every_claim_has_a_control_declared_or_by_rule():
    missing = [f"{p}/{c['id']}" for p, c in ALL_CLAIMS if not control_of(c)]
    assert not missing and len(ALL_CLAIMS) > 80


@pytest.mark.parametrize("paper, claim", ALL_CLAIMS, ids=[f"{p}/{c['id']}" for p, c in ALL_CLAIMS])
def test_every_claim_with_committed_data_is_judged_on_its_control_and_never_holds_through_it(paper, claim):
    res = result(paper, claim["artifact"], "committed")
    if res is None:
        pytest.skip("no committed result: test_controls_synthetic.py judges it and its control on synthetic tables")
    out = evaluate(claim, res.df, published(paper_dir(paper)))
    if out["verdict"] in ("not comparable", "not run") or out["descriptive"]:
        return
    assert out["control_verdict"] in ("holds", "fails", "inconclusive", "preliminary", "not measurable"), out["detail"]
    c_claim, c_df = control_case(claim, res.df)
    if _holds_per_seed(evaluate(c_claim, c_df, published(paper_dir(paper)))):
        assert not _holds_per_seed(out)  # never holds through a control that holds too
        if out["verdict"] == "inconclusive" and out["aggregate_verdict"] == "holds":
            assert "also holds on its control" in out["detail"]


def test_compare_rule_exchanges_the_sides_and_a_tie_is_inconclusive():
    side = {"value": "value", "agg": "mean"}
    later = {
        "type": "compare",
        "left": {**side, "where": "run == 'a'"},
        "op": ">=",
        "right": {**side, "where": "run == 'b'"},
    }
    assert evaluate(_claim(later), CURVES)["verdict"] == "holds"  # 2.5 >= 1, and 1 >= 2.5 fails
    tie = CURVES.assign(value=1.0)
    res = evaluate(_claim(later), tie)
    assert res["verdict"] == "inconclusive" and res["control_verdict"] == "holds"
    strict = {**later, "op": ">"}
    assert evaluate(_claim(strict), tie)["verdict"] == "fails"


def test_spearman_rule_reverses_x():
    rising = {"type": "spearman", "where": "run == 'a'", "x": "iteration", "y": "value", "op": ">=", "target": 0.8}
    res = evaluate(_claim(rising), CURVES)
    assert res["verdict"] == "holds" and res["control_verdict"] == "fails"
    _, df = control_case(_claim(rising), CURVES)
    assert df["iteration"].tolist()[:4] == [4.0, 3.0, 2.0, 1.0]


@pytest.mark.parametrize(
    "control, expect_control",
    [
        ({"swap": ["a", "b"]}, "fails"),  # the flat run in the rising one's place
        ({"set": {"column": "value", "value": 0.0}}, "fails"),
        ({"swap": ["a", "zzz"]}, "not run"),  # nothing left to select: the control cannot run, said so
    ],
)
def test_declared_controls(control, expect_control):
    high = {"type": "threshold", "where": "run == 'a'", "value": "value", "agg": "max", "op": ">=", "target": 3}
    res = evaluate(_claim(high, control), CURVES)
    assert res["verdict"] == "holds" and res["control_verdict"] == expect_control


def test_a_loose_threshold_is_caught_by_its_control():
    loose = {"type": "threshold", "where": "run == 'a'", "value": "value", "agg": "max", "op": ">=", "target": 0}
    res = evaluate(_claim(loose, {"swap": ["a", "b"]}), CURVES)  # the flat run passes a bound of 0 as well
    assert res["verdict"] == "inconclusive" and "does not tell the claim from its opposite" in res["detail"]


def test_a_descriptive_claim_is_marked_and_not_controlled():
    high = {"type": "threshold", "where": "run == 'a'", "value": "value", "agg": "max", "op": ">=", "target": 0}
    res = evaluate(_claim(high, {"descriptive": "a statement of setup"}), CURVES)
    assert res["descriptive"] and res["control_verdict"] is None and res["verdict"] == "holds"


@pytest.mark.parametrize(
    "control, needle",
    [
        ({"set": {"column": "iteration", "value": 1}}, "never reads"),  # a column the check does not read
        ({"swap": ["a", "a"]}, "with itself"),
        ({"swap": ["x", "y"]}, "neither of"),  # values the check never selects
    ],
)
def test_a_control_that_cannot_change_the_check_is_refused(control, needle):
    from ganrepro.verdicts.expressions import claim_problems

    high = {"type": "threshold", "where": "run == 'a'", "value": "value", "agg": "max", "op": ">=", "target": 3}
    problems = claim_problems(_claim(high, control), ["run", "iteration", "value"])
    assert any(needle in p for p in problems), problems
    assert claim_problems(_claim(high, {"swap": ["a", "b"]}), ["run", "iteration", "value"]) == []  # control

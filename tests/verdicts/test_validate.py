"""`ganrepro validate` and `ganrepro check` refuse a claim that cannot be judged: a misspelled column, an unknown
artifact parameter, an expression that is code rather than data. Each case has its control (the same edit
spelled right passes)."""

import shutil
from pathlib import Path

import pytest
import yaml
from ganrepro.cli import main
from ganrepro.core.errors import GanreproError
from ganrepro.verdicts.expressions import ExpressionError, names

ROOT = Path(__file__).resolve().parents[2]
FIG4 = "fig4_w_estimate_falls"


def _edit(repo, fn, paper="wgan"):
    path = repo / "paper_tables" / paper / "paper.yaml"
    spec = yaml.safe_load(path.read_text())
    fn(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def _claim(spec, cid):
    return next(c for c in spec["claims"] if c["id"] == cid)


def test_validate_passes_on_the_repository(repo_copy, capsys):
    assert main(["validate", "--config", "papers=[wgan,swgan,tvwgan,wgangp_columbia,wgangp_purdue]"]) == 0
    assert "claims whose every column exists" in capsys.readouterr().out


def test_a_paper_folder_without_its_deviations_fails_validate(repo_copy, capsys):
    dev = repo_copy / "paper_tables" / "wgan" / "DEVIATIONS.md"
    text = dev.read_text()
    dev.write_text("\n")
    assert main(["validate"]) == 2 and "paper_tables/wgan/DEVIATIONS.md is missing or empty" in capsys.readouterr().err
    dev.write_text(text)
    assert main(["validate"]) == 0  # control


def test_a_revised_claim_must_be_named_in_the_papers_deviations(repo_copy, capsys):
    cid = "adam_less_stable"  # a claim that DEVIATIONS.md does not name (yet)
    dev = repo_copy / "paper_tables" / "wgan" / "DEVIATIONS.md"
    assert f"`{cid}`" not in dev.read_text()
    rev = [{"date": "2026-12-06", "old": "window 500", "why": "a test"}]
    _edit(repo_copy, lambda s: _claim(s, cid).update(revisions=rev))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "paper_tables/wgan/DEVIATIONS.md" in err and cid in err and "revisions:" in err
    dev.write_text(dev.read_text() + f"| 99 | `{cid}` | - | - | Revised 2026-12-06: a test. |\n")
    assert main(["validate"]) == 0  # control: named there, it passes


def test_misspelled_column_fails_validate_naming_paper_claim_and_name(repo_copy, capsys):
    _edit(repo_copy, lambda s: _claim(s, FIG4)["check"].update(y="W_estimat_filtered"))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "paper_tables/wgan/paper.yaml" in err and FIG4 in err and "W_estimat_filtered" in err
    assert "W_estimate_filtered" in err  # the columns it does have, to pick from


def test_control_the_right_spelling_passes(repo_copy):
    _edit(repo_copy, lambda s: _claim(s, FIG4)["check"].update(y="W_estimate_filtered"))
    assert main(["validate"]) == 0


def test_misspelled_column_in_a_where_fails(repo_copy, capsys):
    _edit(
        repo_copy,
        lambda s: _claim(s, "fig2_wgan_no_mode_collapse")["check"].update(where="final and methd == 'wgan'"),
    )
    assert main(["validate"]) == 2
    assert "methd" in capsys.readouterr().err


def test_unknown_artifact_parameter_fails(repo_copy, capsys):
    _edit(repo_copy, lambda s: s["artifacts"]["fig4"].setdefault("params", {}).update(median_filtr=101))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "fig4" in err and "median_filtr" in err and "median_filter" in err


def test_wrong_parameter_type_fails(repo_copy, capsys):
    _edit(repo_copy, lambda s: s["artifacts"]["fig4"].setdefault("params", {}).update(median_filter="101"))
    assert main(["validate"]) == 2
    assert "median_filter" in capsys.readouterr().err


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "@pd.io.common.os.system('x')",
        "iteration.__class__",
        "[c for c in run]",
        "run[0]",
        "lambda: 1",
        "iteration.apply(print)",
    ],
)
def test_code_in_a_claim_expression_is_refused(expr):
    with pytest.raises(ExpressionError):
        names(expr, "claim x")


@pytest.mark.parametrize(
    "expr, cols",
    [
        ("final and method == 'wgan'", {"final", "method"}),
        ("abs(W_measured - W_paper)", {"W_measured", "W_paper"}),
        ("run == 'dcgan' and iteration == iteration.groupby(run).transform('max')", {"run", "iteration"}),
        ("run in ['a', 'b'] and not final", {"run", "final"}),
    ],
)
def test_data_expressions_list_their_columns(expr, cols):
    assert names(expr) == cols


def test_code_in_a_claim_fails_validate_before_anything_runs(repo_copy, tmp_path, capsys):
    marker = tmp_path / "pwned"
    _edit(
        repo_copy,
        lambda s: _claim(s, FIG4)["check"].update(where=f"__import__('os').system('touch {marker}') == 0"),
    )
    assert main(["validate"]) == 2
    assert FIG4 in capsys.readouterr().err and not marker.exists()


@pytest.fixture
def wgan_copy(repo_copy):
    shutil.copytree(ROOT / "paper_tables" / "wgan" / "reproduced", repo_copy / "paper_tables" / "wgan" / "reproduced")
    return repo_copy


def test_check_fails_on_a_misspelled_column_instead_of_saying_ok(wgan_copy, capsys):
    # before: "not run" and "check: ok (nothing fails)", exit 0
    _edit(wgan_copy, lambda s: _claim(s, "fig3_gan_gradient_vanishes")["check"].update(value="gan_grad_rl"))
    with pytest.raises(SystemExit) as e:
        main(["check", "--committed-only", "--paper", "wgan"])
    assert e.value.code == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("wgan fig3_gan_gradient_vanishes [committed"))
    assert "CHECK FAILED: cannot judge" in line and "gan_grad_rl" in line
    assert out.strip().endswith("check: 1 failing line(s)")


def test_check_control_unedited_passes(wgan_copy, capsys):
    assert main(["check", "--committed-only", "--paper", "wgan"]) == 0


def test_keep_refuses_to_record_a_claim_it_cannot_judge(wgan_copy):
    from ganrepro.verdicts.check import record_verdicts

    _edit(wgan_copy, lambda s: _claim(s, "fig3_gan_gradient_vanishes")["check"].update(value="gan_grad_rl"))
    with pytest.raises(GanreproError, match="gan_grad_rl"):
        record_verdicts("wgan")


def test_claims_never_hand_code_to_pandas_even_when_called_directly(tmp_path):
    # defense in depth: the claim evaluator itself refuses, whoever calls it (check, keep, report, a script)
    import pandas as pd
    from ganrepro.verdicts.claims import evaluate

    marker = tmp_path / "pwned"
    df = pd.DataFrame({"iteration": [1, 2, 3], "value": [1.0, 2.0, 3.0], "run": ["a", "a", "a"]})
    claim = {
        "id": "x",
        "check": {
            "type": "threshold",
            "where": f"@pd.io.common.os.system('touch {marker}') == 0",
            "value": "value",
            "agg": "mean",
            "op": "<=",
            "target": 5,
        },
    }
    with pytest.raises(ExpressionError):
        evaluate(claim, df)
    claim["check"]["where"] = f"__import__('os').system('touch {marker}') == 0"
    with pytest.raises(ExpressionError):
        evaluate(claim, df)
    assert not marker.exists()
    claim["check"]["where"] = "iteration >= 2"  # control: a data expression is judged
    assert evaluate(claim, df)["verdict"] == "holds"

import json
import shutil
import subprocess

import pytest
from ganrepro.cli import main

from .conftest import ROOT


def test_help_lists_subcommands():
    out = subprocess.run(["ganrepro", "--help"], capture_output=True, text=True).stdout
    for sub in ("plan", "validate", "train", "artifact", "report", "keep"):
        assert sub in out


def test_errors_are_one_line_with_exit_2(repo_copy, capsys):
    assert main(["plan", "--config", "scale=huge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganrepro: error:") and "huge" in err and "Traceback" not in err


def test_keep_refuses_smoke_results(repo_copy, capsys):
    d = repo_copy / "results" / "paper_tables" / "wgan"
    d.mkdir(parents=True)
    for name in ("fig1", "fig2", "fig3"):
        (d / f"{name}.csv").write_text("a\n1\n")
        (d / f"{name}.provenance.json").write_text(json.dumps({"scale": "smoke"}))
    assert main(["keep", "wgan"]) == 2
    assert "scale=smoke" in capsys.readouterr().err
    assert not (repo_copy / "paper_tables" / "wgan" / "reproduced").exists()


@pytest.mark.parametrize("scale", ["paper"])
def test_keep_copies_paper_results(repo_copy, scale):
    d = repo_copy / "results" / "paper_tables" / "wgan"
    d.mkdir(parents=True)
    for name in ("fig1", "fig2", "fig3"):  # real tables: keep records the claims' verdicts on them
        for ext in ("csv", "png"):  # an artifact is kept whole (CSV, PNG and provenance) or not at all
            shutil.copy(ROOT / "paper_tables" / "wgan" / "reproduced" / f"{name}.{ext}", d / f"{name}.{ext}")
        (d / f"{name}.provenance.json").write_text(json.dumps({"scale": scale}))
    assert main(["keep", "wgan"]) == 2  # declared artifacts without a result: refused without --force
    assert main(["keep", "wgan", "--force"]) == 0
    kept = repo_copy / "paper_tables" / "wgan" / "reproduced"
    assert sorted(p.name for p in kept.iterdir())[:3] == ["fig1.csv", "fig1.png", "fig1.provenance.json"]


def test_keep_selected_artifacts_only(repo_copy):
    d = repo_copy / "results" / "paper_tables" / "wgan"
    d.mkdir(parents=True)
    for ext in ("csv", "png"):
        shutil.copy(ROOT / "paper_tables" / "wgan" / "reproduced" / f"fig1.{ext}", d / f"fig1.{ext}")
    (d / "fig1.provenance.json").write_text(json.dumps({"scale": "paper"}))
    (d / "fig2.provenance.json").write_text(json.dumps({"scale": "smoke"}))
    assert main(["keep", "wgan", "fig1"]) == 0
    assert main(["keep", "wgan", "fig9"]) == 2
    assert not (repo_copy / "paper_tables" / "wgan" / "reproduced" / "fig2.csv").exists()


@pytest.mark.parametrize("bad", ["-1", "0", "two"])
def test_threads_must_be_a_positive_whole_number(bad, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "results/runs/x", "--threads", bad])
    assert e.value.code == 2 and "--threads" in capsys.readouterr().err


def test_version_names_the_code_that_runs(capsys, monkeypatch, tmp_path):
    import pytest
    from ganrepro.cli import main

    monkeypatch.chdir(tmp_path)  # another folder: the commit is still the code's, not the cwd's
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and out.startswith("ganrepro 0.") and "git commit" in out and "unknown" not in out


def test_quiet_silences_progress_but_not_results(repo_copy, tmp_path, capsys):
    from .conftest import tiny_run_config

    for name in ("loud", "quiet"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps(tiny_run_config(iterations=20)))
    assert main(["train", str(tmp_path / "loud"), "--device", "cpu", "--threads", "1"]) == 0
    loud = capsys.readouterr()
    assert "100% 20/20 it" in loud.err and "\r" not in loud.err  # capsys is not a terminal: plain 10% lines
    assert main(["-q", "train", str(tmp_path / "quiet"), "--device", "cpu", "--threads", "1"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and "completed after 20 iterations" in quiet.out


def test_evaluate_names_an_evaluation_missing_from_the_paper_it_plans(repo_copy, capsys):
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    ev = next(iter(build_plan(load_config()).evals.values()))
    other = next(p for p in load_config()["papers"] if p != ev.paper and p != ev.run.paper)
    args = ["evaluate", f"results/runs/{ev.run.run_id}", ev.eval_id]
    assert main([*args, "--paper", other]) == 2
    err = capsys.readouterr().err
    assert f"evaluation '{ev.run.run_id}/{ev.eval_id}' is not in the current plan" in err
    # control: with its own paper the plan holds it, and the command gets as far as reading the (absent) run
    assert main([*args, "--paper", ev.paper]) == 2
    err = capsys.readouterr().err
    assert "not in the current plan" not in err and "config.json" in err


def test_plan_status_says_where_each_run_stands(repo_copy, capsys):
    assert main(["plan", "--config", "scale=paper", "papers=[wgan]", "seeds=[0]"]) == 0
    plain = capsys.readouterr().out
    assert "not started" not in plain  # without --status the run list is ids only
    assert main(["plan", "--status", "--config", "scale=paper", "papers=[wgan]", "seeds=[0]"]) == 0
    out = capsys.readouterr().out.splitlines()
    first = next(i for i, line in enumerate(out) if line.endswith("distinct runs:")) + 1
    last = next(i for i, line in enumerate(out) if line.startswith("runs: "))
    runs = [line.split()[0] for line in out[first:last]]
    assert len(runs) == int(out[first - 1].split()[0]) and all(line.endswith("not started") for line in out[first:last])
    done = repo_copy / "results" / "runs" / runs[0]
    done.mkdir(parents=True)
    (done / "status.json").write_text(json.dumps({"status": "completed", "iterations_done": 7, "device": "cuda"}))
    assert main(["plan", "--status", "--config", "scale=paper", "papers=[wgan]", "seeds=[0]"]) == 0
    out = capsys.readouterr().out
    assert f"{runs[0]}  " in out and "completed, 7/" in out and "(cuda)" in out
    assert f"runs: 1 completed, {len(runs) - 1} not started" in out

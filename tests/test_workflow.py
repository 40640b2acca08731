"""The Snakemake DAG: dry runs (default and slurm profile), config errors, and the end-to-end smoke run."""

import json
import subprocess
import sys

import pandas as pd
import pytest


def _smk(*args, timeout=600):
    return subprocess.run(["snakemake", *args], capture_output=True, text=True, timeout=timeout)


def test_dry_run_lists_every_artifact(repo_copy):
    """The default config builds all five papers: every artifact of each is in the DAG."""
    r = _smk("-n", "--cores", "1")
    assert r.returncode == 0, r.stderr
    out = r.stdout + r.stderr
    import yaml

    for paper in ("wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"):
        spec = yaml.safe_load((repo_copy / "paper_tables" / paper / "paper.yaml").read_text())
        for fig in spec["artifacts"]:
            assert f"results/paper_tables/{paper}/{fig}.csv" in out
    assert "results/report/index.html" in out


def test_slurm_profile_dry_runs_at_paper_scale(repo_copy):
    r = _smk("-n", "--profile", "slurm")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "-paper-" in out and "-smoke-" not in out
    assert "train" in out and "artifact" in out


@pytest.mark.parametrize("entry, needle", [("bogus=1", "bogus"), ("scale=huge", "huge")])
def test_snakemake_rejects_bad_config_naming_it(repo_copy, entry, needle):
    r = _smk("-n", "--cores", "1", "--config", entry)
    assert r.returncode != 0
    assert needle in r.stdout + r.stderr


def test_snakemake_blames_a_bad_command_line_value_on_the_command_line(repo_copy):
    # Snakemake's --config reads `true` as the string 'true'; the error says where it came from and what to write
    r = _smk("-n", "--cores", "1", "--config", "allow_download=true")
    out = r.stdout + r.stderr
    assert r.returncode != 0
    line = next(x for x in out.splitlines() if x.startswith("ganrepro: "))
    assert "--config allow_download=true on the command line" in line and "write allow_download=True" in line
    assert "config.yaml" not in line and "Failed validating" not in out


def test_snakemake_blames_a_bad_file_value_on_the_file(repo_copy):
    path = repo_copy / "config" / "config.yaml"
    path.write_text(path.read_text().replace("allow_download: false", 'allow_download: "yes"'))
    r = _smk("-n", "--cores", "1")
    out = r.stdout + r.stderr
    assert r.returncode != 0
    line = next(x for x in out.splitlines() if x.startswith("ganrepro: "))
    assert f"{path}: invalid value at key 'allow_download'" in line and "allow_download: true" in line
    assert "command line" not in line


def test_run_config_jobs_run_inside_snakemakes_own_process(repo_copy):
    """The default profile's force-use-threads: without it Snakemake spawns a new `snakemake` per `run:` job
    (~1.7 s of CPU each, 135 in the smoke DAG). The job's log names the process that wrote the config."""
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    runs = sorted(build_plan({**load_config(), "papers": ["wgan"], "seeds": [0]}).runs)[:2]
    targets = [f"results/runs/{r}/config.json" for r in runs]
    p = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *targets, "--config", "seeds=[0]", "papers=[wgan]"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out[-3000:]
    for r in runs:
        log = (repo_copy / "results" / "logs" / "run_config" / f"{r}.log").read_text()
        assert log.strip().endswith(f"written by process {p.pid}"), log


def test_end_to_end_smoke_wgan(repo_copy):
    """The default reproduction at smoke scale, kept to the WGAN paper and one seed so the suite stays short (the
    five-paper default is timed by `ganrepro bench smoke`): CSVs, PNGs, report."""
    r = _smk("--cores", "2", "--config", "seeds=[0]", "papers=[wgan]", timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = repo_copy / "results" / "paper_tables" / "wgan"
    import yaml

    spec = yaml.safe_load((repo_copy / "paper_tables" / "wgan" / "paper.yaml").read_text())
    for fig in spec["artifacts"]:
        assert (out / f"{fig}.csv").stat().st_size > 0 and (out / f"{fig}.png").stat().st_size > 0
        prov = json.loads((out / f"{fig}.provenance.json").read_text())
        assert prov["scale"] == "smoke" and prov["comparable"] is False
    html = (repo_copy / "results" / "report" / "index.html").read_text()
    assert "NOT COMPARABLE" in html and "fig3" in html
    claims = pd.read_csv(repo_copy / "results" / "report" / "claims.csv")
    # one row per claim on the fresh smoke result, and one not-run row per claim (no paper-scale result here),
    # which is the row the scoreboard counts
    assert claims.counted.sum() == len(spec["claims"]) and (claims[claims.counted].source == "none").all()
    claims = claims[claims.source != "none"]
    assert len(claims) == len(spec["claims"])
    assert {v.split(" (")[0] for v in claims.verdict} <= {
        "holds",
        "fails",
        "inconclusive",
        "preliminary",
        "not measurable",
        "not run",
    }
    # every claim that was judged was also judged on its control (never silently skipped)
    judged = claims[~claims.verdict.str.startswith("not run")]
    ran = judged.control_verdict.isin(["holds", "fails", "inconclusive", "preliminary", "not measurable"])
    assert len(judged) and (ran | judged.descriptive.astype(bool)).all(), judged[~ran][["claim", "detail"]]
    assert not claims.comparable.any()
    runs = list((repo_copy / "results" / "runs").iterdir())
    n_runs = len({k for a in spec["artifacts"].values() for k in a.get("runs", [])})
    assert len(runs) == n_runs and all((r / "config.json").exists() and (r / "status.json").exists() for r in runs)
    # check and the report judge the same (fresh, smoke) results the same way
    from ganrepro.verdicts.check import check

    from .verdicts.test_report import check_verdicts, report_verdicts

    _, lines = check(["wgan"])
    from_check = check_verdicts(lines)
    assert from_check and from_check == report_verdicts(repo_copy)
    assert {k[2] for k in from_check} == {"fresh"}

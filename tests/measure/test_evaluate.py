"""The evaluate rule end to end on a temporary paper folder: stand-in data, a stand-in LeNet, random-init
Inception (smoke scale), a metric_curve artifact, and every value stored with its protocol."""

import json
import subprocess

import pandas as pd
import yaml
from ganrepro.measure.evaluate import eval_id

PAPER = {
    "paper": "evaltest",
    "title": "evaluate rule test",
    "citation": "test",
    "source": "none",
    "runs": {"w": {"preset": "wgan_dcgan_mnist32"}},
    "artifacts": {
        "curves": {
            "kind": "metric_curve",
            "title": "metrics vs iteration",
            "paper_says": "-",
            "where": "-",
            "runs": ["w"],
            "classifier": "mnist",
            "metrics": [
                {"name": "class_stats500", "overrides": {"n_gen": 64}},
                {"name": "fd_lenet10k", "overrides": {"n_gen": 64, "n_real": 64}},
                {"name": "fid10k_train", "overrides": {"n_gen": 8, "n_real": 8}},
            ],
        }
    },
    "claims": [],
}


def test_eval_id_names_overrides():
    assert eval_id("fid10k_train", None) == "fid10k_train"
    assert eval_id("fid10k_train", {"n_gen": 8}).startswith("fid10k_train-")
    assert eval_id("fid10k_train", {"n_gen": 8}) != eval_id("fid10k_train", {"n_gen": 9})


def test_evaluate_rule_scores_snapshots_with_protocols(repo_copy):
    folder = repo_copy / "paper_tables" / "evaltest"
    folder.mkdir()
    (folder / "paper.yaml").write_text(yaml.safe_dump(PAPER))
    (folder / "DEVIATIONS.md").write_text("test\n")
    cfg = [
        "--config",
        "papers=[evaltest]",
        "seeds=[0]",
        "classifiers=[]",
        "progress=False",
        "sources={mnist: /nonexistent}",
    ]
    r = subprocess.run(["snakemake", "--cores", "2", *cfg], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    art = pd.read_csv(repo_copy / "results" / "paper_tables" / "evaltest" / "curves.csv")
    assert set(art["metric"]) == {"class_stats500", "fd_lenet10k", "fid10k_train"}
    assert (art["scale"] == "smoke").all() and art["data"].str.startswith("stand-in").all()
    fid = art[art["metric"] == "fid10k_train"].iloc[0]
    assert fid["official_weights"] in (False, "False") and fid["library"].startswith("pytorch-fid")
    cs = art[art["metric"] == "class_stats500"].iloc[0]
    assert 1 <= cs["categories"] <= 10 and cs["n_generated"] == 64
    prov = json.loads((repo_copy / "results" / "paper_tables" / "evaltest" / "curves.provenance.json").read_text())
    assert "RANDOM-INIT" in prov["weights"]
    run_dir = next((repo_copy / "results" / "runs").glob("wgan-standin_images-s0-smoke-*"))
    full = json.loads(next((run_dir / "eval").glob("fid10k_train-*.json")).read_text())
    res = full["results"][0]
    assert res["protocol_overrides"] == {"n_gen": 8, "n_real": 8} and res["weights_sha256"]
    assert any("overridden" in w for w in res["warnings"])
    html = (repo_copy / "results" / "report" / "index.html").read_text()
    assert "evaltest" in html and "random-init Inception: metric values are meaningless" in html


def test_paper_scale_plan_requires_datasets_and_inception_weights(repo_copy):
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan, required_data

    folder = repo_copy / "paper_tables" / "evaltest"
    folder.mkdir()
    (folder / "paper.yaml").write_text(yaml.safe_dump(PAPER))
    paper = build_plan(load_config(overrides={"papers": ["evaltest"], "scale": "paper", "classifiers": []}))
    datasets, assets = required_data(paper)
    assert datasets == ["mnist"] and assets == ["pytorch_fid_inception"]
    smoke = build_plan(load_config(overrides={"papers": ["evaltest"], "classifiers": []}))
    # smoke runs use stand-ins and random-init Inception; only the classifier reads real MNIST when it is there
    assert required_data(smoke) == (["mnist"], [])


def test_with_allow_download_every_job_waits_for_prefetch(repo_copy):
    r = subprocess.run(
        ["snakemake", "-n", "--config", "scale=paper", "allow_download=True"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "results/prefetch/" in r.stdout
    off = subprocess.run(["snakemake", "-n", "--config", "scale=paper"], capture_output=True, text=True, timeout=300)
    assert "results/prefetch/" not in off.stdout

"""Config validation and the plan expanded from paper folders."""

import shutil

import pytest
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan


def test_default_config_is_valid_and_smoke(repo_copy):
    cfg = load_config()
    assert cfg["scale"] == "smoke" and cfg["papers"] == ["wgan"]


@pytest.mark.parametrize(
    "override, needle",
    [({"bogus_key": 1}, "bogus_key"), ({"scale": "huge"}, "huge"), ({"seeds": "zero"}, "seeds"),
     ({"device": "tpu"}, "tpu"), ({"papers": ["nope"]}, "nope")],
)
def test_bad_config_names_the_key_or_value(repo_copy, override, needle):
    with pytest.raises(GanreproError) as e:
        build_plan(load_config(overrides=override))
    assert needle in str(e.value)


def test_identical_runs_of_two_papers_share_one_folder(repo_copy):
    # a second paper declaring the same run resolves to the same run folder
    src = repo_copy / "paper_tables" / "wgan"
    dst = repo_copy / "paper_tables" / "wgan_copy"
    shutil.copytree(src, dst)
    spec = yaml.safe_load((dst / "paper.yaml").read_text())
    spec["paper"] = "wgan_copy"
    (dst / "paper.yaml").write_text(yaml.safe_dump(spec))
    plan = build_plan(load_config(overrides={"papers": ["wgan", "wgan_copy"]}))
    assert len(plan.papers) == 2
    one = build_plan(load_config(overrides={"papers": ["wgan"]}))
    assert set(plan.runs) == set(one.runs)


def test_run_ids_change_with_seed_and_scale(repo_copy):
    smoke = build_plan(load_config(overrides={"seeds": [0, 1]}))
    paper = build_plan(load_config(overrides={"seeds": [0, 1], "scale": "paper"}))
    spec = yaml.safe_load((repo_copy / "paper_tables" / "wgan" / "paper.yaml").read_text())
    keys = {k for a in spec["artifacts"].values() for k in a.get("runs", [])}
    assert len(smoke.runs) == 2 * len(keys) and not set(smoke.runs) & set(paper.runs)
    assert all("-smoke-" in r for r in smoke.runs) and all("-paper-" in r for r in paper.runs)
    cfg = next(iter(paper.runs.values())).config
    assert {"method", "dataset", "G", "D", "seed", "scale", "batch_size", "iterations"} <= set(cfg)


def _break(repo_copy, edit):
    path = repo_copy / "paper_tables" / "wgan" / "paper.yaml"
    spec = yaml.safe_load(path.read_text())
    edit(spec)
    path.write_text(yaml.safe_dump(spec))


def test_artifact_with_undeclared_run_is_named(repo_copy):
    _break(repo_copy, lambda s: s["artifacts"]["fig2"]["runs"].append("no_such_run"))
    with pytest.raises(GanreproError, match=r"paper.yaml: artifact 'fig2' needs run 'no_such_run'"):
        build_plan(load_config())


def test_missing_field_is_named(repo_copy):
    _break(repo_copy, lambda s: s["artifacts"]["fig1"].pop("kind"))
    with pytest.raises(GanreproError, match="'kind' is a required property"):
        build_plan(load_config())


def test_unknown_net_lists_valid_names(repo_copy):
    _break(repo_copy, lambda s: s["runs"]["toy8_wgan"]["G"].update(name="resnet9000"))
    with pytest.raises(GanreproError, match=r"unknown G.name 'resnet9000'; valid names: .*toy_mlp_g"):
        build_plan(load_config())

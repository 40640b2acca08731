"""Config validation and the plan expanded from paper folders."""

import shutil

import pytest
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan


def test_default_config_is_valid_and_smoke(repo_copy):
    cfg = load_config()
    assert cfg["scale"] == "smoke" and cfg["papers"] == ["wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"]


@pytest.mark.parametrize(
    "override, needle",
    [
        ({"bogus_key": 1}, "bogus_key"),
        ({"scale": "huge"}, "huge"),
        ({"seeds": "zero"}, "seeds"),
        ({"device": "tpu"}, "tpu"),
        ({"papers": ["nope"]}, "nope"),
    ],
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
    smoke = build_plan(load_config(overrides={"seeds": [0, 1], "papers": ["wgan"]}))
    paper = build_plan(load_config(overrides={"seeds": [0, 1], "scale": "paper", "papers": ["wgan"]}))
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


# Committed results whose runs were made before a run key existed; listed with the reason, so that a new stale
# result fails this test, and so does fixing one of these without updating the list.
KNOWN_STALE: set[str] = set()  # none: the last ones (the swgan Table I analogue) were retrained with seeds 0-2


def test_committed_results_name_runs_the_plan_still_has():
    """Every run behind a committed paper-scale result is a run the current plan would train: a change to a run's
    resolved config (its hash) is deliberate and stales the committed result; it never slips through a refactor."""
    import json

    from ganrepro.core.paths import repo_root

    papers = ["wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"]
    plan = build_plan(load_config(overrides={"scale": "paper", "seeds": [0, 1, 2], "papers": papers}))
    seen, stale = 0, set()
    for prov_path in sorted((repo_root() / "paper_tables").glob("*/reproduced/*.provenance.json")):
        for run in json.loads(prov_path.read_text()).get("runs", []):
            seen += 1
            if run["run_id"] not in plan.runs:
                stale.add(run["run_id"])
    assert seen >= 20 and stale == KNOWN_STALE


@pytest.mark.parametrize(
    "smoke_override, needle",
    [
        ({"iterations": -5}, "iterations"),  # used to "complete after -5 iterations"
        ({"iterations": 0}, "iterations"),
        ({"batch_size": 0}, "batch_size"),  # used to be recorded as a diverged GAN
        ({"log_every": 0}, "log_every"),  # used to crash with "internal error"
        ({"iteratons": 20}, "iteratons"),  # a misspelling used to turn a smoke run into a paper-length one
        ({"divergence_bound": float("nan")}, "divergence_bound"),  # NaN used to switch the bound off
        ({"activation_gradnorm": "yes"}, "activation_gradnorm"),  # a string is not a switch
        ({"method_config": {"optimizer_D": {"lr": float("inf")}}}, "optimizer_D.lr"),
    ],
)
def test_the_resolved_run_config_is_validated_after_presets_and_at_scale(repo_copy, smoke_override, needle):
    def edit(spec):
        spec["runs"]["toy8_wgan"].setdefault("at_scale", {}).setdefault("smoke", {}).update(smoke_override)

    _break(repo_copy, edit)
    with pytest.raises(GanreproError) as e:
        build_plan(load_config())
    msg = str(e.value)
    assert needle in msg and "runs.toy8_wgan" in msg and "at scale smoke" in msg


def test_control_a_valid_at_scale_override_passes(repo_copy):
    _break(
        repo_copy,
        lambda s: s["runs"]["toy8_wgan"].setdefault("at_scale", {}).setdefault("smoke", {}).update({"iterations": 7}),
    )
    plan = build_plan(load_config())
    assert any(r.config["iterations"] == 7 for r in plan.runs.values())


def test_huge_seed_is_refused(repo_copy):
    with pytest.raises(GanreproError, match="seed"):
        build_plan(load_config(overrides={"seeds": [2**40]}))


def test_snakemake_jobs_read_the_effective_config_from_the_environment(repo_copy, monkeypatch):
    # the Snakefile puts config/config.yaml + --config overrides in GANREPRO_CONFIG for every job it runs
    monkeypatch.setenv("GANREPRO_CONFIG", '{"scale": "paper", "seeds": [0]}')
    cfg = load_config()
    assert cfg["scale"] == "paper" and cfg["seeds"] == [0]
    assert load_config(overrides={"seeds": [1]})["seeds"] == [1]  # an explicit --config still wins
    monkeypatch.setenv("GANREPRO_CONFIG", "{not json")
    with pytest.raises(GanreproError, match="GANREPRO_CONFIG is not a JSON object"):
        load_config()
    monkeypatch.delenv("GANREPRO_CONFIG")
    assert load_config()["scale"] == "smoke"  # control: without it, config/config.yaml alone


def test_a_papers_own_plan_gives_its_artifacts_the_same_runs_as_the_whole_plan():
    # `ganrepro artifact` plans the one paper it builds (cli._plan(paper=...)); that must change nothing
    cfg = load_config(overrides={"scale": "smoke"})
    whole = build_plan(cfg)
    for p in cfg["papers"]:
        one = build_plan({**cfg, "papers": [p]})
        for name, art in whole.papers[p].artifacts.items():
            mine = one.papers[p].artifacts[name]
            assert mine.spec == art.spec, (p, name)
            assert {k: [r.run_id for r in v] for k, v in mine.runs.items()} == {
                k: [r.run_id for r in v] for k, v in art.runs.items()
            }, (p, name)


@pytest.mark.parametrize("scale", ["smoke", "paper"])
def test_each_evaluation_is_in_the_plan_of_the_paper_it_names(scale):
    # `ganrepro evaluate --paper P` (the DAG passes Evaluation.paper) plans P alone: the same evaluation must be there
    cfg = load_config(overrides={"scale": scale})
    whole = build_plan(cfg)
    assert whole.evals
    for key, ev in whole.evals.items():
        one = build_plan({**cfg, "papers": [ev.paper]})
        assert key in one.evals, (ev.paper, key)
        mine = one.evals[key]
        assert (mine.metric, mine.overrides, mine.classifier) == (ev.metric, ev.overrides, ev.classifier), key
    # control: an evaluation is not in the plan of a paper that never asks for it
    other = next(p for p in cfg["papers"] if p != next(iter(whole.evals.values())).paper)
    firsts = {k for k, e in whole.evals.items() if e.paper != other}
    assert firsts - set(build_plan({**cfg, "papers": [other]}).evals)

import json

import pytest
from ganrepro.core.errors import GanreproError
from ganrepro.measure.classifiers import train_classifier
from ganrepro.spec import plan as spec_plan
from ganrepro.spec.plan import classifier_config, classifier_id

NOWHERE = {"mnist": "/nonexistent/mnist"}


def _table(target: float) -> dict:
    return {
        "defaults": {
            "arch": "lenet5",
            "image_size": 32,
            "channels": 1,
            "value_range": [-1.0, 1.0],
            "epochs": 2,
            "batch_size": 128,
            "lr": 3e-3,
            "seed": 0,
        },
        "mnist": {"target": target},
    }


def test_smoke_without_files_uses_a_labelled_stand_in(tmp_path, monkeypatch):
    monkeypatch.setattr(spec_plan, "registry_defaults", lambda name: _table(0.5))
    cid = classifier_id(classifier_config("mnist", "smoke"))
    r = train_classifier(
        tmp_path / cid, "mnist", "smoke", tmp_path / "empty_root", NOWHERE, device="cpu", progress=False
    )
    assert r["stand_in"] and r["data"].startswith("stand-in") and r["passed"]
    info = json.loads((tmp_path / cid / "info.json").read_text())
    assert info["test_accuracy"] >= 0.5 and (tmp_path / cid / "model.pt").exists()


def test_missing_the_target_fails_and_writes_no_info(tmp_path, monkeypatch):
    monkeypatch.setattr(spec_plan, "registry_defaults", lambda name: _table(1.01))  # unreachable
    cid = classifier_id(classifier_config("mnist", "smoke"))
    with pytest.raises(GanreproError, match="below the target 1.01"):
        train_classifier(
            tmp_path / cid, "mnist", "smoke", tmp_path / "empty_root", NOWHERE, device="cpu", progress=False
        )
    assert not (tmp_path / cid / "info.json").exists()
    assert json.loads((tmp_path / cid / "failed.json").read_text())["passed"] is False


def test_paper_scale_never_falls_back_to_a_stand_in(tmp_path, monkeypatch):
    monkeypatch.setattr(spec_plan, "registry_defaults", lambda name: _table(0.5))
    cid = classifier_id(classifier_config("mnist", "paper"))
    with pytest.raises(GanreproError, match="mnist"):
        train_classifier(
            tmp_path / cid, "mnist", "paper", tmp_path / "empty_root", NOWHERE, device="cpu", progress=False
        )


def test_unknown_classifier_dataset_lists_valid_names():
    with pytest.raises(GanreproError, match="valid names: fashion_mnist, mnist"):
        classifier_config("cifar10", "smoke")


def test_plan_lists_classifiers_and_their_ids_change_with_scale():
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    one = {"classifiers": ["fashion_mnist"], "papers": ["wgan"]}  # a paper that needs no classifier of its own
    smoke = build_plan(load_config(overrides=one))
    paper = build_plan(load_config(overrides={**one, "scale": "paper"}))
    assert len(smoke.classifiers) == 1 and set(smoke.classifiers).isdisjoint(paper.classifiers)

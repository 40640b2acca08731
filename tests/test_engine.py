import json

import pandas as pd
import torch
from ganrepro.engine import train
from ganrepro.utils import sha256_file

from .conftest import tiny_run_config


def _run(dir_, cfg):
    dir_.mkdir(parents=True)
    (dir_ / "config.json").write_text(json.dumps(cfg))
    return train(dir_, device="cpu", progress=False, threads=1)


def test_same_seed_same_loss_log_twice(tmp_path):
    cfg = tiny_run_config()
    a = _run(tmp_path / "a", cfg)
    b = _run(tmp_path / "b", cfg)
    assert a["status"] == b["status"] == "completed"
    la, lb = pd.read_csv(tmp_path / "a" / "losses.csv"), pd.read_csv(tmp_path / "b" / "losses.csv")
    assert len(la) == cfg["iterations"] // cfg["log_every"]
    pd.testing.assert_frame_equal(la, lb)


def test_different_seed_different_losses(tmp_path):
    _run(tmp_path / "a", tiny_run_config(seed=1))
    _run(tmp_path / "b", tiny_run_config(seed=2))
    la, lb = pd.read_csv(tmp_path / "a" / "losses.csv"), pd.read_csv(tmp_path / "b" / "losses.csv")
    assert not la.equals(lb)


def test_run_folder_contents_and_status(tmp_path):
    _run(tmp_path / "r", tiny_run_config())
    d = tmp_path / "r"
    assert sorted(p.name for p in (d / "snapshots").iterdir()) == ["it_0000010.pt", "it_0000020.pt"]
    assert (d / "ckpt" / "last.pt").exists()
    saved = json.loads((d / "status.json").read_text())
    assert saved["iterations_done"] == 20 and saved["its_per_s"] > 0 and saved["data"].startswith("toy")


def test_resume_is_bitwise_identical(tmp_path):
    full = tiny_run_config()
    _run(tmp_path / "full", full)
    # first half in one process-like call, then resume to the end
    _run(tmp_path / "half", tiny_run_config(iterations=10))
    cfg_path = tmp_path / "half" / "config.json"
    cfg_path.write_text(json.dumps(full))
    st = train(tmp_path / "half", device="cpu", progress=False, threads=1)
    assert st["resumed_from"] == 10
    a = torch.load(tmp_path / "full" / "snapshots" / "it_0000020.pt", weights_only=True)
    b = torch.load(tmp_path / "half" / "snapshots" / "it_0000020.pt", weights_only=True)
    for k in a["G"]:
        assert torch.equal(a["G"][k], b["G"][k])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "full" / "losses.csv"), pd.read_csv(tmp_path / "half" / "losses.csv"))


def test_divergence_is_recorded_not_raised(tmp_path):
    # a learning rate of 1e30 makes the GAN's losses non-finite within a few steps
    cfg = tiny_run_config()
    cfg["method"] = {
        "name": "gan",
        "optimizer_D": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "optimizer_G": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "critic_iters": 1,
    }
    cfg["log_every"] = 1
    st = _run(tmp_path / "d", cfg)
    assert st["status"] == "diverged"
    assert st["diverged_at"] is not None and st["iterations_done"] < cfg["iterations"]
    assert (tmp_path / "d" / "status.json").exists()


def test_corrupt_checkpoint_is_set_aside(tmp_path):
    import pytest
    from ganrepro.errors import GanreproError

    d = tmp_path / "c"
    _run(d, tiny_run_config(iterations=10))
    (d / "ckpt" / "last.pt").write_bytes(b"truncated")
    (d / "config.json").write_text(json.dumps(tiny_run_config()))
    with pytest.raises(GanreproError, match="unreadable"):
        train(d, device="cpu", progress=False)
    assert (d / "ckpt" / "last.pt.corrupt").exists() and sha256_file(d / "ckpt" / "last.pt.corrupt")

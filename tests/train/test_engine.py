import json

import pandas as pd
import pytest
import torch
from ganrepro.train.engine import train

from ..conftest import as_checkpoint_of, tiny_run_config


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


def test_without_a_bar_each_checkpoint_prints_progress_and_eta(tmp_path, capsys):
    _run(tmp_path / "r", tiny_run_config())  # 20 its, checkpoint every 10: one line at 10, none at the end
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "checkpointed" in ln]
    assert len(lines) == 1 and "G it 10/20 checkpointed" in lines[0] and "it/s, about" in lines[0]


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


def test_checkpoint_of_another_configuration_is_set_aside(tmp_path, capsys):
    _run(tmp_path / "a", tiny_run_config(iterations=10))
    other = tiny_run_config(iterations=20, seed=4)  # e.g. copied from another seed's folder
    (tmp_path / "a" / "config.json").write_text(json.dumps(other))
    st = train(tmp_path / "a", device="cpu", progress=False, threads=1)
    assert st["resumed_from"] is None and st["iterations_done"] == 20  # trained from scratch
    assert (tmp_path / "a" / "ckpt" / "last.pt.corrupt").exists()
    assert "belongs to another run configuration" in capsys.readouterr().err


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch BOOM_MARKER",))


def test_a_checkpoint_carrying_code_is_refused_not_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_run_config(iterations=10)
    _run(tmp_path / "a", cfg)
    path = tmp_path / "a" / "ckpt" / "last.pt"
    st = torch.load(path, weights_only=True)
    st["extra"] = _Boom()  # one extra pickled key: with weights_only=False this ran a shell command on resume
    torch.save(st, path)
    (tmp_path / "a" / "config.json").write_text(json.dumps(tiny_run_config(iterations=20)))
    train(tmp_path / "a", device="cpu", progress=False, threads=1)
    assert not (tmp_path / "BOOM_MARKER").exists()
    assert (tmp_path / "a" / "ckpt" / "last.pt.corrupt").exists()
    assert "unreadable as a plain-data checkpoint" in capsys.readouterr().err
    # control: the payload is real; a full unpickle of the same file runs it
    torch.load(tmp_path / "a" / "ckpt" / "last.pt.corrupt", weights_only=False)
    assert (tmp_path / "BOOM_MARKER").exists()


def test_resume_is_bitwise_identical(tmp_path):
    full = tiny_run_config()
    _run(tmp_path / "full", full)
    # first half in one process-like call, then resume to the end
    _run(tmp_path / "half", tiny_run_config(iterations=10))
    cfg_path = tmp_path / "half" / "config.json"
    cfg_path.write_text(json.dumps(full))
    # the 10-iteration run's checkpoint is what the full run writes at iteration 10, but for its config hash
    as_checkpoint_of(tmp_path / "half" / "ckpt" / "last.pt", full)
    st = train(tmp_path / "half", device="cpu", progress=False, threads=1)
    assert st["resumed_from"] == 10
    a = torch.load(tmp_path / "full" / "snapshots" / "it_0000020.pt", weights_only=True)
    b = torch.load(tmp_path / "half" / "snapshots" / "it_0000020.pt", weights_only=True)
    for k in a["G"]:
        assert torch.equal(a["G"][k], b["G"][k])
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "full" / "losses.csv"), pd.read_csv(tmp_path / "half" / "losses.csv")
    )


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


def _tensors_equal(a_path, b_path) -> bool:
    a, b = torch.load(a_path, weights_only=False), torch.load(b_path, weights_only=False)
    return all(torch.equal(a[n][k], b[n][k]) for n in ("G", "D") for k in a[n])


def test_corrupt_checkpoint_is_set_aside_and_run_resumes_from_the_last_good_one(tmp_path, capsys):
    ref = tmp_path / "ref"
    _run(ref, tiny_run_config(iterations=30))
    d = tmp_path / "c"
    _run(d, tiny_run_config(iterations=20))  # checkpoints at 10 (now prev.pt) and 20 (last.pt)
    as_checkpoint_of(d / "ckpt" / "prev.pt", tiny_run_config(iterations=30))
    (d / "ckpt" / "last.pt").write_bytes(b"truncated")
    (d / "config.json").write_text(json.dumps(tiny_run_config(iterations=30)))
    st = train(d, device="cpu", progress=False)
    err = capsys.readouterr().err
    assert "last.pt is unreadable" in err and "moved it to last.pt.corrupt" in err
    assert "resuming from" in err and "prev.pt (iteration 10)" in err
    assert st["resumed_from"] == 10 and st["status"] == "completed"
    assert (d / "ckpt" / "last.pt.corrupt").read_bytes() == b"truncated"  # kept for inspection, never reused
    assert _tensors_equal(d / "ckpt" / "last.pt", ref / "ckpt" / "last.pt")


def test_no_readable_checkpoint_retrains_from_scratch(tmp_path, capsys):
    d = tmp_path / "c"
    _run(d, tiny_run_config(iterations=10))  # one checkpoint: no prev.pt
    (d / "ckpt" / "last.pt").write_bytes(b"")
    st = train(d, device="cpu", progress=False)
    assert "unreadable" in capsys.readouterr().err
    assert st["resumed_from"] is None and st["status"] == "completed"
    assert (d / "ckpt" / "last.pt.corrupt").read_bytes() == b""


def _train_child(run_dir: str) -> None:  # runs in a forked process that the test SIGKILLs
    train(run_dir, device="cpu", progress=False, threads=1)


def test_sigkill_at_20_random_points_loses_only_the_last_interval_and_ends_bitwise_identical(tmp_path):
    """Issue 6: SIGKILL (no chance to save) at 20 random moments; each rerun must end bitwise equal to an
    uninterrupted run, having lost at most the work since the last periodic checkpoint."""
    import multiprocessing as mp
    import os
    import random
    import signal
    import time

    cfg = tiny_run_config(iterations=120, snapshot_every=60, checkpoint_every=5, log_every=5)
    ref = tmp_path / "ref"
    t0 = time.perf_counter()
    _run(ref, cfg)
    duration = time.perf_counter() - t0
    ctx = mp.get_context("fork")  # torch is already imported here: a forked child starts training at once
    rng = random.Random(20)
    ok, report = 0, []
    for k in range(20):
        d = tmp_path / f"k{k}"
        d.mkdir()
        (d / "config.json").write_text(json.dumps(cfg))
        child = ctx.Process(target=_train_child, args=(str(d),))
        child.start()
        time.sleep(rng.uniform(0.0, 0.9 * duration))  # forked children skip the import: most kills land mid-run
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        done = (
            torch.load(d / "ckpt" / "last.pt", weights_only=False)["iteration"]
            if (d / "ckpt" / "last.pt").exists()
            else 0
        )
        st = train(d, device="cpu", progress=False, threads=1)
        resumed = st["resumed_from"] or 0
        same = _tensors_equal(d / "ckpt" / "last.pt", ref / "ckpt" / "last.pt") and _tensors_equal(
            d / "snapshots" / "it_0000120.pt", ref / "snapshots" / "it_0000120.pt"
        )
        same &= pd.read_csv(d / "losses.csv").equals(pd.read_csv(ref / "losses.csv"))
        ok += bool(same and resumed >= done - cfg["checkpoint_every"] and st["status"] == "completed")
        report.append(f"kill {k}: resumed from it {resumed}, identical={same}")
    print("\n".join(report) + f"\n{ok}/20 kill points ended bitwise identical")
    assert ok == 20, report
    assert any(r for r in report if "resumed from it 0," not in r), "no kill landed after a checkpoint"


def test_sigterm_writes_checkpoint_then_resume_matches_uninterrupted(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    cfg = tiny_run_config(iterations=1500, snapshot_every=1500, checkpoint_every=25, log_every=25)
    d = tmp_path / "p"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    cmd = [
        sys.executable,
        "-m",
        "ganrepro.cli",
        "train",
        str(d),
        "--device",
        "cpu",
        "--threads",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (d / "ckpt" / "last.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Run the same command again to resume" in err
    assert (d / "ckpt" / "last.pt").exists() and not (d / "status.json").exists()
    stopped_at = torch.load(d / "ckpt" / "last.pt", weights_only=False)["iteration"]
    assert 0 < stopped_at < cfg["iterations"]

    st = train(d, device="cpu", progress=False, threads=1)  # the next start resumes
    assert st["status"] == "completed" and st["resumed_from"] == stopped_at
    ref = _run(tmp_path / "ref", cfg)
    assert ref["status"] == "completed"
    a = torch.load(d / "snapshots" / "it_0001500.pt", weights_only=True)
    b = torch.load(tmp_path / "ref" / "snapshots" / "it_0001500.pt", weights_only=True)
    for net in ("G", "D"):
        for k in a[net]:
            assert torch.equal(a[net][k], b[net][k]), (net, k)


def test_loss_above_bound_is_divergence_with_reason_and_last_finite_losses(tmp_path):
    cfg = tiny_run_config(divergence_bound=1e-9, log_every=2)  # any nonzero loss exceeds this bound
    st = _run(tmp_path / "b", cfg)
    assert st["status"] == "diverged" and st["diverged_at"] == 2
    assert "exceeds divergence_bound" in st["divergence_reason"]
    assert st["last_finite_losses"]["iteration"] == 2
    saved = json.loads((tmp_path / "b" / "status.json").read_text())
    assert saved["status"] == "diverged"


def test_nan_divergence_keeps_last_finite_row(tmp_path):
    cfg = tiny_run_config(log_every=1, iterations=200)
    cfg["method"] = {
        "name": "gan",
        "optimizer_D": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "optimizer_G": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "critic_iters": 1,
    }
    st = _run(tmp_path / "n", cfg)
    assert st["status"] == "diverged"
    assert st["divergence_reason"].startswith("non-finite")
    log = pd.read_csv(tmp_path / "n" / "losses.csv")
    assert log["iteration"].iloc[-1] == st["diverged_at"]


def test_samples_histograms_and_gradnorms_are_written(tmp_path):
    _run(tmp_path / "r", tiny_run_config())
    d = tmp_path / "r"
    assert sorted(p.name for p in (d / "samples").iterdir()) == ["it_0000010.png", "it_0000020.png"]
    hist = pd.read_csv(d / "hist" / "it_0000020.csv")
    D_params = {"net.0.weight", "net.0.bias", "net.6.weight", "net.6.bias"}
    assert D_params <= set(hist["param"])
    assert (hist.groupby("param")["count"].sum() > 0).all()
    log = pd.read_csv(d / "losses.csv")
    grad_cols = [c for c in log.columns if c.startswith("gradnorm_D.")]
    assert "gradnorm_D.net.0.weight" in grad_cols and (log[grad_cols] > 0).all().all()


def test_sampling_mode_restores_bn_buffers_and_train_flag():
    from ganrepro.train.engine import sampling_mode

    G = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    before = {k: v.clone() for k, v in G.state_dict().items()}
    with sampling_mode(G, "train"):
        assert G.training
        G(torch.randn(8, 3) * 5 + 3)  # would move the running statistics
    after = G.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    G.eval()
    with sampling_mode(G, "train"):
        pass
    assert not G.training


def test_bad_sample_bn_mode_names_the_key(tmp_path):
    from ganrepro.core.errors import GanreproError

    with pytest.raises(GanreproError, match="sample_bn_mode"):
        _run(tmp_path / "x", tiny_run_config(sample_bn_mode="frozen"))


# one smoke preset per method: exact resume must hold for every method's own state (BEGAN's k_t, optimizers, ...)
RESUME_PRESETS = {
    "gan": "dcgan_cifar32",
    "wgan": "wgan_dcgan_mnist32",
    "wgangp": "gpwgan_dcgan_bncritic_cifar32",
    "tvwgan": "tvwgan_dcgan_cifar32",
    "swgan": "swgan_dcgan_mnist32",
    "began": "began_cifar32",
}


def test_every_method_has_a_resume_check():
    from ganrepro.train import methods

    assert set(RESUME_PRESETS) == set(methods.METHODS.names())


@pytest.mark.parametrize("method", sorted(RESUME_PRESETS))
def test_resume_in_a_fresh_process_is_bitwise_identical(method, tmp_path):
    import subprocess
    import sys

    from ganrepro.spec.plan import resolve_run

    name = RESUME_PRESETS[method]
    cfg = resolve_run("t", name, {"preset": name}, seed=0, scale="smoke")
    assert cfg["method"]["name"] == method
    # 2 warm-up G iterations keep WGAN/SW-GAN's 100-step critic blocks short; BEGAN's lr decay every 2 its
    cfg.update(iterations=4, snapshot_every=2, checkpoint_every=2, log_every=1)
    if "warmup_g_iters" in cfg["method"]:
        cfg["method"].update(warmup_g_iters=1, warmup_critic_iters=7)
    if cfg["method"].get("lr_decay") is not None or method == "began":
        cfg["method"]["lr_decay"] = {"every": 2, "factor": 0.5, "min_lr": 1e-6}
    _run(tmp_path / "full", cfg)
    half = dict(cfg, iterations=2)
    _run(tmp_path / "half", half)
    (tmp_path / "half" / "config.json").write_text(json.dumps(cfg))
    cmd = [
        sys.executable,
        "-m",
        "ganrepro.cli",
        "train",
        str(tmp_path / "half"),
        "--device",
        "cpu",
        "--threads",
        "1",
        "--no-progress",
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    a = torch.load(tmp_path / "full" / "ckpt" / "last.pt", weights_only=False)
    b = torch.load(tmp_path / "half" / "ckpt" / "last.pt", weights_only=False)
    for net in ("G", "D"):
        for k in a[net]:
            assert torch.equal(a[net][k], b[net][k]), (net, k)
    assert str(a["method"]["extra"]) == str(b["method"]["extra"])
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "full" / "losses.csv"), pd.read_csv(tmp_path / "half" / "losses.csv")
    )


def _counting_loop(ends_with_epoch: bool, keep_partial: bool, n_items: int = 10, bs: int = 4, g_its: int = 4):
    """Batch sizes seen by each G iteration's critic block on a 10-item dataset, 5 critic steps per G iteration."""
    from ganrepro.data import IndexedSampler
    from ganrepro.train.engine import train_iteration

    class Counting:
        def __init__(self) -> None:
            self.blocks: list[list[int]] = []

        def begin_iteration(self, it: int) -> None:
            self.blocks.append([])

        def n_critic(self, it: int) -> int:
            return 5

        def data_loop(self) -> tuple[bool, bool]:
            return ends_with_epoch, keep_partial

        def critic_step(self, real: torch.Tensor) -> dict:
            self.blocks[-1].append(real.shape[0])
            return {}

        def generator_step(self, bs: int) -> dict:
            return {}

    m = Counting()
    sampler = IndexedSampler(0, torch.arange(n_items, dtype=torch.float32)[:, None])
    for it in range(g_its):
        train_iteration(m, sampler, it, bs, "cpu")
    return m.blocks


def test_wg_data_loop_ends_critic_blocks_with_the_epoch_and_keeps_the_short_batch():
    # WG main.py: `while j < Diters and i < len(dataloader)` with drop_last=False: 10 items in batches of 4 are
    # 4, 4, 2, then the G step; the next G iteration starts a fresh epoch
    assert _counting_loop(True, True) == [[4, 4, 2]] * 4


def test_endless_data_loop_draws_full_batches_across_epochs():
    # GP / BT loops: every critic step gets a full batch, the block never stops early (control for the test above)
    assert _counting_loop(False, False) == [[4] * 5] * 4
    assert _counting_loop(True, False) == [[4, 4]] * 4  # drop the tail, still end the block with the epoch


def test_wgan_and_swgan_default_to_the_wg_loop_and_wgangp_to_the_endless_one():
    from ganrepro.spec.config import registry_defaults

    from .methods.test_methods import make_method

    d = registry_defaults("methods")
    for name in ("wgan", "swgan"):
        assert d[name]["critic_block_ends_with_epoch"] and d[name]["keep_partial_batch"]
        assert make_method(name).data_loop() == (True, True)
    assert make_method("wgangp").data_loop() == (False, False)


def test_restoring_bn_buffers_after_a_grid_changes_no_train_mode_output():
    """WG draws its sample grids in train mode and keeps the BN running statistics they update; ganrepro restores
    them (so an eval-mode grid never sees them). In train mode BN normalises with the batch's own statistics, so the
    training trajectory is the same either way (wgan DEVIATIONS #19)."""
    from ganrepro.train.engine import sampling_mode
    from torch import nn

    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    kept = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    kept.load_state_dict(G.state_dict())
    grid, batch = torch.randn(64, 4), torch.randn(16, 4)
    with sampling_mode(G, "train"):
        G(grid)  # ganrepro: buffers restored afterwards
    with torch.no_grad():
        kept(grid)  # WG: buffers keep the grid's statistics
    assert not torch.equal(G[1].running_mean, kept[1].running_mean)
    assert torch.equal(G(batch), kept(batch))


def test_a_run_given_in_epochs_refuses_a_dataset_of_another_size(tmp_path):
    """The epochs a run was planned with assume the dataset's size (spec.schedule.EPOCH_ITEMS); a dataset of another
    size would silently change the training length, so the run stops first, naming both numbers."""
    from ganrepro.core.errors import GanreproError

    length = {"epochs": 1, "critic_batches": 10, "batches_per_epoch": 10, "epoch_items": 60000}
    cfg = tiny_run_config(length=length)
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(GanreproError, match="assume 60000 training items"):
        train(d, device="cpu", progress=False)
    assert not (d / "status.json").exists()


def test_activation_gradnorms_are_logged_and_training_goes_on_bitwise_as_without_them(tmp_path):
    """`activation_gradnorm: true` adds one column per critic activation layer and changes nothing else: the
    diagnostic draws no random number and touches no parameter gradient (same losses, same final weights)."""
    base = tiny_run_config()
    _run(tmp_path / "off", base)
    _run(tmp_path / "on", {**base, "activation_gradnorm": True})
    off, on = pd.read_csv(tmp_path / "off" / "losses.csv"), pd.read_csv(tmp_path / "on" / "losses.csv")
    acts = [c for c in on.columns if c.startswith("actgradnorm_D.")]
    assert acts == [f"actgradnorm_D.net.{i}" for i in (1, 3, 5)]  # the critic's three ReLUs, input side first
    assert (on[acts] > 0).all().all() and not [c for c in off.columns if c.startswith("actgradnorm")]
    pd.testing.assert_frame_equal(on.drop(columns=acts), off)
    a = torch.load(tmp_path / "on" / "ckpt" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "off" / "ckpt" / "last.pt", weights_only=True)
    for k, v in a["D"].items():
        assert torch.equal(v, b["D"][k]), k


def test_activation_gradnorms_are_the_gradient_of_the_critic_loss_per_layer():
    """Against a hand-written forward pass; weight gradients, BN statistics and the train flag stay untouched."""
    from ganrepro.train import nets
    from ganrepro.train.engine import activation_gradnorms

    torch.manual_seed(0)
    D = nets.build("toy_mlp_d", in_dim=2, width=8, n_hidden=2)
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    got = activation_gradnorms(D, real, fake)
    lin1, lin2, out = D.net[0], D.net[2], D.net[4]
    hs = {}

    def forward(x, tag):
        h1 = torch.relu(lin1(x))
        h2 = torch.relu(lin2(h1))
        hs[tag] = (h1, h2)
        return out(h2).squeeze(1)

    loss = forward(fake, "f").mean() - forward(real, "r").mean()
    g = torch.autograd.grad(loss, [*hs["f"], *hs["r"]])
    want = [(g[0].pow(2).sum() + g[2].pow(2).sum()).sqrt(), (g[1].pow(2).sum() + g[3].pow(2).sum()).sqrt()]
    assert list(got) == ["actgradnorm_D.net.1", "actgradnorm_D.net.3"]
    torch.testing.assert_close(torch.tensor(list(got.values()), dtype=torch.float64), torch.stack(want).double())
    assert all(p.grad is None for p in D.parameters())
    bn = nets.build("gp_mnist_d", width=4, bn=True)
    before = {k: v.clone() for k, v in bn.named_buffers()}
    activation_gradnorms(bn, torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28))
    assert all(torch.equal(v, before[k]) for k, v in bn.named_buffers()) and bn.training


def test_activation_gradnorms_vanish_towards_the_input_when_weights_are_small():
    """What WGAN-GP Fig. 1b shows for small clipping values: each layer nearer the input multiplies the gradient
    by one more small weight matrix. Control: with He-initialised weights the norms stay within a factor of ten."""
    from ganrepro.train import nets
    from ganrepro.train.engine import activation_gradnorms

    torch.manual_seed(0)
    D = nets.build("toy_mlp_d", in_dim=2, width=64, n_hidden=6)
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 1
    healthy = list(activation_gradnorms(D, real, fake).values())
    assert max(healthy) / min(healthy) < 10
    with torch.no_grad():
        for p in D.parameters():
            p.clamp_(-0.01, 0.01)
    clipped = list(activation_gradnorms(D, real, fake).values())
    assert all(a < b for a, b in zip(clipped, clipped[1:], strict=False)), clipped
    assert clipped[0] < 1e-4 * clipped[-1]

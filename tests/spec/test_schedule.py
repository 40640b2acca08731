"""Training length in the paper's unit: epochs become G iterations through each method's own critic schedule."""

import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import load_config, registry_defaults
from ganrepro.spec.plan import build_plan, resolve_run
from ganrepro.spec.schedule import critic_steps, g_iterations_for_epochs


def _table1_runs():
    plan = build_plan(load_config(overrides={"scale": "paper", "seeds": [0], "papers": ["tvwgan"]}))
    art = plan.artifact("tvwgan", "table1")
    return {key: runs[0].config for key, runs in art.runs.items()}


def test_the_table1_models_all_train_100_epochs():
    cfgs = _table1_runs()
    assert set(cfgs) == {"gp_lr1e5", "dcgan", "began_decay", "tv_d0", "tv_d5", "tv_d10"}
    for key, cfg in cfgs.items():
        ln = cfg["length"]
        assert ln["epochs"] == 100 and ln["critic_batches"] == 100 * ln["batches_per_epoch"], key
        assert ln["epoch_items"] == 50000
    # 5 critic batches per G iteration for GP-WGAN and TV-WGAN, 1 for DCGAN and BEGAN (batch 16)
    assert {k: c["iterations"] for k, c in cfgs.items()} == {
        "gp_lr1e5": 15620,
        "tv_d0": 15620,
        "tv_d5": 15620,
        "tv_d10": 15620,
        "dcgan": 78100,
        "began_decay": 312500,
    }


@pytest.mark.parametrize("loop", ["wg", "endless"])
def test_the_planned_length_ends_exactly_where_the_training_loop_completes_its_epochs(loop):
    """The planner's simulation and the engine's loop agree: after the planned G iterations the sampler has just
    finished its last epoch, and one G iteration earlier it had not."""
    from ganrepro.data import IndexedSampler
    from ganrepro.train.engine import train_iteration

    hp = dict(registry_defaults("methods")["wgan"], warmup_g_iters=3, warmup_every=7, warmup_critic_iters=9)
    if loop == "endless":
        hp.update(critic_block_ends_with_epoch=False, keep_partial_batch=False)
    n, bs, epochs = 37, 4, 6
    g_its, batches, nb = g_iterations_for_epochs(epochs, n, bs, hp)

    class Counting:
        def __init__(self) -> None:
            self.hp, self.batches = hp, 0

        def begin_iteration(self, it: int) -> None:
            pass

        def n_critic(self, it: int) -> int:
            return critic_steps(hp, it)

        def data_loop(self):
            from ganrepro.spec.schedule import data_loop

            return data_loop(hp)

        def critic_step(self, real):
            self.batches += 1
            return {}

    m, sampler = Counting(), IndexedSampler(0, torch.zeros(n, 1))
    for it in range(g_its):
        train_iteration(m, sampler, it, bs, "cpu", train_g=False)
        if it == g_its - 2:
            assert m.batches < epochs * nb
    assert m.batches == batches and batches >= epochs * nb
    if loop == "wg":  # the WG loop stops exactly at the epoch's end
        assert batches == epochs * nb and sampler.epoch == epochs - 1 and sampler.epoch_done(bs, True)


def test_a_smoke_iterations_override_replaces_the_presets_epochs():
    spec = {"preset": "tvwgan_dcgan_cifar32", "at_scale": {"smoke": {"iterations": 8}}}
    assert resolve_run("p", "r", spec, 0, "smoke")["iterations"] == 8
    assert "length" not in resolve_run("p", "r", spec, 0, "smoke")


def test_epochs_and_iterations_in_one_layer_and_epochs_on_a_toy_are_errors():
    spec = {"preset": "tvwgan_dcgan_cifar32", "iterations": 5, "epochs": 2}
    with pytest.raises(GanreproError, match="both iterations and epochs"):
        resolve_run("p", "r", spec, 0, "paper")
    toy = {"method": "wgan", "dataset": "8gaussians", "G": {"name": "toy_mlp_g"}, "D": {"name": "toy_mlp_d"}}
    with pytest.raises(GanreproError, match="'8gaussians' has no epochs"):
        resolve_run("p", "r", {**toy, "batch_size": 64, "epochs": 3}, 0, "paper")
    with pytest.raises(GanreproError, match="key 'epochs' is 0"):
        resolve_run("p", "r", {"preset": "dcgan_cifar32", "epochs": 0}, 0, "paper")


def test_the_length_is_walked_once_per_schedule_not_once_per_seed():
    # A plan of 30 seeds asked the same multi-million-step question 30 times (10 s for five papers); keys that
    # are not part of the schedule (the optimizer) must not split the cache, keys that are must.
    from ganrepro.spec.schedule import _walk

    hp = {"critic_iters": 5, "optimizer_D": {"lr": 1e-4}}
    _walk.cache_clear()
    first = g_iterations_for_epochs(3, 1000, 64, hp)
    assert g_iterations_for_epochs(3, 1000, 64, {**hp, "optimizer_D": {"lr": 2e-4}}) == first
    assert _walk.cache_info().hits == 1
    assert g_iterations_for_epochs(3, 1000, 64, {**hp, "critic_iters": 1}) != first
    with pytest.raises(TypeError):  # an unhashable (malformed) value is still walked, and still rejected
        g_iterations_for_epochs(3, 1000, 64, {"critic_iters": [5]})

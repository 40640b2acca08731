"""An evaluation gives the same value however the caches stand: a cold process (no Inception network built, no
reference statistics on disk), a warm reference cache, and a warm network all score the same snapshot alike."""

from collections import OrderedDict

import pytest
import torch
from ganrepro.measure import METRICS
from ganrepro.measure import inception as inc

# KID reads its reference features and network the same way as FID
OVERRIDES = {"fid10k_train": {"n_gen": 16, "n_real": 16}, "is50k_10splits": {"n_gen": 16, "splits": 2}}


def _sampler():
    def sample(
        k: int,
    ) -> torch.Tensor:  # draws from torch's global RNG, seeded by the protocol like a generator
        return torch.rand(k, 3, 16, 16) * 2 - 1

    return sample


def _score(name, cache_dir, monkeypatch, cold_network):
    if cold_network:
        monkeypatch.setattr(inc, "_CACHE", OrderedDict())
    real = torch.rand(16, 3, 16, 16, generator=torch.Generator().manual_seed(7)) * 2 - 1
    out = METRICS.get(name)(
        _sampler(),
        dataset="noise16",
        real=real,
        scale="smoke",
        device="cpu",
        cache_dir=cache_dir,
        batch_size=8,
        progress=False,
        overrides=OVERRIDES[name],
    )
    return out["value"]


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_value_does_not_depend_on_what_is_cached(name, tmp_path, monkeypatch):
    cold = _score(name, tmp_path / "c1", monkeypatch, cold_network=True)  # nothing cached
    warm_ref = _score(name, tmp_path / "c1", monkeypatch, cold_network=True)  # reference statistics cached
    warm_all = _score(name, tmp_path / "c1", monkeypatch, cold_network=False)  # network cached too
    fresh_ref = _score(name, tmp_path / "c2", monkeypatch, cold_network=False)  # network cached, reference not
    assert cold == warm_ref == warm_all == fresh_ref


def test_control_without_the_rng_fork_the_value_depends_on_the_cache(tmp_path, monkeypatch):
    import contextlib

    monkeypatch.setattr(torch.random, "fork_rng", lambda *a, **k: contextlib.nullcontext())
    cold = _score("fid10k_train", tmp_path / "c1", monkeypatch, cold_network=True)
    # reference statistics on disk, network not built yet: it is built inside the protocol-seeded block
    warm_ref = _score("fid10k_train", tmp_path / "c1", monkeypatch, cold_network=True)
    assert cold != warm_ref

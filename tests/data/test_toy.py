"""25gaussians and swissroll against the GP gan_toy.py recipes (docs/references.md §7.1)."""

import json
import math

import pytest
import torch
from ganrepro import data
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import registry_defaults
from ganrepro.train.engine import train

from ..conftest import tiny_run_config


def _defaults(name):
    return registry_defaults("datasets")[name]


def test_defaults_are_the_spec_recipes():
    assert _defaults("25gaussians") == {"n": 100000, "spacing": 2.0, "std": 0.05, "divide": 2.828}
    assert _defaults("swissroll") == {"noise": 0.25, "divide": 7.5}


def test_25gaussians_fixed_set_counts_and_scales():
    s = data.build("25gaussians", seed=0, **_defaults("25gaussians"))
    pts = s.points
    assert pts.shape == (100_000, 2)
    # 25 modes on {-4,-2,0,2,4}^2 / 2.828, 4000 points each (4000 passes over the grid)
    grid = torch.tensor([(2 * x, 2 * y) for x in range(-2, 3) for y in range(-2, 3)], dtype=torch.float32) / 2.828
    assert torch.allclose(s.modes, grid)
    nearest = torch.cdist(pts, grid).argmin(dim=1)
    assert torch.bincount(nearest, minlength=25).tolist() == [4000] * 25
    resid = pts - grid[nearest]
    assert resid.std().item() == pytest.approx(0.05 / 2.828, rel=0.02)
    assert s.mode_std == pytest.approx(0.05 / 2.828)
    # spacing between neighbouring modes ~0.707
    assert (grid[1] - grid[0]).norm().item() == pytest.approx(2 / 2.828)
    # shuffled once: consecutive points are not in grid order
    assert not torch.equal(nearest[:25], torch.arange(25))


def test_25gaussians_reads_in_order_and_wraps_without_reshuffle():
    s = data.build("25gaussians", seed=1, **_defaults("25gaussians"))
    first = s.sample(256)
    assert torch.equal(first, s.points[:256])
    for _ in range(100_000 // 256 - 1):
        s.sample(256)
    # 390 full batches read; the 160-point tail is dropped and reading restarts at the first point, same order
    assert torch.equal(s.sample(256), first)


def test_25gaussians_state_resumes_exactly():
    kw = _defaults("25gaussians")
    a = data.build("25gaussians", seed=2, **kw)
    for _ in range(7):
        a.sample(256)
    st = a.state_dict()
    b = data.build("25gaussians", seed=2, **kw)
    b.load_state_dict(st)
    assert torch.equal(a.sample(256), b.sample(256))
    assert not torch.equal(data.build("25gaussians", seed=3, **kw).points, b.points)


def test_25gaussians_rejects_partial_grid():
    with pytest.raises(GanreproError, match="multiple of 25"):
        data.build("25gaussians", seed=0, n=30, spacing=2.0, std=0.05, divide=2.828)


def test_swissroll_recipe_geometry():
    s = data.build("swissroll", seed=0, **_defaults("swissroll"))
    x = s.sample(20_000)
    assert x.shape == (20_000, 2) and x.dtype == torch.float32
    r = x.double().norm(dim=1) * 7.5  # ~ t (plus noise): t in [1.5 pi, 4.5 pi]
    assert r.min().item() > 1.5 * math.pi - 1.5 and r.max().item() < 4.5 * math.pi + 1.5
    assert r.mean().item() == pytest.approx(3 * math.pi, rel=0.02)  # E[t] = 3 pi
    # without noise every point lies on the spiral (t cos t, t sin t) / 7.5
    s2 = data.build("swissroll", seed=5, noise=0.0, divide=7.5)
    clean = s2.sample(5000).double() * 7.5
    t = clean.norm(dim=1)
    assert torch.allclose(clean[:, 0], t * torch.cos(t), atol=1e-5)
    assert torch.allclose(clean[:, 1], t * torch.sin(t), atol=1e-5)


def test_swissroll_noise_std():
    g = torch.Generator().manual_seed(0)
    s = data.build("swissroll", seed=0, noise=0.25, divide=7.5)
    s.gen = g
    noisy = s.sample(50_000).double() * 7.5
    g.manual_seed(0)
    s0 = data.build("swissroll", seed=0, noise=0.0, divide=7.5)
    s0.gen = g
    # same uniform draws (the noise draw comes after t), so the difference is the noise alone
    clean = s0.sample(50_000).double() * 7.5
    diff = noisy - clean
    assert diff.std(dim=0).tolist() == pytest.approx([0.25, 0.25], rel=0.03)


def test_swissroll_fresh_batches_and_seeded():
    a = data.build("swissroll", seed=0, **_defaults("swissroll"))
    b = data.build("swissroll", seed=0, **_defaults("swissroll"))
    x1, x2 = a.sample(256), a.sample(256)
    assert not torch.equal(x1, x2)
    assert torch.equal(x1, b.sample(256))


@pytest.mark.parametrize("name", ["25gaussians", "swissroll"])
def test_toy_trains_and_is_recorded_as_toy(name, tmp_path):
    cfg = tiny_run_config(
        dataset={"name": name, **_defaults(name)},
        iterations=4,
        log_every=2,
        snapshot_every=4,
        checkpoint_every=4,
    )
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text(json.dumps(cfg))
    st = train(tmp_path / "r", device="cpu", progress=False, threads=1)
    assert st["status"] == "completed" and st["data"].startswith("toy")

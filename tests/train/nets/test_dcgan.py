"""WG DCGAN nets (docs/references.md §6.1) and the constant-width Fig. 7 generator (docs/references.md §1.2)."""

import inspect
from pathlib import Path

import pytest
import torch
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.train import nets
from torch import nn

NETS_YAML = Path(__file__).resolve().parents[3] / "config" / "nets.yaml"
NAMES = ["dcgan_g", "dcgan_d", "dcgan_g_nobn", "dcgan_d_nobn", "dcgan_g_const"]


@pytest.mark.parametrize(
    "name, size, nc, expected",
    [
        # docs/references.md §6.1 (ngf = ndf = 64, nz = 100)
        ("dcgan_g", 32, 3, 1_068_928),
        ("dcgan_g", 32, 1, 1_066_880),
        ("dcgan_g", 64, 3, 3_576_704),
        ("dcgan_g", 64, 1, 3_574_656),
        ("dcgan_g_nobn", 32, 3, 1_068_032),
        ("dcgan_g_nobn", 64, 3, 3_574_784),
        ("dcgan_d", 32, 3, 663_296),
        ("dcgan_d", 32, 1, 661_248),
        ("dcgan_d", 64, 3, 2_765_568),
        ("dcgan_d", 64, 1, 2_763_520),
        # DCGAN_D minus its BN (2 params per channel of the 128/256/512-map layers)
        ("dcgan_d_nobn", 64, 3, 2_765_568 - 2 * (128 + 256 + 512)),
        # constant width 64: 100->64 (k4), three 64->64 (k4), 64->3 (k4); no biases, no BN
        ("dcgan_g_const", 64, 3, 16 * (100 * 64 + 3 * 64 * 64 + 64 * 3)),
    ],
)
def test_param_counts_match_reference(name: str, size: int, nc: int, expected: int) -> None:
    assert nets.n_params(nets.build(name, image_size=size, channels=nc)) == expected


def test_extra_layers_add_a_3x3_conv_and_bn_at_constant_width() -> None:
    # G: after the pyramid at width ngf; D: after the first conv at width ndf (WG dcgan.py)
    g = nets.build("dcgan_g", image_size=32, n_extra_layers=2)
    d = nets.build("dcgan_d", image_size=32, n_extra_layers=1)
    assert nets.n_params(g) == 1_068_928 + 2 * (64 * 64 * 9 + 2 * 64)
    assert nets.n_params(d) == 663_296 + 64 * 64 * 9 + 2 * 64
    assert g(torch.randn(2, 100)).shape == (2, 3, 32, 32)
    assert d(torch.randn(2, 3, 32, 32)).shape == (2,)


@pytest.mark.parametrize("size", [16, 32, 64, [32, 32]])
@pytest.mark.parametrize("nc", [1, 3])
@pytest.mark.parametrize("gname", ["dcgan_g", "dcgan_g_nobn", "dcgan_g_const"])
def test_generator_shapes(gname: str, size: int, nc: int) -> None:
    g = nets.build(gname, image_size=size, channels=nc, nz=10, width=8)
    s = size if isinstance(size, int) else size[0]
    x = g(torch.randn(3, 10))
    assert g.nz == 10
    assert x.shape == (3, nc, s, s)
    assert x.abs().max() <= 1  # tanh output


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("nc", [1, 3])
@pytest.mark.parametrize("dname", ["dcgan_d", "dcgan_d_nobn"])
def test_critic_returns_one_score_per_sample(dname: str, size: int, nc: int) -> None:
    d = nets.build(dname, image_size=size, channels=nc, width=8)
    assert d(torch.randn(5, nc, size, size)).shape == (5,)


def test_generator_accepts_flat_and_4d_noise() -> None:
    g = nets.build("dcgan_g", image_size=32, nz=10, width=8)
    z = torch.randn(4, 10)
    torch.testing.assert_close(g(z), g(z[:, :, None, None]))
    with pytest.raises(ValueError, match="noise"):
        g(torch.randn(4, 11))


def test_reference_init_statistics_and_no_biases() -> None:
    torch.manual_seed(0)
    for name in ("dcgan_g", "dcgan_d"):
        net = nets.build(name, image_size=64)
        convs = [m for m in net.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
        bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
        assert all(m.bias is None for m in convs)
        w = torch.cat([m.weight.flatten() for m in convs])
        assert abs(w.mean().item()) < 1e-3
        assert w.std().item() == pytest.approx(0.02, rel=0.02)
        gamma = torch.cat([m.weight.flatten() for m in bns])
        assert gamma.mean().item() == pytest.approx(1.0, abs=0.005)
        assert gamma.std().item() == pytest.approx(0.02, rel=0.2)
        assert all(torch.all(m.bias == 0) for m in bns)
        # PyTorch BN defaults (docs/references.md §6.1)
        assert all(m.eps == 1e-5 and m.momentum == 0.1 for m in bns)


def test_init_draws_from_the_global_rng() -> None:
    torch.manual_seed(3)
    a = nets.build("dcgan_g", image_size=32, width=8).state_dict()
    torch.manual_seed(3)
    b = nets.build("dcgan_g", image_size=32, width=8).state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k])


def test_nobn_and_const_variants_have_no_batchnorm_and_const_has_constant_width() -> None:
    for name in ("dcgan_g_nobn", "dcgan_d_nobn", "dcgan_g_const"):
        net = nets.build(name, image_size=64)
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())
    g = nets.build("dcgan_g_const", image_size=64, width=48, n_extra_layers=1)
    convs = [m for m in g.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
    assert len(convs) == 1 + 3 + 1 + 1  # 4x4 input deconv, three upsamplings, one extra layer, output
    assert {m.out_channels for m in convs[:-1]} == {48}
    assert {m.in_channels for m in convs[1:]} == {48}
    assert g(torch.randn(2, 100)).shape == (2, 3, 64, 64)


@pytest.mark.parametrize("name", ["dcgan_g", "dcgan_d", "dcgan_g_const"])
@pytest.mark.parametrize("bad", [48, 8, [64, 32], "64", 0])
def test_bad_image_size_names_key_and_valid_values(name: str, bad: object) -> None:
    with pytest.raises(GanreproError, match=r"image_size=.*valid values: a power of 2 >= 16"):
        nets.build(name, image_size=bad)


def test_nets_yaml_defaults_are_the_constructor_defaults() -> None:
    defaults = yaml.safe_load(NETS_YAML.read_text())
    for name in NAMES:
        sig = inspect.signature(nets.NETS.get(name))
        assert defaults[name] == {k: p.default for k, p in sig.parameters.items()}

"""WGAN-GP reference nets (GP gan_mnist.py / gan_cifar.py, docs/references.md §6.3)."""

import inspect
import math
from pathlib import Path

import pytest
import torch
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.train import nets
from torch import nn

NETS_YAML = Path(__file__).resolve().parents[3] / "config" / "nets.yaml"
NAMES = ["gp_mnist_g", "gp_mnist_d", "gp_cifar_g", "gp_cifar_d"]


@pytest.mark.parametrize(
    "name, expected",
    [
        # docs/references.md §6.3, defaults = wgan-gp mode: no BN except in the CIFAR generator
        ("gp_mnist_g", 1_554_177),
        ("gp_mnist_d", 1_030_145),
        ("gp_cifar_g", 5_179_907),
        ("gp_cifar_d", 4_114_689),
    ],
)
def test_param_counts_match_reference(name: str, expected: int) -> None:
    assert nets.n_params(nets.build(name)) == expected


@pytest.mark.parametrize(
    "name, bn_default, bn_params",
    [
        # BN adds scale + offset per normalised feature/channel
        ("gp_mnist_g", False, 2 * (4096 + 128 + 64)),  # Linear (4*4*4*64 features) + two hidden deconvs, 'wgan' mode
        ("gp_mnist_d", False, 2 * (128 + 256)),  # after convs 2 and 3, 'wgan' mode
        ("gp_cifar_g", True, 2 * (8192 + 256 + 128)),  # Linear + two hidden deconvs, all modes
        ("gp_cifar_d", False, 2 * (256 + 512)),  # after convs 2 and 3, every mode but wgan-gp
    ],
)
def test_bn_switch_changes_the_count_by_the_bn_parameters(name: str, bn_default: bool, bn_params: int) -> None:
    with_bn = nets.n_params(nets.build(name, bn=True))
    without = nets.n_params(nets.build(name, bn=False))
    assert with_bn - without == bn_params
    assert nets.n_params(nets.build(name)) == (with_bn if bn_default else without)


@pytest.mark.parametrize("bn", [False, True])
@pytest.mark.parametrize("nc", [1, 3])
def test_mnist_shapes_and_sigmoid_range(bn: bool, nc: int) -> None:
    g = nets.build("gp_mnist_g", channels=nc, nz=16, width=8, bn=bn)
    d = nets.build("gp_mnist_d", channels=nc, width=8, bn=bn)
    x = g(torch.randn(6, 16) * 10)
    assert g.nz == 16
    assert x.shape == (6, nc, 28, 28)
    assert x.min() >= 0 and x.max() <= 1
    assert d(x).shape == (6,)
    # the reference critic takes flattened 784-vectors
    torch.testing.assert_close(d(x.flatten(1)), d(x))


@pytest.mark.parametrize("bn", [False, True])
@pytest.mark.parametrize("nc", [1, 3])
def test_cifar_shapes_and_tanh_range(bn: bool, nc: int) -> None:
    g = nets.build("gp_cifar_g", channels=nc, nz=16, width=8, bn=bn)
    d = nets.build("gp_cifar_d", channels=nc, width=8, bn=bn)
    x = g(torch.randn(6, 16) * 10)
    assert x.shape == (6, nc, 32, 32)
    assert x.abs().max() <= 1
    assert d(x).shape == (6,)


@pytest.mark.parametrize("name", ["gp_mnist_g", "gp_cifar_g"])
def test_generators_accept_4d_noise(name: str) -> None:
    g = nets.build(name, nz=16, width=8)
    z = torch.randn(4, 16)
    torch.testing.assert_close(g(z), g(z[:, :, None, None]))


def test_mnist_layer_geometry_and_activations() -> None:
    g = nets.build("gp_mnist_g")
    deconvs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in deconvs] == [(256, 128), (128, 64), (64, 1)]
    assert all(m.kernel_size == (5, 5) and m.stride == (2, 2) and m.padding == (2, 2) for m in deconvs)
    assert all(m.output_padding == (1, 1) for m in deconvs)
    d = nets.build("gp_mnist_d")
    lrelu = [m for m in d.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(lrelu) == 3 and all(m.negative_slope == 0.2 for m in lrelu)


def _uniform_s(m: nn.Module) -> float:
    """tflib's s (the std of U[-s*sqrt(3), s*sqrt(3)]) from docs/references.md §6.3, written out per layer kind."""
    if isinstance(m, nn.Linear):
        return math.sqrt(2 / (m.in_features + m.out_features))
    k2 = m.kernel_size[0] ** 2
    if isinstance(m, nn.ConvTranspose2d):
        return math.sqrt(4 / (m.in_channels * k2 / 4 + m.out_channels * k2))
    return math.sqrt(4 / (m.in_channels * k2 + m.out_channels * k2 / 4))


@pytest.mark.parametrize("name", NAMES)
def test_tflib_uniform_init(name: str) -> None:
    torch.manual_seed(0)
    net = nets.build(name, bn=True)
    layers = [m for m in net.modules() if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d)]
    assert layers
    for m in layers:
        s = _uniform_s(m)
        w = m.weight
        assert torch.all(m.bias == 0)
        assert w.abs().max() <= s * math.sqrt(3) + 1e-7
        if w.numel() >= 1000:  # enough draws for the std to be within a few percent
            assert w.std().item() == pytest.approx(s, rel=0.05)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0) and m.eps == 1e-5


@pytest.mark.parametrize(
    "name, size", [("gp_mnist_g", 32), ("gp_mnist_d", [28, 32]), ("gp_cifar_g", 64), ("gp_cifar_d", 28)]
)
def test_bad_image_size_names_key_and_valid_values(name: str, size: object) -> None:
    valid = "28" if "mnist" in name else "32"
    with pytest.raises(GanreproError, match=rf"net {name}: image_size=.*valid values: {valid}"):
        nets.build(name, image_size=size)


def test_nets_yaml_defaults_are_the_constructor_defaults() -> None:
    defaults = yaml.safe_load(NETS_YAML.read_text())
    for name in NAMES:
        sig = inspect.signature(nets.NETS.get(name))
        assert defaults[name] == {k: p.default for k, p in sig.parameters.items()}

"""WG MLP generator and critic (docs/references.md §6.2)."""

import inspect
from pathlib import Path

import pytest
import torch
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.train import nets
from torch import nn

NETS_YAML = Path(__file__).resolve().parents[3] / "config" / "nets.yaml"


@pytest.mark.parametrize(
    "size, nc, g_expected, d_expected",
    [
        # docs/references.md §6.2 at width 512, nz 100
        (64, 3, 6_880_768, 6_817_793),
        (32, 3, 2_152_960, 2_099_201),
        (32, 1, 1_102_336, 1_050_625),
    ],
)
def test_param_counts_match_reference(size: int, nc: int, g_expected: int, d_expected: int) -> None:
    assert nets.n_params(nets.build("mlp_g", image_size=size, channels=nc, width=512)) == g_expected
    assert nets.n_params(nets.build("mlp_d", image_size=size, channels=nc, width=512)) == d_expected


@pytest.mark.parametrize("size, hw", [(32, (32, 32)), (64, (64, 64)), (28, (28, 28)), ([8, 6], (8, 6))])
@pytest.mark.parametrize("nc", [1, 3])
def test_shapes(size: int | list[int], hw: tuple[int, int], nc: int) -> None:
    g = nets.build("mlp_g", image_size=size, channels=nc, nz=7, width=16)
    d = nets.build("mlp_d", image_size=size, channels=nc, width=16)
    x = g(torch.randn(4, 7))
    assert g.nz == 7
    assert x.shape == (4, nc, *hw)
    assert d(x).shape == (4,)


def test_generator_accepts_4d_noise_and_has_no_output_nonlinearity() -> None:
    g = nets.build("mlp_g", image_size=8, channels=1, nz=5, width=16)
    z = torch.randn(3, 5)
    torch.testing.assert_close(g(z), g(z[:, :, None, None]))
    # WG MLP_G ends in a Linear (no tanh), plain ReLU in between, biases on
    mods = list(g.modules())
    assert isinstance(g.main[-1], nn.Linear)
    assert not any(isinstance(m, nn.Tanh | nn.Sigmoid | nn.LeakyReLU) for m in mods)
    assert sum(isinstance(m, nn.Linear) for m in mods) == 4
    assert all(m.bias is not None for m in mods if isinstance(m, nn.Linear))


def test_pytorch_default_init() -> None:
    # nn.Linear default: weights U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5))
    d = nets.build("mlp_d", image_size=16, channels=1, width=64)
    first = d.main[0]
    bound = 1 / 256**0.5
    assert first.weight.abs().max() <= bound
    assert first.weight.abs().max() > 0.95 * bound


@pytest.mark.parametrize("name", ["mlp_g", "mlp_d"])
@pytest.mark.parametrize("bad", [0, [64], [64, 0], "64", 64.0, True])
def test_bad_image_size_names_key_and_valid_values(name: str, bad: object) -> None:
    with pytest.raises(GanreproError, match=r"net mlp_.: image_size=.*valid values: a positive int"):
        nets.build(name, image_size=bad)


def test_nets_yaml_defaults_are_the_constructor_defaults() -> None:
    defaults = yaml.safe_load(NETS_YAML.read_text())
    for name in ("mlp_g", "mlp_d"):
        sig = inspect.signature(nets.NETS.get(name))
        assert defaults[name] == {k: p.default for k, p in sig.parameters.items()}

"""BEGAN nets (BT models.py, docs/references.md §4, §6.4) and the TV-WGAN BEGAN-like critic."""

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
NAMES = ["began_g", "began_d", "began_critic"]


def conv(c_in: int, c_out: int) -> int:  # 3x3 conv with bias
    return 9 * c_in * c_out + c_out


def fc(d_in: int, d_out: int) -> int:
    return d_in * d_out + d_out


# docs/references.md §6.4 layer lists written out, n = 128, z = 64, C = 3 (brackets = one block)
N, Z, C = 128, 64, 3
DEC_32 = fc(Z, 8 * 8 * N) + 3 * (2 * conv(N, N)) + conv(N, C)
DEC_64 = fc(Z, 8 * 8 * N) + 4 * (2 * conv(N, N)) + conv(N, C)
ENC_32_CONVS = (
    conv(C, N)
    + (2 * conv(N, N) + conv(N, N))
    + (conv(N, 2 * N) + conv(2 * N, 2 * N) + conv(2 * N, 2 * N))
    + (conv(2 * N, 3 * N) + conv(3 * N, 3 * N))
)
ENC_64_CONVS = (
    conv(C, N)
    + (2 * conv(N, N) + conv(N, N))
    + (conv(N, 2 * N) + conv(2 * N, 2 * N) + conv(2 * N, 2 * N))
    + (conv(2 * N, 3 * N) + conv(3 * N, 3 * N) + conv(3 * N, 3 * N))
    + (conv(3 * N, 4 * N) + conv(4 * N, 4 * N))
)


@pytest.mark.parametrize(
    "name, size, expected",
    [
        ("began_g", 32, DEC_32),
        ("began_g", 64, DEC_64),
        ("began_d", 32, ENC_32_CONVS + fc(8 * 8 * 3 * N, Z) + DEC_32),
        ("began_d", 64, ENC_64_CONVS + fc(8 * 8 * 4 * N, Z) + DEC_64),
        ("began_critic", 32, ENC_32_CONVS + fc(8 * 8 * 3 * N, 1)),
        ("began_critic", 64, ENC_64_CONVS + fc(8 * 8 * 4 * N, 1)),
    ],
)
def test_param_counts_match_the_layer_list(name: str, size: int, expected: int) -> None:
    kw = {"nz": Z} if name != "began_critic" else {}
    assert nets.n_params(nets.build(name, image_size=size, channels=C, width=N, **kw)) == expected


SIZES = [(32, (32, 32)), (64, (64, 64)), ([64, 48], (64, 48)), (16, (16, 16))]


@pytest.mark.parametrize("size, hw", SIZES)
@pytest.mark.parametrize("nc", [1, 3])
def test_shapes(size: int | list[int], hw: tuple[int, int], nc: int) -> None:
    g = nets.build("began_g", image_size=size, channels=nc, nz=5, width=4)
    d = nets.build("began_d", image_size=size, channels=nc, nz=5, width=4)
    f = nets.build("began_critic", image_size=size, channels=nc, width=4)
    x = g(torch.rand(3, 5) * 2 - 1)  # BT: z ~ U(-1, 1)
    assert g.nz == 5 and d.nz == 5
    assert x.shape == (3, nc, *hw)
    assert d(x).shape == x.shape
    assert d.encode(x).shape == (3, 5)
    assert d.decode(torch.randn(3, 5)).shape == (3, nc, *hw)
    assert f(x).shape == (3,)


def test_block_counts_and_base_map() -> None:
    # 64x48: four blocks around an 8x6 base map (three stride-2 convs in the encoder, three upsamplings)
    d = nets.build("began_d", image_size=[64, 48], width=4, nz=5)
    enc = [m for m in d.encoder.modules() if isinstance(m, nn.Conv2d)]
    assert sum(m.stride == (2, 2) for m in enc) == 3
    assert len(enc) == 1 + 4 * 2 + 3
    assert [m.out_channels for m in enc][-1] == 4 * 4
    assert sum(isinstance(m, nn.Upsample) for m in d.decoder.modules()) == 3
    assert d.decoder.fc.out_features == 8 * 6 * 4
    assert d.encoder.fc.in_features == 8 * 6 * 4 * 4


def test_generator_accepts_4d_noise_and_has_no_output_activation() -> None:
    g = nets.build("began_g", image_size=32, nz=5, width=4)
    z = torch.rand(2, 5)
    torch.testing.assert_close(g(z), g(z[:, :, None, None]))
    last = [m for m in g.modules() if not list(m.children())][-1]
    assert isinstance(last, nn.Conv2d) and last.out_channels == 3


def test_no_batchnorm_and_elu_everywhere() -> None:
    for name in NAMES:
        net = nets.build(name, image_size=32, width=4)
        mods = list(net.modules())
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in mods)
        assert not any(isinstance(m, nn.ReLU | nn.LeakyReLU | nn.Tanh | nn.Sigmoid) for m in mods)
        assert any(isinstance(m, nn.ELU) for m in mods)


@pytest.mark.parametrize("name", NAMES)
def test_xavier_uniform_init_and_zero_biases(name: str) -> None:
    torch.manual_seed(0)
    net = nets.build(name, image_size=32, width=16)
    for m in net.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            assert torch.all(m.bias == 0)
            k = m.weight[0, 0].numel()  # kernel area; 1 for Linear
            bound = math.sqrt(6 / (k * (m.weight.shape[0] + m.weight.shape[1])))
            assert m.weight.abs().max() <= bound + 1e-7
            if m.weight.numel() >= 1000:
                assert m.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [48, [64, 44], [48, 48], 8, "64"])
def test_bad_image_size_names_key_and_valid_values(name: str, bad: object) -> None:
    with pytest.raises(GanreproError, match=r"image_size=.*valid values: H a power of 2 >= 16"):
        nets.build(name, image_size=bad)


def test_nets_yaml_defaults_are_the_constructor_defaults() -> None:
    defaults = yaml.safe_load(NETS_YAML.read_text())
    for name in NAMES:
        sig = inspect.signature(nets.NETS.get(name))
        assert defaults[name] == {k: p.default for k, p in sig.parameters.items()}

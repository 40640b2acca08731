import math

import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import registry_defaults
from ganrepro.train import methods, nets


def make_method(name, G=None, D=None, seed=0, **hp):
    """A method with its config/methods.yaml defaults (overridden by **hp) on the tiny toy nets."""
    base = dict(registry_defaults("methods")[name])
    base.update(hp)
    torch.manual_seed(0)
    G = G if G is not None else nets.build("toy_mlp_g", nz=2, out_dim=2, width=16, n_hidden=2)
    D = D if D is not None else nets.build("toy_mlp_d", in_dim=2, width=16, n_hidden=2)
    return methods.build(name, base, G, D, seed=seed, device="cpu")


def test_gan_js_estimate_is_lower_bound_formula():
    logs = make_method("gan").critic_step(torch.randn(16, 2))
    assert logs["JS_estimate"].item() == pytest.approx(math.log(2) - 0.5 * logs["loss_D"].item())


@pytest.mark.parametrize("name", ["wgan", "wgangp", "gan", "tvwgan", "swgan"])
def test_all_methods_take_a_generator_step(name):
    m = make_method(name)
    before = [p.clone() for p in m.G.parameters()]
    m.generator_step(8)
    assert any(not torch.equal(a, b) for a, b in zip(before, m.G.parameters(), strict=True)), name


@pytest.mark.parametrize("name", ["wgan", "wgangp", "gan", "tvwgan", "swgan"])
def test_logs_are_0dim_tensors(name):
    m = make_method(name)
    logs = {**m.critic_step(torch.randn(8, 2)), **m.generator_step(8)}
    assert logs and all(isinstance(v, torch.Tensor) and v.dim() == 0 for v in logs.values()), logs


def test_every_registered_method_has_config_defaults():
    assert set(methods.METHODS.names()) <= set(registry_defaults("methods"))


def test_unknown_method_lists_valid_names():
    with pytest.raises(GanreproError, match="valid names: began, gan, swgan, tvwgan, wgan, wgangp"):
        methods.METHODS.get("wgan_typo")

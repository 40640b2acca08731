import math

import pytest
import torch
from ganrepro import methods, nets
from ganrepro.errors import GanreproError
from ganrepro.methods.wgangp import gradient_penalty

from ..conftest import tiny_run_config


def _method(name, **hp):
    cfg = tiny_run_config()
    base = dict(cfg["method"])
    if name != "wgan":
        base = {"optimizer_D": {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9], "eps": 1e-8},
                "optimizer_G": {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9], "eps": 1e-8},
                "critic_iters": 5, "gp_lambda": 0.1}
    base.update(hp)
    torch.manual_seed(0)
    G = nets.build("toy_mlp_g", nz=2, out_dim=2, width=16, n_hidden=2)
    D = nets.build("toy_mlp_d", in_dim=2, width=16, n_hidden=2)
    return methods.build(name, base, G, D, seed=0, device="cpu")


def test_wgan_critic_iteration_rule():
    m = _method("wgan", warmup_g_iters=25)
    assert [m.n_critic(i) for i in (0, 24, 25, 499, 500, 501, 1000)] == [100, 100, 5, 5, 100, 5, 100]


def test_wgan_clamps_before_the_critic_step():
    m = _method("wgan")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.D.parameters():  # +-1 everywhere: after the clamp to +-0.01 some steps point outwards
            p.copy_(torch.randint(0, 2, p.shape, generator=gen).float() * 2 - 1)
    m.critic_step(torch.randn(16, 2))
    # clamped to 0.01 first, then one unclipped RMSProp step (|step| <= lr / sqrt(1 - alpha) = 5e-4)
    biggest = max(p.abs().max().item() for p in m.D.parameters())
    assert 0.01 < biggest <= 0.01 + 5e-4 + 1e-7


def test_wgan_logs_w_estimate_as_minus_loss_d():
    logs = _method("wgan").critic_step(torch.randn(16, 2))
    assert torch.equal(logs["W_estimate"], -logs["loss_D"])


def test_gradient_penalty_zero_for_unit_norm_linear_critic():
    D = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[0.6, 0.8]]))
    gp = gradient_penalty(lambda x: D(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2), torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_penalty_scales_with_norm():
    D = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, 0.0]]))
    gp = gradient_penalty(lambda x: D(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2), torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(4.0)


def test_gan_js_estimate_is_lower_bound_formula():
    logs = _method("gan").critic_step(torch.randn(16, 2))
    assert logs["JS_estimate"].item() == pytest.approx(math.log(2) - 0.5 * logs["loss_D"].item())


def test_all_methods_take_a_generator_step():
    for name in ("wgan", "wgangp", "gan"):
        m = _method(name)
        before = [p.clone() for p in m.G.parameters()]
        m.generator_step(8)
        assert any(not torch.equal(a, b) for a, b in zip(before, m.G.parameters(), strict=True)), name


def test_unknown_method_lists_valid_names():
    with pytest.raises(GanreproError, match="valid names: gan, wgan, wgangp"):
        methods.METHODS.get("wgan_typo")

import copy

import pytest
import torch
from torch import nn

from .test_methods import make_method


class _AE(nn.Module):
    """A tiny autoencoder 'discriminator': forward returns a reconstruction of the input's shape."""

    def __init__(self, dim=2, hidden=3):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(dim, hidden), nn.ELU())
        self.dec = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.dec(self.enc(x))


def _began(**hp):
    torch.manual_seed(0)
    return make_method("began", D=_AE(), **hp)


def _peek_noise(m, n):
    state = m.noise_gen.get_state()
    z = m.noise(n)
    m.noise_gen.set_state(state)
    return z


def _reference_losses(m, real, k):
    fake = m.G(_peek_noise(m, real.shape[0]))
    l_real = (real - m.D(real)).abs().mean()
    l_fake = (fake - m.D(fake)).abs().mean()
    return l_real, l_fake, l_real - k * l_fake, l_fake


def test_began_defaults_follow_began_tensorflow():
    m = _began()
    assert m.k_t.item() == 0.0 and m.n_critic(0) == 1 and m.n_critic(500) == 1
    assert type(m.opt_D) is torch.optim.Adam and m.opt_D.param_groups[0]["lr"] == 8e-5
    assert tuple(m.opt_G.param_groups[0]["betas"]) == (0.5, 0.999)
    z = m.noise(1000)
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.9  # z ~ U(-1, 1)


def test_d_gradient_is_from_l_d_only_and_g_gradient_from_l_g_only():
    m = _began(k_0=0.4)
    real = torch.randn(16, 2)
    G0, D0 = copy.deepcopy(m.G), copy.deepcopy(m.D)
    _, _, loss_d, loss_g = _reference_losses(m, real, 0.4)
    d_params, g_params = list(m.D.parameters()), list(m.G.parameters())
    want_d = torch.autograd.grad(loss_d, d_params, retain_graph=True)
    want_g = torch.autograd.grad(loss_g, g_params, retain_graph=True)
    bug_d = torch.autograd.grad(loss_d + loss_g, d_params)  # BP's combined backward (docs/references.md §4)
    m.critic_step(real)
    for p, want in zip(d_params, want_d, strict=True):
        assert torch.allclose(p.grad, want, atol=1e-7)
    assert not all(torch.allclose(p.grad, b, atol=1e-5) for p, b in zip(d_params, bug_d, strict=True))
    for p, want in zip(g_params, want_g, strict=True):
        assert torch.allclose(p.grad, want, atol=1e-7)
    # both nets were stepped in the same call
    assert any(not torch.equal(a, b) for a, b in zip(D0.parameters(), m.D.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(G0.parameters(), m.G.parameters(), strict=True))


def test_k_t_update_and_logs_by_hand():
    m = _began(k_0=0.3, gamma=0.5, lambda_k=0.1)
    real = torch.randn(16, 2) * 2
    with torch.no_grad():
        l_real, l_fake, loss_d, loss_g = _reference_losses(m, real, 0.3)
    logs = m.critic_step(real)
    lx, lg = l_real.item(), l_fake.item()
    k = min(max(0.3 + 0.1 * (0.5 * lx - lg), 0.0), 1.0)
    assert m.k_t.item() == pytest.approx(k, rel=1e-6) and logs["k_t"].item() == pytest.approx(k, rel=1e-6)
    assert logs["loss_D"].item() == pytest.approx(lx - 0.3 * lg, rel=1e-6)
    assert logs["loss_G"].item() == pytest.approx(lg, rel=1e-6)
    assert logs["M_global"].item() == pytest.approx(lx + abs(0.5 * lx - lg), rel=1e-6)
    assert isinstance(m.k_t, torch.Tensor) and all(v.dim() == 0 for v in logs.values())


def test_k_t_is_clipped_to_unit_interval():
    m = _began(lambda_k=1e6, gamma=1e3)  # gamma L(x) >> L(G(z)): k_t would shoot far above 1
    real = torch.randn(8, 2) * 100
    for _ in range(3):
        m.critic_step(real)
        assert m.k_t.item() == 1.0
    m.hp["gamma"] = 0.0  # balance = -L(G(z)) < 0, times 1e6: far below 0
    for _ in range(3):
        m.critic_step(real)
        assert m.k_t.item() == 0.0


def test_generator_step_is_a_no_op():
    m = _began()
    before = [p.clone() for p in m.G.parameters()]
    state = m.noise_gen.get_state()
    assert m.generator_step(16) == {}
    assert all(torch.equal(a, b) for a, b in zip(before, m.G.parameters(), strict=True))
    assert torch.equal(state, m.noise_gen.get_state())


def test_k_t_round_trips_through_the_state_for_exact_resume():
    m1 = _began(k_0=0.2, lambda_k=0.05)
    reals = [torch.randn(8, 2) for _ in range(4)]
    for r in reals[:2]:
        m1.critic_step(r)
    saved = copy.deepcopy({"method": m1.state_dict(), "G": m1.G.state_dict(), "D": m1.D.state_dict()})
    assert 0.0 < saved["method"]["extra"]["k_t"].item() != 0.2
    m2 = _began(k_0=0.9, lambda_k=0.05)
    m2.G.load_state_dict(saved["G"])
    m2.D.load_state_dict(saved["D"])
    m2.load_state_dict(saved["method"])
    assert torch.equal(m2.k_t, m1.k_t)
    for r in reals[2:]:
        a, b = m1.critic_step(r), m2.critic_step(r)
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_lr_decay_schedule_as_began_tensorflow():
    m = _began()  # defaults: halve every 100k, floor 2e-5, base 8e-5
    lr = {it: m.lr_at(8e-5, it) for it in (0, 99_999, 100_000, 199_999, 200_000, 300_000, 10**6)}
    assert lr == {
        0: 8e-5,
        99_999: 8e-5,
        100_000: 4e-5,
        199_999: 4e-5,
        200_000: 2e-5,
        300_000: 2e-5,
        10**6: 2e-5,
    }
    m.begin_iteration(100_000)
    assert m.opt_D.param_groups[0]["lr"] == 4e-5 and m.opt_G.param_groups[0]["lr"] == 4e-5
    m.begin_iteration(0)  # closed form: the step alone decides (exact resume)
    assert m.opt_D.param_groups[0]["lr"] == 8e-5


def test_lr_decay_closed_form_equals_the_iterative_rule():
    # BT: after step s with s % every == every - 1, lr <- max(lr * factor, min_lr)
    m = _began(lr_decay={"every": 3, "factor": 0.5, "min_lr": 1e-5})
    lr = 8e-5
    for s in range(20):
        assert m.lr_at(8e-5, s) == pytest.approx(lr)
        if s % 3 == 2:
            lr = max(lr * 0.5, 1e-5)


def test_no_lr_decay_when_null():
    m = _began(lr_decay=None)
    m.begin_iteration(10**6)
    assert m.opt_D.param_groups[0]["lr"] == 8e-5 and m.opt_G.param_groups[0]["lr"] == 8e-5

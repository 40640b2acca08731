import pytest
import torch
from ganrepro.train.methods.wgangp import gradient_penalty

from .test_methods import make_method


def _linear(w):
    D = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([w]))
    return D


def test_gradient_penalty_zero_for_unit_norm_linear_critic():
    D = _linear([0.6, 0.8])
    gp = gradient_penalty(lambda x: D(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2), torch.rand(8))
    assert gp.item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_penalty_scales_with_norm():
    D = _linear([3.0, 0.0])
    gp = gradient_penalty(lambda x: D(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2), torch.rand(8))
    assert gp.item() == pytest.approx(4.0)


def test_gradient_penalty_accepts_b_by_1_scores():
    D = _linear([3.0, 0.0])
    gp = gradient_penalty(D, torch.randn(8, 2), torch.randn(8, 2), torch.rand(8))  # D returns (B, 1)
    assert gp.item() == pytest.approx(4.0)


def test_gradient_penalty_rejects_wrong_eps_shape():
    with pytest.raises(ValueError, match=r"shape \(B,\)"):
        gradient_penalty(_linear([1.0, 0.0]), torch.randn(8, 2), torch.randn(8, 2), torch.rand(8, 1))


def test_gradient_penalty_matches_finite_differences_on_a_nonlinear_critic():
    torch.manual_seed(0)
    B, C, H = 5, 2, 3  # image-shaped inputs: the norm runs over all non-batch dims
    W1 = torch.randn(C * H * H, 7, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(7, dtype=torch.float64)

    def critic(x):
        v = x.flatten(1)
        return torch.tanh(v @ W1) @ w2 + 0.3 * (v**2).sum(1)

    real = torch.randn(B, C, H, H, dtype=torch.float64)
    fake = torch.randn(B, C, H, H, dtype=torch.float64)
    eps = torch.rand(B, dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake, eps)

    # independent: central differences of the critic at each x_hat_i = eps_i real_i + (1 - eps_i) fake_i
    expected = []
    with torch.no_grad():
        for i in range(B):
            x = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).flatten()
            g = torch.zeros_like(x)
            for k in range(x.numel()):
                e = torch.zeros_like(x)
                e[k] = 1e-6
                f = lambda v: critic(v.reshape(1, C, H, H))[0]  # noqa: E731
                g[k] = (f(x + e) - f(x - e)) / 2e-6
            expected.append((g.norm() - 1) ** 2)
    assert gp.item() == pytest.approx(torch.stack(expected).mean().item(), rel=1e-6)
    # create_graph=True: the penalty trains the critic's parameters
    gp.backward()
    assert W1.grad is not None and torch.isfinite(W1.grad).all() and W1.grad.abs().sum() > 0


def test_wgangp_critic_step_is_reproducible_from_the_seed():
    a = make_method("wgangp").critic_step(torch.ones(8, 2))
    b = make_method("wgangp").critic_step(torch.ones(8, 2))
    assert a["gradient_penalty"] > 0 and torch.equal(a["gradient_penalty"], b["gradient_penalty"])

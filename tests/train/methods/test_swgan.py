import copy
import math

import pytest
import torch
from ganrepro.train.methods import swgan
from ganrepro.train.methods.swgan import bandwidth, median_pairwise_distance, svgd_phi
from ganrepro.train.methods.wgan import WGAN
from torch import nn

from .test_methods import make_method


def _k(a, b, h):
    return torch.exp(-((a - b) ** 2).sum() / h)


def _phi_loop(x, score_grad, alpha, beta, h):
    """SW-GAN paper eq. 18 written out: a double loop, the repulsive term by autograd of k(x_j, x_i) w.r.t. x_j."""
    m = x.shape[0]
    out = torch.zeros_like(x)
    for i in range(m):
        for j in range(m):
            xj = x[j].clone().requires_grad_(True)
            k = _k(xj, x[i], h)
            (gk,) = torch.autograd.grad(k, xj)
            out[i] += alpha * k.detach() * score_grad[j] + beta * gk
    return out / m


def test_svgd_phi_matches_a_loop_implementation_of_eq18():
    torch.manual_seed(0)
    x = torch.randn(6, 4, dtype=torch.float64)
    s = torch.randn(6, 4, dtype=torch.float64)
    h = 3.7
    assert torch.allclose(svgd_phi(x, s, 2.0, 0.5, h), _phi_loop(x, s, 2.0, 0.5, h), atol=1e-12)
    h_t = bandwidth(x)  # also with the data-driven bandwidth, as a tensor
    assert torch.allclose(svgd_phi(x, s, 1.3, 0.7, h_t), _phi_loop(x, s, 1.3, 0.7, h_t.item()), atol=1e-10)


def test_repulsive_term_equals_autograd_of_the_kernel():
    # docs/references.md §5.3 unit test (c): sum_j grad_{x_j} k(x_j, x_i) = (2/h) sum_j K_ij (x_i - x_j)
    torch.manual_seed(1)
    x = torch.randn(5, 3, dtype=torch.float64)
    h = 2.0
    m = x.shape[0]
    for i in range(m):
        xs = x.clone().requires_grad_(True)
        total = sum(_k(xs[j], x[i], h) for j in range(m))
        (g,) = torch.autograd.grad(total, xs)
        expected = g.sum(0)
        got = m * svgd_phi(x, torch.zeros_like(x), alpha=0.0, beta=1.0, h=h)[i]
        assert torch.allclose(got, expected, atol=1e-12)


def test_identity_kernel_without_repulsion_is_scaled_score():
    torch.manual_seed(2)
    x, s = torch.randn(4, 3), torch.randn(4, 3)
    assert torch.allclose(svgd_phi(x, s, alpha=2.0, beta=0.0, h=1e-12), 2.0 / 4 * s)


def test_near_duplicates_repel():
    # docs/references.md §5.3 unit test (b): alpha = 0, two near-duplicate particles push apart
    torch.manual_seed(3)
    pair = torch.randn(1, 5).repeat(2, 1)
    pair[1] += 1e-3 * torch.randn(5)
    phi = svgd_phi(pair, torch.randn(2, 5), alpha=0.0, beta=0.5, h=bandwidth(pair))
    assert torch.dot(phi[0], pair[0] - pair[1]) > 0
    assert torch.dot(phi[1], pair[1] - pair[0]) > 0
    # inside a crowd the other particles push both nearly alike; relative to each other the pair still separates
    x = torch.randn(8, 5)
    x[1] = x[0] + 1e-3 * torch.randn(5)
    phi = svgd_phi(x, torch.randn(8, 5), alpha=0.0, beta=0.5, h=bandwidth(x))
    assert torch.dot(phi[0] - phi[1], x[0] - x[1]) > 0


def test_bandwidth_averages_the_two_middle_distances():
    # 5 points on a line: 10 pairwise distances 1,2,3,3,4,5,6,7,9,10 -> median (4 + 5) / 2 (torch.median gives 4)
    x = torch.tensor([0.0, 1.0, 3.0, 6.0, 10.0]).reshape(5, 1, 1)  # non-flat samples are flattened
    assert median_pairwise_distance(x).item() == pytest.approx(4.5)
    assert bandwidth(x).item() == pytest.approx((0.6 * 4.5) ** 2 / math.log(5))
    assert bandwidth(x, factor=1.0).item() == pytest.approx(4.5**2 / math.log(5))


def test_swgan_critic_is_wgan():
    m = make_method("swgan", warmup_g_iters=25)
    assert isinstance(m, WGAN)
    assert [m.n_critic(i) for i in (0, 25, 500)] == [100, 5, 100]


def _bn_critic():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1), nn.Flatten(0))
    return net


@pytest.mark.parametrize("critic", [None, _bn_critic], ids=["toy", "batchnorm"])
def test_generator_gradient_reduces_to_scaled_wgan_gradient(monkeypatch, critic):
    # docs/references.md §5.3 unit test (a): beta = 0, h -> 0 (K = I): grad_theta L = alpha/m * grad_theta of WGAN's G
    # loss
    # (mean f_code(G(z)) in our sign convention = -mean f_paper(G(z))) on the same z. With a train-mode BN
    # critic the cross-sample terms are included in both.
    sw = make_method("swgan", D=critic() if critic else None, beta=0.0, alpha=2.0)
    wg = make_method("wgan", G=copy.deepcopy(sw.G), D=copy.deepcopy(sw.D))  # same seed -> same z
    monkeypatch.setattr(swgan, "bandwidth", lambda x, factor=0.6: torch.tensor(1e-12))
    m = 16
    sw.generator_step(m)
    wg.generator_step(m)
    g_sw = torch.cat([p.grad.flatten() for p in sw.G.parameters()])
    g_wg = torch.cat([p.grad.flatten() for p in wg.G.parameters()])
    assert torch.nn.functional.cosine_similarity(g_sw, g_wg, dim=0).item() == pytest.approx(1.0, abs=1e-6)
    assert torch.allclose(g_sw, 2.0 / m * g_wg, rtol=1e-4, atol=1e-9)


class _Shift(nn.Module):
    """G(z) = z + b: a generator whose only parameter translates every sample."""

    def __init__(self):
        super().__init__()
        self.nz = 2
        self.b = nn.Parameter(torch.zeros(2))

    def forward(self, z):
        return z + self.b


class _Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x):
        return x @ self.w


def test_generator_step_moves_samples_toward_the_real_side():
    # real data on the +x0 side: our WG-sign critic scores fakes high, f_code(x) = -x0. The G step must move the
    # samples to +x0 (with the wrong sign of step 8 they would flee the data).
    m = make_method("swgan", G=_Shift(), D=_Linear([-1.0, 0.0]))
    state = m.noise_gen.get_state()
    z = m.noise(64)
    m.noise_gen.set_state(state)
    before = m.G(z)[:, 0].mean().item()
    logs = m.generator_step(64)
    assert m.G(z)[:, 0].mean().item() > before and m.G.b[0].item() > 0
    assert logs["loss_G"].item() == pytest.approx(-before, abs=1e-6)  # mean f_code(G(z)) before the step


def test_generator_step_logs():
    m = make_method("swgan")
    state = m.noise_gen.get_state()
    x = m.G(m.noise(32)).detach()
    m.noise_gen.set_state(state)
    logs = m.generator_step(32)
    med = median_pairwise_distance(x)
    assert logs["median_dist"].item() == pytest.approx(med.item(), rel=1e-5)
    assert logs["svgd_h"].item() == pytest.approx(bandwidth(x, 0.6).item(), rel=1e-5)
    assert logs["phi_norm"].item() > 0 and all(v.dim() == 0 for v in logs.values())


def test_collapsed_samples_give_finite_phi():
    x = torch.ones(4, 3)  # every sample identical: median distance 0
    h = bandwidth(x).clamp_min(swgan._H_FLOOR)
    phi = svgd_phi(x, torch.ones(4, 3), 2.0, 0.5, h)
    assert torch.isfinite(phi).all() and torch.allclose(phi, torch.full((4, 3), 2.0))

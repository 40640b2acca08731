import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.train.methods.tvwgan import critic_loss
from torch import nn

from .test_methods import make_method

D_REAL = torch.tensor([3.0, 1.0])
D_FAKE = torch.tensor([1.0, 2.0])


def test_critic_loss_by_hand_per_sample():
    # -E D(x) + E D(G(z)) = -(2 - 1.5) = -0.5; gaps 2, -1; |gap - 1| = 1, 2 -> mean 1.5
    assert critic_loss(D_REAL, D_FAKE, delta=1.0, lam=1.0).item() == pytest.approx(1.0)
    assert critic_loss(D_REAL, D_FAKE, delta=1.0, lam=0.5, pairing="per_sample").item() == pytest.approx(0.25)


def test_critic_loss_by_hand_batch_mean():
    # |0.5 - 1| = 0.5
    assert critic_loss(D_REAL, D_FAKE, delta=1.0, lam=1.0, pairing="batch_mean").item() == pytest.approx(0.0)
    assert critic_loss(D_REAL, D_FAKE, delta=0.0, lam=2.0, pairing="batch_mean").item() == pytest.approx(0.5)


def test_critic_loss_rejects_unknown_pairing():
    with pytest.raises(GanreproError, match="valid values: per_sample, batch_mean"):
        critic_loss(D_REAL, D_FAKE, 1.0, 1.0, pairing="pairs")


@pytest.mark.parametrize("g", [-3.0, 0.0, 1.9, 2.0, 2.5, 10.0])
@pytest.mark.parametrize("pairing", ["per_sample", "batch_mean"])
def test_lambda_one_is_a_hinge_for_a_single_pair(g, pairing):
    delta = 2.0
    loss = critic_loss(torch.tensor([g + 0.7]), torch.tensor([0.7]), delta=delta, lam=1.0, pairing=pairing)
    assert loss.item() == pytest.approx(2 * max(0.0, delta - g) - delta)


@pytest.mark.parametrize("pairing", ["per_sample", "batch_mean"])
def test_no_critic_gradient_once_every_gap_exceeds_delta(pairing):
    # docs/references.md §3 item 3: with lambda = 1 the loss is constant (-delta) in the scores once gap >= delta
    d_real = torch.tensor([5.0, 7.0, 4.5], requires_grad=True)
    d_fake = torch.tensor([1.0, 2.0, 0.0], requires_grad=True)
    critic_loss(d_real, d_fake, delta=3.0, lam=1.0, pairing=pairing).backward()
    assert torch.equal(d_real.grad, torch.zeros(3)) and torch.equal(d_fake.grad, torch.zeros(3))
    # one pair inside the margin: it (and only it, per sample) gets a gradient of 2/B pushing the gap up
    d_real = torch.tensor([5.0, 7.0, 1.5], requires_grad=True)
    d_fake = torch.tensor([1.0, 2.0, 0.0], requires_grad=True)
    critic_loss(d_real, d_fake, delta=3.0, lam=1.0, pairing="per_sample").backward()
    assert torch.allclose(d_real.grad, torch.tensor([0.0, 0.0, -2 / 3])) and torch.allclose(d_fake.grad, -d_real.grad)


class _Linear(nn.Module):
    """Critic f(x) = <w, x> with w fixed, one score per sample."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x):
        return x @ self.w


def test_tvwgan_logs_and_paper_sign_convention():
    m = make_method("tvwgan", delta=5.0)
    real = torch.randn(16, 2) + 3
    state = m.noise_gen.get_state()
    fake = m.fake(16)
    m.noise_gen.set_state(state)
    d_real, d_fake = m.D(real).detach(), m.D(fake).detach()
    logs = m.critic_step(real)
    assert logs["loss_D"].item() == pytest.approx(critic_loss(d_real, d_fake, 5.0, 1.0).item(), rel=1e-6)
    assert logs["W_estimate"].item() == pytest.approx((d_real.mean() - d_fake.mean()).item(), rel=1e-6)
    assert logs["gap_below_delta"].item() == pytest.approx(((d_real - d_fake) < 5.0).float().mean().item())


def test_tvwgan_critic_raises_real_scores_and_generator_chases_them():
    # critic D(x) = <w, x>: the critic step must move w toward the real side (+x), and the G step (minimising
    # -E D(G(z))) must move the samples along +w
    m = make_method("tvwgan", D=_Linear([0.1, 0.0]), delta=100.0)
    w0 = m.D.w.detach().clone()
    m.critic_step(torch.randn(64, 2) + torch.tensor([4.0, 0.0]))
    assert m.D.w[0] > w0[0]
    state = m.noise_gen.get_state()
    z = m.noise(64)  # the z the G step will draw
    m.noise_gen.set_state(state)
    before = m.G(z).detach() @ m.D.w.detach()
    m.generator_step(64)
    after = m.G(z).detach() @ m.D.w.detach()
    assert after.mean() > before.mean()


def test_tvwgan_rejects_unknown_pairing_at_build():
    with pytest.raises(GanreproError, match="pairing"):
        make_method("tvwgan", pairing="sum")

import torch
from torch import nn

from .test_methods import make_method


def test_wgan_critic_iteration_rule():
    m = make_method("wgan", warmup_g_iters=25)
    assert [m.n_critic(i) for i in (0, 24, 25, 499, 500, 501, 1000)] == [100, 100, 5, 5, 100, 5, 100]


def test_wgan_clamps_before_the_critic_step():
    m = make_method("wgan")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.D.parameters():  # +-1 everywhere: after the clamp to +-0.01 some steps point outwards
            p.copy_(torch.randint(0, 2, p.shape, generator=gen).float() * 2 - 1)
    m.critic_step(torch.randn(16, 2))
    # clamped to 0.01 first, then one unclipped RMSProp step (|step| <= lr / sqrt(1 - alpha) = 5e-4)
    biggest = max(p.abs().max().item() for p in m.D.parameters())
    assert 0.01 < biggest <= 0.01 + 5e-4 + 1e-7


def test_wgan_logs_w_estimate_as_minus_loss_d():
    logs = make_method("wgan").critic_step(torch.randn(16, 2))
    assert torch.equal(logs["W_estimate"], -logs["loss_D"])


def test_wgan_adam_variant_is_config_only():
    adam = {
        "name": "adam",
        "lr": 5e-5,
        "betas": [0.5, 0.999],
        "eps": 1e-8,
    }  # WG --adam (docs/references.md §1.1)
    m = make_method("wgan", optimizer_D=adam, optimizer_G=adam)
    for opt in (m.opt_D, m.opt_G):
        assert type(opt) is torch.optim.Adam
        group = opt.param_groups[0]
        assert group["lr"] == 5e-5 and tuple(group["betas"]) == (0.5, 0.999)


class _BNCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def test_wgan_clips_every_critic_parameter_including_batchnorm():
    D = _BNCritic()
    bn = D.net[1]
    m = make_method("wgan", D=D)
    c, lr, alpha = m.hp["clip"], m.hp["optimizer_D"]["lr"], m.hp["optimizer_D"]["alpha"]
    step_bound = lr / (1 - alpha) ** 0.5  # RMSprop: |step| = lr |g| / sqrt(v) with v >= (1 - alpha) g^2
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in D.parameters():
            p.copy_(torch.randint(0, 2, p.shape, generator=gen).float() * 2 - 1)
    at_forward = []  # max |param| per parameter when the critic's forward starts, i.e. after the clamp
    D.register_forward_pre_hook(lambda mod, inp: at_forward.append([p.abs().max().item() for p in mod.parameters()]))
    names = [n for n, _ in D.named_parameters()]
    assert "net.1.weight" in names and "net.1.bias" in names and bn.weight.abs().max() == 1.0
    afters = []
    for _ in range(4):
        m.critic_step(torch.randn(16, 2))
        afters.append(max(p.abs().max().item() for p in D.parameters()))
        assert afters[-1] <= c + step_bound + 1e-7  # the last update of a step is not clipped (docs/references.md §1.1)
    assert len(at_forward) == 8  # a real and a fake pass per critic step
    for row in at_forward:
        assert max(row) <= c  # every parameter, BatchNorm weight/bias included, clipped before use
    # the steps did leave the box: clipping happens before the step, not after it
    assert max(afters) > c


def test_wgan_clip_timing_after_step_leaves_every_weight_inside_c():
    # gan_toy.py / gan_mnist.py clip after the optimizer step: nothing may stick out afterwards (control: before_step
    # leaves one unclipped step, test above)
    m = make_method("wgan", clip_timing="after_step")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.D.parameters():
            p.copy_(torch.randint(0, 2, p.shape, generator=gen).float() * 2 - 1)
    m.critic_step(torch.randn(16, 2))
    assert max(p.abs().max().item() for p in m.D.parameters()) <= 0.01


def test_wgan_refuses_an_unknown_clip_timing():
    import pytest
    from ganrepro.core.errors import GanreproError

    with pytest.raises(GanreproError, match="clip_timing.*before_step, after_step"):
        make_method("wgan", clip_timing="whenever")

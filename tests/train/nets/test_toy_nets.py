import torch
from ganrepro.train import nets


def test_toy_param_counts_match_reference():
    # docs/references.md §6.3: GP gan_toy.py G 527,874 and D 527,361 parameters at width 512
    assert nets.n_params(nets.build("toy_mlp_g", nz=2, out_dim=2, width=512, n_hidden=3)) == 527_874
    assert nets.n_params(nets.build("toy_mlp_d", in_dim=2, width=512, n_hidden=3)) == 527_361


def test_critic_returns_one_score_per_sample_and_fixed_gaussian_has_no_params():
    D = nets.build("toy_mlp_d", in_dim=2, width=8, n_hidden=1)
    assert D(torch.randn(5, 2)).shape == (5,)
    G = nets.build("fixed_gaussian", mean=-2.0, std=0.5)
    assert nets.n_params(G) == 0
    assert torch.allclose(G(torch.zeros(3, 1)), torch.full((3, 1), -2.0))

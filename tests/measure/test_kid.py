import numpy as np
import pytest
import torch
from ganrepro.measure import inception as inc
from ganrepro.measure.kid import kernel_inception_distance, kid_defaults, kid_from_features
from torch_fidelity.defaults import DEFAULTS
from torch_fidelity.metric_kid import kid_features_to_metric


def _feats(seed, n=120, d=64, shift=0.0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) + shift


def test_defaults_are_torch_fidelitys():
    d = kid_defaults()
    assert d["kid_subsets"] == DEFAULTS["kid_subsets"] == 100
    assert d["kid_subset_size"] == DEFAULTS["kid_subset_size"] == 1000
    assert d["kid_kernel_poly_degree"] == 3 and d["kid_kernel_poly_coef0"] == 1 and d["kid_kernel_poly_gamma"] is None


def test_equals_torch_fidelity_on_the_same_features():
    f1, f2 = _feats(0), _feats(1, shift=0.2)
    ref = kid_features_to_metric(f1, f2, **{**DEFAULTS, "kid_subset_size": 50, "verbose": False})
    mean, std = kid_from_features(f1, f2, kid_subset_size=50)
    assert mean == ref["kernel_inception_distance_mean"] and std == ref["kernel_inception_distance_std"]


def test_matches_the_unbiased_polynomial_mmd():
    f1, f2 = _feats(2, n=40).double().numpy(), _feats(3, n=40, shift=0.5).double().numpy()
    d = f1.shape[1]

    def k(a, b):
        return (a @ b.T / d + 1) ** 3

    m = len(f1)
    kxx, kyy, kxy = k(f1, f1), k(f2, f2), k(f1, f2)
    want = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()
    # one subset of all samples: the unbiased MMD^2 does not depend on the order rng.choice draws them in
    mean, std = kid_from_features(f1, f2, kid_subsets=1, kid_subset_size=m)
    assert mean == pytest.approx(want, rel=1e-9) and std == 0.0


def test_subset_size_is_lowered_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(inc, "extract_features", lambda images, weights, **kw: {"2048": _feats(4, n=30).numpy()})
    w = inc.resolve_weights(inc.TORCH_FIDELITY, tmp_path)
    out = kernel_inception_distance(
        torch.zeros(30, 3, 2, 2), _feats(5, n=20).numpy(), w, value_range=(0, 1), kid_subsets=5
    )
    assert out["kid_settings"]["kid_subset_size"] == 20 and out["kid_settings"]["kid_subsets"] == 5
    assert any("lowered to 20" in x for x in out["warnings"]) and out["n_real"] == 20

import hashlib

import numpy as np
import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.measure import METRICS
from ganrepro.measure import inception as inc


def test_asset_urls_match_the_installed_libraries():
    import pytorch_fid.inception as pfi
    import torch_fidelity.feature_extractor_inceptionv3 as tfi

    assert inc.ASSETS[inc.PYTORCH_FID].url == pfi.FID_WEIGHTS_URL
    assert inc.ASSETS[inc.TORCH_FIDELITY].url == tfi.URL_INCEPTION_V3
    for a in inc.ASSETS.values():
        assert a.url.endswith(a.filename) and a.filename.endswith(f"-{a.prefix}.pth") and len(a.prefix) == 8


def test_weights_with_the_wrong_hash_are_rejected(tmp_path):
    bad = tmp_path / inc.ASSETS[inc.PYTORCH_FID].filename
    bad.write_bytes(b"not the inception weights")
    for scale in ("smoke", "paper"):
        with pytest.raises(GanreproError) as e:
            inc.resolve_weights(inc.PYTORCH_FID, tmp_path, scale=scale)
        assert str(bad) in str(e.value) and "6726825d" in str(e.value)


def test_a_matching_prefix_is_accepted_and_recorded_as_prefix_only(tmp_path, monkeypatch):
    f = tmp_path / "w.pth"
    f.write_bytes(b"pretend weights")
    digest = hashlib.sha256(b"pretend weights").hexdigest()
    # no file with the real prefix can be made here: pretend the published prefix is this file's
    monkeypatch.setitem(inc.ASSETS, inc.TORCH_FIDELITY, inc.WeightsAsset("w.pth", "https://x/w.pth", "w", digest[:8]))
    w = inc.resolve_weights(inc.TORCH_FIDELITY, f, scale="paper")
    assert w.official is True and w.sha256 == digest and "prefix" in w.check and "only" in w.check
    assert w.record()["official_weights"] is True and w.record()["weights_sha256"] == digest
    pinned = inc.resolve_weights(inc.TORCH_FIDELITY, f, scale="paper", expected_sha256=digest)
    assert pinned.check == "full sha256 pinned by the caller"
    with pytest.raises(GanreproError, match="pinned"):
        inc.resolve_weights(inc.TORCH_FIDELITY, f, expected_sha256="0" * 64)


def test_paper_scale_without_weights_is_an_error(tmp_path):
    for lib in inc.LIBRARIES:
        with pytest.raises(GanreproError) as e:
            inc.resolve_weights(lib, tmp_path, scale="paper")
        msg = str(e.value)
        assert str(tmp_path / inc.ASSETS[lib].filename) in msg
        assert inc.ASSETS[lib].url in msg and "ganrepro prefetch" in msg


def test_smoke_scale_without_weights_uses_random_init(tmp_path):
    w = inc.resolve_weights(inc.PYTORCH_FID, tmp_path, scale="smoke")
    assert w.official is False and w.path.exists() and "RANDOMLY INITIALISED" in w.warnings[0]
    assert w.sha256 == inc.sha256_file(w.path)


def test_weights_argument_forms(tmp_path):
    name = inc.ASSETS[inc.TORCH_FIDELITY].filename
    assert inc.weights_path_for(inc.TORCH_FIDELITY, None) == inc.default_weights_dir() / name
    assert inc.weights_path_for(inc.TORCH_FIDELITY, tmp_path) == tmp_path / name
    assert inc.weights_path_for(inc.TORCH_FIDELITY, tmp_path / "a.pth") == tmp_path / "a.pth"
    assert inc.weights_path_for(inc.TORCH_FIDELITY, {inc.TORCH_FIDELITY: "b.pth"}).name == "b.pth"


def test_conversions():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).view(1, 1, 2, 2)
    f = inc.to_float01(x, (-1, 1))
    assert f.shape == (1, 3, 2, 2) and f[0, 2].flatten().tolist() == [0.0, 0.5, 1.0, 1.0]
    u = inc.to_uint8(x, (-1, 1))
    assert u.dtype == torch.uint8 and u[0, 0].flatten().tolist() == [0, 128, 255, 255]
    assert inc.to_uint8(torch.full((1, 3, 1, 1), 0.5), (0, 1)).flatten().tolist() == [128, 128, 128]
    with pytest.raises(GanreproError, match="Bx1xHxW"):
        inc.to_float01(torch.zeros(1, 2, 4, 4), (0, 1))


def test_random_state_dict_is_seeded():
    a, b = inc.random_inception_state_dict(0), inc.random_inception_state_dict(0)
    c = inc.random_inception_state_dict(1)
    k = "Conv2d_1a_3x3.conv.weight"
    assert torch.equal(a[k], b[k]) and not torch.equal(a[k], c[k])


def test_random_init_end_to_end_through_the_registry(tmp_path):
    """Real Inception architecture at 299x299 on CPU with random weights: FID (pytorch-fid), IS and KID
    (torch-fidelity) through their METRICS entries, a few tiny images each."""
    g = torch.Generator().manual_seed(0)
    gen = torch.rand(16, 1, 16, 16, generator=g) * 2 - 1
    real = torch.rand(12, 1, 16, 16, generator=g) * 2 - 1
    common = dict(value_range=(-1, 1), weights=tmp_path / "none", device="cpu", cache_dir=tmp_path, progress=False)
    required = {
        "metric",
        "value",
        "n_generated",
        "n_real",
        "reference_split",
        "reference",
        "feature_extractor",
        "library",
        "weights_file",
        "weights_sha256",
        "official_weights",
        "resize",
        "splits",
        "seed",
        "warnings",
    }

    out = METRICS.get("fid10k_train")(gen, dataset="noise", real=real, overrides={"n_gen": 4, "n_real": 4}, **common)
    assert required <= set(out) and out["official_weights"] is False and np.isfinite(out["value"])
    assert out["n_generated"] == 4 and out["n_real"] == 4 and out["reference_cache_hit"] is False
    assert out["library"].startswith("pytorch-fid ") and "interpolate" in out["resize"]
    assert any("RANDOMLY INITIALISED" in w for w in out["warnings"])
    assert any("overridden" in w for w in out["warnings"])
    assert out["weights_sha256"] == inc.sha256_file(out["weights_file"])
    again = METRICS.get("fid10k_train")(gen, dataset="noise", real=real, overrides={"n_gen": 4, "n_real": 4}, **common)
    assert again["reference_cache_hit"] is True and again["value"] == out["value"]

    isc = METRICS.get("is50k_10splits")(gen, overrides={"n_gen": 4, "splits": 2}, **common)
    assert isc["library"].startswith("torch-fidelity ") and isc["splits"] == 2 and isc["value"] >= 1.0
    assert "logits_unbiased" in isc["feature_extractor"] and isc["official_weights"] is False

    kid = METRICS.get("kid10k_train")(gen, dataset="noise", real=real, overrides={"n_gen": 3, "n_real": 3}, **common)
    assert np.isfinite(kid["value"]) and kid["kid_settings"]["kid_subset_size"] == 3
    assert kid["kid_settings"]["kid_subsets"] == 100 and kid["n_real"] == 3

    # one network per (library, weights sha256, device), reused across calls
    w = inc.resolve_weights(inc.PYTORCH_FID, tmp_path / "none")
    assert inc.load_extractor(w, "cpu") is inc.load_extractor(w, "cpu")

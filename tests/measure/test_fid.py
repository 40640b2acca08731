import numpy as np
import pytest
import scipy.linalg
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.measure import fid
from ganrepro.measure import inception as inc
from pytorch_fid.fid_score import calculate_frechet_distance

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pytorch-fid passes scipy's deprecated disp


def _stats(rng, n, d, shift=0.0):
    x = rng.standard_normal((n, d)) + shift
    return x.mean(0), np.cov(x, rowvar=False)


def test_equals_pytorch_fid_on_random_statistics():
    rng = np.random.default_rng(0)
    s1, s2 = _stats(rng, 200, 16), _stats(rng, 200, 16, 0.3)
    warns: list[str] = []
    assert fid.frechet_distance(*s1, *s2, warnings_out=warns, method="sqrtm") == pytest.approx(
        calculate_frechet_distance(*s1, *s2), rel=1e-12
    )
    assert warns == []
    # the default (eigenvalue) trace term gives the same number
    assert fid.frechet_distance(*s1, *s2, warnings_out=warns) == pytest.approx(
        calculate_frechet_distance(*s1, *s2), rel=1e-9
    )
    assert warns == []


def test_equals_pytorch_fid_on_near_singular_statistics():
    rng = np.random.default_rng(1)
    s1, s2 = _stats(rng, 10, 32), _stats(rng, 12, 32)  # fewer samples than dimensions: rank-deficient
    ours = fid.frechet_distance(*s1, *s2, method="sqrtm")
    assert np.isfinite(ours)
    assert ours == pytest.approx(calculate_frechet_distance(*s1, *s2), rel=1e-9)
    assert fid.frechet_distance(*s1, *s2) == pytest.approx(ours, rel=1e-6)


def test_non_finite_sqrtm_takes_the_eps_offset_and_records_it(monkeypatch):
    rng = np.random.default_rng(2)
    s1, s2 = _stats(rng, 50, 8), _stats(rng, 50, 8, 0.5)
    real_sqrtm = scipy.linalg.sqrtm
    first = s1[1].dot(s2[1])

    def flaky(a, *args, **kwargs):  # NaN for the plain product, as scipy can give for a singular one
        out = real_sqrtm(a)
        if np.array_equal(a, first):
            out = np.full_like(out, np.nan)
        return (out, 0.0) if kwargs.get("disp") is False else out

    monkeypatch.setattr(scipy.linalg, "sqrtm", flaky)
    warns: list[str] = []
    ours = fid.frechet_distance(*s1, *s2, warnings_out=warns, method="sqrtm")
    assert ours == pytest.approx(calculate_frechet_distance(*s1, *s2), rel=1e-12)
    assert any("adding 1e-06 to diagonal" in w for w in warns)


def test_imaginary_parts_small_dropped_large_raise():
    mu = np.zeros(2)
    eye = np.eye(2)
    small = np.diag([-1e-8, 1.0])  # sqrtm has imaginary diagonal 1e-4 < 1e-3: dropped
    warns: list[str] = []
    assert fid.frechet_distance(mu, eye, mu, small, warnings_out=warns, method="sqrtm") == pytest.approx(
        calculate_frechet_distance(mu, eye, mu, small)
    )
    assert any("imaginary" in w for w in warns)
    big = np.diag([-1.0, 1.0])
    with pytest.raises(ValueError, match="Imaginary component"):
        calculate_frechet_distance(mu, eye, mu, big)
    with pytest.raises(ValueError, match="Imaginary component"):
        fid.frechet_distance(mu, eye, mu, big, method="sqrtm")


def test_eigh_trace_term_on_inception_sized_statistics():
    """2048-d statistics from 3,000 samples (full rank): the default equals pytorch-fid's scipy sqrtm to 1e-9, and
    on rank-deficient statistics (32 samples, the smoke protocol) both are finite and agree closely."""
    rng = np.random.default_rng(3)
    d = 256  # 2048 takes minutes in scipy's sqrtm on a CI core; the algebra does not depend on d
    a = rng.standard_normal((3000, d)) @ rng.standard_normal((d, d)) * 0.1
    b = rng.standard_normal((3000, d)) @ rng.standard_normal((d, d)) * 0.1 + 0.2
    s1, s2 = fid.statistics(a), fid.statistics(b)
    assert fid.frechet_distance(*s1, *s2) == pytest.approx(calculate_frechet_distance(*s1, *s2), rel=1e-9)
    s1, s2 = fid.statistics(a[:32]), fid.statistics(b[:32])
    ours, ref = fid.frechet_distance(*s1, *s2), calculate_frechet_distance(*s1, *s2)
    assert np.isfinite(ours) and ours == pytest.approx(ref, rel=1e-4)
    with pytest.raises(ValueError, match="unknown method"):
        fid.frechet_distance(*s1, *s2, method="svd")


@pytest.mark.parametrize("n1, n2", [(16, 16), (32, 3000), (2, 40)])
def test_features_path_equals_the_full_path_when_fewer_samples_than_dimensions(n1, n2):
    """The n x n form of Tr sqrt(S1 S2) (frechet_distance_features) gives the same distance as the d x d
    eigenvalue path and pytorch-fid's sqrtm on random correlated features, rank-deficient on the generated side
    (the smoke protocols: 16 images, 2048 dims), and on the reference side too."""
    rng = np.random.default_rng(4)
    d = 256  # scipy's sqrtm of a 2048 x 2048 product takes minutes on a CI core; the algebra does not depend on d
    a = rng.standard_normal((n1, d)) @ rng.standard_normal((d, d)) * 0.1
    b = rng.standard_normal((n2, d)) @ rng.standard_normal((d, d)) * 0.1 + 0.2
    s2 = fid.statistics(b)
    warns: list[str] = []
    ours = fid.frechet_distance_features(a, *s2, warnings_out=warns)
    assert ours == pytest.approx(fid.frechet_distance(*fid.statistics(a), *s2), rel=1e-6)
    assert ours == pytest.approx(calculate_frechet_distance(*fid.statistics(a), *s2), rel=1e-6)
    assert warns == []
    with pytest.raises(ValueError, match="dimension"):
        fid.frechet_distance_features(a[:, :10], *s2)
    with pytest.raises(GanreproError, match="at least 2"):
        fid.frechet_distance_features(a[:1], *s2)


def test_features_path_on_inception_sized_features():
    """At d = 2048 (the real pool3 size) against the d x d eigenvalue path: same value, a fraction of the time."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((16, 2048)) + 0.1, rng.standard_normal((16, 2048))
    s2 = fid.statistics(b)
    assert fid.frechet_distance_features(a, *s2) == pytest.approx(
        fid.frechet_distance(*fid.statistics(a), *s2), rel=1e-6
    )


def test_compute_fid_takes_the_features_path_below_d_samples(monkeypatch):
    gen = torch.rand(8, 1, 4, 4) * 2 - 1
    feats = inc.to_float01(gen, (-1, 1)).flatten(1).double().numpy()  # 8 x 48: fewer samples than dimensions
    monkeypatch.setattr(inc, "extract_features", lambda *a, **k: {"2048": feats})
    ref_feats = np.random.default_rng(6).random((30, 48))
    ref = fid.ReferenceStats(*fid.statistics(ref_feats), "test reference", n=30)
    out = fid.compute_fid(gen, ref, FAKE, value_range=(-1, 1), progress=False)
    assert out["value"] == pytest.approx(fid.frechet_distance(*fid.statistics(feats), ref.mu, ref.sigma), rel=1e-6)
    assert "n x n" in out["frechet"] and any("rank-deficient" in w for w in out["warnings"])


# ------------------------------------------------------------------ reference statistics (cheap fake features)

FAKE = inc.InceptionWeights(inc.PYTORCH_FID, inc.default_weights_dir() / "x.pth", "ab" * 32, False, "none", "test")


@pytest.fixture
def fake_features(monkeypatch):
    calls = []

    def feats(images, weights, *, value_range, features=("2048",), **kw):
        x = images if isinstance(images, torch.Tensor) else torch.cat(list(images))
        calls.append(len(x))
        return {"2048": inc.to_float01(x, value_range).flatten(1).double().numpy()}

    monkeypatch.setattr(inc, "extract_features", feats)
    return calls


def test_reference_statistics_are_cached(tmp_path, fake_features):
    real = torch.rand(40, 1, 4, 4) * 2 - 1
    kw = dict(dataset="toy", split="train", value_range=(-1, 1), cache_dir=tmp_path, progress=False)
    a = fid.reference_statistics(real, FAKE, n=30, **kw)
    assert a.cache_hit is False and a.path.exists() and fake_features == [30]
    with np.load(a.path) as f:
        assert '"weights_sha256":"' + "ab" * 32 in str(f["key"])

    def must_not_run():
        raise AssertionError("the cache should have been used")

    b = fid.reference_statistics(must_not_run, FAKE, n=30, **kw)
    assert b.cache_hit is True and b.path == a.path and fake_features == [30]
    np.testing.assert_array_equal(a.mu, b.mu)
    np.testing.assert_array_equal(a.sigma, b.sigma)
    c = fid.reference_statistics(real, FAKE, n=None, **kw)  # another n: another file
    assert c.cache_hit is False and c.path != a.path and c.n == 40
    other = inc.InceptionWeights(inc.PYTORCH_FID, FAKE.path, "cd" * 32, False, "none", "test")
    d = fid.reference_statistics(real, other, n=30, **kw)  # other weights: another file
    assert d.cache_hit is False and d.path not in (a.path, c.path)
    assert "toy train" in a.description and "random subset of 30 of 40" in a.description


def test_ttur_npz_reference(tmp_path, fake_features):
    gen = torch.rand(20, 1, 2, 2)
    rng = np.random.default_rng(3)
    mu, sigma = _stats(rng, 50, 12)
    path = tmp_path / "fid_stats_toy.npz"
    np.savez(path, mu=mu, sigma=sigma)
    ref = fid.load_ttur_npz(path)
    assert ref.description == f"TTUR npz {inc.sha256_file(path)}"
    out = fid.compute_fid(gen, ref, FAKE, value_range=(0, 1), progress=False)
    want = fid.frechet_distance(*fid.statistics(gen.expand(-1, 3, -1, -1).flatten(1).double().numpy()), mu, sigma)
    assert out["value"] == pytest.approx(want)
    assert out["reference"].startswith("TTUR npz ") and out["n_generated"] == 20
    np.savez(tmp_path / "bad.npz", m=mu)
    with pytest.raises(GanreproError, match="mu"):
        fid.load_ttur_npz(tmp_path / "bad.npz")


def test_reference_from_other_weights_is_refused(tmp_path, fake_features):
    real = torch.rand(10, 1, 2, 2)
    ref = fid.reference_statistics(real, FAKE, dataset="t", split="train", value_range=(0, 1), cache_dir=tmp_path)
    other = inc.InceptionWeights(inc.PYTORCH_FID, FAKE.path, "ef" * 32, False, "none", "test")
    with pytest.raises(GanreproError, match="same weights"):
        fid.compute_fid(real, ref, other, value_range=(0, 1))


def test_cross_check_with_random_weights_records_both_libraries(tmp_path):
    """Runs both libraries' real Inception networks (random init, 299x299 on CPU): a handful of images only."""
    g = torch.Generator().manual_seed(0)
    gen = torch.rand(4, 1, 16, 16, generator=g) * 2 - 1
    real = torch.rand(4, 3, 16, 16, generator=g)
    out = fid.fid_cross_check(
        gen,
        real,
        value_range=(-1, 1),
        real_value_range=(0, 1),
        weights=tmp_path,
        device="cpu",
        progress=False,
    )
    a, b = out[inc.PYTORCH_FID]["value"], out[inc.TORCH_FIDELITY]["value"]
    assert np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0
    assert out[inc.PYTORCH_FID]["official_weights"] is False and out[inc.TORCH_FIDELITY]["official_weights"] is False
    assert out[inc.PYTORCH_FID]["library"] == f"pytorch-fid {inc.library_version('pytorch-fid')}"
    assert "max(1.0, 0.05" in out["tolerance"] and isinstance(out["agree"], bool)
    assert out["agree"] == (abs(a - b) <= max(1.0, 0.05 * max(a, b)))
    # the same random network in both libraries: only the resize and uint8 rounding differ
    assert out["rel_diff"] < 0.5
    print(f"cross-check on random weights: pytorch-fid {a:.6g}, torch-fidelity {b:.6g}")


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"", lambda b: b"\x80\x04K\x01." * 10])
def test_a_damaged_reference_cache_is_set_aside_and_rebuilt(tmp_path, fake_features, capsys, damage):
    real = torch.rand(40, 1, 4, 4) * 2 - 1
    kw = dict(dataset="toy", split="train", value_range=(-1, 1), cache_dir=tmp_path, progress=False)
    a = fid.reference_statistics(real, FAKE, n=30, **kw)
    a.path.write_bytes(damage(a.path.read_bytes()))  # cut, emptied, or a pickle: never loaded as code
    b = fid.reference_statistics(real, FAKE, n=30, **kw)
    assert b.cache_hit is False and "is damaged" in capsys.readouterr().err
    np.testing.assert_array_equal(a.mu, b.mu)
    assert a.path.with_name(a.path.name + ".corrupt").exists()
    c = fid.reference_statistics(real, FAKE, n=30, **kw)  # rebuilt once: the warning does not repeat
    assert c.cache_hit is True and capsys.readouterr().err == ""

import numpy as np
import pytest
from ganrepro.data.toy import eight_gaussian_centres
from ganrepro.measure.toy import mode_stats, w1_exact

MODES = eight_gaussian_centres(2.0, 1.414).numpy()
STD = 0.02 / 1.414


def test_perfect_samples_cover_all_modes():
    rng = np.random.default_rng(0)
    x = MODES[rng.integers(0, 8, 2500)] + STD * rng.standard_normal((2500, 2))
    st = mode_stats(x, MODES, STD)
    assert st["modes_covered"] == 8 and st["pct_high_quality"] > 98


def test_collapsed_and_off_mode_samples():
    x = np.repeat(MODES[:1], 100, axis=0)
    assert mode_stats(x, MODES, STD)["modes_covered"] == 1
    far = np.zeros((100, 2))  # the centre of the ring is far from every mode
    assert mode_stats(far, MODES, STD) == {"modes_covered": 0, "pct_high_quality": 0.0}


def test_w1_exact_of_a_shift():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((300, 2))
    assert w1_exact(a, a + np.array([0.3, 0.4])) == pytest.approx(0.5, rel=1e-6)


def test_mode_coverage_of_the_true_8_gaussian_mixture():
    from ganrepro.data import build
    from ganrepro.measure.toy import mode_coverage

    ds = build("8gaussians", seed=0, radius_scale=2.0, std=0.02, divide=1.414)
    covered, hq = mode_coverage(ds.sample(2000), ds.modes, ds.mode_std)
    assert covered == 8 and hq >= 0.95


def test_mode_coverage_agrees_with_mode_stats():
    from ganrepro.measure.toy import mode_coverage

    x = np.concatenate([np.repeat(MODES[:3], 10, axis=0), np.zeros((10, 2))])
    st = mode_stats(x, MODES, STD)
    assert mode_coverage(x, MODES, STD) == (st["modes_covered"], pytest.approx(st["pct_high_quality"] / 100))
    assert mode_coverage(x, MODES, STD) == (3, pytest.approx(0.75))


def test_w1_exact_between_point_masses_is_their_distance():
    a, b = np.array([[1.0, 2.0]]), np.array([[4.0, 6.0]])
    assert w1_exact(a, b) == pytest.approx(5.0, rel=1e-9)
    assert w1_exact(np.repeat(a, 7, axis=0), np.repeat(b, 7, axis=0)) == pytest.approx(5.0, rel=1e-9)

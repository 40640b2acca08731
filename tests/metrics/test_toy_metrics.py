import numpy as np
import pytest
from ganrepro.data.toy import eight_gaussian_centres
from ganrepro.metrics.toy import mode_stats, w1_exact

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

import math

import numpy as np
import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.measure.modes import class_stats


def test_balanced_labels():
    st = class_stats(torch.arange(10).repeat(50))
    assert st["categories"] == 10
    assert st["count_std"] == 0.0
    assert st["mean_label"] == pytest.approx(4.5)
    assert st["kl_uniform"] == pytest.approx(0.0, abs=1e-12)
    assert st["counts"] == [50] * 10 and st["n"] == 500


def test_imbalanced_labels_against_hand_computed_values():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)  # N = 100, K = 10, n_bar = 10
    st = class_stats(labels, num_classes=10)
    assert st["categories"] == 3
    assert st["mean_label"] == pytest.approx((30 * 1 + 20 * 2) / 100)
    # squared deviations: 40^2 + 20^2 + 10^2 + 7 * 10^2 = 2800; ddof 1 -> / 9
    assert st["count_std"] == pytest.approx(math.sqrt(2800 / 9))
    # KL(p || U) = sum p log(K p), absent classes contribute 0 (0 log 0 = 0)
    assert st["kl_uniform"] == pytest.approx(0.5 * math.log(5) + 0.3 * math.log(3) + 0.2 * math.log(2))


def test_single_class_is_maximal_kl():
    st = class_stats([7] * 20)
    assert st["categories"] == 1 and st["kl_uniform"] == pytest.approx(math.log(10))


def test_out_of_range_labels_are_rejected():
    with pytest.raises(GanreproError, match="0..9"):
        class_stats([0, 10])

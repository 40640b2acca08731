import numpy as np
import pytest
import torch
from ganrepro.measure import METRICS
from ganrepro.measure import inception as inc
from ganrepro.measure.isc import inception_score_draws, inception_score_from_logits
from torch_fidelity.metric_isc import isc_features_to_metric


def _openai_is(logits: np.ndarray, splits: int) -> tuple[float, float]:
    """Independent reference: contiguous splits, no shuffle (OpenAI inception_score.py, docs/references.md §8.1)."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        scores.append(np.exp((part * (np.log(part) - np.log(py))).sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def test_equals_torch_fidelity_on_the_same_logits():
    logits = torch.randn(500, 1008, generator=torch.Generator().manual_seed(0)) * 3
    ref = isc_features_to_metric(logits, splits=10, shuffle=True, rng_seed=2020)
    mean, std = inception_score_from_logits(logits)
    assert mean == ref["inception_score_mean"] and std == ref["inception_score_std"]


def test_matches_the_openai_definition_without_shuffle():
    logits = torch.randn(400, 50, generator=torch.Generator().manual_seed(1)) * 2
    mean, std = inception_score_from_logits(logits, splits=4, shuffle=False)
    m2, s2 = _openai_is(logits.double().numpy(), 4)
    assert mean == pytest.approx(m2, rel=1e-10) and std == pytest.approx(s2, rel=1e-8)


@pytest.fixture
def fake_logits(monkeypatch):
    """Cheap stand-in for the network: logits from the pixels, so draws differ and results are checkable."""

    def feats(images, weights, *, value_range, features=("2048",), **kw):
        x = images if isinstance(images, torch.Tensor) else torch.cat(list(images))
        return {"logits_unbiased": (inc.to_float01(x, value_range).flatten(1)[:, :20] * 8).double().numpy()}

    monkeypatch.setattr(inc, "extract_features", feats)


def test_swgan_draws_protocol(fake_logits, tmp_path):
    def sample(k):  # uses torch's global RNG, seeded by the metric from the protocol seed
        return torch.rand(k, 1, 8, 8) * 2 - 1

    m = METRICS.get("is1k_x10_swgan")
    out = m(sample, overrides={"n_gen": 30}, weights=tmp_path, device="cpu", progress=False)
    assert out["draws"] == 10 and len(out["per_draw"]) == 10 and out["splits"] == 1
    assert out["value"] == pytest.approx(np.mean(out["per_draw"])) and out["std"] == pytest.approx(
        np.std(out["per_draw"])
    )
    assert len(set(out["per_draw"])) == 10  # independent draws
    assert out["std_over"].startswith("draws")
    again = m(sample, overrides={"n_gen": 30}, weights=tmp_path, device="cpu", progress=False)
    assert again["per_draw"] == out["per_draw"]  # the protocol seed fixes the draws


def test_draws_function_equals_per_draw_scores(fake_logits, tmp_path):
    w = inc.resolve_weights(inc.TORCH_FIDELITY, tmp_path)
    draws = [torch.rand(25, 3, 4, 4, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    out = inception_score_draws(draws, w, value_range=(0, 1), progress=False)
    per = [
        inception_score_from_logits(
            torch.from_numpy((inc.to_float01(d, (0, 1)).flatten(1)[:, :20] * 8).double().numpy()), splits=1
        )[0]
        for d in draws
    ]
    assert out["per_draw"] == per and out["n_generated"] == 25

"""FID (docs/references.md §8.2): Fréchet distance, cached reference statistics, and a pytorch-fid / torch-fidelity
cross-check.

Features come from the libraries (``inception.extract_features``). ``frechet_distance`` computes pytorch-fid's
formula ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2). Its trace term is taken, by default, from the eigenvalues
of S1^1/2 S2 S1^1/2 (two symmetric eigendecompositions, ~10x faster than scipy's sqrtm of the 2048 x 2048
product, which took a minute per snapshot on our CPU); ``method="sqrtm"`` reproduces
``pytorch_fid.fid_score.calculate_frechet_distance`` step by step (scipy sqrtm, the same eps fallback and
imaginary-part rule). The two agree to ~1e-9 relative on full-rank statistics (tested against pytorch-fid).
With fewer generated images n than feature dimensions d (every smoke protocol), ``frechet_distance_features``
gives the same distance exactly from an n x n matrix instead of any d x d decomposition (milliseconds instead of
seconds per snapshot). Warnings are returned to the caller instead of printed.
"""

from __future__ import annotations

import io
import sys
import warnings as _warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import linalg

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_write_bytes, canonical_json, config_hash, sha256_file
from ganrepro.core.paths import METRIC_CACHE, at_root
from ganrepro.core.runfolder import set_aside
from ganrepro.measure import inception as inc

# pytorch-fid and torch-fidelity FIDs of the same samples agree when |a - b| <= max(ABS_TOL, REL_TOL * max(a, b)).
# They differ by design, not by bugs: pytorch-fid resizes with torch's bilinear interpolate from float input,
# torch-fidelity with the TF1 bilinear kernel from uint8 input (docs/references.md §8.2). Upsampling 32 px images ~9x,
# the two
# resizes sample the source grid at shifted positions, which moves pool3 features by a few percent (~2% mean
# absolute difference measured here on the random-init network), and FID, a sum of squared differences, moves by
# a similar relative amount (the pytorch-fid README calls the difference to TF "slight"). 5% relative keeps
# genuine pipeline errors (wrong value range, channel order, weights: tens of percent or more) out; the absolute
# 1.0 floor stops the relative test from failing near FID 0, where small absolute noise is a large fraction.
REL_TOL = 0.05
ABS_TOL = 1.0


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
    warnings_out: list[str] | None = None,
    method: str = "eigh",
) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)).

    method "eigh" (default): Tr sqrt(S1 S2) = sum of sqrt(eigenvalues of S1^1/2 S2 S1^1/2), a symmetric PSD matrix
    similar to S1 S2 (eigenvalues below 0, rounding error, count as 0 and are reported when not negligible).
    method "sqrtm": as pytorch-fid's ``calculate_frechet_distance``: if the sqrtm is not finite, eps*I is added to
    both covariances; an imaginary part is dropped when the diagonal's imaginary part is within 1e-3 of 0, else
    ValueError. Warnings (and scipy's LinAlgWarnings) are appended to ``warnings_out`` when given."""
    notes: list[str] = []
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape:
        raise ValueError(f"mean vectors have different lengths: {mu1.shape} vs {mu2.shape}")
    if sigma1.shape != sigma2.shape:
        raise ValueError(f"covariances have different shapes: {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    if method == "eigh":
        tr_covmean = _trace_sqrt_product(sigma1, sigma2, notes)
        if warnings_out is not None:
            warnings_out.extend(notes)
        return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)
    if method != "sqrtm":
        raise ValueError(f"unknown method {method!r}; expected eigh or sqrtm")

    def sqrtm(a: np.ndarray) -> np.ndarray:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always", linalg.LinAlgWarning)
            out = linalg.sqrtm(a)
        notes.extend(f"scipy sqrtm: {w.message}" for w in caught if issubclass(w.category, linalg.LinAlgWarning))
        return out

    covmean = sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        notes.append(f"fid calculation produces singular product; adding {eps} to diagonal of cov estimates")
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            m = np.max(np.abs(covmean.imag))
            raise ValueError(f"Imaginary component {m}")
        m = float(np.max(np.abs(covmean.imag)))
        if m > 0:
            notes.append(f"sqrtm had an imaginary component (max |imag| {m:.3g}); dropped as numerical error")
        covmean = covmean.real
    if warnings_out is not None:
        warnings_out.extend(notes)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray, notes: list[str]) -> float:
    """Tr (S1 S2)^1/2 for symmetric PSD S1, S2: S1 S2 is similar to R S2 R with R = S1^1/2 (symmetric), whose
    eigenvalues are real and >= 0, so the trace of the principal square root is the sum of their square roots."""
    w, v = linalg.eigh((sigma1 + sigma1.T) / 2)
    scale = max(float(np.abs(w).max(initial=0.0)), 1e-300)
    root = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    m = root @ sigma2 @ root
    ev = linalg.eigvalsh((m + m.T) / 2)
    neg = ev[ev < 0]
    if neg.size and -neg.min() > 1e-6 * max(float(ev.max(initial=0.0)), scale):
        notes.append(f"{neg.size} eigenvalue(s) of S1^1/2 S2 S1^1/2 below 0 (min {neg.min():.3g}); counted as 0")
    return float(np.sqrt(np.clip(ev, 0.0, None)).sum())


def frechet_distance_features(
    features: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, warnings_out: list[str] | None = None
) -> float:
    """The Fréchet distance between the Gaussian fit of ``features`` (n x d; mean and ddof-1 covariance, as
    ``statistics``) and (mu2, sigma2), exact for any n >= 2 and cheap when n < d.

    With A the centred features, S1 = A^T A / (n-1). The nonzero eigenvalues of S1 S2 = A^T (A S2 / (n-1)) are
    those of the n x n symmetric PSD matrix A S2 A^T / (n-1) (XY and YX share them), so Tr sqrt(S1 S2) is the sum
    of their square roots, and Tr S1 = ||A||_F^2 / (n-1): no d x d eigendecomposition or sqrtm."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise GanreproError(f"need at least 2 feature vectors for a covariance; got shape {x.shape}")
    mu2, sigma2 = np.atleast_1d(mu2), np.atleast_2d(sigma2)
    if sigma2.shape != (x.shape[1], x.shape[1]) or mu2.shape != (x.shape[1],):
        raise ValueError(f"features of dimension {x.shape[1]} vs statistics of shapes {mu2.shape}, {sigma2.shape}")
    mu1 = x.mean(axis=0)
    a = x - mu1
    n1 = len(x) - 1
    m = a @ sigma2 @ a.T / n1
    ev = linalg.eigvalsh((m + m.T) / 2)
    neg = ev[ev < 0]
    # rounding leaves eigenvalues of a PSD matrix slightly below 0: same rule and note as the d x d path
    if neg.size and -neg.min() > 1e-6 * max(float(ev.max(initial=0.0)), 1e-300):
        note = f"{neg.size} eigenvalue(s) of A S2 A^T / (n-1) below 0 (min {neg.min():.3g}); counted as 0"
        if warnings_out is not None:
            warnings_out.append(note)
    diff = mu1 - mu2
    tr_covmean = float(np.sqrt(np.clip(ev, 0.0, None)).sum())
    return float(diff.dot(diff) + np.einsum("ij,ij->", a, a) / n1 + np.trace(sigma2) - 2 * tr_covmean)


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (rowvar False, ddof 1) as pytorch-fid's calculate_activation_statistics."""
    features = np.asarray(features, dtype=np.float64)
    if len(features) < 2:
        raise GanreproError(f"need at least 2 feature vectors for a covariance; got {len(features)}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


# ------------------------------------------------------------------------------------------------ reference stats


@dataclass
class ReferenceStats:
    """Real-image statistics and where they came from (``description`` is recorded as the metric's reference)."""

    mu: np.ndarray
    sigma: np.ndarray
    description: str
    n: int | None = None
    key: dict[str, Any] | None = None
    path: Path | None = None
    cache_hit: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "reference": self.description,
            "reference_file": str(self.path) if self.path else None,
            "reference_cache_hit": self.cache_hit,
        }


def load_ttur_npz(path: str | Path) -> ReferenceStats:
    """Precomputed TTUR-style statistics (an .npz with keys mu, sigma; docs/references.md §8.2), recorded with
    their sha256."""
    path = Path(path)
    if not path.exists():
        raise GanreproError(f"reference statistics {path} not found")
    try:
        with np.load(path, allow_pickle=False) as f:
            if "mu" not in f or "sigma" not in f:
                raise GanreproError(f"{path} lacks the keys 'mu' and 'sigma' of a TTUR statistics file")
            mu, sigma = f["mu"].astype(np.float64), f["sigma"].astype(np.float64)
    except GanreproError:
        raise
    except Exception as e:  # noqa: BLE001 - a cut, foreign or pickled file: never loaded as code
        raise GanreproError(f"{path} is not a readable .npz of statistics ({type(e).__name__}); replace it") from e
    digest = sha256_file(path)
    return ReferenceStats(
        mu,
        sigma,
        f"TTUR npz {digest}",
        path=path,
        warnings=[
            "reference statistics are a precomputed TTUR npz: if they were made with TF Inception features, "
            "mixing them with library features shifts FID (docs/references.md §8.2, pytorch-fid issue 33)"
        ],
    )


def default_cache_dir() -> Path:
    return at_root(METRIC_CACHE)


def cache_file(key: Mapping[str, Any], cache_dir: str | Path | None = None, prefix: str = "refstats") -> Path:
    """``<cache_dir>/<prefix>-<sha256 of the canonical key, 16 hex>.npz``."""
    return Path(cache_dir or default_cache_dir()) / f"{prefix}-{config_hash(dict(key), 16)}.npz"


def cached_arrays(
    key: Mapping[str, Any],
    compute: Callable[[], dict[str, np.ndarray]],
    cache_dir: str | Path | None = None,
    prefix: str = "refstats",
) -> tuple[dict[str, np.ndarray], bool, Path]:
    """Arrays stored under ``key``: read from the cache file if it holds this exact key, else computed and
    written atomically with the key inside. Returns (arrays, cache_hit, path)."""
    path = cache_file(key, cache_dir, prefix)
    want = canonical_json(dict(key))
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                if "key" in f and str(f["key"]) == want:
                    return {k: f[k] for k in f.files if k != "key"}, True, path
        except Exception as e:  # noqa: BLE001 - numpy/zipfile raise many types for a cut or foreign file
            bad = set_aside(path)
            print(
                f"warning: metric cache {path} is damaged ({type(e).__name__}); moved it to {bad.name} and "
                "computing it again",
                file=sys.stderr,
            )
    arrays = compute()
    buf = io.BytesIO()
    np.savez(buf, key=np.array(want), **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return arrays, False, path


def real_subset(real: torch.Tensor, n: int | None, seed: int | None) -> tuple[torch.Tensor, str]:
    """All of ``real`` when n is None or >= len(real); else a random subset of n drawn with ``seed``."""
    if n is None or n >= len(real):
        return real, f"all {len(real)} images"
    perm = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed or 0))
    return real[perm[:n]], f"random subset of {n} of {len(real)} (torch.randperm, seed {seed or 0})"


RealArg = torch.Tensor | Callable[[], torch.Tensor]


def reference_key(
    weights: inc.InceptionWeights, *, dataset: str, split: str, n: int | None, seed: int | None
) -> dict[str, Any]:
    """What a cached real-image reference depends on (FID statistics and KID features share it)."""
    lib = weights.library
    return {
        "dataset": dataset,
        "split": split,
        "n": n if n is not None else "all",
        "subset_seed": seed if n is not None else None,
        "weights_sha256": weights.sha256,
        "extractor": f"{lib} {inc.library_version(lib)} {inc.FEATURES[lib]['2048']}",
    }


def reference_statistics(
    real: RealArg,
    weights: inc.InceptionWeights,
    *,
    dataset: str,
    split: str,
    value_range: tuple[float, float],
    n: int | None = None,
    seed: int | None = 0,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> ReferenceStats:
    """mu, sigma of real pool3 features, computed once per (dataset, split, n, weights sha256, extractor) and
    cached as an .npz named from a hash of that key. ``real`` is the split as a tensor in ``value_range``, or a
    callable returning it (only called on a cache miss)."""
    key = reference_key(weights, dataset=dataset, split=split, n=n, seed=seed)

    def compute() -> dict[str, np.ndarray]:
        images = real() if callable(real) else real
        images, how = real_subset(images, n, seed)
        feats = inc.extract_features(
            images, weights, value_range=value_range, device=device, batch_size=batch_size, progress=progress
        )["2048"]
        mu, sigma = statistics(feats)
        return {"mu": mu, "sigma": sigma, "n": np.array(len(feats)), "subset": np.array(how)}

    arrays, hit, path = cached_arrays(key, compute, cache_dir)
    count = int(arrays["n"])
    return ReferenceStats(
        arrays["mu"],
        arrays["sigma"],
        f"{dataset} {split} ({arrays['subset']}), statistics computed with {key['extractor']}",
        n=count,
        key=key,
        path=path,
        cache_hit=hit,
    )


# ------------------------------------------------------------------------------------------------ FID


def compute_fid(
    generated: inc.Images,
    reference: ReferenceStats,
    weights: inc.InceptionWeights,
    *,
    value_range: tuple[float, float],
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    progress: bool = True,
    total: int | None = None,
    metric: str = "fid",
) -> dict[str, Any]:
    """FID of generated images (tensor or iterable of batches in ``value_range``) against ``reference`` through
    pytorch-fid's InceptionV3 (pool3 2048, its resize). Returns the value with its full protocol."""
    if weights.library != inc.PYTORCH_FID:
        raise GanreproError(f"FID is computed with pytorch-fid's network; got {weights.library} weights")
    if reference.key is not None and reference.key.get("weights_sha256") != weights.sha256:
        raise GanreproError(
            f"reference statistics {reference.path} were computed with weights {reference.key.get('weights_sha256')}"
            f", generated features would use {weights.sha256}: recompute them with the same weights"
        )
    warns = list(weights.warnings) + list(reference.warnings)
    feats = inc.extract_features(
        generated,
        weights,
        value_range=value_range,
        device=device,
        batch_size=batch_size,
        progress=progress,
        total=total,
    )["2048"]
    n, d = feats.shape
    if n < d:
        # same distance, exactly, from an n x n matrix (frechet_distance_features): no 2048-d decomposition
        warns.append(f"{n} generated images < {d} feature dims: covariance is rank-deficient")
        value = frechet_distance_features(feats, reference.mu, reference.sigma, warnings_out=warns)
        how = (
            "Tr sqrt(S1 S2) from the eigenvalues of the n x n matrix A S2 A^T / (n-1), A the centred generated features"
        )
    else:
        value = frechet_distance(*statistics(feats), reference.mu, reference.sigma, warnings_out=warns)
        how = "Tr sqrt(S1 S2) from the eigenvalues of S1^1/2 S2 S1^1/2"
    return {
        "metric": metric,
        "value": value,
        "n_generated": len(feats),
        "n_real": reference.n,
        **reference.record(),
        **inc.protocol(weights, "2048"),
        "frechet": f"pytorch-fid formula; {how} (ganrepro.measure.fid)",
        "value_range": list(value_range),
        "device": str(inc.resolve_device(device)),
        "warnings": warns,
    }


def fid_cross_check(
    generated: torch.Tensor,
    real: torch.Tensor,
    *,
    value_range: tuple[float, float],
    real_value_range: tuple[float, float] | None = None,
    weights: inc.WeightsArg = None,
    scale: str = "smoke",
    device: str | torch.device = "auto",
    progress: bool = True,
    rel_tol: float = REL_TOL,
    abs_tol: float = ABS_TOL,
) -> dict[str, Any]:
    """FID of the same generated and real images through pytorch-fid (its network, resize and sqrtm Fréchet) and
    torch-fidelity (its network, TF1 resize, and its own ``fid_statistics_to_metric``), both values recorded with
    whether they agree within max(abs_tol, rel_tol * max) (see REL_TOL / ABS_TOL for why)."""
    from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_features_to_statistics, fid_statistics_to_metric

    rvr = real_value_range or value_range
    out: dict[str, Any] = {"metric": "fid_cross_check", "n_generated": len(generated), "n_real": len(real)}
    warns: list[str] = []
    values: dict[str, float] = {}
    for lib in inc.LIBRARIES:
        w = inc.resolve_weights(lib, weights, scale=scale)
        warns.extend(w.warnings)
        fg = inc.extract_features(generated, w, value_range=value_range, device=device, progress=progress)["2048"]
        fr = inc.extract_features(real, w, value_range=rvr, device=device, progress=progress)["2048"]
        if lib == inc.PYTORCH_FID:
            values[lib] = frechet_distance(*statistics(fg), *statistics(fr), warnings_out=warns)
        else:
            s1 = fid_features_to_statistics(torch.from_numpy(fg))
            s2 = fid_features_to_statistics(torch.from_numpy(fr))
            values[lib] = float(fid_statistics_to_metric(s1, s2, verbose=False)[KEY_METRIC_FID])
        out[lib] = {"value": values[lib], **inc.protocol(w, "2048")}
    a, b = values[inc.PYTORCH_FID], values[inc.TORCH_FIDELITY]
    tol = max(abs_tol, rel_tol * max(abs(a), abs(b)))
    out.update(
        {
            "abs_diff": abs(a - b),
            "rel_diff": abs(a - b) / max(abs(a), abs(b)) if max(abs(a), abs(b)) > 0 else 0.0,
            "tolerance": f"|a - b| <= max({abs_tol}, {rel_tol} * max(|a|, |b|)) = {tol:.4g}",
            "agree": bool(abs(a - b) <= tol),
            "why_tolerance": "different resize kernels (torch bilinear vs TF1 bilinear) and uint8 vs float input",
            "warnings": warns,
        }
    )
    return out

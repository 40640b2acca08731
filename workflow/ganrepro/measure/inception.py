"""Inception-v3 weights (offline, hash-checked) and feature extraction through pytorch-fid and torch-fidelity.

No Inception network is written here: features come from ``pytorch_fid.inception.InceptionV3`` (FID) or
``torch_fidelity.feature_extractor_inceptionv3.FeatureExtractorInceptionV3`` (IS, KID, FID cross-check).

Weights (docs/references.md §8.2-8.4). Each library has its own file (same torch.hub-style hash prefix, treated as
separate
assets). A file is accepted when its sha256 starts with ``6726825d``: the only published check, a PREFIX only;
the full digest is computed and recorded, and a caller that pinned it (``expected_sha256``) gets a full check.
Only an accepted file gives ``official_weights: true``. With no file: at smoke scale a randomly initialised
network of the same architecture is used (``official_weights: false``); at paper scale it is an error.

Loading without network access:
- pytorch-fid builds its network in ``pytorch_fid.inception.fid_inception_v3``, which calls torch.hub's
  ``load_state_dict_from_url(FID_WEIGHTS_URL)`` through the name ``load_state_dict_from_url`` in the
  ``pytorch_fid.inception`` module and has no path argument. We replace that module attribute, for the duration
  of one ``InceptionV3(...)`` construction and under a lock, with a function that checks the URL and
  ``torch.load``s our verified file; everything else (architecture, FID blocks, resize, normalisation) stays the
  library's. Placing the file in torch.hub's cache folder would also work, but would let the library silently
  download or use an unverified file.
- torch-fidelity's ``FeatureExtractorInceptionV3`` takes ``feature_extractor_weights_path``: we pass our file.
- Random init: one seeded state dict with exactly the parameter names and shapes of both libraries' networks
  (torchvision's Inception3 with 1008 classes and no aux head, which pytorch-fid patches into the FID network
  without changing any parameter), He-normal conv weights so that features keep an O(1) scale in eval mode
  (with PyTorch's default init and BN running stats 0/1 they shrink to ~1e-8, measured). It is written to a file and
  loaded through the same two paths as real weights, so both libraries run the same random network.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ganrepro.core import device as core_device
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_torch_save, sha256_file
from ganrepro.core.progress import progress as progress_bar
from ganrepro.spec import scale as scales
from ganrepro.spec.manifest import load_manifest
from ganrepro.spec.protocols import INCEPTION_ASSET

Images = torch.Tensor | Iterable[torch.Tensor]
WeightsArg = str | Path | Mapping[str, str | Path] | None

PYTORCH_FID = "pytorch-fid"
TORCH_FIDELITY = "torch-fidelity"
LIBRARIES = (PYTORCH_FID, TORCH_FIDELITY)


@dataclass(frozen=True)
class WeightsAsset:
    filename: str
    url: str
    asset: str  # its name in config/assets.yaml (ganrepro prefetch --assets NAME)
    prefix: str  # the published sha256 prefix (the file name's suffix)

    @property
    def prefetch(self) -> str:
        return f"ganrepro prefetch --assets {self.asset} --config allow_download=true"


def _weights_asset(library: str) -> WeightsAsset:
    """The library's weights file as config/assets.yaml lists it (their one home; a test checks the URLs against
    pytorch_fid.inception.FID_WEIGHTS_URL and torch_fidelity's URL_INCEPTION_V3)."""
    a = load_manifest(check_datasets=False)[INCEPTION_ASSET[library]]
    return WeightsAsset(Path(a.path).name, a.url, a.name, a.sha256_prefix or "")


ASSETS: dict[str, WeightsAsset] = {lib: _weights_asset(lib) for lib in (PYTORCH_FID, TORCH_FIDELITY)}

RESIZE = {
    PYTORCH_FID: "bilinear to 299x299, torch.nn.functional.interpolate align_corners=False (pytorch-fid; not TF-exact)",
    TORCH_FIDELITY: "bilinear to 299x299, TF1-compatible (torch-fidelity interpolate_bilinear_2d_like_tensorflow1x)",
}
INPUT = {
    PYTORCH_FID: "float [0,1] Bx3xHxW, normalised 2x-1 inside the library",
    TORCH_FIDELITY: "uint8 Bx3xHxW (round(255 x)), normalised (x-128)/128 inside the library",
}
FEATURES = {
    PYTORCH_FID: {"2048": "InceptionV3 pool3 2048 (pytorch_fid.inception.InceptionV3, FID Inception)"},
    TORCH_FIDELITY: {
        "2048": "InceptionV3 pool3 2048 (torch_fidelity FeatureExtractorInceptionV3 'inception-v3-compat')",
        "logits_unbiased": "InceptionV3 logits_unbiased 1008 (torch_fidelity FeatureExtractorInceptionV3, "
        "pool3 x fc weight, no bias)",
    },
}


def _check_library(library: str) -> None:
    if library not in LIBRARIES:
        raise GanreproError(f"unknown Inception library {library!r}; valid: {', '.join(LIBRARIES)}")


def library_version(library: str) -> str:
    """Installed version of ``pytorch-fid`` / ``torch-fidelity`` (recorded with every value)."""
    _check_library(library)
    return importlib.metadata.version(library)


# ------------------------------------------------------------------------------------------------ weights


def default_weights_dir() -> Path:
    """torch.hub's checkpoint folder ($TORCH_HOME/hub/checkpoints), where docs/references.md §8.3 places both files."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def weights_path_for(library: str, weights: WeightsArg = None) -> Path:
    """The weights file for ``library``: ``weights`` may be None (torch.hub folder), a folder (the library's file
    name inside it), a file, or a mapping library -> file."""
    _check_library(library)
    name = ASSETS[library].filename
    if weights is None:
        return default_weights_dir() / name
    if isinstance(weights, Mapping):
        if library not in weights:
            raise GanreproError(f"no Inception weights file given for {library} (expected a key {library!r})")
        return Path(weights[library])
    p = Path(weights)
    return p / name if p.is_dir() or p.suffix not in (".pth", ".pt") else p


@dataclass(frozen=True)
class InceptionWeights:
    """A verified weights file (or the random stand-in) and what is recorded about it."""

    library: str
    path: Path
    sha256: str
    official: bool
    check: str
    source: str
    warnings: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        return {
            "weights_file": str(self.path),
            "weights_sha256": self.sha256,
            "weights_check": self.check,
            "weights_source": self.source,
            "official_weights": self.official,
        }


def verify_weights(library: str, path: str | Path, expected_sha256: str | None = None) -> InceptionWeights:
    """Hash-check ``path`` (docs/references.md §8.4): sha256 must start with the published prefix, or equal
    ``expected_sha256`` if pinned."""
    _check_library(library)
    asset, path = ASSETS[library], Path(path)
    digest = sha256_file(path)
    if expected_sha256:
        if digest != expected_sha256.lower():
            raise GanreproError(
                f"Inception weights {path}: sha256 {digest} differs from the pinned {expected_sha256} "
                f"(expected {asset.filename} from {asset.url})"
            )
        check = "full sha256 pinned by the caller"
    else:
        if not digest.startswith(asset.prefix):
            raise GanreproError(
                f"Inception weights {path}: sha256 {digest} does not start with the expected prefix {asset.prefix} "
                f"(expected {asset.filename} from {asset.url}; fetch it with `{asset.prefetch}`)"
            )
        check = f"sha256 prefix {asset.prefix} only (no full digest is published; docs/references.md §8.4)"
    return InceptionWeights(library, path, digest, True, check, asset.url)


def random_inception_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A seeded random state dict with the parameter names/shapes of both libraries' FID Inception (see module
    docstring): torchvision Inception3(num_classes=1008, aux_logits=False), He-normal convs, N(0, 1/2048) fc."""
    import torchvision

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False)
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=m.in_features**-0.5)
                nn.init.zeros_(m.bias)
    return net.state_dict()


def random_weights_file(seed: int = 0, folder: str | Path | None = None) -> Path:
    """The random stand-in written once to ``folder`` (default: the temp dir) and reused."""
    folder = Path(folder) if folder else Path(tempfile.gettempdir()) / "ganrepro-inception"
    path = folder / f"random-inception-seed{seed}-torch{torch.__version__.split('+')[0]}.pth"
    if not path.exists():
        atomic_torch_save(path, random_inception_state_dict(seed))
    return path


def resolve_weights(
    library: str,
    weights: WeightsArg = None,
    *,
    scale: str = "smoke",
    expected_sha256: str | None = None,
    random_seed: int = 0,
) -> InceptionWeights:
    """The weights to use for ``library``: a verified file if present; else at smoke scale the random stand-in
    (official_weights false, with a warning); at paper scale a GanreproError naming the file, URL and command."""
    path = weights_path_for(library, weights)
    if path.exists():
        return verify_weights(library, path, expected_sha256)
    asset = ASSETS[library]
    if not scales.allows_stand_ins(scale):
        raise GanreproError(
            f"Inception weights for {library} not found at {path} (scale {scale!r} needs the official file). "
            f"Download {asset.url} to that path, e.g. with `{asset.prefetch}` on a machine with network access "
            "(it places the file under <data_root>/torch_home/hub/checkpoints; pass that folder as the weights)"
        )
    rnd = random_weights_file(random_seed)
    return InceptionWeights(
        library,
        rnd,
        sha256_file(rnd),
        False,
        "none (random initialisation)",
        f"random init, seed {random_seed} (He-normal convs); stand-in for smoke runs, values meaningless",
        (
            f"Inception weights {path} not found: smoke scale uses a RANDOMLY INITIALISED Inception "
            "(official_weights false); values are not comparable to any published number",
        ),
    )


# ------------------------------------------------------------------------------------------------ conversions


def _unit(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    lo, hi = float(value_range[0]), float(value_range[1])
    if hi <= lo:
        raise GanreproError(f"value_range {value_range} must be (low, high) with low < high")
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise GanreproError(f"images must be Bx1xHxW or Bx3xHxW; got shape {tuple(images.shape)}")
    x = ((images.float() - lo) / (hi - lo)).clamp_(0.0, 1.0)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x  # grey -> RGB by repetition (docs/references.md §8.2)


def to_float01(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """GAN output in ``value_range`` -> float Bx3xHxW in [0, 1] (pytorch-fid's input)."""
    return _unit(images, value_range).contiguous()


def to_uint8(images: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """GAN output in ``value_range`` -> uint8 Bx3xHxW (torch-fidelity's input); round half up like
    torchvision's save_image, so the values equal those of a saved PNG."""
    return (_unit(images, value_range) * 255.0 + 0.5).floor_().clamp_(0, 255).to(torch.uint8).contiguous()


# ------------------------------------------------------------------------------------------------ extractors


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    return torch.device(core_device.resolve(device))


_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[str, str, str], nn.Module] = OrderedDict()
_CACHE_SIZE = 4  # each network is ~100 MB; a call needs at most one per library


@contextlib.contextmanager
def _pytorch_fid_loads_from(path: Path) -> Iterator[None]:
    """Make pytorch_fid.inception's torch.hub download read ``path`` instead (see module docstring)."""
    import pytorch_fid.inception as pfi

    def load_local(url: str, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        if url != pfi.FID_WEIGHTS_URL:  # only the FID weights are redirected
            raise GanreproError(f"pytorch-fid asked for {url}; only {pfi.FID_WEIGHTS_URL} is served offline")
        return torch.load(path, map_location="cpu", weights_only=True)

    original = pfi.load_state_dict_from_url
    pfi.load_state_dict_from_url = load_local
    try:
        yield
    finally:
        pfi.load_state_dict_from_url = original


def _build_extractor(weights: InceptionWeights) -> nn.Module:
    if weights.library == PYTORCH_FID:
        from pytorch_fid.inception import InceptionV3

        with _pytorch_fid_loads_from(weights.path):
            return InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    # both features in one pass: logits_unbiased is computed from pool3 anyway
    return FeatureExtractorInceptionV3(
        "inception-v3-compat",
        ["2048", "logits_unbiased"],
        feature_extractor_weights_path=str(weights.path),
        verbose=False,
    )


def load_extractor(weights: InceptionWeights, device: str | torch.device = "auto") -> nn.Module:
    """The library's Inception network with ``weights``, in eval mode on ``device``; built once per
    (library, weights sha256, device) and reused."""
    dev = resolve_device(device)
    key = (weights.library, weights.sha256, str(dev))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        # Building the network initialises layers from torch's global RNG before the weights are loaded. Callers
        # draw generated images from that RNG under the protocol seed, so without fork_rng a value would depend on
        # whether the network (or a reference cache) was already loaded in this process.
        with torch.random.fork_rng(devices=[]):
            net = _build_extractor(weights).eval().requires_grad_(False).to(dev)
        _CACHE[key] = net
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return net


def _batches(images: Images, batch_size: int) -> Iterator[torch.Tensor]:
    if isinstance(images, torch.Tensor):
        for start in range(0, len(images), batch_size):
            yield images[start : start + batch_size]
        return
    for chunk in images:
        for start in range(0, len(chunk), batch_size):
            yield chunk[start : start + batch_size]


@torch.no_grad()
def extract_features(
    images: Images,
    weights: InceptionWeights,
    *,
    value_range: tuple[float, float],
    features: tuple[str, ...] = ("2048",),
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    progress: bool = True,
    total: int | None = None,
) -> dict[str, np.ndarray]:
    """Inception features of ``images`` (a tensor in ``value_range`` or an iterable of such batches) through
    ``weights.library``: {'2048': N x 2048 float64} (and 'logits_unbiased' N x 1008 for torch-fidelity).
    Batch sizes default to each library's own (pytorch-fid 50, torch-fidelity 64)."""
    library = weights.library
    unknown = [f for f in features if f not in FEATURES[library]]
    if unknown:
        raise GanreproError(f"{library} provides features {sorted(FEATURES[library])}; asked for {unknown}")
    net = load_extractor(weights, device)
    dev = next(net.parameters()).device
    batch_size = batch_size or (50 if library == PYTORCH_FID else 64)
    if total is None and isinstance(images, torch.Tensor):
        total = len(images)
    out: dict[str, list[np.ndarray]] = {f: [] for f in features}
    with progress_bar(total=total, desc=f"Inception ({library})", unit="img", enabled=progress) as bar:
        for batch in _batches(images, batch_size):
            if library == PYTORCH_FID:
                pool = net(to_float01(batch, value_range).to(dev))[0]
                got = {"2048": pool.squeeze(3).squeeze(2)}
            else:
                pool, logits = net(to_uint8(batch, value_range).to(dev))
                got = {"2048": pool, "logits_unbiased": logits}
            for f in features:
                out[f].append(got[f].double().cpu().numpy())
            bar.update(len(batch))
    return {f: np.concatenate(v) if v else np.empty((0, 0)) for f, v in out.items()}


def protocol(weights: InceptionWeights, feature: str = "2048") -> dict[str, Any]:
    """What is recorded about the feature extractor next to each value."""
    lib = weights.library
    return {
        "feature_extractor": FEATURES[lib][feature],
        "library": f"{lib} {library_version(lib)}",
        "input": INPUT[lib],
        "resize": RESIZE[lib],
        **weights.record(),
    }


def seeded(seed: int | None, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """Seed torch's global RNGs (CPU, and the CUDA device in use) for the block, restoring them afterwards, so that
    a generator callable draws the same samples for the same protocol seed."""
    if seed is None:
        return contextlib.nullcontext()
    devices = [device.index or 0] if device.type == "cuda" else []

    @contextlib.contextmanager
    def _ctx() -> Iterator[None]:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    return _ctx()


def generated_batches(
    source: Callable[[int], torch.Tensor] | torch.Tensor, n: int, batch_size: int
) -> Iterator[torch.Tensor]:
    """``n`` images from a tensor (its first n) or from a callable ``sample(k) -> images`` called in chunks
    under no_grad (the callable decides G's train/eval mode; docs/references.md §8.2 BN note)."""
    if isinstance(source, torch.Tensor):
        if len(source) < n:
            raise GanreproError(f"the protocol needs {n} generated images; got a tensor of {len(source)}")
        yield from _batches(source[:n], batch_size)
        return
    done = 0
    while done < n:
        k = min(batch_size, n - done)
        with torch.no_grad():
            batch = source(k)
        if len(batch) != k:
            raise GanreproError(f"the sampler returned {len(batch)} images when asked for {k}")
        done += k
        yield batch.detach()

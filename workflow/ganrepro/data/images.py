"""Real image datasets: MNIST, Fashion-MNIST, CIFAR-10, CelebA, LSUN bedrooms (through torchvision.datasets) and
UT-Zappos50K (a folder of images, through torchvision's ImageFolder).

Build path: verify the files (``assets.require``; nothing is downloaded here), then load the decoded split from a
uint8 cache under ``data_root/cache/<dataset>/`` or decode it once: the verified archives are unpacked into a
temporary folder laid out as torchvision expects (source folders stay untouched, so read-only ones work), each
image is preprocessed with PIL exactly once and the whole split is written as one .npy (atomically), which later
runs memory-map. The cache folder is named by the preprocessing kwargs and the files' checksums, so two
preprocessings never share a cache. ``sample`` maps uint8 to ``value_range`` per batch.

Preprocessing (all from the dataset kwargs, hence part of the run's resolved config):
- ``interpolation: bilinear``: WG main.py's transforms.Resize(s) + CenterCrop(s) (PIL bilinear, shorter side to s,
  docs/references.md §1.1); for a non-square [H, W] the image is scaled to cover H x W, then centre-cropped. A source
  already at
  the target size is left untouched (MNIST at 28, CIFAR-10 at 32).
- ``interpolation: nearest_tf1``: BEGAN-tensorflow's tf.image.resize_nearest_neighbor (TF1: align_corners False,
  no half-pixel centres: source index floor(i * in / out)), applied to CelebA's crop box (docs/references.md §4).
- ``channels``: 1 converts to PIL 'L', 3 to 'RGB' (a grey image is repeated).
- ``value_range``: [-1, 1] is WG's Normalize(0.5, 0.5) and BT's x/127.5 - 1; [0, 1] is GP's MNIST range
(docs/references.md §2.2).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_write_json, config_hash, sha256_file
from ganrepro.data import DATASETS, IndexedSampler, uint8_to_range
from ganrepro.data.assets import Verified, default_locations, require, summary

CACHE_FILES = ("images.npy", "labels.npy")  # the decoded cache; their sha256 sit in its meta.json
CACHE_FORMAT = 1  # bump when decoding or preprocessing changes: old caches are then not reused
INTERPOLATIONS = ("bilinear", "nearest_tf1")
BT_CROP = (
    50,
    25,
    128,
    128,
)  # BEGAN-tensorflow data_loader.py: crop_to_bounding_box(50, 25, 128, 128) (docs/references.md §4)


def image_hw(dataset: str, image_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(image_size, int) and not isinstance(image_size, bool) and image_size > 0:
        return image_size, image_size
    if (
        isinstance(image_size, Sequence)
        and not isinstance(image_size, str)
        and len(image_size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_size)
    ):
        return int(image_size[0]), int(image_size[1])
    raise GanreproError(f"dataset {dataset}: image_size={image_size!r} must be a positive int or [H, W]")


def celeba_crop_box(h: int, w: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the CelebA crop for an H x W target.

    Square targets: BT's box (top 50, left 25, 128 x 128). Non-square (TV-WGAN's 64x48, "128x96 scaled to 64x48",
    TV-WGAN paper §5.1): same top edge and height 128, width 128 * W / H, centred on BT's box (the position is our
    assumption; the paper does not give it)."""
    top, left, ch, cw = BT_CROP
    if h == w:
        return BT_CROP
    width = round(ch * w / h)
    return top, left + (cw - width) // 2, ch, width


def resize(img: Image.Image, h: int, w: int, interpolation: str) -> Image.Image:
    if img.size == (w, h):
        return img  # already the target size: WG's Resize + CenterCrop would be the identity
    if interpolation == "nearest_tf1":
        a = np.asarray(img)
        rows = (np.arange(h) * a.shape[0]) // h
        cols = (np.arange(w) * a.shape[1]) // w
        return Image.fromarray(np.ascontiguousarray(a[rows][:, cols]))
    import torchvision.transforms.functional as TF
    from torchvision.transforms import InterpolationMode

    if h == w:
        img = TF.resize(img, h, interpolation=InterpolationMode.BILINEAR)  # transforms.Resize(int): shorter side
    else:
        W0, H0 = img.size
        s = max(h / H0, w / W0)
        img = TF.resize(img, [max(h, round(H0 * s)), max(w, round(W0 * s))], interpolation=InterpolationMode.BILINEAR)
    return TF.center_crop(img, [h, w])


def _to_chw(img: Image.Image, channels: int) -> np.ndarray:
    a = np.asarray(img, dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.shape[2] != channels:
        raise AssertionError(f"image has {a.shape[2]} channels after conversion, expected {channels}")
    return a.transpose(2, 0, 1)


def _gunzip(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(src, "rb") as f, open(dst, "wb") as g:
        shutil.copyfileobj(f, g, 1 << 20)


def _unzip(src: Path, dst: Path) -> None:
    try:
        with zipfile.ZipFile(src) as z:
            z.extractall(dst)
    except zipfile.BadZipFile as e:
        raise GanreproError(f"{src} is not a readable zip archive ({e}) although its checksum passed") from e


class ImageDataset(IndexedSampler):
    """A verified, decoded, cached image split read in shuffled epochs (IndexedSampler) as uint8, scaled per batch."""

    needs_files = True
    name: str = ""
    title: str = ""  # e.g. "MNIST"
    reader: str = ""  # e.g. "torchvision.datasets.MNIST"
    splits: tuple[str, ...] = ("train", "test")
    has_labels: bool = True  # class labels (MNIST digits, CIFAR classes, Zappos categories); CelebA/LSUN: none
    num_classes: int | None = None
    classes: list[str] | None = None
    # what an omitted dataset_config key means; a dataset changes these instead of redefining __init__
    default_image_size: int | list[int] = 32
    default_channels: int = 3
    default_split: str = "train"
    default_interpolation: str = "bilinear"

    def __init__(
        self,
        seed: int,
        image_size: int | list[int] | None = None,
        channels: int | None = None,
        value_range: list[float] | None = None,
        split: str | None = None,
        interpolation: str | None = None,
        data_root: str | Path | None = None,
        sources: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        where = f"dataset {self.name}"
        image_size = self.default_image_size if image_size is None else image_size
        channels = self.default_channels if channels is None else channels
        value_range = [-1.0, 1.0] if value_range is None else value_range
        split = self.default_split if split is None else split
        interpolation = self.default_interpolation if interpolation is None else interpolation
        h, w = image_hw(self.name, image_size)
        if channels not in (1, 3):
            raise GanreproError(f"{where}: channels={channels!r} must be 1 or 3")
        if (
            not isinstance(value_range, Sequence)
            or len(value_range) != 2
            or not float(value_range[0]) < float(value_range[1])
        ):
            raise GanreproError(f"{where}: value_range={value_range!r} must be [low, high] with low < high")
        if split not in self.splits:
            raise GanreproError(f"{where}: split={split!r}; valid values: {', '.join(self.splits)}")
        if interpolation not in INTERPOLATIONS:
            raise GanreproError(f"{where}: interpolation={interpolation!r}; valid values: {', '.join(INTERPOLATIONS)}")
        self.hw, self.channels, self.split, self.interpolation = (h, w), channels, split, interpolation
        self.extra = self.check_extra(extra)
        self.preflight()
        data_root, sources = default_locations(data_root, sources)
        self.data_root = data_root
        # verify before anything else: a missing or bad file stops the run before any training
        self.verified: list[Verified] = require(self.name, data_root, sources)
        images, labels = self._load_or_decode()
        super().__init__(seed, images, labels)
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.provenance = f"real: {self.title} {split} ({self.reader}), {summary(self.verified)}"
        self.provenance_files = [{**v.as_dict(), "checksum": v.describe()} for v in self.verified]

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        """A batch as float in value_range (the cache holds uint8: 4x less memory, exact PIL output)."""
        return uint8_to_range(super().sample(n, keep_partial), self.value_range)

    # -- hooks -----------------------------------------------------------------------------------------------
    def check_extra(self, extra: dict[str, Any]) -> dict[str, Any]:
        if extra:
            raise GanreproError(f"dataset {self.name}: unknown key(s) {', '.join(sorted(extra))}")
        return {}

    def preflight(self) -> None:
        """Checks that need no files (e.g. an optional package)."""

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        """A torchvision dataset over the verified files, unpacked under ``staging``; items are (PIL image, target)."""
        raise NotImplementedError

    def preprocess(self, img: Image.Image) -> Image.Image:
        img = img.convert("L" if self.channels == 1 else "RGB")
        return resize(img, *self.hw, self.interpolation)

    def label(self, target: Any) -> int:
        return int(target) if target is not None else -1

    # -- cache ----------------------------------------------------------------------------------------------
    def cache_key(self) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "dataset": self.name,
            "split": self.split,
            "image_size": list(self.hw),
            "channels": self.channels,
            "interpolation": self.interpolation,
            **self.extra,
            "files": {v.asset: v.digest for v in self.verified},
        }

    def cache_dir(self) -> Path:
        h, w = self.hw
        key = self.cache_key()
        return self.data_root / "cache" / self.name / f"{self.split}-{h}x{w}-c{self.channels}-{config_hash(key)}"

    def _load_or_decode(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        d = self.cache_dir()
        self.cache_path = d
        if (d / "meta.json").exists() and (problem := self._cache_problem(d)):
            bad = d.with_name(f"{d.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(d, bad)
            print(
                f"warning: dataset {self.name}: decoded cache {d} {problem}; moved it to {bad.name} (kept for "
                "inspection) and decoding again from the verified files",
                file=sys.stderr,
            )
        if not ((d / "meta.json").exists() and (d / "images.npy").exists()):
            self._decode(d)
        meta = json.loads((d / "meta.json").read_text())
        # mmap copy-on-write: the OS pages the split in on demand; nothing is ever written back to the cache
        images = torch.from_numpy(np.load(d / "images.npy", mmap_mode="c"))
        if not self.has_labels:
            return images, None
        self.classes = meta.get("classes")
        if self.classes:
            self.num_classes = len(self.classes)
        return images, torch.from_numpy(np.load(d / "labels.npy"))

    def _cache_problem(self, d: Path) -> str | None:
        """Why the decoded cache in `d` cannot be used (None when every file matches the sha256 in its meta.json)."""
        try:
            meta = json.loads((d / "meta.json").read_text())
            recorded = meta["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            return "has an unreadable meta.json or one without checksums (written by an older ganrepro)"
        for f in CACHE_FILES:
            if not (d / f).exists():
                return f"lacks {f}"
            if sha256_file(d / f) != recorded.get(f):
                return f"has a {f} whose sha256 differs from the one recorded when it was decoded (edited or damaged)"
        return None

    def _decode(self, d: Path) -> None:
        from ganrepro.core.progress import progress

        h, w = self.hw
        try:
            d.mkdir(parents=True, exist_ok=True)
            tmp_root = Path(tempfile.mkdtemp(prefix=".decode-", dir=d))
        except OSError as e:
            raise GanreproError(
                f"dataset {self.name}: cannot write the decoded cache under {d} ({e}); data_root must be writable "
                "the first time a dataset/preprocessing is used (the source files themselves are only read)"
            ) from e
        try:
            files = {v.asset: Path(v.path) for v in self.verified}
            ds = self.open_source(files, tmp_root / "src")
            n = len(ds)
            print(f"ganrepro: decoding {self.title} {self.split} ({n} images) once into {d}", file=sys.stderr)
            img_tmp = tmp_root / "images.npy"
            arr = np.lib.format.open_memmap(img_tmp, mode="w+", dtype=np.uint8, shape=(n, self.channels, h, w))
            labels = np.full(n, -1, dtype=np.int64)
            for i in progress(range(n), desc=f"decode {self.name}", unit="img"):
                img, target = ds[i]
                arr[i] = _to_chw(self.preprocess(img), self.channels)
                labels[i] = self.label(target)
            arr.flush()
            del arr
            np.save(tmp_root / "labels.npy", labels)
            # rename into place (same filesystem), meta.json last: a cache is complete when meta.json exists
            os.replace(img_tmp, d / "images.npy")
            os.replace(tmp_root / "labels.npy", d / "labels.npy")
            classes = [str(c) for c in getattr(ds, "classes", [])] if self.has_labels else None
            meta = {
                "key": self.cache_key(),
                "n": n,
                "reader": self.reader,
                "classes": classes,
                # checked at every load: an edited or damaged cache is set aside and decoded again
                "sha256": {f: sha256_file(d / f) for f in CACHE_FILES},
            }
            atomic_write_json(d / "meta.json", meta)
        finally:
            shutil.rmtree(tmp_root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------- datasets
class _MNISTLike(ImageDataset):
    splits = ("train", "test")
    num_classes = 10
    tv_class = ""  # torchvision class name = its folder name under root

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        import torchvision.datasets as tvd

        # torchvision reads the uncompressed IDX files from <root>/<Class>/raw/; gunzip the verified .gz there
        raw = staging / self.tv_class / "raw"
        for p in files.values():
            _gunzip(p, raw / p.name.removesuffix(".gz"))
        return getattr(tvd, self.tv_class)(str(staging), train=self.split == "train", download=False)


@DATASETS.register("mnist")
class MNIST(_MNISTLike):
    name, title, tv_class, reader = "mnist", "MNIST", "MNIST", "torchvision.datasets.MNIST"
    default_image_size = 28
    default_channels = 1


@DATASETS.register("fashion_mnist")
class FashionMNIST(_MNISTLike):
    name, title, tv_class, reader = (
        "fashion_mnist",
        "Fashion-MNIST",
        "FashionMNIST",
        "torchvision.datasets.FashionMNIST",
    )
    default_image_size = 28
    default_channels = 1


@DATASETS.register("cifar10")
class CIFAR10(ImageDataset):
    name, title, reader = "cifar10", "CIFAR-10", "torchvision.datasets.CIFAR10"
    splits = ("train", "test")
    num_classes = 10

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        import tarfile

        import torchvision.datasets as tvd

        with tarfile.open(files["cifar10_python"]) as t:
            t.extractall(staging, filter="data")
        # torchvision re-checks the md5 of every batch file it reads
        return tvd.CIFAR10(str(staging), train=self.split == "train", download=False)


@DATASETS.register("celeba")
class CelebA(ImageDataset):
    """Aligned CelebA (178 x 218): BT crop box, then resize (BT: nearest_tf1). 64x48 for TV-WGAN: see celeba_crop_box.
    Split 'train' is BT's default (--split train over list_eval_partition.txt); no labels."""

    name, title, reader = "celeba", "CelebA", "torchvision.datasets.CelebA"
    splits = ("train", "valid", "test", "all")
    has_labels = False

    default_image_size = 64
    default_interpolation = "nearest_tf1"

    def check_extra(self, extra: dict[str, Any]) -> dict[str, Any]:
        crop = extra.pop("crop", None)
        super().check_extra(extra)
        if crop is None:
            crop = list(celeba_crop_box(*self.hw))
        elif not (isinstance(crop, list) and len(crop) == 4 and all(isinstance(v, int) and v >= 0 for v in crop)):
            raise GanreproError(f"dataset celeba: crop={crop!r} must be null or [top, left, height, width]")
        return {"crop": list(crop)}

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        import torchvision.datasets as tvd

        folder = staging / "celeba"
        folder.mkdir(parents=True)
        _unzip(files["celeba_img_align"], folder)  # -> celeba/img_align_celeba/*.jpg
        for name, p in files.items():
            if name != "celeba_img_align":
                os.symlink(p.resolve(), folder / p.name)
        return tvd.CelebA(str(staging), split=self.split, target_type=[], download=False)

    def preprocess(self, img: Image.Image) -> Image.Image:
        top, left, ch, cw = self.extra["crop"]
        img = img.convert("L" if self.channels == 1 else "RGB").crop((left, top, left + cw, top + ch))
        return resize(img, *self.hw, self.interpolation)


@DATASETS.register("lsun_bedroom")
class LSUNBedroom(ImageDataset):
    """LSUN bedroom_train (WG main.py: Resize(64) + CenterCrop(64)); needs the optional package lmdb."""

    name, title, reader = "lsun_bedroom", "LSUN bedroom", "torchvision.datasets.LSUN"
    splits = ("train",)
    has_labels = False

    default_image_size = 64

    def preflight(self) -> None:
        try:
            import lmdb  # noqa: F401
        except ImportError as e:
            raise GanreproError(
                "dataset lsun_bedroom is read by torchvision.datasets.LSUN, which needs the package lmdb: "
                "pip install lmdb"
            ) from e

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        import torchvision.datasets as tvd

        _unzip(files["lsun_bedroom_train"], staging)  # -> bedroom_train_lmdb/{data,lock}.mdb
        # torchvision's LSUN writes a key cache named after the root into the current folder: keep it in staging
        with contextlib.chdir(staging):
            return tvd.LSUN(str(staging), classes=["bedroom_train"])


@DATASETS.register("zappos50k_shoes")
class Zappos50KShoes(ImageDataset):
    """UT-Zappos50K square images (the Columbia report's shoes), read with torchvision's ImageFolder: labels are the
    top-level
    categories (Boots, Sandals, Shoes, Slippers); ``categories`` keeps only some (null = all 50,025 images)."""

    name, title, reader = "zappos50k_shoes", "UT-Zappos50K", "torchvision.datasets.ImageFolder"
    splits = ("all",)

    default_split = "all"

    def check_extra(self, extra: dict[str, Any]) -> dict[str, Any]:
        cats = extra.pop("categories", None)
        super().check_extra(extra)
        if cats is not None and not (isinstance(cats, list) and cats and all(isinstance(c, str) for c in cats)):
            raise GanreproError(f"dataset zappos50k_shoes: categories={cats!r} must be null or a list of folder names")
        return {"categories": sorted(cats) if cats else None}

    def open_source(self, files: dict[str, Path], staging: Path) -> Any:
        import torchvision.datasets as tvd

        _unzip(files["zappos50k_images_square"], staging)
        root = staging
        while True:  # descend through single wrapper folders (ut-zap50k-images-square/) to the category folders
            subs = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))]
            if len(subs) != 1:
                break
            root = subs[0]
        ds = tvd.ImageFolder(str(root))
        cats = self.extra["categories"]
        if cats:
            unknown = sorted(set(cats) - set(ds.classes))
            if unknown:
                raise GanreproError(
                    f"dataset zappos50k_shoes: unknown categories {unknown}; the archive has {ds.classes}"
                )
            keep = {ds.class_to_idx[c]: i for i, c in enumerate(cats)}
            ds.samples = [(p, keep[t]) for p, t in ds.samples if t in keep]
            ds.targets = [t for _, t in ds.samples]
            ds.classes = list(cats)
        return ds

"""Real-image dataset path on tiny fake archives built here (IDX files, a CIFAR tarball, CelebA and Zappos zips):
torchvision reading, preprocessing, caching, value range, checksums before training."""

import gzip
import hashlib
import io
import json
import pickle
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets as tvd
import torchvision.transforms.functional as TF
import yaml
from ganrepro import data
from ganrepro.core.errors import GanreproError
from ganrepro.data import images as img_mod
from ganrepro.train.engine import train
from PIL import Image

from ..conftest import tiny_grey28_run_config, tiny_run_config

RNG = np.random.default_rng(0)


def _md5(p: Path) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def _idx(arr: np.ndarray) -> bytes:
    magic = 0x0803 if arr.ndim == 3 else 0x0801
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.astype(np.uint8).tobytes()


def _fake_mnist(folder: Path, n_train: int = 40, n_test: int = 12) -> dict[str, np.ndarray]:
    """The four IDX .gz files of a tiny MNIST (smooth random digits so resizing is meaningful)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        base = RNG.integers(0, 256, size=(n, 7, 7)).astype(np.uint8)
        imgs = np.stack([np.asarray(Image.fromarray(b).resize((28, 28), Image.BILINEAR)) for b in base])
        labels = (np.arange(n) % 10).astype(np.uint8)
        (folder / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(imgs), mtime=0))
        (folder / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels), mtime=0))
        arrays[split] = imgs
        arrays[f"{split}_labels"] = labels
    return arrays


def _pin(repo: Path, entries: dict[str, Path]) -> None:
    """Point the copy's manifest entries at files built here (real md5 sums would not match fake data)."""
    p = repo / "config" / "assets.yaml"
    m = yaml.safe_load(p.read_text())
    for name, f in entries.items():
        e = m["assets"][name]
        e.update(size=f.stat().st_size, md5=_md5(f))
        e.pop("content_md5", None)
    p.write_text(yaml.safe_dump(m))


MNIST_ASSETS = {
    "mnist_train_images": "train-images-idx3-ubyte.gz",
    "mnist_train_labels": "train-labels-idx1-ubyte.gz",
    "mnist_test_images": "t10k-images-idx3-ubyte.gz",
    "mnist_test_labels": "t10k-labels-idx1-ubyte.gz",
}


@pytest.fixture
def fake_mnist(repo_copy, tmp_path):
    root = tmp_path / "data"
    arrays = _fake_mnist(root / "MNIST" / "raw")  # torchvision's layout under data_root
    _pin(repo_copy, {a: root / "MNIST" / "raw" / f for a, f in MNIST_ASSETS.items()})
    return root, arrays


def _build(name, root, **kw):
    return data.build(name, seed=0, data_root=root, sources={}, **kw)


def test_mnist_native_size_is_the_raw_data(fake_mnist):
    root, arrays = fake_mnist
    s = _build("mnist", root, image_size=28, channels=1, value_range=[0.0, 1.0], split="train")
    assert s.images.dtype == torch.uint8 and s.images.shape == (40, 1, 28, 28)
    assert np.array_equal(s.images[:, 0].numpy(), arrays["train"])
    assert s.labels.tolist() == arrays["train_labels"].tolist() and s.num_classes == 10
    assert s.provenance == "real: MNIST train (torchvision.datasets.MNIST), md5-verified"
    assert {f["asset"] for f in s.provenance_files} == set(MNIST_ASSETS)
    x = s.sample(16)
    assert x.dtype == torch.float32 and x.min() >= 0 and x.max() <= 1 and x.max() > 0.5
    t = _build("mnist", root, image_size=28, channels=1, value_range=[0.0, 1.0], split="test")
    assert len(t.images) == 12


def test_mnist_resize_matches_wg_transforms_and_value_range(fake_mnist):
    root, arrays = fake_mnist
    s = _build("mnist", root, image_size=32, channels=1, value_range=[-1.0, 1.0], split="train")
    assert s.images.shape == (40, 1, 32, 32)
    # WG main.py: transforms.Resize(32) (PIL bilinear) + CenterCrop(32), then Normalize(0.5, 0.5)
    ref = TF.center_crop(TF.resize(Image.fromarray(arrays["train"][3]), 32), 32)
    assert np.array_equal(s.images[3, 0].numpy(), np.asarray(ref))
    x = s.sample(40)
    assert x.min() >= -1 and x.max() <= 1 and x.min() < -0.5
    idx = s.perm[:40]
    expect = (s.images[idx].float() / 255 - 0.5) / 0.5
    assert torch.allclose(x, expect, atol=1e-6)


def test_cache_is_named_by_preprocessing_and_reused(fake_mnist, monkeypatch):
    root, _ = fake_mnist
    a = _build("mnist", root, image_size=32, channels=1, value_range=[-1.0, 1.0], split="train")
    b = _build("mnist", root, image_size=28, channels=1, value_range=[-1.0, 1.0], split="train")
    c = _build("mnist", root, image_size=32, channels=3, value_range=[-1.0, 1.0], split="train")
    assert len({a.cache_path, b.cache_path, c.cache_path}) == 3
    assert all(p.parent == root / "cache" / "mnist" for p in (a.cache_path, b.cache_path, c.cache_path))
    assert c.images.shape == (40, 3, 32, 32) and torch.equal(c.images[:, 0], c.images[:, 2])  # grey repeated
    meta = json.loads((a.cache_path / "meta.json").read_text())
    assert meta["key"]["image_size"] == [32, 32] and meta["n"] == 40 and len(meta["classes"]) == 10

    def no_decode(self, d):
        raise AssertionError("decoded again although the cache exists")

    monkeypatch.setattr(img_mod.ImageDataset, "_decode", no_decode)
    again = _build("mnist", root, image_size=32, channels=1, value_range=[0.0, 1.0], split="train")
    assert again.cache_path == a.cache_path  # value_range is applied per batch: same uint8 cache
    assert torch.equal(again.images, a.images)
    assert again.sample(8).min() >= 0
    assert not list((root / "cache" / "mnist").glob("*/.decode-*"))  # no staging folder left behind


def test_flat_read_only_style_source_folder_is_not_written(repo_copy, tmp_path):
    src = tmp_path / "debian-style"
    _fake_mnist(src)
    _pin(repo_copy, {a: src / f for a, f in MNIST_ASSETS.items()})
    before = sorted(p.name for p in src.iterdir())
    s = data.build(
        "mnist",
        seed=0,
        image_size=28,
        channels=1,
        value_range=[0.0, 1.0],
        split="train",
        data_root=tmp_path / "root",
        sources={"mnist": str(src)},
    )
    assert sorted(p.name for p in src.iterdir()) == before
    assert all(f["path"].startswith(str(src)) for f in s.provenance_files)
    assert (tmp_path / "root" / "cache" / "mnist").is_dir()


def test_corrupt_file_stops_before_decoding(fake_mnist, monkeypatch):
    root, _ = fake_mnist
    f = root / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-3])
    monkeypatch.setattr(img_mod.ImageDataset, "_decode", lambda self, d: pytest.fail("decoded a bad file"))
    with pytest.raises(GanreproError, match="checksum/size mismatch") as e:
        _build("mnist", root, image_size=28, channels=1, value_range=[0.0, 1.0], split="train")
    assert str(f) in str(e.value)


def test_bad_kwargs_are_named(fake_mnist):
    root, _ = fake_mnist
    for kw, needle in (
        ({"channels": 2}, "channels"),
        ({"split": "val"}, "split='val'"),
        ({"interpolation": "cubic"}, "interpolation"),
        ({"colour": 1}, "unknown key"),
        ({"value_range": [1.0, 0.0]}, "value_range"),
        ({"image_size": 0}, "image_size"),
    ):
        base = {"image_size": 28, "channels": 1, "value_range": [0.0, 1.0], "split": "train"} | kw
        with pytest.raises(GanreproError, match=needle):
            _build("mnist", root, **base)


# ---------------------------------------------------------------------------------------------------- engine
def _mnist_run(**over):
    return tiny_grey28_run_config("mnist", iterations=2, batch_size=8, **over)


def test_engine_trains_on_files_from_data_root_and_records_them(fake_mnist, tmp_path):
    root, _ = fake_mnist
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(_mnist_run()))
    st = train(d, device="cpu", progress=False, threads=1, data_root=root, sources={})
    assert st["status"] == "completed" and st["data"].startswith("real: MNIST train")
    assert {f["asset"] for f in st["data_files"]} == set(MNIST_ASSETS)
    assert all(f["method"] == "md5" for f in st["data_files"])


def test_engine_stops_before_training_when_a_file_is_missing(repo_copy, tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(_mnist_run()))
    with pytest.raises(GanreproError) as e:
        train(d, device="cpu", progress=False, threads=1, data_root=tmp_path / "empty", sources={})
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and str(tmp_path / "empty" / "MNIST" / "raw") in msg
    assert "f68b3c2dcbeaaa9fbdd348bbdeb94873" in msg and "https://ossci-datasets.s3.amazonaws.com/mnist/" in msg
    assert not (d / "ckpt").exists() and not (d / "status.json").exists()


def test_engine_refuses_standin_at_paper_scale(tmp_path):
    cfg = tiny_run_config(dataset={"name": "standin_images", "image_size": 28, "channels": 1, "n": 64}, scale="paper")
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(GanreproError, match="standin_images.*smoke-only"):
        train(d, device="cpu", progress=False, threads=1)


# ---------------------------------------------------------------------------------------------------- preprocessing
def test_celeba_crop_boxes():
    assert img_mod.celeba_crop_box(64, 64) == (50, 25, 128, 128)  # BT data_loader.py
    assert img_mod.celeba_crop_box(64, 48) == (
        50,
        41,
        128,
        96,
    )  # 128x96 -> 64x48 (TV-WGAN paper §5.1), centred


def test_nearest_tf1_takes_floor_of_scaled_index():
    a = np.arange(128 * 96, dtype=np.int64).reshape(128, 96) % 251
    out = np.asarray(img_mod.resize(Image.fromarray(a.astype(np.uint8)), 64, 48, "nearest_tf1"))
    assert np.array_equal(out, a[::2, ::2].astype(np.uint8))  # TF1: src = floor(i * 128 / 64) = 2i


def test_bilinear_non_square_covers_then_centre_crops():
    im = Image.fromarray(RNG.integers(0, 256, size=(218, 178, 3)).astype(np.uint8))
    out = img_mod.resize(im, 64, 48, "bilinear")
    assert out.size == (48, 64)


# ---------------------------------------------------------------------------------------------------- CIFAR-10
def test_cifar10_from_a_tarball(repo_copy, tmp_path, monkeypatch):
    """torchvision re-checks each batch file's md5 (its own constants): point them at the fake batches."""
    build = tmp_path / "build" / "cifar-10-batches-py"
    build.mkdir(parents=True)
    n = 4
    sums = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": RNG.integers(0, 256, size=(n, 3072)).astype(np.uint8), "labels": list(range(n))}
        (build / name).write_bytes(pickle.dumps(batch))
        sums[name] = _md5(build / name)
    (build / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))
    sums["batches.meta"] = _md5(build / "batches.meta")
    root = tmp_path / "data"
    root.mkdir()
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as t:
        t.add(build, arcname="cifar-10-batches-py")
    _pin(repo_copy, {"cifar10_python": root / "cifar-10-python.tar.gz"})
    monkeypatch.setattr(tvd.CIFAR10, "train_list", [[f"data_batch_{i}", sums[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(tvd.CIFAR10, "test_list", [["test_batch", sums["test_batch"]]])
    monkeypatch.setattr(tvd.CIFAR10, "meta", {**tvd.CIFAR10.meta, "md5": sums["batches.meta"]})
    s = _build("cifar10", root, image_size=32, channels=3, value_range=[-1.0, 1.0], split="train")
    assert s.images.shape == (20, 3, 32, 32) and s.num_classes == 10 and s.classes[0] == "c0"
    first = pickle.loads((build / "data_batch_1").read_bytes())["data"][0].reshape(3, 32, 32)
    assert np.array_equal(s.images[0].numpy(), first)
    t = _build("cifar10", root, image_size=32, channels=3, value_range=[-1.0, 1.0], split="test")
    assert len(t.images) == 4


# ---------------------------------------------------------------------------------------------------- CelebA
def _jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def test_celeba_crop_then_nearest_resize(repo_copy, tmp_path, monkeypatch):
    root = tmp_path / "data" / "celeba"
    root.mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, 5)]
    with zipfile.ZipFile(root / "img_align_celeba.zip", "w") as z:
        for nm in names:
            z.writestr(f"img_align_celeba/{nm}", _jpeg(RNG.integers(0, 256, size=(218, 178, 3)).astype(np.uint8)))
    txt = {
        "list_eval_partition.txt": "".join(f"{nm} {0 if i < 3 else 1}\n" for i, nm in enumerate(names)),
        "identity_CelebA.txt": "".join(f"{nm} {i}\n" for i, nm in enumerate(names)),
        "list_bbox_celeba.txt": f"{len(names)}\nimage_id x_1 y_1 width height\n"
        + "".join(f"{nm} 1 2 3 4\n" for nm in names),
        "list_landmarks_align_celeba.txt": f"{len(names)}\n"
        + " ".join(f"p{k}" for k in range(10))
        + "\n"
        + "".join(f"{nm} " + " ".join(["1"] * 10) + "\n" for nm in names),
        "list_attr_celeba.txt": f"{len(names)}\nA B\n" + "".join(f"{nm} 1 -1\n" for nm in names),
    }
    for fn, content in txt.items():
        (root / fn).write_text(content)
    files = {
        "celeba_img_align": "img_align_celeba.zip",
        "celeba_list_attr": "list_attr_celeba.txt",
        "celeba_identity": "identity_CelebA.txt",
        "celeba_list_bbox": "list_bbox_celeba.txt",
        "celeba_list_landmarks_align": "list_landmarks_align_celeba.txt",
        "celeba_list_eval_partition": "list_eval_partition.txt",
    }
    _pin(repo_copy, {a: root / f for a, f in files.items()})
    fl = [(fid, _md5(root / fn) if not fn.endswith(".zip") else md5, fn) for fid, md5, fn in tvd.CelebA.file_list]
    monkeypatch.setattr(tvd.CelebA, "file_list", fl)  # torchvision re-checks the txt files against its constants
    s = _build(
        "celeba",
        tmp_path / "data",
        image_size=[64, 48],
        channels=3,
        value_range=[-1.0, 1.0],
        split="train",
        interpolation="nearest_tf1",
        crop=None,
    )
    assert s.images.shape == (3, 3, 64, 48) and s.labels is None and s.num_classes is None
    with zipfile.ZipFile(root / "img_align_celeba.zip") as z:
        decoded = np.asarray(Image.open(io.BytesIO(z.read(f"img_align_celeba/{names[0]}"))).convert("RGB"))
    expect = decoded[50:178, 41:137][::2, ::2].transpose(2, 0, 1)  # 128x96 box, TF1 nearest to 64x48
    assert np.array_equal(s.images[0].numpy(), expect)
    assert s.provenance.startswith("real: CelebA train")


# ---------------------------------------------------------------------------------------------------- Zappos
def test_zappos_folder_of_images_unpinned_checksum_is_labelled(tmp_path, repo_copy):
    root = tmp_path / "data" / "zappos50k"
    root.mkdir(parents=True)
    with zipfile.ZipFile(root / "ut-zap50k-images-square.zip", "w") as z:
        for cat, k in (("Boots", 2), ("Sandals", 1), ("Shoes", 3)):
            for i in range(k):
                z.writestr(
                    f"ut-zap50k-images-square/{cat}/Brand X/{i}.jpg",
                    _jpeg(RNG.integers(0, 256, size=(136, 136, 3)).astype(np.uint8)),
                )
    s = _build("zappos50k_shoes", tmp_path / "data", image_size=32, channels=3, value_range=[-1.0, 1.0], split="all")
    assert s.images.shape == (6, 3, 32, 32) and s.num_classes == 3 and s.classes == ["Boots", "Sandals", "Shoes"]
    assert sorted(s.labels.tolist()) == [0, 0, 1, 2, 2, 2]
    assert "UNVERIFIED" in s.provenance and s.provenance_files[0]["method"] == "unpinned"
    only = _build(
        "zappos50k_shoes",
        tmp_path / "data",
        image_size=32,
        channels=3,
        value_range=[-1.0, 1.0],
        split="all",
        categories=["Shoes"],
    )
    assert len(only.images) == 3 and only.num_classes == 1 and only.cache_path != s.cache_path


def test_lsun_names_the_missing_package():
    try:
        import lmdb  # noqa: F401
    except ImportError:
        with pytest.raises(GanreproError, match="pip install lmdb"):
            data.build("lsun_bedroom", seed=0, data_root="/nonexistent", sources={})
    else:
        pytest.skip("lmdb is installed: nothing to check here")


def test_an_edited_decoded_cache_is_set_aside_and_decoded_again(fake_mnist, capsys):
    root, _ = fake_mnist
    a = _build("mnist", root, image_size=28, channels=1, value_range=[-1.0, 1.0], split="train")
    good = a.images.clone()
    npy = a.cache_path / "images.npy"
    arr = np.load(npy)
    arr[0] = 0  # a few edited pixels, same size and shape
    np.save(npy, arr)
    again = _build("mnist", root, image_size=28, channels=1, value_range=[-1.0, 1.0], split="train")
    err = capsys.readouterr().err
    assert "images.npy whose sha256 differs" in err and "decoding again" in err
    assert torch.equal(again.images, good)  # the verified files, decoded again: not the edited pixels
    assert len(list(a.cache_path.parent.glob(f"{a.cache_path.name}.corrupt-*"))) == 1
    # control: an untouched cache is used as it is, with no warning
    _build("mnist", root, image_size=28, channels=1, value_range=[-1.0, 1.0], split="train")
    assert "warning" not in capsys.readouterr().err


def test_a_dataset_file_rewritten_in_place_with_its_old_mtime_is_hashed_again(fake_mnist):
    import os

    from ganrepro.data.assets import _stamp_key
    from ganrepro.spec.manifest import load_manifest

    root, _ = fake_mnist
    asset = load_manifest()["mnist_train_images"]
    path = next(root.rglob("train-images-idx3-ubyte.gz"))
    before = _stamp_key(path, asset)
    st = path.stat()
    path.write_bytes(path.read_bytes())  # same bytes, same size, same inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old mtime put back, as cp -p or rsync -t do
    after = _stamp_key(path, asset)
    assert after["mtime_ns"] == before["mtime_ns"] and after["inode"] == before["inode"]
    assert after != before  # ctime moved: the file is hashed again before any training

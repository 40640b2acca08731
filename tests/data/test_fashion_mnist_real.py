"""Real Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, flat, read-only):
checksums, shapes, classes, and a few training iterations through `sources`.

Debian recompresses the four .gz files, so their md5 differs from the one torchvision publishes; their gunzipped
content matches the official files' content md5 (config/assets.yaml content_md5)."""

import json
from pathlib import Path

import pytest
import torch
import torchvision.datasets as tvd
from ganrepro import data
from ganrepro.data import assets
from ganrepro.train.engine import train

from ..conftest import WGANGP_ADAM, tiny_grey28_run_config, tiny_run_config

SRC = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not SRC.is_dir(), reason=f"{SRC} not found (Debian package dataset-fashion-mnist not installed)"
)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fmnist-root")  # the decoded cache goes here, never into SRC


def _build(root, **kw):
    kw = {"image_size": 28, "channels": 1, "value_range": [0.0, 1.0], "split": "train"} | kw
    return data.build("fashion_mnist", seed=0, data_root=root, sources={"fashion_mnist": str(SRC)}, **kw)


def test_checksums_against_torchvision_published_md5s():
    m = assets.load_manifest()
    published = dict(tvd.FashionMNIST.resources)  # filename -> md5 (torchvision)
    fm = assets.assets_for(["fashion_mnist"], m)
    assert sorted(a.filename for a in fm) == sorted(published)
    for a in fm:
        assert a.md5 == published[a.filename]
        path = assets.locate(a, "/nonexistent", {"fashion_mnist": str(SRC)})
        assert path == SRC / a.filename
        v = assets.check(path, a)
        # the official .gz (md5) or a recompressed one with identical content (Debian)
        assert v.method in ("md5", "content-md5")
        assert v.digest == (a.md5 if v.method == "md5" else a.content_md5)


def test_shapes_classes_and_range(data_root):
    before = sorted(p.name for p in SRC.iterdir())
    tr = _build(data_root)
    assert tr.images.shape == (60000, 1, 28, 28) and tr.images.dtype == torch.uint8
    assert tr.num_classes == 10 and tr.classes[0] == "T-shirt/top"
    assert torch.bincount(tr.labels, minlength=10).tolist() == [6000] * 10
    x = tr.sample(64)
    assert x.shape == (64, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    te = _build(data_root, split="test", image_size=32, value_range=[-1.0, 1.0])
    assert te.images.shape == (10000, 1, 32, 32) and torch.bincount(te.labels).tolist() == [1000] * 10
    assert te.sample(16).min() >= -1
    assert tr.provenance.startswith("real: Fashion-MNIST train (torchvision.datasets.FashionMNIST), md5-verified")
    assert all(f["path"].startswith(str(SRC)) for f in tr.provenance_files)
    assert sorted(p.name for p in SRC.iterdir()) == before  # nothing written into the source folder


def test_tiny_wgangp_run_on_real_fashion_mnist(data_root, tmp_path):
    cfg = tiny_grey28_run_config("fashion_mnist", iterations=3, nz=128, method={**WGANGP_ADAM, "critic_iters": 5})
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    st = train(d, device="cpu", progress=False, threads=1, data_root=data_root, sources={"fashion_mnist": str(SRC)})
    assert st["status"] == "completed" and st["iterations_done"] == 3
    assert st["data"].startswith("real: Fashion-MNIST train")
    assert {Path(f["path"]).parent for f in st["data_files"]} == {SRC}
    assert (d / "samples" / "it_0000003.png").exists()


def test_cli_train_with_data_root_and_sources(data_root, tmp_path, capsys):
    from ganrepro.cli import main

    cfg = tiny_grey28_run_config(
        "fashion_mnist",
        iterations=2,
        bn_g=True,
        method=tiny_run_config()["method"] | {"critic_iters": 2, "warmup_critic_iters": 2, "warmup_g_iters": 1},
    )
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    rc = main(
        [
            "train",
            str(d),
            "--device",
            "cpu",
            "--no-progress",
            "--threads",
            "1",
            "--data-root",
            str(data_root),
            "--sources",
            f"fashion_mnist={SRC}",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    status = json.loads((d / "status.json").read_text())
    assert status["data"].startswith("real: Fashion-MNIST") and "data_root" not in json.dumps(cfg)

import gzip
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.measure.lenet import (
    NUM_PARAMS,
    LeNet5,
    evaluate_lenet,
    fd_lenet,
    lenet_features,
    load_lenet,
    prepare,
    save_lenet,
    train_lenet,
)

FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_parameter_count():
    assert sum(p.numel() for p in LeNet5().parameters()) == NUM_PARAMS == 61_706


def test_inputs_are_resized_to_32_bilinearly():
    x = torch.rand(3, 1, 28, 28)
    assert prepare(x).shape == (3, 1, 32, 32) and prepare(x[:, 0]).shape == (3, 1, 32, 32)
    assert LeNet5()(prepare(x)).shape == (3, 10)
    with pytest.raises(GanreproError, match="1-channel"):
        prepare(torch.rand(2, 3, 32, 32))
    with pytest.raises(GanreproError, match="float"):
        prepare(torch.zeros(2, 1, 32, 32, dtype=torch.uint8))


def _toy(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randn(n, 1, 28, 28, generator=g) * 0.3
    x[torch.arange(n), 0, y * 2 + 4, 4:24] = 1.0  # the label as a bright row: learnable in one epoch
    return x.clamp(-1, 1), y


def test_training_is_deterministic_given_the_seed():
    x, y = _toy()
    m1, i1 = train_lenet(x, y, seed=3, epochs=1, batch_size=64)
    m2, _ = train_lenet(x, y, seed=3, epochs=1, batch_size=64)
    m3, _ = train_lenet(x, y, seed=4, epochs=1, batch_size=64)
    for k, v in m1.state_dict().items():
        assert torch.equal(v, m2.state_dict()[k])
    assert not torch.equal(m1.conv1.weight, m3.conv1.weight)
    assert i1["seed"] == 3 and i1["params"] == NUM_PARAMS and i1["value_range"] == [-1.0, 1.0]


def test_save_load_roundtrip(tmp_path):
    x, y = _toy(128)
    model, info = train_lenet(x, y, seed=0, epochs=1, test_images=x, test_labels=y, dataset="toy")
    meta = {
        "dataset": "toy",
        "value_range": info["value_range"],
        "accuracy": info["test_accuracy"],
        "seed": 0,
    }
    save_lenet(tmp_path / "lenet.pt", model, meta)
    loaded, meta2 = load_lenet(tmp_path / "lenet.pt")
    assert meta2 == meta
    assert evaluate_lenet(loaded, x, y) == info["test_accuracy"]
    with pytest.raises(GanreproError, match="accuracy"):
        save_lenet(tmp_path / "x.pt", model, {"dataset": "toy", "value_range": [-1, 1], "seed": 0})


def test_fd_lenet_is_zero_on_identical_sets_and_named_apart_from_fid():
    x, _ = _toy(300)
    model = LeNet5()
    same = fd_lenet(model, x, x)
    assert same["value"] == pytest.approx(0.0, abs=1e-6) and "not FID" in same["feature_extractor"]
    assert lenet_features(model, x[:5]).shape == (5, 84)
    assert fd_lenet(model, x, torch.zeros_like(x))["value"] > 0


def _idx(stem: str, tmp: Path) -> torch.Tensor:
    from torchvision.datasets.mnist import read_image_file, read_label_file

    out = tmp / stem
    out.write_bytes(gzip.decompress((FASHION / f"{stem}.gz").read_bytes()))
    return (read_image_file if "images" in stem else read_label_file)(str(out))


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason=f"{FASHION} missing (Debian package of Fashion-MNIST)")
def test_fashion_mnist_accuracy(tmp_path):
    """Real Fashion-MNIST (IDX files), images in [-1, 1] and resized 28 -> 32: >= 89% test accuracy
    (docs/references.md §6.5)."""

    def to_gan_range(u8):
        return u8.float().div(255).mul(2).sub(1)

    xtr, ytr = (
        to_gan_range(_idx("train-images-idx3-ubyte", tmp_path)),
        _idx("train-labels-idx1-ubyte", tmp_path),
    )
    xte, yte = (
        to_gan_range(_idx("t10k-images-idx3-ubyte", tmp_path)),
        _idx("t10k-labels-idx1-ubyte", tmp_path),
    )
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    t0 = time.perf_counter()
    model, info = train_lenet(xtr, ytr, seed=0, test_images=xte, test_labels=yte, dataset="fashion_mnist")
    print(f"Fashion-MNIST LeNet-5: {info['test_accuracy']:.4f} test accuracy in {time.perf_counter() - t0:.1f} s")
    assert info["test_accuracy"] >= 0.89
    assert np.isfinite(info["final_batch_loss"])

import pytest
import torch
import yaml
from ganrepro.core.errors import GanreproError
from ganrepro.measure import METRICS, build_registry, load_protocols
from ganrepro.measure.lenet import LeNet5, save_lenet

EXPECTED = {
    "fid10k_train",
    "fid50k_train",
    "is50k_10splits",
    "is1k_x10_swgan",
    "kid10k_train",
    "fd_lenet10k",
    "class_stats500",
}


def test_registry_holds_the_configured_protocols():
    assert EXPECTED <= set(METRICS.names())
    p = METRICS.get("is1k_x10_swgan").protocol
    assert (p.n_gen, p.draws, p.splits, p.library) == (1000, 10, 1, "torch-fidelity")
    p = METRICS.get("fid10k_train").protocol
    assert (p.kind, p.n_gen, p.n_real, p.reference, p.library) == (
        "fid",
        10000,
        "all",
        "train",
        "pytorch-fid",
    )
    with pytest.raises(GanreproError, match="unknown metric"):
        METRICS.get("fid7k")


def test_a_new_protocol_is_one_config_entry(tmp_path):
    path = tmp_path / "metrics.yaml"
    path.write_text(
        yaml.safe_dump({"fid2k_test": {"kind": "fid", "n_gen": 2000, "n_real": "all", "reference": "test", "seed": 1}})
    )
    reg = build_registry(path)
    p = reg.get("fid2k_test").protocol
    assert reg.names() == ["fid2k_test"] and p.library == "pytorch-fid" and p.resize == "torch_bilinear_299"


@pytest.mark.parametrize(
    "entry,match",
    [
        (
            {"kind": "fid", "n_gen": 5, "seed": 0, "n_real": "all", "reference": "train", "colour": 1},
            "unknown key",
        ),
        (
            {
                "kind": "fid",
                "n_gen": 5,
                "seed": 0,
                "n_real": "all",
                "reference": "train",
                "library": "torch-fidelity",
            },
            "library",
        ),
        ({"kind": "is", "n_gen": 5, "seed": 0}, "splits"),
        ({"kind": "kid", "n_gen": 5, "seed": 0}, "reference"),
        ({"kind": "psnr", "n_gen": 5, "seed": 0}, "kind"),
    ],
)
def test_bad_entries_are_rejected(tmp_path, entry, match):
    path = tmp_path / "metrics.yaml"
    path.write_text(yaml.safe_dump({"m": entry}))
    with pytest.raises(GanreproError, match=match):
        load_protocols(path)


def _classifier(tmp_path, accuracy=0.99):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LeNet5()
    path = tmp_path / "lenet.pt"
    save_lenet(path, model, {"dataset": "mnist", "value_range": [-1, 1], "accuracy": accuracy, "seed": 0})
    return path


def test_class_stats_metric(tmp_path):
    path = _classifier(tmp_path, accuracy=0.5)

    def sample(k):
        return torch.rand(k, 1, 28, 28) * 2 - 1

    out = METRICS.get("class_stats500")(sample, classifier=path, device="cpu", progress=False)
    assert out["n_generated"] == 500 and sum(out["counts"]) == 500
    assert set(out["value"]) == {"categories", "mean_label", "count_std", "kl_uniform"}
    assert out["weights_file"] == str(path) and out["classifier"]["dataset"] == "mnist"
    assert any("below the 0.98" in w for w in out["warnings"])  # a weak classifier is flagged
    again = METRICS.get("class_stats500")(sample, classifier=path, device="cpu", progress=False)
    assert again["counts"] == out["counts"]  # seeded sampling


def test_fd_lenet_metric(tmp_path):
    path = _classifier(tmp_path)
    real = torch.rand(50, 1, 32, 32) * 2 - 1
    out = METRICS.get("fd_lenet10k")(
        real, dataset="noise", real=real, classifier=path, device="cpu", overrides={"n_gen": 50, "n_real": 50}
    )
    assert out["value"] == pytest.approx(0.0, abs=1e-6) and "not FID" in out["feature_extractor"]
    assert out["n_real"] == 50 and out["reference_split"] == "train" and out["protocol_overrides"]
    with pytest.raises(GanreproError, match="real images"):
        METRICS.get("fd_lenet10k")(real, classifier=path)


def test_lenet_metrics_map_images_into_the_classifier_range():
    import torch
    from ganrepro.measure import _to_range

    x = torch.tensor([0.0, 0.5, 1.0])  # a sigmoid generator's [0, 1]
    assert torch.allclose(_to_range(x, (0.0, 1.0), {"value_range": [-1.0, 1.0]}), torch.tensor([-1.0, 0.0, 1.0]))
    assert _to_range(x, (0.0, 1.0), {"value_range": [0.0, 1.0]}) is x

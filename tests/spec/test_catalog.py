"""The torch-free catalog (names read from config/*.yaml) equals the registries of the code behind the names, and
the scales spec/scale.py knows are the ones the config schema allows."""

from ganrepro.spec import catalog, scale
from ganrepro.spec.config import schema


def test_methods_nets_datasets_equal_the_registries():
    from ganrepro import data
    from ganrepro.train import methods, nets

    assert catalog.methods() == methods.METHODS.names()
    assert catalog.nets() == nets.NETS.names()
    assert catalog.datasets() == data.DATASETS.names()


def test_datasets_with_files_are_the_ones_whose_sampler_reads_files():
    from ganrepro import data

    assert catalog.datasets_with_files() == sorted(n for n in data.DATASETS.names() if data.needs_files(n))


def test_metric_names_equal_the_metric_registry():
    from ganrepro.measure import METRICS

    assert catalog.metrics() == METRICS.names()


def test_negative_control_a_missing_name_is_noticed(monkeypatch):
    from ganrepro.train import methods

    monkeypatch.setattr(catalog, "methods", lambda: sorted(set(methods.METHODS.names()) - {"wgan"}))
    assert catalog.methods() != methods.METHODS.names()


def test_scales_are_the_schema_enum():
    assert list(scale.SCALES) == schema("config")["properties"]["scale"]["enum"]
    assert scale.comparable("paper") and not scale.comparable("smoke")
    assert scale.allows_stand_ins("smoke") and not scale.allows_stand_ins("paper")

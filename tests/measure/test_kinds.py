"""Metric kinds are a registry, one module each under ganrepro/measure/kinds: every kind of the protocol
table (spec.protocols.KIND_FACTS) has one, and a kind without one is an error, not another kind's numbers."""

import dataclasses

import pytest
import torch
from ganrepro.core.errors import GanreproError
from ganrepro.measure import METRICS, Metric
from ganrepro.measure.kinds import KINDS
from ganrepro.spec.protocols import KIND_FACTS


def _assert_kinds_match_table(registered):
    """The registered kinds must be exactly the kinds of the protocol table, both ways."""
    registered = set(registered)
    assert registered == set(KIND_FACTS), (
        f"registered but not in KIND_FACTS: {sorted(registered - set(KIND_FACTS))}; "
        f"in KIND_FACTS but not registered: {sorted(set(KIND_FACTS) - registered)}"
    )


def test_every_kind_of_the_table_is_registered():
    _assert_kinds_match_table(KINDS.names())


@pytest.mark.parametrize("dropped", sorted(KIND_FACTS))
def test_the_kind_check_fails_when_a_kind_is_missing(dropped):
    # negative control: the check above does catch a kind that has no module
    with pytest.raises(AssertionError, match=dropped):
        _assert_kinds_match_table(set(KINDS.names()) - {dropped})


def test_the_kind_check_fails_on_an_extra_kind():
    with pytest.raises(AssertionError, match="psnr"):
        _assert_kinds_match_table({*KINDS.names(), "psnr"})


def test_an_unknown_kind_is_an_error_not_a_fallback(tmp_path):
    # built directly: check_protocol would refuse the kind before any metric ran
    base = METRICS.get("class_stats500").protocol
    proto = dataclasses.replace(base, name="nonsense500", kind="nonsense")
    images = torch.zeros(base.n_gen, 1, 28, 28)
    # a classifier is passed, so the old fallback would have had all it needs to return class statistics
    with pytest.raises(GanreproError, match="unknown metric kind 'nonsense'"):
        Metric(proto)(images, classifier=(object(), {}), device="cpu", progress=False)

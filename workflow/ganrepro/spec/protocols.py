"""Metric protocols: config/metrics.yaml read and validated as data (no torch here).

A protocol names a metric kind and the numbers that define it (images generated, real images, reference split,
seed, ...). What follows from the kind alone (the library that computes it, its feature layer and resize, whether
it needs real images, a LeNet classifier or Inception weights) is written once, in KIND_FACTS below; the code that
computes each kind is one file under ganrepro/measure/kinds/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import load_yaml
from ganrepro.core.paths import repo_root


@dataclass(frozen=True)
class KindFacts:
    library: str  # who computes it: pytorch-fid, torch-fidelity, or ganrepro itself
    feature: str  # the feature layer it reads
    needs_real: bool = False  # compares with real images of a reference split (n_real, reference)
    needs_classifier: bool = False  # reads a LeNet-5 classifier (paper.yaml artifact key `classifier:`)
    value_columns: tuple[str, ...] = ()  # columns of the eval CSV beyond `value` (several numbers per snapshot)


# One row per metric kind. A new kind is one row here plus one file under ganrepro/measure/kinds/.
KIND_FACTS: dict[str, KindFacts] = {
    "fid": KindFacts("pytorch-fid", "pool3_2048", needs_real=True),
    "is": KindFacts("torch-fidelity", "logits_unbiased"),
    "kid": KindFacts("torch-fidelity", "pool3_2048", needs_real=True),
    "fd_lenet": KindFacts("ganrepro", "lenet_fc84", needs_real=True, needs_classifier=True),
    "class_stats": KindFacts(
        "ganrepro",
        "lenet_class",
        needs_classifier=True,
        value_columns=("categories", "mean_label", "count_std", "kl_uniform"),
    ),
}
# Per library: how images are resized for its feature network, and the config/assets.yaml entry of the
# Inception weights it loads (None: no Inception network).
RESIZE_OF_LIBRARY = {
    "pytorch-fid": "torch_bilinear_299",
    "torch-fidelity": "tf1_bilinear_299",
    "ganrepro": "bilinear_32",
}
INCEPTION_ASSET = {"pytorch-fid": "pytorch_fid_inception", "torch-fidelity": "torch_fidelity_inception"}
KINDS = tuple(KIND_FACTS)

# Weight saturation (TV-WGAN Fig. 7, Purdue Fig. 5): a critic weight is "saturated" when |w| >= (1 - SATURATION_BAND)
# times the largest |w| of its tensor (= c once clipping binds). The engine writes this band as each tensor's two
# outermost histogram bins, so the artifact reads the share exactly (no spreading of counts inside a bin).
SATURATION_BAND = 0.01
# results/runs/<run>/eval/<eval_id>.csv, one row per snapshot (ganrepro.measure.evaluate writes it): these columns,
# plus the kind's value_columns after `data`.
EVAL_PROTOCOL_COLUMNS = (
    "n_generated",
    "n_real",
    "reference",
    "feature_extractor",
    "library",
    "weights_sha256",
    "official_weights",
    "splits",
    "draws",
    "scale",
)
EVAL_COLUMNS = (
    "iteration",
    "metric",
    "data",
    "value",
    "std",
    *EVAL_PROTOCOL_COLUMNS,
    "protocol_seed",
    "warnings",
)


@dataclass(frozen=True)
class MetricProtocol:
    """One entry of config/metrics.yaml (keys documented there)."""

    name: str
    kind: str
    library: str
    n_gen: int
    n_real: int | str | None
    reference: str | None
    feature: str
    resize: str
    seed: int
    splits: int | None = None
    draws: int = 1
    num_classes: int | None = None
    source: str = ""

    def record(self) -> dict[str, Any]:
        return asdict(self)


def check_protocol(name: str, entry: Any, where: str) -> MetricProtocol:
    if not isinstance(entry, Mapping):
        raise GanreproError(f"{where}: {name} must be a mapping of protocol keys")
    allowed = set(MetricProtocol.__dataclass_fields__) - {"name"}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise GanreproError(
            f"{where}: {name} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}"
        )
    missing = [k for k in ("kind", "n_gen", "seed") if k not in entry]
    if missing:
        raise GanreproError(f"{where}: {name} lacks {', '.join(missing)}")
    kind = entry["kind"]
    if kind not in KINDS:
        raise GanreproError(f"{where}: {name}.kind {kind!r} is not one of {', '.join(KINDS)}")
    full = {
        "library": KIND_FACTS[kind].library,
        "feature": KIND_FACTS[kind].feature,
        "resize": RESIZE_OF_LIBRARY[KIND_FACTS[kind].library],
        "n_real": None,
        "reference": None,
        **entry,
    }
    # these follow from the metric's kind: a config that says otherwise would be recorded wrongly, so stop
    for k, want in (
        ("library", KIND_FACTS[kind].library),
        ("feature", KIND_FACTS[kind].feature),
        ("resize", RESIZE_OF_LIBRARY[KIND_FACTS[kind].library]),
    ):
        if full[k] != want:
            raise GanreproError(f"{where}: {name}.{k} is {full[k]!r} but a {kind} metric uses {want!r}")
    if kind == "is" and not full.get("splits"):
        raise GanreproError(f"{where}: {name} (IS) needs splits")
    if KIND_FACTS[kind].needs_real and (full["reference"] is None or full["n_real"] is None):
        raise GanreproError(f"{where}: {name} ({kind}) needs reference (a split) and n_real (an integer or all)")
    if kind == "class_stats" and not full.get("num_classes"):
        full["num_classes"] = 10
    n_real = full["n_real"]
    if not (n_real is None or n_real == "all" or (isinstance(n_real, int) and n_real > 1)):
        raise GanreproError(f"{where}: {name}.n_real must be an integer > 1, all, or null; got {n_real!r}")
    return MetricProtocol(name=name, **full)


def metrics_config_path() -> Path:
    """config/metrics.yaml of the repository in use, else of this package's checkout."""
    for root in (repo_root(), Path(__file__).resolve().parents[3]):
        p = root / "config" / "metrics.yaml"
        if p.exists():
            return p
    raise GanreproError(f"config/metrics.yaml not found under {repo_root()}")


def load_protocols(path: str | Path | None = None) -> dict[str, MetricProtocol]:
    path = Path(path) if path else metrics_config_path()
    try:
        with open(path, encoding="utf-8") as f:
            raw = load_yaml(f) or {}
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as e:
        raise GanreproError(f"{path}: not a readable YAML mapping of protocols ({str(e).splitlines()[0]})") from e
    if not isinstance(raw, dict):
        raise GanreproError(f"{path}: expected a mapping of protocol names at the top level")
    return {name: check_protocol(name, entry, str(path)) for name, entry in raw.items()}


@cache
def protocols() -> dict[str, MetricProtocol]:
    """The repository's protocols, read once per process."""
    return load_protocols()


def protocol(name: str, where: str = "config/metrics.yaml") -> MetricProtocol:
    table = protocols()
    if name not in table:
        raise GanreproError(f"{where}: unknown metric {name!r}; valid names: {', '.join(sorted(table))}")
    return table[name]

"""The valid names of methods, nets, datasets, metric protocols and classifiers, read from config/*.yaml.

Planning and validation need only these names, not the code behind them, so they never import torch. Each name
here has a registered implementation (ganrepro.train.methods, ganrepro.train.nets, ganrepro.data,
ganrepro.measure); tests/spec/test_catalog.py asserts that both lists are equal.
"""

from __future__ import annotations

from ganrepro.spec.config import registry_defaults
from ganrepro.spec.manifest import load_manifest
from ganrepro.spec.protocols import protocols


def methods() -> list[str]:
    return sorted(registry_defaults("methods"))


def nets() -> list[str]:
    return sorted(registry_defaults("nets"))


def datasets() -> list[str]:
    return sorted(registry_defaults("datasets"))


def datasets_with_files() -> list[str]:
    """Datasets that read external files (config/assets.yaml lists them); the others are generated in memory."""
    return sorted({d for a in load_manifest(check_datasets=False).values() for d in a.datasets})


def needs_files(dataset: str) -> bool:
    return dataset in datasets_with_files()


def metrics() -> list[str]:
    return sorted(protocols())


def classifiers() -> list[str]:
    return sorted(k for k in registry_defaults("classifiers") if k != "defaults")


def papers() -> list[str]:
    """Every paper folder of the repository: paper_tables/<name>/ holding a paper.yaml."""
    from ganrepro.core.paths import repo_root
    from ganrepro.spec import names

    root = repo_root() / "paper_tables"
    found = sorted(p.name for p in root.iterdir() if (p / "paper.yaml").is_file()) if root.is_dir() else []
    return [names.check("paper", n, f"paper_tables/{n}") for n in found]

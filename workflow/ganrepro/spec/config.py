"""Configuration: config/*.yaml and the schemas, loaded and validated as data (no torch here)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import YamlDataError, deep_merge, load_yaml
from ganrepro.core.paths import repo_root

SCHEMA_DIR = Path(__file__).parent / "schemas"


def _load_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return load_yaml(f)
    except FileNotFoundError as e:
        raise GanreproError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise GanreproError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from e
    except YamlDataError as e:
        raise GanreproError(f"{path}: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise GanreproError(f"{path}: not valid YAML ({at}{what}); fix the syntax there") from e


@cache
def schema(name: str) -> dict[str, Any]:
    return _load_yaml(SCHEMA_DIR / f"{name}.schema.yaml")


def _validate(obj: Any, schema_name: str, where: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        key = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise GanreproError(f"{where}: invalid value at key '{key}': {e.message}")


def _set_defaults(cfg: dict[str, Any]) -> dict[str, Any]:
    out = dict(cfg)
    for k, spec in schema("config")["properties"].items():
        if k not in out and "default" in spec:
            out[k] = spec["default"]
    return out


ENV_CONFIG = "GANREPRO_CONFIG"  # the Snakefile puts the effective config here for the jobs it runs


def run_defaults() -> dict[str, Any]:
    """What a run config holds when neither its paper.yaml nor its preset says: the `default:` values of the run
    keys in schemas/paper.schema.yaml (their one home)."""
    props = schema("paper")["properties"]["runs"]["additionalProperties"]["properties"]
    return {k: v["default"] for k, v in props.items() if "default" in v}


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load config/config.yaml (or `path`), apply $GANREPRO_CONFIG (set by the Snakefile for its jobs: the
    workflow's effective config), then `overrides`, fill defaults and validate against the schema."""
    root = repo_root()
    path = Path(path) if path else root / "config" / "config.yaml"
    cfg = _load_yaml(path) or {}
    if not isinstance(cfg, dict):
        raise GanreproError(f"{path}: expected a mapping of keys to values")
    env = os.environ.get(ENV_CONFIG)
    if env:
        try:
            from_env = json.loads(env)
        except ValueError as e:
            raise GanreproError(
                f"${ENV_CONFIG} is not a JSON object ({e}); unset it or let the Snakefile set it"
            ) from e
        if not isinstance(from_env, dict):
            raise GanreproError(f"${ENV_CONFIG} must be a JSON object of config keys, got {type(from_env).__name__}")
        cfg.update(from_env)
    cfg.update(overrides or {})
    cfg = _set_defaults(cfg)
    _validate(cfg, "config", str(path))
    return cfg


@cache
def registry_defaults(name: str) -> dict[str, Any]:
    """config/{methods,nets,datasets,classifiers,presets}.yaml: the reference defaults, a mapping by name."""
    path = repo_root() / "config" / f"{name}.yaml"
    data = _load_yaml(path) or {}
    if not isinstance(data, dict):
        raise GanreproError(
            f"{path}: expected a mapping of names to settings at the top level, got a {type(data).__name__}"
        )
    return data


RUN_REQUIRED = ("method", "dataset", "G", "D", "batch_size")  # and one of LENGTH_KEYS


def presets_table() -> dict[str, Any]:
    """config/presets.yaml: named run configurations (docs/references.md §10) that paper.yaml runs can start from."""
    return (registry_defaults("presets") or {}).get("presets", {})


LENGTH_KEYS = ("iterations", "epochs")  # a run's length: G iterations, or passes of the critic over the data


def merge_layer(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """deep_merge of a later layer (run over preset, at_scale over run) in which a length given in one unit
    replaces the earlier layer's length in the other (`iterations: 8` at smoke replaces a preset's `epochs: 100`)."""
    if any(k in over for k in LENGTH_KEYS):
        base = {k: v for k, v in base.items() if k not in LENGTH_KEYS}
    return deep_merge(base, over)


def apply_scale(spec: dict[str, Any], scale: str) -> dict[str, Any]:
    """Merge `at_scale[scale]` into a run spec. A scale that swaps the dataset (e.g. the stand-in at smoke
    scale) replaces dataset_config instead of merging it: a dataset's keys belong to that dataset."""
    over = dict((spec.get("at_scale") or {}).get(scale, {}))
    base = {k: v for k, v in spec.items() if k != "at_scale"}
    if "dataset" in over and over["dataset"] != base.get("dataset"):
        base.pop("dataset_config", None)
    return merge_layer(base, over)


def _unknown(where: str, what: str, value: str, valid: list[str]) -> None:
    raise GanreproError(f"{where}: unknown {what} {value!r}; valid names: {', '.join(valid)}")

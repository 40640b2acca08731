"""Configuration: config/*.yaml and the schemas, loaded and validated as data (no torch here)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
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


COMMAND_LINE = "--config"  # the origin of a value given as --config KEY=VALUE (snakemake or ganrepro)


def _cli_text(value: Any) -> str:
    """A value as typed after --config KEY=: Snakemake reads only True/False as booleans (ganrepro reads YAML,
    which accepts those too), and a list without spaces stays one shell word."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_cli_text(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _how_to_fix(key: str, spec: dict[str, Any], on_cli: bool) -> str:
    choices = spec.get("enum") or ([True, False] if spec.get("type") == "boolean" else None)
    examples = choices or ([spec["default"]] if "default" in spec else [])
    if not examples:
        return spec.get("description", "")
    shown = [
        f"{key}={_cli_text(v)}" if on_cli else f"{key}: {v if isinstance(v, str) else json.dumps(v)}" for v in examples
    ]
    tail = " (Snakemake reads only True and False as booleans)" if on_cli and spec.get("type") == "boolean" else ""
    return f"{spec.get('description', key)}: write {' or '.join(shown) if choices else 'e.g. ' + shown[0]}{tail}"


def config_origins(files: Sequence[str | Path], cli_keys: Iterable[str]) -> dict[str, str]:
    """Where each top-level config key got its value: the last of `files` that sets it (later files override
    earlier ones, as Snakemake's --configfile does), or COMMAND_LINE for the keys given with --config."""
    out: dict[str, str] = {}
    for f in files:
        data = _load_yaml(Path(f))
        if isinstance(data, dict):
            out.update(dict.fromkeys(data, str(f)))
    out.update(dict.fromkeys(cli_keys, COMMAND_LINE))
    return out


def check_config(cfg: dict[str, Any], origins: Mapping[str, str], fallback: str) -> dict[str, Any]:
    """`cfg` with the schema's defaults filled in, validated against schemas/config.schema.yaml. A bad value is
    one line naming where it came from (`origins[key]`: a file, or COMMAND_LINE; else `fallback`), the key, and
    how to write it there."""
    cfg = _set_defaults(cfg)
    props = schema("config")["properties"]
    errors = sorted(
        jsonschema.Draft202012Validator(schema("config")).iter_errors(cfg), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return cfg
    e = errors[0]
    unknown = sorted(k for k in cfg if k not in props)
    if unknown:
        key = unknown[0]
        problem, fix = f"unknown key '{key}'", f"valid keys: {', '.join(props)}"
    else:
        key = str(e.absolute_path[0]) if e.absolute_path else ""
        at = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        problem = f"invalid value at key '{at}': {e.message}"
        fix = _how_to_fix(key, props.get(key, {}), origins.get(key) == COMMAND_LINE)
    where = origins.get(key, fallback)
    if where == COMMAND_LINE:
        raise GanreproError(f"--config {key}={_cli_text(cfg[key])} on the command line: {problem}; {fix}")
    raise GanreproError(f"{where}: {problem}; {fix} there" if fix else f"{where}: {problem}")


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load config/config.yaml (or `path`), apply $GANREPRO_CONFIG (set by the Snakefile for its jobs: the
    workflow's effective config), then `overrides` (--config), fill defaults and validate against the schema."""
    root = repo_root()
    path = Path(path) if path else root / "config" / "config.yaml"
    cfg = _load_yaml(path) or {}
    if not isinstance(cfg, dict):
        raise GanreproError(f"{path}: expected a mapping of keys to values")
    origins = dict.fromkeys(cfg, str(path))
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
        origins.update(dict.fromkeys(from_env, f"${ENV_CONFIG} (the Snakefile's effective config)"))
    cfg.update(overrides or {})
    origins.update(dict.fromkeys(overrides or {}, COMMAND_LINE))
    return check_config(cfg, origins, str(path))


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

"""Expand paper folders + config into the concrete plan: runs (one per run spec x seed) and artifacts.

The Snakemake DAG, the CLI and the report all read this one plan, so they always agree. Adding a paper is a
new folder under paper_tables/ with a paper.yaml; nothing here or in the rules changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import GanreproError
from .utils import config_hash, deep_merge, repo_root

SCHEMA_DIR = Path(__file__).parent / "schemas"
RUN_DEFAULTS = {
    "train_generator": True,
    "log_every": 10,
    "threads": 1,
    "accelerator": "gpu",
    "sample_bn_mode": "train",  # SPEC §9 #15: the references always sampled with batch-statistics BN
    "divergence_bound": 1.0e6,  # |loss| above this ends the run as diverged (a result, not a crash)
}


def _load_yaml(path: Path) -> Any:
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except FileNotFoundError as e:
        raise GanreproError(f"{path}: file not found") from e
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


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load config/config.yaml (or `path`), apply overrides, fill defaults and validate against the schema."""
    root = repo_root()
    path = Path(path) if path else root / "config" / "config.yaml"
    cfg = _load_yaml(path) or {}
    if not isinstance(cfg, dict):
        raise GanreproError(f"{path}: expected a mapping of keys to values")
    cfg.update(overrides or {})
    cfg = _set_defaults(cfg)
    _validate(cfg, "config", str(path))
    return cfg


@cache
def registry_defaults(name: str) -> dict[str, Any]:
    """config/{methods,nets,datasets}.yaml: the reference default hyperparameters."""
    return _load_yaml(repo_root() / "config" / f"{name}.yaml") or {}


# ------------------------------------------------------------------------------------------------------
@dataclass
class Run:
    paper: str
    key: str  # the run's name inside its paper.yaml
    seed: int
    config: dict[str, Any]  # fully resolved; its hash names the folder
    run_id: str

    @property
    def dir(self) -> Path:
        return repo_root() / "results" / "runs" / self.run_id


@dataclass
class Evaluation:
    """One metric protocol applied to every snapshot of one run (the `evaluate` rule)."""

    run: Run
    eval_id: str
    metric: str
    overrides: dict[str, Any]
    classifier: str | None  # classifier id (results/classifiers/<id>) for the LeNet-based metrics

    @property
    def csv(self) -> Path:
        return self.run.dir / "eval" / f"{self.eval_id}.csv"


@dataclass
class Artifact:
    paper: str
    name: str
    kind: str
    spec: dict[str, Any]  # resolved for the scale
    runs: dict[str, list[Run]] = field(default_factory=dict)  # run key -> one Run per seed
    evals: list[Evaluation] = field(default_factory=list)  # metrics the artifact needs, per run

    @property
    def out_dir(self) -> Path:
        return repo_root() / "results" / "paper_tables" / self.paper


@dataclass
class Paper:
    name: str
    folder: Path
    spec: dict[str, Any]
    artifacts: dict[str, Artifact] = field(default_factory=dict)


@dataclass
class Plan:
    config: dict[str, Any]
    papers: dict[str, Paper]
    runs: dict[str, Run]  # run_id -> Run
    classifiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # classifier id -> resolved config
    evals: dict[str, Evaluation] = field(default_factory=dict)  # "<run_id>/<eval_id>" -> Evaluation
    prefetch: tuple[list[str], list[str], str] = ([], [], "")  # (datasets, extra assets, marker key) the plan reads

    def artifacts(self) -> list[Artifact]:
        return [a for p in self.papers.values() for a in p.artifacts.values()]

    def artifact(self, paper: str, name: str) -> Artifact:
        try:
            return self.papers[paper].artifacts[name]
        except KeyError as e:
            raise GanreproError(f"no artifact {paper}/{name} in the plan; see `ganrepro plan`") from e


def resolve_run(paper: str, key: str, spec: dict[str, Any], seed: int, scale: str) -> dict[str, Any]:
    from . import data, methods, nets

    where = f"paper_tables/{paper}/paper.yaml: runs.{key}"
    preset = spec.get("preset")
    if preset is not None:
        presets = presets_table()
        if preset not in presets:
            _unknown(where, "preset", preset, sorted(presets))
        spec = deep_merge(presets[preset], {k: v for k, v in spec.items() if k != "preset"})
    spec = apply_scale(spec, scale)
    spec.pop("note", None)
    missing = [k for k in RUN_REQUIRED if k not in spec]
    if missing:
        raise GanreproError(f"{where}: missing key(s) {', '.join(missing)} (give them, or a `preset:` that has them)")
    if spec["method"] not in methods.METHODS:
        _unknown(where, "method", spec["method"], methods.METHODS.names())
    if spec["dataset"] not in data.DATASETS:
        _unknown(where, "dataset", spec["dataset"], data.DATASETS.names())
    for role in ("G", "D"):
        if spec[role]["name"] not in nets.NETS:
            _unknown(where, f"{role}.name", spec[role]["name"], nets.NETS.names())
    m_def, n_def, d_def = (registry_defaults(n) for n in ("methods", "nets", "datasets"))
    cfg = {k: v for k, v in RUN_DEFAULTS.items()}
    cfg.update({k: v for k, v in spec.items() if k not in ("method", "method_config", "dataset", "dataset_config", "G", "D")})
    cfg["method"] = {"name": spec["method"], **deep_merge(m_def.get(spec["method"], {}), spec.get("method_config") or {})}
    cfg["dataset"] = {"name": spec["dataset"], **deep_merge(d_def.get(spec["dataset"], {}), spec.get("dataset_config") or {})}
    for role in ("G", "D"):
        kw = {k: v for k, v in spec[role].items() if k != "name"}
        cfg[role] = {"name": spec[role]["name"], **deep_merge(n_def.get(spec[role]["name"], {}), kw)}
    if preset is not None:
        cfg["preset"] = preset  # traceability: which named configuration the run started from
    cfg.setdefault("snapshot_every", cfg["iterations"])
    cfg.setdefault("checkpoint_every", cfg["iterations"])
    cfg["seed"] = seed
    cfg["scale"] = scale
    return cfg


RUN_REQUIRED = ("method", "dataset", "G", "D", "batch_size", "iterations")


def presets_table() -> dict[str, Any]:
    """config/presets.yaml: named run configurations (SPEC §10) that paper.yaml runs can start from."""
    return (registry_defaults("presets") or {}).get("presets", {})


def apply_scale(spec: dict[str, Any], scale: str) -> dict[str, Any]:
    """Merge `at_scale[scale]` into a run spec. A scale that swaps the dataset (e.g. the stand-in at smoke
    scale) replaces dataset_config instead of merging it: a dataset's keys belong to that dataset."""
    over = dict((spec.get("at_scale") or {}).get(scale, {}))
    base = {k: v for k, v in spec.items() if k != "at_scale"}
    if "dataset" in over and over["dataset"] != base.get("dataset"):
        base.pop("dataset_config", None)
    return deep_merge(base, over)


def _unknown(where: str, what: str, value: str, valid: list[str]) -> None:
    raise GanreproError(f"{where}: unknown {what} {value!r}; valid names: {', '.join(valid)}")


def run_id(cfg: dict[str, Any]) -> str:
    """Readable prefix + hash of the resolved config: identical runs from two papers share one folder."""
    return f"{cfg['method']['name']}-{cfg['dataset']['name']}-s{cfg['seed']}-{cfg['scale']}-{config_hash(cfg)}"


def load_paper(folder: Path) -> dict[str, Any]:
    path = folder / "paper.yaml"
    spec = _load_yaml(path)
    _validate(spec, "paper", str(path))
    if spec["paper"] != folder.name:
        raise GanreproError(f"{path}: 'paper: {spec['paper']}' must equal the folder name '{folder.name}'")
    from .artifacts import KINDS

    for name, art in spec["artifacts"].items():
        for r in art.get("runs", []):
            if r not in spec["runs"]:
                raise GanreproError(
                    f"{path}: artifact '{name}' needs run '{r}', which is not declared under 'runs:' "
                    f"(declared: {', '.join(spec['runs']) or 'none'})"
                )
        if art["kind"] not in KINDS:
            _unknown(f"{path}: artifacts.{name}", "artifact kind", art["kind"], KINDS.names())
    for claim in spec["claims"]:
        if claim["artifact"] not in spec["artifacts"]:
            raise GanreproError(
                f"{path}: claim '{claim['id']}' refers to artifact '{claim['artifact']}', which is not declared"
            )
    return spec


METRIC_KINDS_WITH_CLASSIFIER = {"fd_lenet", "class_stats"}


def metric_kind(name: str, where: str) -> str:
    from .metrics import METRICS

    if name not in METRICS:
        _unknown(where, "metric", name, METRICS.names())
    return METRICS.get(name).protocol.kind


def _plan_inputs_digest(config: dict[str, Any], tables_dir: Path) -> str:
    """Everything a plan is computed from: the config, the paper folders' specs, config/*.yaml, and this
    package's code and schemas. Equal digests give equal plans."""
    import hashlib

    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    h.update(str(tables_dir.resolve()).encode())
    pkg = Path(__file__).parent
    files = [tables_dir / str(p) / "paper.yaml" for p in config.get("papers", [])]
    files += sorted((repo_root() / "config").glob("*.yaml")) + sorted(pkg.rglob("*.py")) + sorted(SCHEMA_DIR.glob("*"))
    for f in files:
        h.update(str(f).encode())
        h.update(f.read_bytes() if f.is_file() else b"<absent>")
    return h.hexdigest()[:20]


def cached_plan(config: dict[str, Any], tables_dir: Path | None = None, cache_dir: Path | None = None) -> Plan:
    """build_plan, memoised on disk by the digest of its inputs.

    Building a plan imports the method, net, dataset and metric registries (torch, POT: seconds). Snakemake
    re-reads the Snakefile in every cluster job, so the main process builds the plan once and every job step
    loads it from .snakemake/ganrepro-plan/ instead. Any change to a paper.yaml, config/*.yaml or the code
    changes the digest, so a stale plan is never used.
    """
    import pickle

    from .utils import atomic_write_bytes

    tables_dir = tables_dir or repo_root() / "paper_tables"
    cache_dir = cache_dir or repo_root() / ".snakemake" / "ganrepro-plan"
    path = cache_dir / f"{_plan_inputs_digest(config, tables_dir)}.pkl"
    if path.exists():
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # unreadable cache entry: rebuild it
            pass
    plan = build_plan(config, tables_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, pickle.dumps(plan))
    except OSError:  # a read-only checkout still plans, only slower
        pass
    return plan


def build_plan(config: dict[str, Any], tables_dir: Path | None = None) -> Plan:
    tables_dir = tables_dir or repo_root() / "paper_tables"
    scale, seeds = config["scale"], list(config["seeds"])
    from .classifiers import classifier_config, classifier_id
    from .evaluate import eval_id

    papers: dict[str, Paper] = {}
    runs: dict[str, Run] = {}
    clfs: dict[str, dict[str, Any]] = {}
    evals: dict[str, Evaluation] = {}
    for name in config["papers"]:
        folder = tables_dir / name
        if not (folder / "paper.yaml").exists():
            available = sorted(p.name for p in tables_dir.iterdir() if (p / "paper.yaml").exists())
            raise GanreproError(
                f"config key 'papers' lists {name!r} but {folder}/paper.yaml does not exist; "
                f"available papers: {', '.join(available)}"
            )
        spec = load_paper(folder)
        paper = Paper(name, folder, spec)
        for aname, aspec in spec["artifacts"].items():
            resolved = deep_merge(aspec, (aspec.get("at_scale") or {}).get(scale, {}))
            resolved.pop("at_scale", None)
            art = Artifact(name, aname, aspec["kind"], resolved)
            for key in resolved.get("runs", []):  # at_scale may narrow the runs (e.g. smoke)
                for seed in seeds:
                    cfg = resolve_run(name, key, spec["runs"][key], seed, scale)
                    rid = run_id(cfg)
                    run = runs.setdefault(rid, Run(name, key, seed, cfg, rid))
                    art.runs.setdefault(key, []).append(run)
            for entry in resolved.get("metrics", []):
                clf = None
                if METRIC_KINDS_WITH_CLASSIFIER & {metric_kind(entry["name"], f"{folder}/paper.yaml: artifacts.{aname}")}:
                    if not resolved.get("classifier"):
                        raise GanreproError(f"{folder}/paper.yaml: artifacts.{aname} uses metric {entry['name']}, "
                                            "which needs `classifier: <dataset>` (an entry of config/classifiers.yaml)")
                    ccfg = classifier_config(resolved["classifier"], scale)
                    clf = classifier_id(ccfg)
                    clfs[clf] = ccfg
                over = entry.get("overrides") or {}
                for rs in art.runs.values():
                    for run in rs:
                        ev = Evaluation(run, eval_id(entry["name"], over), entry["name"], over, clf)
                        evals.setdefault(f"{run.run_id}/{ev.eval_id}", ev)
                        art.evals.append(ev)
            paper.artifacts[aname] = art
        papers[name] = paper
    for ds in config.get("classifiers", []):
        ccfg = classifier_config(ds, scale)
        clfs[classifier_id(ccfg)] = ccfg
    plan = Plan(config, papers, runs, clfs, evals)
    from .data.assets import prefetch_key

    datasets, extra = required_data(plan)
    key = prefetch_key(datasets, config["data_root"], config.get("sources") or {}, extra)
    plan.prefetch = (datasets, extra, key)  # kept in the plan so the Snakefile needs no data import (torch)
    return plan


INCEPTION_ASSET = {"pytorch-fid": "pytorch_fid_inception", "torch-fidelity": "torch_fidelity_inception"}


def required_data(plan: Plan) -> tuple[list[str], list[str]]:
    """(datasets, extra assets) the plan reads: the runs' and classifiers' datasets, and the Inception weights of
    the metrics it evaluates (at smoke scale a missing weights file falls back to random init, so not needed)."""
    from . import data

    names = {r.config["dataset"]["name"] for r in plan.runs.values()} | {c["dataset"] for c in plan.classifiers.values()}
    datasets = sorted(n for n in names if n in data.DATASETS and data.needs_files(n))
    extra: set[str] = set()
    if plan.config["scale"] != "smoke":
        from .metrics import METRICS

        for ev in plan.evals.values():
            lib = METRICS.get(ev.metric).protocol.library
            if lib in INCEPTION_ASSET:
                extra.add(INCEPTION_ASSET[lib])
    return datasets, sorted(extra)


def describe(plan: Plan) -> str:
    lines = [f"scale={plan.config['scale']} seeds={plan.config['seeds']} papers={list(plan.papers)}"]
    for a in plan.artifacts():
        rs = ", ".join(f"{k}x{len(v)}" for k, v in a.runs.items()) or "no runs"
        ms = sorted({e.eval_id for e in a.evals})
        lines.append(f"  {a.paper}/{a.name} [{a.kind}] <- {rs}" + (f"; metrics {', '.join(ms)}" if ms else ""))
    lines.append(f"{len(plan.runs)} distinct runs:")
    lines += [f"  {rid}" for rid in sorted(plan.runs)]
    if plan.classifiers:
        lines.append(f"{len(plan.classifiers)} classifier(s):")
        lines += [f"  {cid}" for cid in sorted(plan.classifiers)]
    return "\n".join(lines)


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)

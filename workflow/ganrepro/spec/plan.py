"""Expand paper folders + config into the concrete plan: runs (one per run spec x seed) and artifacts.

The Snakemake DAG, the CLI and the report all read this one plan, so they always agree. Adding a paper is a
new folder under paper_tables/ with a paper.yaml; nothing here or in the rules changes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import config_hash, deep_merge
from ganrepro.core.paths import fresh_dir, repo_root, run_dir
from ganrepro.spec import catalog, names
from ganrepro.spec import scale as scales
from ganrepro.spec.config import (
    LENGTH_KEYS,
    RUN_REQUIRED,
    _unknown,
    _validate,
    apply_scale,
    merge_layer,
    presets_table,
    registry_defaults,
    run_defaults,
)
from ganrepro.spec.manifest import prefetch_key
from ganrepro.spec.paper import claim_sha256, load_paper
from ganrepro.spec.protocols import INCEPTION_ASSET, KIND_FACTS, protocol
from ganrepro.spec.schedule import EPOCH_ITEMS, g_iterations_for_epochs


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
        return run_dir(self.run_id)


@dataclass
class Evaluation:
    """One metric protocol applied to every snapshot of one run (the `evaluate` rule)."""

    run: Run
    eval_id: str
    metric: str
    overrides: dict[str, Any]
    classifier: str | None  # classifier id (results/classifiers/<id>) for the LeNet-based metrics
    paper: str = ""  # the paper whose artifact asked for it first: that paper's plan alone holds it

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
        return fresh_dir(self.paper)


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
    prefetch: tuple[list[str], list[str], str] = (
        [],
        [],
        "",
    )  # (datasets, extra assets, marker key) the plan reads

    def artifacts(self) -> list[Artifact]:
        return [a for p in self.papers.values() for a in p.artifacts.values()]

    def artifact(self, paper: str, name: str) -> Artifact:
        try:
            return self.papers[paper].artifacts[name]
        except KeyError as e:
            raise GanreproError(f"no artifact {paper}/{name} in the plan; see `ganrepro plan`") from e


def resolve_run(paper: str, key: str, spec: dict[str, Any], seed: int, scale: str) -> dict[str, Any]:
    where = f"paper_tables/{paper}/paper.yaml: runs.{key}"
    preset = spec.get("preset")
    if preset is not None:
        presets = presets_table()
        if preset not in presets:
            _unknown(where, "preset", preset, sorted(presets))
        spec = merge_layer(presets[preset], {k: v for k, v in spec.items() if k != "preset"})
    spec = apply_scale(spec, scale)
    spec.pop("note", None)
    missing = [k for k in RUN_REQUIRED if k not in spec]
    if not any(k in spec for k in LENGTH_KEYS):
        missing.append("iterations (or epochs)")
    if missing:
        raise GanreproError(f"{where}: missing key(s) {', '.join(missing)} (give them, or a `preset:` that has them)")
    if all(k in spec for k in LENGTH_KEYS):
        raise GanreproError(f"{where}: gives both iterations and epochs at scale {scale}; keep one")
    if spec["method"] not in catalog.methods():
        _unknown(where, "method", spec["method"], catalog.methods())
    if spec["dataset"] not in catalog.datasets():
        _unknown(where, "dataset", spec["dataset"], catalog.datasets())
    for role in ("G", "D"):
        if spec[role]["name"] not in catalog.nets():
            _unknown(where, f"{role}.name", spec[role]["name"], catalog.nets())
    m_def, n_def, d_def = (registry_defaults(n) for n in ("methods", "nets", "datasets"))
    cfg = run_defaults()
    cfg.update(
        {k: v for k, v in spec.items() if k not in ("method", "method_config", "dataset", "dataset_config", "G", "D")}
    )
    cfg["method"] = {
        "name": spec["method"],
        **deep_merge(m_def.get(spec["method"], {}), spec.get("method_config") or {}),
    }
    cfg["dataset"] = {
        "name": spec["dataset"],
        **deep_merge(d_def.get(spec["dataset"], {}), spec.get("dataset_config") or {}),
    }
    for role in ("G", "D"):
        kw = {k: v for k, v in spec[role].items() if k != "name"}
        cfg[role] = {"name": spec[role]["name"], **deep_merge(n_def.get(spec[role]["name"], {}), kw)}
    if preset is not None:
        cfg["preset"] = preset  # traceability: which named configuration the run started from
    if "epochs" in cfg:
        _resolve_epochs(cfg, f"{where} (at scale {scale})")
    cfg.setdefault("snapshot_every", cfg["iterations"])
    cfg.setdefault("checkpoint_every", cfg["iterations"])
    cfg["seed"] = seed
    cfg["scale"] = scale
    at = f"{where} (resolved at scale {scale} after its preset, at_scale and the run defaults)"
    _validate(cfg, "run", at)
    _finite(cfg, at)
    return cfg


def _resolve_epochs(cfg: dict[str, Any], where: str) -> None:
    """Turn `epochs` (passes of the critic over the training set) into G iterations under the method's own critic
    schedule and data loop (spec.schedule), so that methods with 1 and with 5 critic steps per G iteration see the
    same data; the count and its derivation stay in the run config as `length`."""
    epochs, ds = cfg.pop("epochs"), cfg["dataset"]["name"]
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise GanreproError(f"{where}: key 'epochs' is {epochs!r}; give a whole number of epochs >= 1")
    if ds not in EPOCH_ITEMS:
        raise GanreproError(f"{where}: key 'epochs' needs a finite dataset; {ds!r} has no epochs, give iterations")
    bs = cfg["batch_size"]
    if isinstance(bs, bool) or not isinstance(bs, int) or bs < 1:
        return  # the run schema names the bad batch_size
    g, batches, nb = g_iterations_for_epochs(epochs, EPOCH_ITEMS[ds], bs, cfg["method"])
    cfg["iterations"] = g
    cfg["length"] = {
        "epochs": epochs,
        "critic_batches": batches,
        "batches_per_epoch": nb,
        "epoch_items": EPOCH_ITEMS[ds],
    }


def _finite(obj: Any, where: str, path: str = "") -> None:
    """Every number in a run config is finite: NaN passes every comparison a schema makes (a NaN divergence bound
    would switch the bound off), so it is checked here."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            _finite(v, where, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _finite(v, where, f"{path}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise GanreproError(f"{where}: key '{path}' is {obj}; give a finite number")


def run_id(cfg: dict[str, Any]) -> str:
    """Readable prefix + hash of the resolved config: identical runs from two papers share one folder."""
    return f"{cfg['method']['name']}-{cfg['dataset']['name']}-s{cfg['seed']}-{cfg['scale']}-{config_hash(cfg)}"


def eval_id(metric: str, overrides: dict[str, Any] | None) -> str:
    """The metric's name, plus a hash when the protocol is overridden (e.g. fewer samples at smoke scale)."""
    return metric if not overrides else f"{metric}-{config_hash(overrides, 6)}"


def classifier_config(dataset: str, scale: str) -> dict[str, Any]:
    """The resolved settings of one LeNet-5 classifier (config/classifiers.yaml defaults + the dataset's entry)."""
    table = registry_defaults("classifiers") or {}
    if dataset not in table or dataset == "defaults":
        raise GanreproError(
            f"config key 'classifiers' names {dataset!r}, which has no entry in config/classifiers.yaml; "
            f"valid names: {', '.join(catalog.classifiers())}"
        )
    cfg = deep_merge(table.get("defaults", {}), table[dataset])
    return {"dataset": dataset, "scale": scale, **cfg}


def classifier_id(cfg: dict[str, Any]) -> str:
    return f"{cfg['arch']}-{cfg['dataset']}-{cfg['scale']}-{config_hash(cfg)}"


def build_plan(config: dict[str, Any], tables_dir: Path | None = None) -> Plan:
    tables_dir = tables_dir or repo_root() / "paper_tables"
    scale, seeds = config["scale"], list(config["seeds"])
    papers: dict[str, Paper] = {}
    runs: dict[str, Run] = {}
    clfs: dict[str, dict[str, Any]] = {}
    evals: dict[str, Evaluation] = {}
    for name in config["papers"]:
        names.check("paper", name, "config key 'papers'")
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
                proto = protocol(entry["name"], f"{folder}/paper.yaml: artifacts.{aname}")
                if KIND_FACTS[proto.kind].needs_classifier:
                    if not resolved.get("classifier"):
                        raise GanreproError(
                            f"{folder}/paper.yaml: artifacts.{aname} uses metric {entry['name']}, "
                            "which needs `classifier: <dataset>` (an entry of config/classifiers.yaml)"
                        )
                    ccfg = classifier_config(resolved["classifier"], scale)
                    clf = classifier_id(ccfg)
                    clfs[clf] = ccfg
                over = entry.get("overrides") or {}
                for rs in art.runs.values():
                    for run in rs:
                        ev = Evaluation(run, eval_id(entry["name"], over), entry["name"], over, clf, name)
                        evals.setdefault(f"{run.run_id}/{ev.eval_id}", ev)
                        art.evals.append(ev)
            paper.artifacts[aname] = art
        papers[name] = paper
    for ds in config.get("classifiers", []):
        ccfg = classifier_config(ds, scale)
        clfs[classifier_id(ccfg)] = ccfg
    plan = Plan(config, papers, runs, clfs, evals)
    datasets, extra = required_data(plan)
    key = prefetch_key(datasets, config["data_root"], config.get("sources") or {}, extra)
    plan.prefetch = (datasets, extra, key)  # kept in the plan so the Snakefile needs no data import (torch)
    return plan


def required_data(plan: Plan) -> tuple[list[str], list[str]]:
    """(datasets, extra assets) the plan reads: the runs' and classifiers' datasets, and the Inception weights of
    the metrics it evaluates (at smoke scale a missing weights file falls back to random init, so not needed)."""
    names = {r.config["dataset"]["name"] for r in plan.runs.values()} | {
        c["dataset"] for c in plan.classifiers.values()
    }
    datasets = sorted(n for n in names if catalog.needs_files(n))
    extra: set[str] = set()
    if not scales.allows_stand_ins(plan.config["scale"]):  # random Inception weights are not allowed
        for ev in plan.evals.values():
            lib = protocol(ev.metric).library
            if lib in INCEPTION_ASSET:
                extra.add(INCEPTION_ASSET[lib])
    return datasets, sorted(extra)


def describe(plan: Plan, progress: dict[str, tuple[str, str]] | None = None) -> str:
    """The plan as text; with `progress` (run id -> (state, one line), `ganrepro plan --status`) each run says
    where it stands, and a last line counts the states."""
    lines = [f"scale={plan.config['scale']} seeds={plan.config['seeds']} papers={list(plan.papers)}"]
    for a in plan.artifacts():
        rs = ", ".join(f"{k}x{len(v)}" for k, v in a.runs.items()) or "no runs"
        ms = sorted({e.eval_id for e in a.evals})
        lines.append(f"  {a.paper}/{a.name} [{a.kind}] <- {rs}" + (f"; metrics {', '.join(ms)}" if ms else ""))
    lines.append(f"{len(plan.runs)} distinct runs:")
    width = max((len(rid) for rid in plan.runs), default=0)
    lines += [f"  {rid:<{width}}  {progress[rid][1]}" if progress else f"  {rid}" for rid in sorted(plan.runs)]
    if progress:
        counts = Counter(state for state, _ in progress.values())
        lines.append("runs: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    if plan.classifiers:
        lines.append(f"{len(plan.classifiers)} classifier(s):")
        lines += [f"  {cid}" for cid in sorted(plan.classifiers)]
    return "\n".join(lines)


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)


def claims_of_run(plan: Plan, run_id: str) -> dict[str, str]:
    """{"<paper>/<claim id>": claim_sha256} of every claim judged on an artifact that uses the run: what
    `ganrepro run-config` records in the run folder when the run is created (claims fixed before results)."""
    out = {}
    for paper in plan.papers.values():
        uses = {
            a.name for a in paper.artifacts.values() for runs in a.runs.values() for r in runs if r.run_id == run_id
        }
        out.update({f"{paper.name}/{c['id']}": claim_sha256(c) for c in paper.spec["claims"] if c["artifact"] in uses})
    return out


def write_run_config(plan: Plan, run_dir: Path) -> None:
    """Write a run folder's resolved config.json, and on creation the claims it will judge (claims_at_start.json).
    Called by the DAG's run_config rule with the plan it already holds (no second plan per run), and by
    `ganrepro run-config`."""
    from ganrepro.core.io import atomic_write_json, atomic_write_text
    from ganrepro.core.paths import CLAIMS_AT_START
    from ganrepro.core.provenance import now_iso

    run_dir = Path(run_dir)
    if run_dir.name not in plan.runs:
        raise GanreproError(f"run {run_dir.name!r} is not in the current plan; see `ganrepro plan`")
    text = dump_json(plan.runs[run_dir.name].config) + "\n"
    target = run_dir / "config.json"
    # a run folder is named by its config's hash: never let a different configuration overwrite it
    if target.exists() and target.read_text() != text:
        raise GanreproError(
            f"{target} holds a different configuration than the plan's run {run_dir.name}; refusing to overwrite "
            "a run folder with another configuration. Move the folder aside (its results may be from an older "
            "ganrepro) and rerun"
        )
    atomic_write_text(target, text)
    # the claims this run will judge, as they stood before any of its results existed: written once, even when
    # config.json is written again (Snakemake deletes a rule's outputs before it reruns the rule)
    if not (run_dir / CLAIMS_AT_START).exists():
        record = {"recorded": now_iso(), "claims": claims_of_run(plan, run_dir.name)}
        atomic_write_json(run_dir / CLAIMS_AT_START, record)

"""Artifact kinds: each turns run outputs into one CSV + one PNG (+ provenance JSON) for a paper's table/figure.

A paper folder names a `kind` per artifact. A kind is one function registered with ``@kind(...)``, which declares
its parameters (a JSON Schema per parameter, with its default) and its output columns. The declarations are what
``ganrepro validate`` checks paper.yaml against (an unknown parameter, or a claim naming a column the artifact does
not have, is an error before any work); ``build`` holds every builder to them. Builders receive the resolved
Artifact (spec with its params filled in + runs per seed) and return the DataFrame and the matplotlib figure;
``build`` writes everything atomically, with provenance.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from ganrepro.core import runfolder
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_group, sha256_file
from ganrepro.core.paths import CLAIMS_AT_START
from ganrepro.core.provenance import git_commit, hardware, now_iso
from ganrepro.core.registry import Registry, import_submodules
from ganrepro.spec import scale as scales

KINDS = Registry("artifact kind")
IDENT = ("run", "method", "seed", "run_id")  # the columns that say which run and seed a row comes from


@dataclasses.dataclass(frozen=True)
class Context:
    """What an artifact's columns may depend on besides its params, known from the plan before any run."""

    metric_kinds: tuple[str, ...] = ()  # the kinds of the metrics the artifact evaluates (config/metrics.yaml)


Columns = Sequence[str] | Callable[[dict[str, Any], Context], Sequence[str]]


@dataclasses.dataclass(frozen=True)
class ArtifactKind:
    name: str
    build: Callable[[Any], tuple[Any, Any, dict[str, Any]]]
    params: dict[str, dict[str, Any]]  # parameter -> JSON Schema (with "default" when it has one)
    required: tuple[str, ...]
    columns: Columns

    def resolve_params(self, given: dict[str, Any] | None, where: str) -> dict[str, Any]:
        """The artifact's params validated against the declaration, with the defaults filled in."""
        given = dict(given or {})
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": list(self.required),
            "properties": self.params,
        }
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(given), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            key = "/".join(str(p) for p in e.path)
            at = f"params.{key}" if key else "params"
            valid = ", ".join(sorted(self.params)) or "none"
            raise GanreproError(f"{where}: {at}: {e.message} (kind {self.name}; its parameters: {valid})")
        return {**{k: v["default"] for k, v in self.params.items() if "default" in v}, **given}

    def output_columns(self, params: dict[str, Any], ctx: Context = Context()) -> list[str]:
        """Every column of the artifact's CSV, `scale` first (build adds it)."""
        cols = self.columns(params, ctx) if callable(self.columns) else self.columns
        return ["scale", *cols]


STAND_IN_BANNER = "STAND-IN DATA (synthetic images, not the paper's dataset)"


def kind(
    name: str,
    *,
    columns: Columns,
    params: dict[str, dict[str, Any]] | None = None,
    required: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a builder as artifact kind `name` with its parameters and output columns."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        KINDS.register(name)(ArtifactKind(name, fn, dict(params or {}), tuple(required), columns))
        return fn

    return deco


def context(art: Any) -> Context:
    from ganrepro.spec.protocols import protocol

    return Context(metric_kinds=tuple(sorted({protocol(e.metric).kind for e in art.evals})))


def resolved(art: Any) -> tuple[ArtifactKind, Any]:
    """(kind, the artifact with its params validated and defaults filled in)."""
    k = KINDS.get(art.kind)
    params = k.resolve_params(art.spec.get("params"), f"paper_tables/{art.paper}/paper.yaml: artifacts.{art.name}")
    spec = {**art.spec, "params": params}
    if dataclasses.is_dataclass(art):
        return k, dataclasses.replace(art, spec=spec)
    import copy  # a stand-in object (tests): same fields, new spec

    art = copy.copy(art)
    art.spec = spec
    return k, art


def columns_of(art: Any) -> list[str]:
    """The declared columns of an artifact of the plan."""
    k, art = resolved(art)
    return k.output_columns(art.spec["params"], context(art))


def run_records(art: Any) -> list[dict[str, Any]]:
    from ganrepro.artifacts.runfiles import status_of  # one reader of status.json (a damaged one is set aside)

    recs = []
    for key, runs in art.runs.items():
        for r in runs:
            st = status_of(r)
            recs.append(
                {
                    "key": key,
                    "run_id": r.run_id,
                    "seed": r.seed,
                    "status": st["status"],
                    "iterations_done": st["iterations_done"],
                    "wall_time_s": st["wall_time_s"],
                    "its_per_s": st["its_per_s"],
                    "device": st["device"],
                    "data": st["data"],
                    "claims_at_start": claims_at_start(r.dir),
                }
            )
    return recs


def claims_at_start(folder: Path) -> dict[str, Any] | None:
    """The run's record of its claims' hashes when it was created (None for runs made before it was recorded)."""
    path = folder / CLAIMS_AT_START
    if not path.exists():
        return None
    return runfolder.read_json(path, "build the artifact again (this run's claims at start are then not recorded)")


def code_sha256(kind_name: str) -> str:
    """sha256 over the source of an artifact kind's module and the shared artifact code (this package's
    __init__ and runfiles, then any other module of this package the kind imports from, e.g. plotting): a
    committed figure whose recorded hash differs was drawn by older code."""
    import hashlib

    h = hashlib.sha256()
    here = Path(__file__).parent
    module = sys.modules[KINDS.get(kind_name).build.__module__]
    shared = {__name__, f"{__name__}.runfiles", module.__name__}
    helpers = sorted(
        {
            getattr(v, "__module__", None) or ""
            for v in vars(module).values()
            if (getattr(v, "__module__", None) or "").startswith(f"{__name__}.")
        }
        - shared
    )
    paths = [here / "__init__.py", here / "runfiles.py", Path(str(module.__file__))]
    for path in paths + [Path(str(sys.modules[m].__file__)) for m in helpers]:
        h.update(path.read_bytes())
    return h.hexdigest()


def build(art: Any, scale: str, seeds: list[int], out_dir: Path | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")  # headless: cluster nodes and CI have no display; before pyplot is imported
    import matplotlib.pyplot as plt  # here, not at the top: validating imports this package for its declarations

    out_dir = Path(out_dir or art.out_dir)
    t0 = time.perf_counter()
    k, art = resolved(art)
    runs = run_records(art)
    df, fig, extra = k.build(art)
    df.insert(0, "scale", scale)  # every row says at which scale it was measured
    declared = k.output_columns(art.spec["params"], context(art))
    undeclared = [c for c in df.columns if c not in declared]
    if undeclared:  # a builder and its declaration disagree: claims would be validated against the wrong list
        raise RuntimeError(f"artifact kind {k.name} produced undeclared column(s) {undeclared}; declare them in @kind")
    for c in declared:  # e.g. no row of a kind that carries it (every run diverged): present, empty
        if c not in df.columns:
            df[c] = float("nan")
    data_labels = sorted({r["data"] for r in runs}) or [extra.pop("data", "analytic")]
    prov = {
        "paper": art.paper,
        "artifact": art.name,
        "kind": art.kind,
        "title": art.spec["title"],
        "scale": scale,
        "comparable": scales.comparable(scale),
        "seeds": seeds if runs else [],
        "data": ", ".join(data_labels),
        "weights": extra.pop("weights", "not used"),
        "runs": runs,
        "params": art.spec["params"],
        "train_wall_time_s": round(sum(r["wall_time_s"] for r in runs), 2),
        "artifact_wall_time_s": round(time.perf_counter() - t0, 2),
        "git_commit": git_commit(),
        "hardware": hardware(load_torch=False),  # toy kinds that ran torch still record threads and GPU
        "date": now_iso(),
        **extra,
    }
    if any(str(d).startswith("stand-in") for d in data_labels):
        # the paper's title names its dataset (e.g. LSUN): a figure of stand-in images must not pass for it
        title = fig.get_suptitle()
        fig.suptitle(f"{STAND_IN_BANNER}\n{title}" if title else STAND_IN_BANNER, fontsize=10, color="firebrick")
    label = f"{art.paper} {art.name} | scale={scale}" + ("" if scales.comparable(scale) else " (NOT COMPARABLE)")
    label += f" | data: {prov['data']} | seeds: {prov['seeds'] or 'n/a'}"
    # Below the figure (the tight bbox grows to hold it), so it never covers x-axis labels.
    fig.text(0.5, -0.01, label, ha="center", va="top", fontsize=7, color="dimgray")
    with atomic_group() as files:  # CSV, PNG and provenance are replaced together or not at all
        staged = {
            "csv": files.to_csv(df, out_dir / f"{art.name}.csv"),
            "png": files.savefig(fig, out_dir / f"{art.name}.png", dpi=110, bbox_inches="tight"),
        }
        # what `ganrepro check` compares a committed figure with: the bytes written, and the code that drew them
        prov["files_sha256"] = {ext: sha256_file(tmp) for ext, tmp in staged.items()}
        prov["code_sha256"] = code_sha256(art.kind)
        files.write_json(out_dir / f"{art.name}.provenance.json", prov)

    plt.close(fig)
    return prov


import_submodules(__name__, __path__)  # one module per kind: importing it registers the kind

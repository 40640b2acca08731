"""Where things are: the repository root and the results/ layout (the only place its paths are spelled)."""

from __future__ import annotations

import os
from pathlib import Path


def _is_root(p: Path) -> bool:
    return (p / "Snakefile").exists() and (p / "paper_tables").is_dir()


def repo_root() -> Path:
    """The repository root: $GANREPRO_ROOT, else the cwd or its nearest parent holding a Snakefile and
    paper_tables/ (so a second checkout or a test copy uses its own files), else this package's checkout."""
    env = os.environ.get("GANREPRO_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd().resolve()
    for parent in [cwd, *cwd.parents]:
        if _is_root(parent):
            return parent
    for parent in Path(__file__).resolve().parents:
        if _is_root(parent):
            return parent
    return cwd


# The results/ layout. Snakemake rules use these templates as they are ({run}, {paper}, ... are its wildcards);
# Python code uses the functions below. Nothing else spells these paths.
RESULTS = "results"
# in a run folder, written with its config.json and never rewritten (no rule output: it never triggers a rerun)
CLAIMS_AT_START = "claims_at_start.json"
RUN = "results/runs/{run}"
RUN_CONFIG = RUN + "/config.json"
RUN_STATUS = RUN + "/status.json"
EVAL_CSV = RUN + "/eval/{eval}.csv"
ARTIFACT = "results/paper_tables/{paper}/{artifact}"  # + .csv, .png, .provenance.json
CLASSIFIER = "results/classifiers/{clf}"
CLASSIFIER_INFO = CLASSIFIER + "/info.json"  # written last, only when the classifier meets its target
CLASSIFIER_MODEL = CLASSIFIER + "/model.pt"
REPORT_DIR = "results/report"
REPORT_HTML = REPORT_DIR + "/index.html"
REPORT_CLAIMS = REPORT_DIR + "/claims.csv"
PREFETCH_MARKER = "results/prefetch/{hash}.ok"
BENCH_DIR = "results/bench"
BENCH_CSV = BENCH_DIR + "/{what}.csv"
METRIC_CACHE = "results/cache/metrics"
LOG = "results/logs/{name}.log"
COMMITTED = "paper_tables/{paper}/reproduced"  # paper-scale results kept in git (`ganrepro keep`)


def at_root(template: str, **names: str) -> Path:
    return repo_root() / template.format(**names)


def run_dir(run_id: str) -> Path:
    return at_root(RUN, run=run_id)


def fresh_dir(paper: str) -> Path:
    """Where the DAG writes a paper's artifacts."""
    return at_root(ARTIFACT, paper=paper, artifact="x").parent


def committed_dir(paper: str) -> Path:
    return at_root(COMMITTED, paper=paper)


def classifier_dir(clf: str) -> Path:
    return at_root(CLASSIFIER, clf=clf)


def paper_dir(paper: str) -> Path:
    return repo_root() / "paper_tables" / paper

"""`ganrepro` command line. Snakemake rules call these subcommands; they work by hand too."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError, Preempted
from ganrepro.core.provenance import git_commit

EPILOG = """examples:
  ganrepro plan                              list the runs and artifacts the config asks for
  ganrepro plan --config scale=paper         the same at paper scale
  ganrepro train results/runs/<run_id>       train (or resume) one run
  ganrepro artifact wgan fig2                rebuild one artifact from finished runs
  ganrepro report                            write results/report/index.html
  ganrepro keep wgan                         copy paper-scale artifacts into paper_tables/wgan/reproduced/
  ganrepro keep-runs wgan --config scale=paper     keep finished paper-scale runs (seeds add up over machines)
  ganrepro restore-runs wgan --config scale=paper  put kept runs back into results/runs/ before snakemake
  ganrepro check --committed-only            judge the claims on the committed results (exit 1 if any fails)
  ganrepro prefetch --config allow_download=true   download + verify the datasets the plan needs (login node)
The whole pipeline is normally driven by `snakemake --cores N` from the repository root."""


def _overrides(items: list[str]) -> dict:
    from ganrepro.core.io import load_yaml

    out = {}
    for item in items or []:
        if "=" not in item:
            raise GanreproError(f"--config expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = load_yaml(v)
    return out


def _plan(args: argparse.Namespace, paper: str | None = None):
    """(config, plan); with `paper` (one of the configured papers) the plan of that paper alone, which is the same
    for its artifacts and runs: an artifact job then reads one paper.yaml, not all of them."""
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    cfg = load_config(args.configfile, _overrides(args.config))
    if paper is not None and paper in cfg["papers"]:
        return cfg, build_plan({**cfg, "papers": [paper]})
    return cfg, build_plan(cfg)  # torch-free: the DAG's jobs call this many times


def cmd_plan(args: argparse.Namespace) -> None:
    from ganrepro.core.paths import LOG, at_root
    from ganrepro.core.runfolder import progress_of
    from ganrepro.spec.plan import describe

    _, plan = _plan(args)
    progress = (
        {
            rid: progress_of(r.dir, r.config["iterations"], at_root(LOG, name=f"train/{rid}"))
            for rid, r in plan.runs.items()
        }
        if args.status
        else None
    )
    if progress:  # a run not started here may be kept in git from another machine (`ganrepro keep-runs`)
        from ganrepro.verdicts.keep_runs import kept_runs_dir

        for rid, r in plan.runs.items():
            if progress[rid][0] == "not started" and (kept_runs_dir(r.paper) / rid).is_dir():
                progress[rid] = ("kept", f"not here; kept in git: `ganrepro restore-runs {r.paper}` puts it back")
    print(describe(plan, progress))


def cmd_write_run_config(args: argparse.Namespace) -> None:
    from ganrepro.spec.plan import write_run_config

    _, plan = _plan(args)
    write_run_config(plan, Path(args.run_dir))


def _sources(items: list[str] | None) -> dict[str, str] | None:
    """--sources as a JSON object or KEY=PATH items (dataset name -> folder); None when not given."""
    import json

    if items is None:
        return None
    out: dict[str, str] = {}
    for item in items:
        if item.lstrip().startswith("{"):
            try:
                obj = json.loads(item)
            except ValueError as e:
                raise GanreproError(f"--sources: not valid JSON ({e}): {item!r}") from e
            if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
                raise GanreproError(f"--sources expects a JSON object of dataset -> folder, got {item!r}")
            out.update(obj)
        elif "=" in item:
            k, v = item.split("=", 1)
            out[k] = v
        else:
            raise GanreproError(f"--sources expects DATASET=FOLDER items or a JSON object, got {item!r}")
    return out


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _progress(args: argparse.Namespace, cfg: dict) -> bool:
    # -q takes the progress-bar path, which ganrepro.core.progress keeps silent: without a bar, training would
    # print a line per checkpoint instead
    return args.quiet or (not args.no_progress and bool(cfg.get("progress", True)))


def cmd_train(args: argparse.Namespace) -> None:
    from ganrepro.data.assets import resolve_data_root
    from ganrepro.spec.config import load_config
    from ganrepro.train.engine import train

    cfg = load_config()  # device, data_root, sources, progress: where and how to run, not what the run is
    data_root = args.data_root if args.data_root is not None else resolve_data_root(cfg["data_root"])
    sources = _sources(args.sources)
    st = train(
        args.run_dir,
        device=args.device or cfg["device"],
        progress=_progress(args, cfg),
        threads=args.threads,
        data_root=data_root,
        sources=sources if sources is not None else cfg["sources"],
    )
    print(
        f"{args.run_dir}: {st['status']} after {st['iterations_done']} iterations "
        f"({st['wall_time_s']:.1f} s, {st['its_per_s']} it/s)"
    )


def cmd_classifier(args: argparse.Namespace) -> None:
    from ganrepro.data.assets import resolve_data_root
    from ganrepro.measure.classifiers import train_classifier

    cfg, plan = _plan(args)
    out = Path(args.out_dir)
    if out.name not in plan.classifiers:
        raise GanreproError(
            f"classifier {out.name!r} is not in the current plan ({', '.join(plan.classifiers) or 'none'}); "
            "see `ganrepro plan` and config key 'classifiers'"
        )
    c = plan.classifiers[out.name]
    r = train_classifier(
        out,
        c["dataset"],
        c["scale"],
        resolve_data_root(cfg["data_root"]),
        cfg.get("sources") or {},
        device=args.device or cfg["device"],
        progress=_progress(args, cfg),
    )
    print(f"{out.name}: test accuracy {r['test_accuracy']:.4f} (target {r['target']}); data: {r['data']}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from ganrepro.core import paths
    from ganrepro.data.assets import resolve_data_root
    from ganrepro.measure.evaluate import evaluate_run

    cfg, plan = _plan(args, paper=args.paper)
    run_dir = Path(args.run_dir)
    key = f"{run_dir.name}/{args.eval_id}"
    if key not in plan.evals:
        raise GanreproError(
            f"evaluation {key!r} is not in the current plan; see `ganrepro plan` (metrics per artifact)"
        )
    ev = plan.evals[key]
    clf = paths.classifier_dir(ev.classifier) / "model.pt" if ev.classifier else None
    df = evaluate_run(
        run_dir,
        ev.metric,
        ev.overrides,
        classifier=clf,
        data_root=resolve_data_root(cfg["data_root"]),
        sources=cfg.get("sources") or {},
        device=args.device or cfg["device"],
        progress=_progress(args, cfg),
        cache_dir=paths.at_root(paths.METRIC_CACHE),
    )
    print(f"{key}: {len(df)} snapshots scored")


def cmd_artifact(args: argparse.Namespace) -> None:
    from ganrepro.artifacts import build
    from ganrepro.core import paths
    from ganrepro.spec import names

    names.check("paper", args.paper, "ganrepro artifact")
    names.check("artifact", args.artifact, "ganrepro artifact")
    cfg, plan = _plan(args, paper=args.paper)
    prov = build(plan.artifact(args.paper, args.artifact), cfg["scale"], cfg["seeds"])
    print(f"wrote {paths.fresh_dir(args.paper) / args.artifact}.{{csv,png,provenance.json}} (scale={prov['scale']})")


def cmd_report(args: argparse.Namespace) -> None:
    from ganrepro.verdicts.report import write_report

    cfg, plan = _plan(args)
    path = write_report(plan)
    print(f"wrote {path}")


def cmd_keep(args: argparse.Namespace) -> None:
    from ganrepro.verdicts.check import recorded_verdicts, verdict_changes
    from ganrepro.verdicts.keep import keep

    before = recorded_verdicts(args.paper)
    for p in keep(args.paper, force=args.force, only=args.artifacts):
        print(f"kept {p}")
    _print_changes(verdict_changes(args.paper, before))


def cmd_keep_runs(args: argparse.Namespace) -> None:
    from ganrepro.verdicts.keep_runs import keep_runs, kept_runs_dir

    _, plan = _plan(args, args.paper)
    kept, waiting = keep_runs(plan, args.paper)
    print(f"kept {len(kept)} finished run(s) in {kept_runs_dir(args.paper)}")
    for line in kept:
        print(f"  {line}")
    for line in waiting:
        print(f"  not kept: {line}")


def cmd_restore_runs(args: argparse.Namespace) -> None:
    from ganrepro.verdicts.keep_runs import restore_runs

    _, plan = _plan(args, args.paper)
    restored, left = restore_runs(plan, args.paper)
    print(f"restored {len(restored)} kept run(s) into results/runs/")
    for rid in restored:
        print(f"  {rid}")
    for line in left:
        print(f"  left: {line}")


def cmd_rejudge(args: argparse.Namespace) -> None:
    from ganrepro.verdicts.check import recorded_verdicts, rejudge, verdict_changes

    before = recorded_verdicts(args.paper)
    print(f"recorded {rejudge(args.paper)}")
    _print_changes(verdict_changes(args.paper, before))


def _print_changes(changes: list[str]) -> None:
    print("verdicts changed:" if changes else "no verdict changed")
    for line in changes:
        print(f"  {line}")


def cmd_check(args: argparse.Namespace) -> None:
    from ganrepro.spec import catalog
    from ganrepro.spec.config import load_config
    from ganrepro.verdicts.check import check

    load_config(args.configfile, _overrides(args.config))  # a broken config is an error here too
    papers = args.paper or catalog.papers()  # CI's `ganrepro check` covers every paper folder
    code, lines = check(papers, committed_only=args.committed_only)
    print("\n".join(lines))
    if code:
        raise SystemExit(code)


def cmd_prefetch(args: argparse.Namespace) -> None:
    from ganrepro.data import assets

    cfg, plan = _plan(args)
    from ganrepro.spec.plan import required_data

    needed, needed_assets = required_data(plan)
    datasets = args.datasets if args.datasets is not None else needed
    manifest = assets.load_manifest()
    extra = list(manifest) if args.all else sorted(set(args.assets or []) | set(needed_assets))
    data_root, sources = assets.resolve_data_root(cfg["data_root"]), cfg["sources"]
    rows, ok = assets.prefetch(
        datasets,
        data_root,
        sources,
        allow_download=cfg["allow_download"],
        extra_assets=extra,
        progress=cfg.get("progress", True),
    )
    print(f"datasets: {', '.join(datasets) or 'none'}; data_root: {data_root}; allow_download: {cfg['allow_download']}")
    print(assets.format_table(rows, verbose=args.verbose))
    if args.pin:
        lines = assets.pin_lines(ok, manifest)
        print("\nfull sha256 digests to pin in config/assets.yaml:" if lines else "\nnothing to pin")
        print("\n".join(f"  {line}" for line in lines))
    offline = [r["asset"] for r in rows if r["status"] == "missing" and not cfg["allow_download"]]
    # a failed check, or a failed download, says why in the first line of its detail
    failed = [r for r in rows if r["status"] in ("missing", "FAILED") and r["asset"] not in offline]
    if offline or failed:
        # the table above says where each file goes and its size: one line here, the full detail with --verbose
        why = [f"{len(offline)} missing ({', '.join(offline)}) and allow_download is false"] if offline else []
        why += [f"{r['asset']} {r['status']}: {r['detail'].splitlines()[0]}" for r in failed]
        fix = (
            "on a machine with internet rerun with --config allow_download=true (and the same other --config), put "
            "the files where the table says, or point config key 'sources' at folders holding them"
            if offline
            else "replace the file(s) or download them again"
        )
        raise GanreproError(f"{'; '.join(why)}; {fix} (`ganrepro prefetch --verbose` shows URLs and checksums)")
    if args.marker:
        assets.write_marker(args.marker, ok)
        print(f"wrote {args.marker}")


def cmd_validate(args: argparse.Namespace) -> None:
    from ganrepro.spec import catalog
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan
    from ganrepro.verdicts.validate import validate_plan

    over = _overrides(args.config)
    # every paper folder unless papers are named: a typo in a paper the default config does not build must fail too
    papers = args.paper or over.get("papers") or catalog.papers()
    cfg = load_config(args.configfile, {**over, "papers": papers})
    n = 0
    for scale in ("smoke", "paper"):  # a typo in a paper-scale-only setting must not wait for the cluster
        plan = build_plan({**cfg, "scale": scale})
        n = validate_plan(plan, documents=True)
    print(
        f"config and {len(plan.papers)} paper spec(s) ({', '.join(plan.papers)}) are valid at smoke and paper scale: "
        f"{len(plan.artifacts())} artifacts, {n} claims whose every column exists"
    )


def cmd_bench(args: argparse.Namespace) -> None:
    from ganrepro import bench
    from ganrepro.core import paths
    from ganrepro.spec.config import load_config

    args.device = args.device or load_config()["device"]
    out = Path(args.out) if args.out else paths.at_root(paths.BENCH_DIR)
    if args.threads:  # for every part (train also records it per row)
        import torch

        torch.set_num_threads(args.threads)
    what = args.what or ["train", "evaluate", "dag"]
    if "train" in what:
        rows = bench.bench_train(
            args.device,
            args.cases,
            its=args.its,
            repeats=args.repeats,
            tiny=args.tiny,
            workers=args.workers,
            threads=args.threads,
        )
        print(f"wrote {bench.write(rows, 'train', out)}")
    if "evaluate" in what:
        rows = bench.bench_evaluate(args.device, n=args.eval_images, batch_size=args.eval_batch, repeats=args.repeats)
        print(f"wrote {bench.write(rows, 'evaluate', out)}")
    if "dag" in what:
        rows = bench.bench_dag(n_runs=args.dag_runs)
        print(f"wrote {bench.write(rows, 'dag', out)}")
    if "smoke" in what:
        rows = bench.bench_smoke(cores=args.smoke_cores, config=args.smoke_config, targets=args.smoke_targets)
        print(f"wrote {bench.write(rows, 'smoke', out)}")
    if "cost" in what:
        src = Path(args.train_csv) if args.train_csv else out / "train.csv"
        if not src.exists():
            raise GanreproError(f"{src} not found; run `ganrepro bench train` first (the cost model uses its timings)")
        rows = bench.cost_model(src, seeds=args.seeds)
        print(f"wrote {bench.write(rows, 'cost', out)}")


class _Version(argparse.Action):
    """--version, asking git only when it is given (every other command starts without a subprocess)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import version  # the installed package's version (pyproject.toml)

        print(f"ganrepro {version('ganrepro')} (code at git commit {git_commit()})")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a command-line start (not a call from Python): a local DAG run's fork server may run it
        from ganrepro.forkserver import delegate

        code = delegate(sys.argv[1:])
        if code is not None:
            return code
    ap = argparse.ArgumentParser(
        prog="ganrepro",
        description="Reproducibility harness for Wasserstein-GAN-family papers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error (also: GANREPRO_DEBUG=1 in the environment)",
    )
    ap.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress output (bars, progress lines); results, warnings and errors are still printed",
    )
    ap.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="the version and the git commit of the code that runs",
    )
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="SUBCOMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--configfile", help="config file (default: config/config.yaml)")
        p.add_argument("--config", nargs="*", metavar="KEY=VALUE", help="override config keys, as in snakemake")
        return p

    p = with_config(sub.add_parser("plan", help="list the runs and artifacts the config expands to"))
    p.add_argument(
        "--status",
        action="store_true",
        help="say where each run stands: completed or diverged (status.json), unfinished with its last logged G "
        "iteration (and the last progress line of its job log, results/logs/train/<run>.log: rate and time left), "
        "no checkpoint yet, or not started",
    )
    p.set_defaults(fn=cmd_plan)
    p = with_config(sub.add_parser("validate", help="validate the config and every paper folder (both scales)"))
    p.add_argument("--paper", nargs="+", metavar="P", help="only these papers (default: every folder in paper_tables/)")
    p.set_defaults(fn=cmd_validate)
    p = with_config(sub.add_parser("run-config", help="write a run folder's resolved config.json (used by the DAG)"))
    p.add_argument("run_dir")
    p.set_defaults(fn=cmd_write_run_config)
    p = sub.add_parser("train", help="train or resume one run folder (needs its config.json)")
    p.add_argument("run_dir")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"], help="default: config key device")
    p.add_argument("--threads", type=_positive_int, default=None, help="torch CPU threads (>= 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--data-root", default=None, help="folder with datasets (default: config/config.yaml data_root)")
    p.add_argument(
        "--sources",
        nargs="*",
        metavar="DATASET=FOLDER",
        help="per-dataset folders (or one JSON object); default: config/config.yaml sources",
    )
    p.set_defaults(fn=cmd_train)
    p = with_config(
        sub.add_parser("classifier", help="train a LeNet-5 classifier folder of the plan; fails below its target")
    )
    p.add_argument("out_dir", help="results/classifiers/<id> (see `ganrepro plan`)")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"], help="default: config key device")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(fn=cmd_classifier)
    p = with_config(
        sub.add_parser("evaluate", help="score every snapshot of a run with one metric protocol of the plan")
    )
    p.add_argument("run_dir", help="results/runs/<run_id>")
    p.add_argument("eval_id", help="metric name (plus -<hash> when overridden); see `ganrepro plan`")
    p.add_argument(
        "--paper",
        default=None,
        help="plan only this configured paper, one whose artifact asks for the evaluation (the DAG passes it: "
        "faster than planning every paper)",
    )
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"], help="default: config key device")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(fn=cmd_evaluate)
    p = with_config(
        sub.add_parser("prefetch", help="fetch (if allow_download) and verify the files the planned runs need")
    )
    p.add_argument("--datasets", nargs="*", metavar="NAME", help="these datasets instead of the plan's")
    p.add_argument(
        "--assets",
        nargs="*",
        metavar="ASSET",
        help="also these assets of config/assets.yaml (e.g. Inception weights)",
    )
    p.add_argument("--all", action="store_true", help="every asset in config/assets.yaml")
    p.add_argument("-v", "--verbose", action="store_true", help="under each asset: where it looked, checksums, URL")
    p.add_argument("--pin", action="store_true", help="print the full sha256 of assets whose digest is not pinned yet")
    p.add_argument("--marker", help="write this file listing the verified assets (used by the Snakemake rule)")
    p.set_defaults(fn=cmd_prefetch)
    p = with_config(sub.add_parser("artifact", help="build one artifact (CSV + PNG + provenance) from finished runs"))
    p.add_argument("paper")
    p.add_argument("artifact")
    p.set_defaults(fn=cmd_artifact)
    p = with_config(sub.add_parser("report", help="write results/report/index.html with claim verdicts"))
    p.set_defaults(fn=cmd_report)
    p = sub.add_parser(
        "keep", help="copy a paper's non-smoke artifacts + provenance into paper_tables/<paper>/reproduced/"
    )
    p.add_argument("paper")
    p.add_argument("artifacts", nargs="*", help="only these artifacts (default: all the paper declares)")
    p.add_argument("--force", action="store_true", help="skip artifacts that have not been built")
    p.set_defaults(fn=cmd_keep)
    p = with_config(
        sub.add_parser(
            "keep-runs",
            help="copy a paper's finished paper-scale runs (without checkpoints and snapshots) into "
            "paper_tables/<paper>/reproduced/runs/, so that seeds trained on different machines add up",
        )
    )
    p.add_argument("paper")
    p.set_defaults(fn=cmd_keep_runs)
    p = with_config(
        sub.add_parser(
            "restore-runs",
            help="verify a paper's kept runs and copy them into results/runs/ where the run has no result yet "
            "(the DAG then trains only the missing runs)",
        )
    )
    p.add_argument("paper")
    p.set_defaults(fn=cmd_restore_runs)
    p = sub.add_parser(
        "bench",
        help="time training (ganrepro vs a reference-style loop) and DAG planning; results/bench/*.csv",
        description="Time ganrepro's training iteration against a reference-style loop (DataLoader, host sync "
        "every step, plain optimizers; same nets and method code) per paper preset, and `snakemake -n` "
        "for the full DAG and a synthetic 1,000-run paper. Medians of interleaved repeats after warm-up.",
    )
    p.add_argument(
        "what",
        nargs="*",
        choices=["train", "evaluate", "dag", "cost", "smoke"],
        help="train, evaluate, dag (default: all three); cost: hours per paper and artifact from train.csv; "
        "smoke: time the Quickstart's `snakemake --cores 2` (all five papers) for real in a scratch copy",
    )
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"], help="default: config key device")
    from ganrepro.bench import TRAIN_CASES

    p.add_argument("--cases", nargs="+", choices=sorted(TRAIN_CASES), help="training cases (default: all)")
    p.add_argument("--its", type=int, default=2, help="G iterations per timed repeat (default 2; use ~50 on a GPU)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    p.add_argument("--tiny", action="store_true", help="width-8 nets, batch 8: checks the benchmark runs (CI)")
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers of the reference-style loop")
    p.add_argument("--threads", type=_positive_int, default=None, help="torch CPU threads (>= 1)")
    p.add_argument("--eval-images", type=int, default=10_000, help="images per FID/IS evaluation (default 10,000)")
    p.add_argument("--eval-batch", type=int, default=100, help="Inception batch size (default 100)")
    p.add_argument("--dag-runs", type=int, default=1000, help="runs in the synthetic DAG benchmark")
    p.add_argument("--smoke-cores", type=_positive_int, default=2, help="smoke: snakemake --cores (default 2)")
    p.add_argument("--smoke-config", nargs="*", metavar="KEY=VALUE", help="smoke: --config items (default: none)")
    p.add_argument("--smoke-targets", nargs="*", metavar="FILE", help="smoke: targets (default: the report)")
    p.add_argument("--out", help="output folder (default results/bench)")
    p.add_argument("--train-csv", help="timings for `cost` (default: <out>/train.csv)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per run in the cost model (default 3)")
    p.set_defaults(fn=cmd_bench)
    p = sub.add_parser(
        "rejudge",
        help="record the committed results' verdicts again after claims or the verdict rule were revised (refused "
        "while a changed claim, or a verdict that moves, has no revision)",
    )
    p.add_argument("paper")
    p.set_defaults(fn=cmd_rejudge)
    p = with_config(
        sub.add_parser(
            "check",
            help="judge every claim on committed (and fresh) results; exit 1 when a result no longer gives its "
            "recorded verdict, a fresh one disagrees with it, a kept result has no recorded verdict, or a claim "
            "changed after its result without a revision (a recorded 'fails' is a result, not an error)",
        )
    )
    p.add_argument("--paper", nargs="+", metavar="P", help="these papers (default: every folder in paper_tables/)")
    p.add_argument("--committed-only", action="store_true", help="only paper_tables/<paper>/reproduced/, not results/")
    p.set_defaults(fn=cmd_check)

    args = ap.parse_args(argv)
    from ganrepro.core.progress import set_quiet

    set_quiet(args.quiet)
    debug = args.debug or os.environ.get("GANREPRO_DEBUG", "") not in ("", "0")
    try:
        args.fn(args)
    except Preempted as e:
        # 128 + signal, the shell convention: SLURM/Snakemake see a failed job and requeue or retry it
        print(f"ganrepro: {e}", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        if debug:
            raise
        print(
            f"ganrepro: interrupted (Ctrl-C): `{args.cmd}` stopped; what it had written is complete (every write is "
            "atomic), rerun the same command to finish",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # `ganrepro plan | head -1`: the reader has what it wanted; quiet, as `cat` would be
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error while Python exits
        return 0
    except Exception as e:
        if debug:  # --debug / GANREPRO_DEBUG=1: the full traceback, for bug reports
            raise
        print(f"ganrepro: error: {user_message(e)}", file=sys.stderr)
        return 2
    finally:
        set_quiet(False)  # main() is also called in-process (tests): -q holds for this command only
    return 0


def user_message(e: BaseException) -> str:
    """One line for the user: our own errors as written; OS errors with the path; anything else is a bug."""
    if isinstance(e, GanreproError):
        return str(e)
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" while writing {e.filename}" if e.filename else ""
        return (
            f"no space left on the device{where}; earlier outputs are intact (writes are atomic). "
            "Free some space (df -h) and rerun the same command"
        )
    if isinstance(e, OSError) and e.filename:
        return f"{e.strerror or type(e).__name__}: {e.filename} (check that the path exists and is readable/writable)"
    return (
        f"internal error {type(e).__name__}: {e}. This is a bug in ganrepro: rerun with --debug "
        "(or GANREPRO_DEBUG=1 under Snakemake) and report the traceback"
    )


if __name__ == "__main__":
    sys.exit(main())

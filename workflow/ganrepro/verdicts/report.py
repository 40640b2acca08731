"""results/report/index.html: per paper and artifact, what the paper says, what was measured, and the verdicts.

For each artifact the report shows every result that `ganrepro check` judges (ganrepro.verdicts.results: the
committed one under paper_tables/<paper>/reproduced/ and the fresh one under results/paper_tables/), judged by
the same function, so the two never disagree. Smoke-scale results carry a NOT COMPARABLE label wherever they appear.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_group
from ganrepro.core.paths import REPORT_DIR, at_root, classifier_dir, committed_dir, repo_root
from ganrepro.core.provenance import git_commit, now_iso
from ganrepro.spec import catalog
from ganrepro.spec import scale as scales
from ganrepro.spec.plan import Paper, Plan
from ganrepro.verdicts.claims import MIN_SEEDS, T975, _rows, _t, effects, seed_verdicts_of
from ganrepro.verdicts.results import Result, results
from ganrepro.verdicts.standing import BUCKETS, Line, judge_paper, no_provenance, tally, why_not_run

CSS = """
body{font-family:system-ui,sans-serif;max-width:1250px;margin:1.2em auto;padding:0 1em;color:#222}
h1{margin:0 0 .1em;font-size:1.6em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
h3{margin-top:1.4em} p.meta{margin:.1em 0 .6em;color:#555;font-size:.9em}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.4em .8em;border-radius:6px;margin:.4em 0;font-size:.92em}
.alert{background:#f8d7da;border:1px solid #e4a0a7;padding:.4em .8em;border-radius:6px;margin:.4em 0;font-size:.92em}
.card{border:1px solid #ddd;border-radius:8px;padding:.6em 1em;margin:1em 0}
.src{border-left:4px solid #bbb;padding-left:.8em;margin:1em 0}
.badge{display:inline-block;padding:.1em .5em;border-radius:4px;font-size:.85em;font-weight:600;margin-right:.3em;
white-space:nowrap}
.smoke{background:#f8d7da;color:#842029}.paper{background:#d1e7dd;color:#0f5132}
.holds{background:#d1e7dd;color:#0f5132}.fails{background:#f8d7da;color:#842029}.notrun{background:#e2e3e5;color:#41464b}
.inconclusive{background:#fff3cd;color:#664d03}
.prelim{background:#fff;color:#805b00;border:1px dashed #c9a227}
.analogue{background:#fff;color:#0a4f7a;border:1px dashed #3d8bc4}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th{background:#f5f5f5} td.l,th.l{text-align:left} img{max-width:100%;border:1px solid #eee}
.quote{font-style:italic;color:#444} small{color:#666}
.grey{opacity:.45;filter:grayscale(1)}
table.summary{width:100%} table.summary td{vertical-align:top} tr.smokerow{background:#fdf2f3}
table.summary td.stmt{max-width:30em} table.summary td.prov{max-width:22em}
details summary{cursor:pointer;color:#555;font-size:.85em} details[open] summary{margin-bottom:.3em}
.why{color:#41464b} code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.95em}
#scoreboard{width:100%;font-size:.9em} #scoreboard td{vertical-align:top}
#scoreboard td.n{font-size:1.25em;font-weight:600;text-align:center;min-width:3.2em}
#scoreboard td.n small{display:block;font-size:.62em;font-weight:400}
#scoreboard td.zero{color:#bbb;font-weight:400}
#scoreboard th{font-size:.85em;text-align:center} #scoreboard td.ev{font-size:.85em;min-width:17em}
#scoreboard td.h{background:#eaf5ef} #scoreboard td.f{background:#fbecee}
#scoreboard td.zero{background:none}
section.smokezone{background:#fdf6f7;border:2px dashed #e4a0a7;border-radius:8px;padding:.2em 1em;margin:1.2em 0}
h3.scale{display:flex;gap:.6em;align-items:baseline}
"""


def _img(path: Path) -> str:
    if not path.exists():
        return "<p><small>(no figure)</small></p>"
    b64 = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{b64}">'


def _scale_badge(scale: str) -> str:
    if not scales.comparable(scale):
        return '<span class="badge smoke">scale: smoke &mdash; NOT COMPARABLE</span>'
    return f'<span class="badge paper">scale: {html.escape(scale)}</span>'


def _verdict_badge(v: str, res: dict[str, Any] | None = None) -> str:
    cls = {"holds": "holds", "fails": "fails", "inconclusive": "inconclusive", "preliminary": "prelim"}.get(v, "notrun")
    seeds = f" ({res['seeds_holding']}/{res['seeds_total']} seeds hold)" if res and res.get("seeds_total") else ""
    return f'<span class="badge {cls}">{html.escape(v + seeds)}</span>'


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _table(df: pd.DataFrame, max_rows: int = 14) -> str:
    show = df[df["final"]] if "final" in df.columns else df
    if len(show) > max_rows:
        idx = sorted(set(list(range(0, len(show), max(1, len(show) // max_rows)))[:max_rows]))
        show = show.iloc[idx]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in show.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in r) + "</tr>" for r in show.itertuples(index=False))
    note = " (final snapshot rows)" if "final" in df.columns else ""
    return f"<table><tr>{head}</tr>{rows}</table><small>{len(show)} of {len(df)} rows shown{note}</small>"


OPS = {"<=": "&le;", ">=": "&ge;", "<": "&lt;", ">": "&gt;", "==": "="}
MARKS = {
    "holds": ("&#10003;", "holds"),
    "fails": ("&#10007;", "fails"),
    "inconclusive": ("?", "inconclusive"),
    "preliminary": ("~", "prelim"),
    "not measurable": ("&empty;", "notrun"),
    "not comparable": ("&ne;", "notrun"),
    "not run": ("&ndash;", "notrun"),
}


def _mean_std(values: list[float]) -> str:
    """'mean ± std (n=k)' over training seeds (std with ddof 1; none for one seed)."""
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return "&ndash;"
    if len(vals) == 1:
        return f"{vals[0]:.4g} <small>(n=1)</small>"
    sd = float(pd.Series(vals).std(ddof=1))
    return f"{sum(vals) / len(vals):.4g} &plusmn; {sd:.2g} <small>(n={len(vals)})</small>"


def _published_cell(claim: dict[str, Any], published: pd.DataFrame | None) -> str:
    """The paper's printed number for a `published` check (with where it is printed); a dash otherwise."""
    chk = claim["check"]
    if chk["type"] != "published":
        return "&ndash;"
    row = published[published["key"] == str(chk["key"])] if published is not None else None
    if row is None or row.empty:
        return "&ndash;"
    r = row.iloc[0]
    std = f" &plusmn; {r['std']}" if "std" in r.index and pd.notna(r["std"]) else ""
    return f"{r['value']}{std}<br><small>{html.escape(str(r['where']))}</small>"


def _requirement(claim: dict[str, Any]) -> str:
    """What the check asks of the reproduced number, e.g. '&rho; &le; -0.5' (shown with the rule, below the
    paper's own statement)."""
    chk = claim["check"]
    op = OPS.get(chk.get("op", "=="), chk.get("op", "=="))
    if chk["type"] == "published":
        return f"{op} published"
    if chk["type"] == "compare":
        return f"left {op} right"
    if chk["type"] == "spearman":
        return f"&rho; {op} {chk['target']}"
    return f"{op} {chk['target']}"


def _eval_spread(claim: dict[str, Any], df: pd.DataFrame | None) -> str:
    """The evaluation-resampling spread (the metric's own `std` column, e.g. over IS splits or draws) of the
    rows a claim reads, shown apart from the spread over training seeds."""
    chk = claim["check"]
    if (
        df is None
        or "std" not in df.columns
        or chk.get("value") != "value"
        or chk["type"] not in ("threshold", "published")
    ):
        return ""
    try:
        sd = _rows(df, chk)["std"].astype(float)
    except (LookupError, NameError, SyntaxError, ValueError, GanreproError):
        return ""
    if sd.notna().sum() == 0:
        return ""
    return f"<br><small>evaluation spread (splits/draws): &plusmn; {sd.mean():.2g}</small>"


def _difference_cell(res: dict[str, Any]) -> str:
    xs, refs = res.get("seed_measured") or [], res.get("seed_reference") or []
    if not xs or len(xs) != len(refs):
        return "&ndash;"
    # inf - inf is nan; two equal infinities (e.g. a KL that is +inf as printed) differ by nothing
    return _mean_std([0.0 if x == r else x - r for x, r in zip(xs, refs, strict=True)])


def _tolerance_cell(claim: dict[str, Any]) -> str:
    chk = claim["check"]
    tol = chk.get("tolerance", 0)
    op = chk.get("op", "==")
    rule = claim.get("rule", "all")
    if op == "==":
        return f"&plusmn; {tol}<br><small>rule: {rule}</small>"
    return f"{tol} <small>(on {OPS.get(op, op)})</small><br><small>rule: {rule}</small>"


def _rule_text(claim: dict[str, Any], res: dict[str, Any]) -> str:
    """The decision rule in words, e.g. 'rule: every seed holds (3 seeds needed)'."""
    rule = claim.get("rule", "all")
    words = {"all": "every seed must hold", "majority": "most seeds must hold"}.get(rule, rule)
    if res.get("control_verdict") and not res.get("descriptive"):
        words += " and its control fail"  # judged per seed (verdicts/claims.py)
    if not res.get("seeds_total"):
        return "rule: one table, no training seeds" if res.get("measured") is not None else f"rule: {words}"
    return f"rule: {words}, {MIN_SEEDS} seeds needed"


SEED_COLOURS = {"holds": "#198754", "fails": "#dc3545", "inconclusive": "#fd7e14"}


def _effect_strip(claim: dict[str, Any], res: dict[str, Any]) -> str:
    """A small picture of the per-seed effects (how far past the claim's threshold, right of the line is the claim's
    side), one dot per seed coloured by its verdict, and their 95% interval as a bar: a seed that disagrees shows
    at a glance. '' for fewer than 2 seeds or an effect that is not finite."""
    e = effects(claim["check"], res.get("seed_measured") or [], res.get("seed_reference") or [])
    if len(e) < 2 or not all(v == v and abs(v) != float("inf") for v in e):
        return ""
    per = list(seed_verdicts_of(res).items())
    if len(per) != len(e):  # a seed that could not be judged has no value: colour none rather than the wrong one
        per = [(str(i), "") for i in range(len(e))]
    n, mean = len(e), sum(e) / len(e)
    sd = (sum((v - mean) ** 2 for v in e) / (n - 1)) ** 0.5
    half = _t(T975, n - 1, 1.960) * sd / n**0.5
    lo, hi = mean - half, mean + half
    span = max(abs(lo), abs(hi), *(abs(v) for v in e)) * 1.1 or 1.0

    def x(v: float) -> float:
        return round(60 + 55 * v / span, 1)

    title = "; ".join(f"seed {s}: {v:+.4g} ({verdict or 'n/a'})" for (s, verdict), v in zip(per, e, strict=True))
    title = f"per-seed effect, right of the line is the claim's side: {title}; 95% interval [{lo:.4g}, {hi:.4g}]"
    dots = "".join(
        f'<circle cx="{x(v)}" cy="{round(4 + 14 * i / (n - 1), 1)}" r="3" '
        f'fill="{SEED_COLOURS.get(verdict, "#6c757d")}"/>'
        for i, ((_, verdict), v) in enumerate(zip(per, e, strict=True))
    )
    return (
        f'<br><svg class="strip" width="120" height="22" role="img"><title>{html.escape(title)}</title>'
        f'<line x1="{x(lo)}" y1="11" x2="{x(hi)}" y2="11" stroke="#adb5bd" stroke-width="3"/>'
        f'<line x1="60" y1="0" x2="60" y2="22" stroke="#212529" stroke-width="1"/>{dots}</svg>'
    )


def _mark_cell(line: Line) -> str:
    """The verdict badge. Only a paper-scale result on the paper's own setting with enough seeds gets the plain
    ✓ / ✗; a preliminary (fewer seeds) or an ANALOGUE result gets an outlined badge that says so."""
    res, verdict = line.res, str(line.res["verdict"])
    mark, cls = MARKS.get(verdict, ("&ndash;", "notrun"))
    count = f" {res['seeds_holding']}/{res['seeds_total']}" if res.get("seeds_total") else ""
    words = verdict
    if line.result is None:
        mark, cls, count, words = MARKS["not run"][0], "notrun", "", "not run at paper scale"
    elif not line.comparable:
        cls, words = "notrun", f"{verdict} (not comparable)"
    elif verdict == "preliminary":
        n = res.get("seeds_total") or 0
        words = f"preliminary: {n} seed{'s' if n != 1 else ''}, {MIN_SEEDS} needed"
    elif verdict in ("holds", "fails") and line.analogue:
        cls, words = "analogue", f"{verdict} on an ANALOGUE (not the paper's setting)"
        mark += " analogue"
    return (
        f'<span class="badge {cls}" title="{html.escape(words)}">{mark}{count}</span>'
        f"<br><small>{html.escape(words)}</small>{_effect_strip(line.claim, res) if line.result is not None else ''}"
    )


def _provenance(line: Line) -> str:
    """Where one number comes from: source, scale, seeds, protocol, weights, git commit, run config hashes,
    hardware and compute time."""
    if line.result is None:
        return "<small>no result yet</small>"
    prov, df = line.prov, line.result.df
    runs = prov.get("runs", [])
    protocols: set[str] = set()
    if df is not None:
        for col in ("protocol", "metric"):
            if col in df.columns:
                protocols |= {str(v) for v in df[col].dropna().unique()}
    gpu = [r for r in runs if str(r.get("device", "")).startswith("cuda")]
    cpu = [r for r in runs if r not in gpu]
    hours = []
    if gpu:
        hours.append(f"{sum(r['wall_time_s'] for r in gpu) / 3600:.2f} GPU-h")
    if cpu:
        hours.append(f"{sum(r['wall_time_s'] for r in cpu) / 3600:.2f} CPU-h")
    hw = prov.get("hardware", {})
    # The machine that drew the artifact, which need not be the one that trained its runs (each run's
    # status.json records its own): so the two are said apart.
    hw_txt = hw.get("gpu") or f"{hw.get('cpu_model') or hw.get('cpu', '?')} x{hw.get('cpu_count', '?')}"
    hashes = sorted({r["run_id"].rsplit("-", 1)[-1] for r in runs})
    cfg = ", ".join(hashes[:4]) + (f" +{len(hashes) - 4}" if len(hashes) > 4 else "")
    weights = str(prov.get("weights", "not used"))
    items = [
        html.escape(line.result.label.split(" (")[0]),
        _scale_badge(prov["scale"]) if not scales.comparable(prov["scale"]) else f"scale {html.escape(prov['scale'])}",
        f"data: {html.escape(prov['data'])}",
        f"seeds {html.escape(str(prov.get('seeds') or 'n/a'))}",
        f"protocol: {html.escape(', '.join(sorted(protocols)) or 'training logs')}",
        f"weights: {html.escape(weights if len(weights) < 60 else weights[:57] + '...')}",
        f"git {html.escape(prov['git_commit'][:10])}",
        f"run configs {html.escape(cfg or 'n/a')}",
        f"training {' + '.join(hours) or 'n/a'}",
        f"drawn on {html.escape(hw_txt)}",
    ]
    return "<small>" + " &middot; ".join(items) + "</small>"


def _code(text: str) -> str:
    """Escape a sentence and set its `commands` in code type."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _details(line: Line) -> str:
    """Everything behind one verdict, folded away: provenance, the check, difference, tolerance, control,
    per-seed detail and revisions."""
    c, res = line.claim, line.res
    revised = "".join(
        f"<br><b>revised {html.escape(str(rv['date']))}</b>: was {html.escape(str(rv['old']))}; "
        f"why: {html.escape(str(rv['why']))}"
        for rv in c.get("revisions") or []
    )
    ctrl = html.escape(str(res.get("control") or "none")) + (
        f" &rarr; {html.escape(str(res['control_verdict']))}" if res.get("control_verdict") else ""
    )
    summary = html.escape(line.result.source if line.result is not None else "no result")
    return (
        f"<details><summary>{summary} &middot; provenance and detail</summary>{_provenance(line)}<br><small>"
        f"check: {html.escape(str(res['check']))}<br>difference: {_difference_cell(res)}<br>tolerance "
        f"{_tolerance_cell(c).split('<br>')[0]}: {html.escape(str(c.get('tolerance_reason', '')))}<br>"
        f"control: {ctrl}<br>"
        f"{html.escape(str(res.get('detail') or ''))}{revised}</small></details>"
    )


def _reproduced_cell(line: Line) -> str:
    res = line.res
    if line.result is None:
        return "&ndash;"
    if res.get("seeds_total") is None and res.get("measured") is not None:  # a table without training seeds
        cell = f"{_fmt(res['measured'])} <small>(no seeds)</small>"
    else:
        cell = _mean_std(res.get("seed_measured") or [])
    cell += _eval_spread(line.claim, line.result.df)
    if line.claim["check"]["type"] == "compare":
        cell += f"<br><small>vs right: {_mean_std(res.get('seed_reference') or [])}</small>"
    return cell


def _summary_table(lines: list[Line]) -> str:
    """One line per claim and result: the paper's statement, the published number, the reproduced number
    (mean ± std over training seeds, n), the verdict with its rule, and the provenance folded away."""
    head = (
        "<table class=summary><tr><th class=l>claim: what the paper says</th><th>published</th>"
        "<th>reproduced<br><small>mean &plusmn; std over training seeds (n)</small></th>"
        "<th class=l>verdict and rule</th><th class=l>evidence</th></tr>"
    )
    body = []
    for ln in lines:
        c = ln.claim
        body.append(
            f"<tr{' class=smokerow' if ln.result is not None and not ln.comparable else ''}>"
            f"<td class='l stmt'><b>{html.escape(c['id'])}</b><br>{html.escape(c['statement'])}<br>"
            f"<small>{html.escape(ln.aspec['where'])}</small></td>"
            f"<td>{_published_cell(c, ln.published)}</td><td>{_reproduced_cell(ln)}</td>"
            f"<td class=l>{_mark_cell(ln)}<br><small>{_rule_text(c, ln.res)}; test: {_requirement(c)}</small></td>"
            f"<td class='l prov'><small>{html.escape(ln.evidence)}</small>"
            f"{_details(ln) if ln.result is not None else ''}</td></tr>"
        )
    return head + "".join(body) + "</table>"


def _not_run_table(lines: list[Line]) -> str:
    """Claims without a paper-scale result, compactly: the paper's statement, its number and why it is not run."""
    rows = "".join(
        f"<tr><td class='l stmt'><b>{html.escape(ln.claim['id'])}</b> {html.escape(ln.claim['statement'])} "
        f"<small>({html.escape(ln.aspec['where'])})</small></td><td>{_published_cell(ln.claim, ln.published)}</td>"
        f"<td class=l><small class=why>{_code(ln.why_not_run)}</small></td></tr>"
        for ln in lines
    )
    return (
        f"<h4>Not run at paper scale ({len(lines)} claim{'s' if len(lines) != 1 else ''})</h4><table class=summary>"
        "<tr><th class=l>claim: what the paper says</th><th>published</th>"
        f"<th class=l>why, and how to run it</th></tr>{rows}</table>"
    )


LEGEND = (
    "<p><small>&#10003; holds, &#10007; fails (3 or more training seeds, or an analytic table, on the paper's own "
    "setting); &#10003; analogue / &#10007; analogue: the same on an ANALOGUE (another dataset or network than the "
    "paper's); ? inconclusive (the seeds disagree, or in some seed the claim's control holds too), ~ preliminary "
    "(fewer than 3 seeds: never counted as holds or fails), &empty; not measurable, &ne; not comparable, &ndash; not "
    "run. The count is the training seeds on which it holds and its control fails. Under it, each seed's effect "
    "(a dot: green holds, red fails, orange inconclusive) against the claim's threshold (the vertical line; right is "
    "the claim's side), with the 95% interval of the mean (grey bar); hover for the numbers. The std "
    "over training seeds is kept apart from the evaluation-resampling spread (IS splits or draws).</small></p>"
)


def _cost_line(paper: str) -> str:
    """The paper's paper-scale training cost from the committed cost model (benchmarks/*/cost.csv), with its
    unit and basis; empty when no cost model exists. A fresh `ganrepro bench cost` shows in the report once it is
    committed under benchmarks/."""
    root = repo_root()
    found = sorted((root / "benchmarks").glob("*/cost.csv"))  # committed only: the report rule declares them
    for path in found:
        if not path.exists():
            continue
        df = pd.read_csv(path)
        rows = df[(df["paper"] == paper) & df["counted_in_paper_total"]]
        if rows.empty:
            continue
        proxies = int((~rows["basis"].str.startswith("measured")).sum())
        return (
            f"<br><small>Cost at paper scale ({int(rows['seeds'].iloc[0])} seeds, training only): "
            f"<b>{rows['hours'].sum():.1f} {html.escape(str(rows['hours_unit'].iloc[0]))}</b> over "
            f"{len(rows)} runs ({proxies} timed by proxy), from {html.escape(str(path.relative_to(root)))} "
            f"at git {html.escape(str(rows['git_commit'].iloc[0])[:10])}{_bench_host(path.parent / 'train.csv')}"
            "</small>"
        )
    return ""


def _bench_host(train_csv: Path) -> str:
    """'; timed on <cpu model>, N cores, T threads': the host the cost model's hours belong to (another host can
    be several times slower or faster; README, Performance). '' when the train benchmark does not say."""
    try:
        row = pd.read_csv(train_csv, nrows=1).iloc[0]
        host = f"{row['hw_cpu_model']}, {int(row['hw_cpu_count'])} cores, {int(row['torch_threads'])} threads"
    except (OSError, LookupError, ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return ""
    return f"; timed on {html.escape(host)} (another host can be several times slower)"


def committed_inputs(plan: Plan) -> list[str]:
    """Every file the report reads besides the fresh artifacts and classifiers (the rule declares those from the
    plan): each paper's paper.yaml, published.csv and committed results, and the cost models. Paths relative to
    the repository root; only files that exist, so `ganrepro keep` or a new benchmark rebuilds the report."""
    root = repo_root()
    files: list[Path] = []
    for name, paper in plan.papers.items():
        files += [paper.folder / "paper.yaml", paper.folder / "published.csv"]
        kept = committed_dir(name)
        for aname in paper.artifacts:
            files += [kept / f"{aname}.{ext}" for ext in ("csv", "png", "provenance.json")]
    files += sorted((root / "benchmarks").glob("*/cost.csv")) + sorted((root / "benchmarks").glob("*/train.csv"))
    return sorted({str(f.resolve().relative_to(root.resolve())) for f in files if f.exists()})


def _scoreboard(plan: Plan, judged: dict[str, list[Line]], alerts: dict[str, list[str]]) -> str:
    """The first screen: one row per paper folder, counting each claim once (its `counted` row of claims.csv)."""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "paper",
            "claims",
            "&#10003; holds",
            "&#10007; fails",
            "? inconclusive",
            "~ preliminary<br><small>&lt; 3 seeds</small>",
            "&empty; not<br>measurable",
            "&ndash; not run at paper scale<br><small>why</small>",
            "other",
            "evidence behind the counted verdicts",
            "smoke<br><small>not comparable</small>",
        )
    )
    rows = []
    for name in [*judged, *(p for p in catalog.papers() if p not in judged)]:  # this report's papers first
        if name not in judged:
            rows.append(
                f"<tr data-paper='{name}'><td class=l><b>{name}</b></td><td colspan=10 class=l><small>not in this "
                f"report (config key <code>papers</code>); its committed results are counted by "
                f"<code>ganrepro report --config 'papers=[{','.join([*plan.papers, name])}]'</code></small></td></tr>"
            )
            continue
        t = tally(judged[name])
        cells = [f"<td class=n data-bucket=claims data-count={t['claims']}>{t['claims']}</td>"]
        for b in BUCKETS:
            n = t["buckets"][b]
            note = ""
            if b == "holds" and t["analogue_holds"]:
                note = f"<small>{t['analogue_holds']} on analogues</small>"
            if b == "not run" and n:
                note = "".join(f"<small>{k}: {v}</small>" for k, v in sorted(t["not_run_because"].items()))
            cls = "n zero" if not n else "n h" if b == "holds" else "n f" if b == "fails" else "n"
            cells.append(f"<td class='{cls}' data-bucket='{b}' data-count={n}>{n}{note}</td>")
        other = sum(t["other"].values())
        cells.append(
            f"<td class='{'n zero' if not other else 'n'}' data-bucket=other data-count={other}>{other}"
            + "".join(f"<small>{html.escape(k)}: {v}</small>" for k, v in sorted(t["other"].items()))
            + "</td>"
        )
        ev = "<br>".join(f"{n} &times; {html.escape(k)}" for k, n in t["evidence"].most_common()) or "none yet"
        warn = "".join(f"<br><span class='badge smoke'>{html.escape(a)}</span>" for a in alerts.get(name, []))
        at_paper_scale = scales.comparable(plan.config["scale"])  # the plan's classifiers are made at its scale
        cells.append(f"<td class='l ev'>{ev}{warn if at_paper_scale else ''}</td>")
        cells.append(
            f"<td class='{'n zero' if not t['smoke'] else 'n'}'>{t['smoke']}{'' if at_paper_scale else warn}</td>"
        )
        title = html.escape(plan.papers[name].spec["title"])
        rows.append(
            f"<tr data-paper='{name}'><td class=l><a href='#paper-{name}'><b>{name}</b></a><br>"
            f"<small>{title[:70] + ('...' if len(title) > 70 else '')}</small></td>{''.join(cells)}</tr>"
        )
    return (
        f"<table id=scoreboard><tr>{head}</tr>{''.join(rows)}</table>"
        "<p><small>Each claim is counted once: on its paper-scale result (committed before fresh), else as not run "
        "with the reason. The same rows are in <code>claims.csv</code> (<code>counted</code> = True, column "
        "<code>standing</code>). Smoke results are never counted; the last column says how many claims have one."
        "</small></p>"
    )


def _classifier_alerts(plan: Plan) -> tuple[list[str], dict[str, list[str]]]:
    """First-screen warnings about the classifiers the mode-count metrics use: a fall-back to a stand-in, or a
    classifier that missed its target; and, per paper, a short badge for the scoreboard."""
    lines: list[str] = []
    per_paper: dict[str, list[str]] = {}
    for cid, cfg in sorted(plan.classifiers.items()):
        info_path = classifier_dir(cid) / "info.json"
        failed = info_path.with_name("failed.json")
        path = info_path if info_path.exists() else failed if failed.exists() else None
        if path is None:
            continue
        info = json.loads(path.read_text())
        ds = cfg["dataset"]
        users = [(a.paper, a.name) for a in plan.artifacts() if a.spec.get("classifier") == ds]
        used = ", ".join(f"{p} {a}" for p, a in users) or "no artifact of this report"
        if info.get("stand_in"):
            lines.append(
                f"<b>Classifier stand-in.</b> The {html.escape(ds)} LeNet-5 classifier fell back to a STAND-IN: it was "
                f"trained on synthetic images because the real files were not found. Class counts made with it are "
                f"meaningless (used by: {html.escape(used)})."
            )
            for p, _ in users:
                per_paper.setdefault(p, []).append(f"classifier {ds}: stand-in")
        if not info.get("passed", True):
            lines.append(
                f"<b>Classifier below target.</b> The {html.escape(ds)} classifier reached "
                f"{info['test_accuracy']:.4f}, below its target {info['target']} (used by: {html.escape(used)})."
            )
            for p, _ in users:
                per_paper.setdefault(p, []).append(f"classifier {ds}: below target")
    return lines, per_paper


def _figures(paper: Paper, found: dict[str, list[Result]], comparable: bool) -> list[str]:
    """One card per paper-scale (or per smoke) result of every artifact, claims or none: the paper's statement,
    the figure and the CSV excerpt."""
    return [_figure_card(paper, aname, r) for aname, rs in found.items() for r in rs if r.comparable == comparable]


def _figure_card(paper: Paper, aname: str, r: Result) -> str:
    aspec = paper.spec["artifacts"][aname]
    prov = r.prov or no_provenance(r)
    runs = prov.get("runs", [])
    n_div = sum(x.get("status") == "diverged" for x in runs)
    random_init = "RANDOM-INIT" in str(prov.get("weights", ""))  # greyed out: the metric values mean nothing
    img = _img(r.dir / f"{aname}.png")
    if random_init:
        img = (
            '<p><span class="badge smoke">random-init Inception: metric values are meaningless</span></p>'
            f"<div class=grey>{img}</div>"
        )
    return (
        f'<div class="card"><h4>{paper.name} {aname}: {html.escape(aspec["title"])}</h4>'
        f'<p><b>Paper ({html.escape(aspec["where"])}):</b> <span class="quote">{html.escape(aspec["paper_says"])}'
        f"</span></p><p><b>{html.escape(r.label)}</b> {_scale_badge(prov['scale'])}"
        f'<span class="badge notrun">data: {html.escape(str(prov["data"]))}</span>'
        f'<span class="badge notrun">seeds: {html.escape(str(prov.get("seeds") or "n/a"))}</span><br>'
        f"<small>{len(runs)} runs ({n_div} diverged), training {prov['train_wall_time_s']:.0f} s, "
        f"artifact {prov['artifact_wall_time_s']:.0f} s, git {html.escape(str(prov['git_commit'])[:12])}, "
        f"{html.escape(str(prov['date']))}, weights: {html.escape(str(prov['weights']))}</small></p>{img}"
        f"<details><summary>the CSV ({html.escape(r.csv.name)})</summary>{_table(r.df)}</details></div>"
    )


def _paper_section(plan: Plan, paper: Paper, lines: list[Line]) -> list[str]:
    """A paper's claims: paper-scale evidence first, smoke evidence after it in its own tinted section."""
    spec = paper.spec
    parts = [
        f"<section id='paper-{paper.name}'><h2>{html.escape(spec['title'])} <small>({paper.name})</small></h2>"
        f"<p>{html.escape(spec['citation'])}<br><small>Deviations from the paper and reference code: "
        f"paper_tables/{paper.name}/DEVIATIONS.md</small>{_cost_line(paper.name)}</p>"
    ]
    at_scale = [ln for ln in lines if ln.comparable or ln.result is None]
    smoke = [ln for ln in lines if ln.result is not None and not ln.comparable]
    measured = [ln for ln in at_scale if ln.result is not None]
    not_run = [ln for ln in at_scale if ln.result is None]
    parts.append("<h3 class=scale>Paper-scale evidence <span class='badge paper'>comparable with the paper</span></h3>")
    if measured:
        parts.append(_summary_table(measured) + LEGEND)
    if not_run:  # after the measured claims, compact: what they need is the news, not an empty row each
        parts.append(_not_run_table(not_run))
    found = {a: results(paper.name, a) for a in spec["artifacts"]}  # artifacts without claims have figures too
    parts += _figures(paper, found, comparable=True)
    no_claims = [a for a in spec["artifacts"] if not any(ln.claim["artifact"] == a for ln in lines)]
    missing = [a for a in no_claims if not any(r.comparable for r in found[a])]
    if missing:
        parts.append(
            "<p><small>Figures without claims and without a paper-scale result: "
            + ", ".join(f"{html.escape(a)} ({_code(why_not_run(plan, paper, a)[1])})" for a in missing)
            + "</small></p>"
        )
    if any(not r.comparable for rs in found.values() for r in rs):
        parts.append(
            "<section class=smokezone><h3 class=scale>Smoke evidence <span class='badge smoke'>smoke &mdash; NOT "
            "COMPARABLE</span></h3><p><small>Shortened runs, stand-in data where the real files are absent: these "
            "exercise the pipeline and are never compared with the paper.</small></p>"
            + (_summary_table(smoke) if smoke else "")
        )
        parts += _figures(paper, found, comparable=False)
        parts.append("</section>")
    parts.append("</section>")
    return parts


def write_report(plan: Plan) -> Path:
    """Write results/report/index.html (scoreboard first, then each paper) and claims.csv, from the same rows."""
    cfg = plan.config
    out_dir = at_root(REPORT_DIR)
    judged = {name: judge_paper(plan, paper) for name, paper in plan.papers.items()}
    all_lines = [ln for lines in judged.values() for ln in lines]
    alerts, per_paper = _classifier_alerts(plan)
    n_random = sum("RANDOM-INIT" in str(ln.prov.get("weights", "")) for ln in all_lines if ln.result is not None)
    if n_random:
        alerts.append(
            f"<b>Random-init Inception.</b> {n_random} claim rows read FID/IS values from a randomly initialised "
            "Inception (no weights file): those values are meaningless and shown greyed out."
        )
    counted = sum(ln.counted for ln in all_lines)
    parts = [
        f"<h1>ganrepro report: {len(plan.papers)} papers, {counted} claims</h1><p class=meta>{now_iso()} &middot; "
        f"git {html.escape(git_commit())} &middot; scale <b>{cfg['scale']}</b> &middot; seeds {cfg['seeds']} "
        f"&middot; papers {', '.join(cfg['papers'])}</p>"
    ]
    if not scales.comparable(cfg["scale"]):
        parts.append(
            '<p class="banner"><b>Smoke scale.</b> This run is shortened and may use stand-in data: its numbers are '
            "<b>not comparable</b> to the papers and are never counted below. The counts come from the committed "
            "paper-scale results.</p>"
        )
    parts += [f'<p class="alert">{a}</p>' for a in alerts]
    parts.append(_scoreboard(plan, judged, per_paper))
    for name, paper in plan.papers.items():
        parts += _paper_section(plan, paper, judged[name])
    parts += _classifiers_section(plan)
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>ganrepro report</title>"
        f"<style>{CSS}</style></head><body>"
    )
    page += "\n".join(parts) + "</body></html>\n"
    with atomic_group() as files:  # the page and its table change together, or neither does
        files.to_csv(pd.DataFrame([ln.csv_row() for ln in all_lines]), out_dir / "claims.csv")
        files.write_text(out_dir / "index.html", page)
    return out_dir / "index.html"


def _classifiers_section(plan: Plan) -> list[str]:
    """LeNet-5 classifiers the mode-count metrics use: accuracy vs target, and what data they were trained on."""
    if not plan.classifiers:
        return []
    rows = []
    for cid, cfg in sorted(plan.classifiers.items()):
        info_path = classifier_dir(cid) / "info.json"
        failed = info_path.with_name("failed.json")
        path = info_path if info_path.exists() else failed if failed.exists() else None
        if path is None:
            rows.append(
                f"<tr><td class=l>{html.escape(cfg['dataset'])}</td><td colspan=4>{_verdict_badge('not run')}</td></tr>"
            )
            continue
        info = json.loads(path.read_text())
        data_badge = (
            '<span class="badge smoke">data: stand-in, NOT COMPARABLE</span>'
            if info["stand_in"]
            else '<span class="badge paper">data: real</span>'
        )
        rows.append(
            f"<tr><td class=l>{html.escape(cfg['dataset'])}<br><small>{html.escape(cid)}</small></td>"
            f"<td>{info['test_accuracy']:.4f}</td><td>{info['target']}</td>"
            f"<td class=l>{_verdict_badge('holds' if info['passed'] else 'fails')}</td>"
            f"<td class=l>{data_badge}<br><small>{html.escape(info['data'])}<br>"
            f"{html.escape(info['training']['optimizer'])}, {info['training']['epochs']} epochs, seed "
            f"{info['training']['seed']}, {info['training']['train_n']} train / {info['training'].get('test_n')} test "
            f"images, {info['training']['train_seconds']:.0f} s on {html.escape(info['device'])}</small></td></tr>"
        )
    return [
        '<h2>Classifiers</h2><div class="card"><p>LeNet-5 (docs/references.md §6.5) on 32x32 inputs in the '
        "GAN's value range, "
        "used by the mode-count metrics. The test split is the dataset's official test set.</p>"
        "<table><tr><th>dataset</th><th>test accuracy</th><th>target</th><th>verdict</th>"
        "<th>data and training</th></tr>",
        *rows,
        "</table></div>",
    ]

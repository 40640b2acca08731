"""results/report/index.html: per paper and artifact, what the paper says, what was measured, and the verdicts.

For each artifact the report shows every result that `ganrepro check` judges (ganrepro.verdicts.results: the
committed one under paper_tables/<paper>/reproduced/ and the fresh one under results/paper_tables/), judged by
the same function, so the two never disagree. Smoke-scale results carry a NOT COMPARABLE label wherever they appear.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_group
from ganrepro.core.paths import REPORT_DIR, at_root, classifier_dir, committed_dir, repo_root
from ganrepro.core.provenance import git_commit, now_iso
from ganrepro.spec import scale as scales
from ganrepro.spec.plan import Plan
from ganrepro.verdicts.claims import _rows
from ganrepro.verdicts.results import judge, published, results

CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.6em 1em;border-radius:6px}
.card{border:1px solid #ddd;border-radius:8px;padding:1em;margin:1em 0}
.src{border-left:4px solid #bbb;padding-left:.8em;margin:1em 0}
.badge{display:inline-block;padding:.1em .5em;border-radius:4px;font-size:.85em;font-weight:600;margin-right:.3em}
.smoke{background:#f8d7da;color:#842029}.paper{background:#d1e7dd;color:#0f5132}
.holds{background:#d1e7dd;color:#0f5132}.fails{background:#f8d7da;color:#842029}.notrun{background:#e2e3e5;color:#41464b}
.inconclusive{background:#fff3cd;color:#664d03}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th{background:#f5f5f5} td.l,th.l{text-align:left} img{max-width:100%;border:1px solid #eee}
.quote{font-style:italic;color:#444} small{color:#666}
.grey{opacity:.45;filter:grayscale(1)}
table.summary td{vertical-align:top} tr.smokerow{background:#fdf2f3}
"""


def _img(path: Path) -> str:
    if not path.exists():
        return "<p><small>(no figure)</small></p>"
    b64 = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{b64}">'


def _no_provenance(r: Any) -> dict[str, Any]:
    """A result whose provenance file is missing is still shown and judged, labelled as such."""
    missing = "unknown (no provenance file)"
    return {
        "scale": r.scale,
        "data": missing,
        "seeds": [],
        "runs": [],
        "train_wall_time_s": 0.0,
        "artifact_wall_time_s": 0.0,
        "git_commit": missing,
        "date": missing,
        "weights": missing,
    }


def _scale_badge(scale: str) -> str:
    if not scales.comparable(scale):
        return '<span class="badge smoke">scale: smoke &mdash; NOT COMPARABLE</span>'
    return f'<span class="badge paper">scale: {html.escape(scale)}</span>'


def _verdict_badge(v: str, res: dict[str, Any] | None = None) -> str:
    cls = {"holds": "holds", "fails": "fails", "inconclusive": "inconclusive", "preliminary": "inconclusive"}.get(
        v, "notrun"
    )
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
    "preliminary": ("~", "inconclusive"),
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


def _target_cell(claim: dict[str, Any], res: dict[str, Any], published: pd.DataFrame | None) -> str:
    """What the paper says the number is (published value) or what the claim requires of it."""
    chk = claim["check"]
    op = OPS.get(chk.get("op", "=="), chk.get("op", "=="))
    if chk["type"] == "published":
        row = published[published["key"] == str(chk["key"])] if published is not None else None
        if row is None or row.empty:
            return "&ndash;"
        r = row.iloc[0]
        std = f" &plusmn; {r['std']}" if "std" in r.index and pd.notna(r["std"]) else ""
        return f"{r['value']}{std}<br><small>{html.escape(str(r['where']))}</small>"
    if chk["type"] == "compare":
        return f"left {op} right<br><small>right: {_mean_std(res.get('seed_reference') or [])}</small>"
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
    return _mean_std([x - r for x, r in zip(xs, refs, strict=True)])


def _tolerance_cell(claim: dict[str, Any]) -> str:
    chk = claim["check"]
    tol = chk.get("tolerance", 0)
    op = chk.get("op", "==")
    rule = claim.get("rule", "all")
    if op == "==":
        return f"&plusmn; {tol}<br><small>rule: {rule}</small>"
    return f"{tol} <small>(on {OPS.get(op, op)})</small><br><small>rule: {rule}</small>"


def _mark_cell(verdict: str, res: dict[str, Any]) -> str:
    base = verdict.replace(" (not comparable)", "")
    mark, cls = MARKS.get(base, ("&ndash;", "notrun"))
    if verdict.endswith("(not comparable)"):
        cls = "notrun"
    count = f" {res['seeds_holding']}/{res['seeds_total']}" if res.get("seeds_total") else ""
    return (
        f'<span class="badge {cls}" title="{html.escape(verdict)}">{mark}{count}</span>'
        f"<br><small>{html.escape(verdict)}</small>"
    )


def _provenance(src: dict[str, Any] | None, df: pd.DataFrame | None) -> str:
    """Where one number comes from: source, scale, seeds, protocol, weights, git commit, run config hashes,
    hardware and compute time."""
    if src is None:
        return "<small>no result yet</small>"
    prov = src["prov"]
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
    hw_txt = hw.get("gpu") or f"{hw.get('cpu', '?')} x{hw.get('cpu_count', '?')}"
    hashes = sorted({r["run_id"].rsplit("-", 1)[-1] for r in runs})
    cfg = ", ".join(hashes[:4]) + (f" +{len(hashes) - 4}" if len(hashes) > 4 else "")
    weights = str(prov.get("weights", "not used"))
    items = [
        html.escape(src["label"].split(" (")[0]),
        _scale_badge(prov["scale"]) if not scales.comparable(prov["scale"]) else f"scale {html.escape(prov['scale'])}",
        f"data: {html.escape(prov['data'])}",
        f"seeds {html.escape(str(prov.get('seeds') or 'n/a'))}",
        f"protocol: {html.escape(', '.join(sorted(protocols)) or 'training logs')}",
        f"weights: {html.escape(weights if len(weights) < 60 else weights[:57] + '...')}",
        f"git {html.escape(prov['git_commit'][:10])}",
        f"run configs {html.escape(cfg or 'n/a')}",
        f"{html.escape(hw_txt)}, training {' + '.join(hours) or 'n/a'}",
    ]
    return "<small>" + " &middot; ".join(items) + "</small>"


def _summary_table(rows: list[dict[str, Any]]) -> str:
    """The paper's table: one row per claim and result source."""
    if not rows:
        return ""
    head = (
        "<table class=summary><tr><th class=l>claim</th><th>published / required</th>"
        "<th>reproduced<br><small>mean &plusmn; std over training seeds (n)</small></th><th>difference</th>"
        "<th>tolerance</th><th>&#10003;/&#10007;</th><th class=l>provenance</th></tr>"
    )
    body = []
    # comparable (paper-scale) rows first, smoke rows after them, each in the order the claims are declared
    rows = sorted(rows, key=lambda r: r["src"] is not None and not r["src"]["result"].comparable)
    for r in rows:
        c, res = r["claim"], r["res"]
        smoke = r["src"] is not None and not r["src"]["result"].comparable
        body.append(
            f"<tr{' class=smokerow' if smoke else ''}><td class=l><b>{html.escape(c['id'])}</b><br>"
            f"<small>{html.escape(c['statement'])}</small></td>"
            f"<td>{_target_cell(c, res, r['published'])}</td><td>{_mean_std(res.get('seed_measured') or [])}"
            f"{_eval_spread(c, r['df'])}</td>"
            f"<td>{_difference_cell(res)}</td><td>{_tolerance_cell(c)}</td><td>{_mark_cell(r['verdict'], res)}</td>"
            f"<td class=l>{_provenance(r['src'], r['df'])}</td></tr>"
        )
    return head + "".join(body) + "</table>"


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
            f"at git {html.escape(str(rows['git_commit'].iloc[0])[:10])}</small>"
        )
    return ""


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
    files += sorted((root / "benchmarks").glob("*/cost.csv"))
    return sorted({str(f.resolve().relative_to(root.resolve())) for f in files if f.exists()})


def write_report(plan: Plan) -> Path:
    cfg = plan.config
    out_dir = at_root(REPORT_DIR)
    claim_rows: list[dict[str, Any]] = []
    parts = [
        f"<h1>ganrepro report</h1><p>{now_iso()} &middot; git {html.escape(git_commit())} &middot; "
        f"scale <b>{cfg['scale']}</b> &middot; seeds {cfg['seeds']} &middot; papers {', '.join(cfg['papers'])}</p>"
    ]
    if not scales.comparable(cfg["scale"]):
        parts.append(
            '<p class="banner"><b>Smoke scale.</b> Runs are shortened and stand-in data may be used; '
            "numbers from this run are <b>not comparable</b> to the papers. Committed paper-scale results "
            "are shown beside them where they exist.</p>"
        )
    for pname, paper in plan.papers.items():
        spec = paper.spec
        parts.append(
            f"<h2>{html.escape(spec['title'])} <small>({pname})</small></h2>"
            f"<p>{html.escape(spec['citation'])}<br><small>Deviations from the paper and reference code: "
            f"paper_tables/{pname}/DEVIATIONS.md</small>{_cost_line(pname)}</p>"
        )
        summary: list[dict[str, Any]] = []  # the paper's claim table, filled while the artifacts are read
        summary_at = len(parts)
        for aname, aspec in spec["artifacts"].items():
            parts.append(
                f'<div class="card"><h3>{pname} {aname}: {html.escape(aspec["title"])}</h3>'
                f'<p><b>Paper ({html.escape(aspec["where"])}):</b> <span class="quote">'
                f"{html.escape(aspec['paper_says'])}</span></p>"
            )
            claims = [c for c in spec["claims"] if c["artifact"] == aname]
            pub = published(paper.folder)
            sources = [
                {"label": r.label, "dir": r.dir, "prov": r.prov or _no_provenance(r), "result": r}
                for r in results(pname, aname)
            ]
            if not sources:
                parts.append("<p>" + _verdict_badge("not run") + " no result yet</p>")
                for c in claims:
                    res = judge(c, None, pub)
                    claim_rows.append(
                        {
                            "paper": pname,
                            "claim": c["id"],
                            "artifact": aname,
                            "source": "none",
                            "scale": "",
                            "comparable": False,
                            **res,
                        }
                    )
                    summary.append(
                        {
                            "claim": c,
                            "res": res,
                            "verdict": res["verdict"],
                            "src": None,
                            "df": None,
                            "published": pub,
                        }
                    )
            for src in sources:
                prov, r = src["prov"], src["result"]
                df = r.df
                runs = prov.get("runs", [])
                n_div = sum(r["status"] == "diverged" for r in runs)
                parts.append(
                    f'<div class="src"><p><b>{html.escape(src["label"])}</b> {_scale_badge(prov["scale"])}'
                    f'<span class="badge notrun">data: {html.escape(prov["data"])}</span>'
                    f'<span class="badge notrun">seeds: {html.escape(str(prov["seeds"] or "n/a"))}</span><br>'
                    f"<small>{len(runs)} runs ({n_div} diverged), training {prov['train_wall_time_s']:.0f} s, "
                    f"artifact {prov['artifact_wall_time_s']:.0f} s, git {html.escape(prov['git_commit'][:12])}, "
                    f"{html.escape(prov['date'])}, weights: {html.escape(str(prov['weights']))}</small></p>"
                )
                # values from a randomly initialised Inception (smoke, no weights file) are shown, but greyed out
                random_init = "RANDOM-INIT" in str(prov.get("weights", ""))
                if random_init:
                    parts.append(
                        '<p><span class="badge smoke">random-init Inception: metric values are meaningless'
                        "</span></p><div class=grey>"
                    )
                parts.append(_img(src["dir"] / f"{aname}.png"))
                parts.append(_table(df))
                if random_init:
                    parts.append("</div>")
                if claims:
                    parts.append(
                        "<table><tr><th class=l>claim</th><th class=l>check</th><th>measured</th>"
                        "<th>reference</th><th class=l>verdict</th></tr>"
                    )
                for c in claims:
                    res = judge(c, r, pub)
                    comparable = r.comparable
                    verdict = res["verdict"] + (
                        "" if comparable or res["verdict"] == "not run" else " (not comparable)"
                    )
                    claim_rows.append(
                        {
                            "paper": pname,
                            "claim": c["id"],
                            "artifact": aname,
                            "source": r.source,
                            "scale": r.scale,
                            "comparable": comparable,
                            **res,
                        }
                    )
                    summary.append({"claim": c, "res": res, "verdict": verdict, "src": src, "df": df, "published": pub})
                    revised = "".join(
                        f"<br><small><b>revised {html.escape(str(rv['date']))}</b>: was "
                        f"{html.escape(str(rv['old']))}; why: {html.escape(str(rv['why']))}</small>"
                        for rv in c.get("revisions") or []
                    )
                    ctrl = f"control: {html.escape(str(res['control']))}" + (
                        f" &rarr; {html.escape(str(res['control_verdict']))}" if res.get("control_verdict") else ""
                    )
                    parts.append(
                        f"<tr><td class=l>{html.escape(c['statement'])}<br><small>tolerance: "
                        f"{html.escape(c['tolerance_reason'])}</small>{revised}</td>"
                        f"<td class=l><small>{html.escape(res['check'])}<br>{ctrl}"
                        f"</small></td><td>{_fmt(res['measured'])}</td><td>{_fmt(res['reference'])}</td>"
                        f"<td class=l>{_verdict_badge(verdict, res)}<br>"
                        f"<small>{html.escape(res['detail'])}</small></td></tr>"
                    )
                if claims:
                    parts.append("</table>")
                parts.append("</div>")
            parts.append("</div>")
        if summary:
            parts.insert(
                summary_at,
                "<h3>Claims: published vs reproduced</h3>"
                + _summary_table(summary)
                + "<p><small>One row per claim and result source. &#10003; holds, &#10007; fails, ? "
                "inconclusive, ~ preliminary (fewer than 3 seeds), &empty; not measurable, &ne; not comparable, "
                "&ndash; not run; the count is the training seeds on "
                "which it holds. The std over training seeds is kept apart from the "
                "evaluation-resampling spread (IS splits or draws), shown below it where the metric has one."
                "</small></p>",
            )
    parts += _classifiers_section(plan)
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>ganrepro report</title>"
        f"<style>{CSS}</style></head><body>"
    )
    page += "\n".join(parts) + "</body></html>\n"
    for r in claim_rows:  # per-seed lists as space-separated cells
        for k in ("seed_measured", "seed_reference"):
            r[k] = " ".join(f"{v:.6g}" for v in r.get(k) or [])
    with atomic_group() as files:  # the page and its table change together, or neither does
        files.to_csv(pd.DataFrame(claim_rows), out_dir / "claims.csv")
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

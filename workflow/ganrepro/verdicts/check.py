"""`ganrepro check`: judge every claim on the reproduced tables, one line per claim per source, for CI.

Sources, per paper: the committed results `paper_tables/<paper>/reproduced/<artifact>.csv` and (unless
committed_only) the fresh ones `results/paper_tables/<paper>/<artifact>.csv`. Each line reads
`<paper> <claim> [<source>, scale=<scale>]: <verdict> (<detail>)`.

A reproduction may honestly fail a paper's claim; that is a result, not a broken build. So the verdicts of the
committed reproduction are recorded in `paper_tables/<paper>/reproduced/verdicts.csv` (written by `ganrepro
keep`, see record_verdicts) and `check` fails (exit 1) when
  - a committed result no longer gives its recorded verdict and seed count, or its measured value moved from the
    recorded one by more than the claim's tolerance (someone edited the numbers, or the claim changed);
  - a fresh non-smoke result gives another verdict than the recorded one (it does not reproduce it);
  - a non-smoke result fails a claim that has no recorded verdict.
Never failures: smoke-scale results ("not comparable (smoke)"), artifacts not built yet ("not run"), and
comparisons with published numbers whose protocol differs ("not comparable", with the reason).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_to_csv, sha256_file
from ganrepro.core.paths import committed_dir, fresh_dir, paper_dir, repo_root
from ganrepro.core.provenance import now_iso
from ganrepro.spec import names
from ganrepro.spec.paper import claim_sha256, load_paper
from ganrepro.verdicts.results import CANNOT_JUDGE, judge, published, read_json, read_table, result, same_value

VERDICT_COLUMNS = [
    "paper",
    "claim",
    "verdict",
    "seeds_holding",
    "seeds_total",
    "artifact",
    "measured",
    "claim_sha256",
    "recorded",
    "claim_sha256_at_start",
    "run_started",
]


def _revised_since(claim: dict[str, Any], recorded: str) -> bool:
    return any(str(r.get("date", "")) >= recorded[:10] for r in claim.get("revisions") or [])


def _unrevised_change(claim: dict[str, Any], old_hash: Any, new_hash: str, since: str) -> bool:
    """The claim's recorded hash `old_hash` (from `since`) differs from `new_hash` and no revision is dated since.
    A missing record (results kept before hashes were recorded) is not a change."""
    return isinstance(old_hash, str) and bool(old_hash) and old_hash != new_hash and not _revised_since(claim, since)


_MOVED = (
    "the kept result, judged again, moved: if the claim or the verdict rule changed, add a revision to the claim's "
    "`revisions:` and run `ganrepro rejudge {paper}`; if the kept files changed, restore them with `git checkout`"
)
ADDED_LATER = "absent"  # claim_sha256_at_start of a claim written after its result's runs had started
_UNRECORDED = (
    "no recorded verdict in reproduced/verdicts.csv for this kept result: the claim was added after the result was "
    "kept (add a revision saying so, then `ganrepro rejudge {paper}`), or verdicts.csv lost the row (`git checkout`)"
)
_ADD_REVISION = "add one to its `revisions:` in paper.yaml (date, old rule, why), then `ganrepro rejudge {paper}`"


def rejudge(paper: str) -> Path:
    """Record the verdicts of the committed results again after claims were revised (`ganrepro rejudge`): refused
    while a claim differs from the one its result was kept under and has no revision dated since."""
    folder = paper_dir(paper)
    spec = load_paper(folder)
    expected = _expected(folder)
    unrecorded = [
        c["id"]
        for c in spec["claims"]
        if _unrevised_change(
            c,
            (exp := expected.get(c["id"], {})).get("claim_sha256"),
            claim_sha256(c),
            str(exp.get("recorded") or ""),
        )
    ]
    added = [
        c["id"]
        for c in spec["claims"]
        if expected
        and c["id"] not in expected
        and not c.get("revisions")
        and result(paper, c["artifact"], "committed") is not None
    ]
    if added:
        raise GanreproError(
            f"paper_tables/{paper}/paper.yaml: claim(s) {', '.join(added)} judge results kept before they were "
            "written (no row in reproduced/verdicts.csv); add a revision to each (date, old: 'none, claim added', "
            "why), so the report shows that the claim came after its result"
        )
    if unrecorded:
        raise GanreproError(
            f"paper_tables/{paper}/paper.yaml: claim(s) {', '.join(unrecorded)} changed after their results were kept "
            "and have no revision dated since; add one to each claim's `revisions:` (date, old rule, why) first"
        )
    rows = _verdict_rows(paper, spec)
    refuse_unrevised_moves(paper, spec, rows, expected, {c["artifact"] for c in spec["claims"]})
    return _write_verdicts(paper, rows)


def refuse_unrevised_moves(
    paper: str, spec: dict[str, Any], rows: list[dict[str, Any]], expected: dict[str, Any], same: set[str]
) -> None:
    """GanreproError when a claim on an artifact in `same` (its kept results unchanged) gets another verdict than the
    one recorded and has no revision dated since: judged again on the same results, a verdict moves only because the
    claim or the verdict rule changed after the result was seen, which is a revision to record, never a quiet
    rewrite (`rejudge`, and `keep` of a byte-identical artifact)."""
    claims = {c["id"]: c for c in spec["claims"]}
    moved = [
        f"{r['claim']} ({_verdict_text(exp)} -> {_verdict_text(r)})"
        for r in rows
        if r["artifact"] in same
        and (exp := expected.get(r["claim"]))
        and _verdict_key(exp) != _verdict_key(r)
        and not _revised_since(claims[r["claim"]], str(exp.get("recorded") or ""))
    ]
    if moved:
        raise GanreproError(
            f"paper_tables/{paper}/paper.yaml: the verdict of {'; '.join(moved)} changes on the same results and the "
            "claim has no revision dated since it was kept; add one to its `revisions:` (date, old rule, why: e.g. "
            "the verdict rule changed) first"
        )


def record_verdicts(paper: str, same: set[str] | frozenset[str] = frozenset()) -> Path:
    """Evaluate the paper's claims on its committed CSVs and write reproduced/verdicts.csv (the expected verdicts,
    with the hash of each claim as it stood and the date). `same`: the artifacts whose kept CSV did not change,
    on which a verdict may not move without a revision (refuse_unrevised_moves)."""
    spec = load_paper(paper_dir(paper))
    rows = _verdict_rows(paper, spec)
    refuse_unrevised_moves(paper, spec, rows, _expected(paper_dir(paper)), set(same))
    return _write_verdicts(paper, rows)


def _verdict_rows(paper: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    folder = paper_dir(paper)
    pub = published(folder)
    rows = []
    today = now_iso()[:10]
    for claim in spec["claims"]:
        r = result(paper, claim["artifact"], "committed")
        res = judge(claim, r, pub)
        if res["verdict"] == CANNOT_JUDGE:
            raise GanreproError(
                f"{folder}/paper.yaml: {res['detail']}; fix the claim or rebuild the artifact before keeping it"
            )
        rows.append(
            {
                "paper": paper,
                "claim": claim["id"],
                "verdict": res["verdict"],
                "seeds_holding": res["seeds_holding"],
                "seeds_total": res["seeds_total"],
                "artifact": claim["artifact"],
                "measured": res["measured"],
                "claim_sha256": claim_sha256(claim),
                "recorded": today,
                **_at_start(paper, claim["id"], r.prov if r is not None else None),
            }
        )
    return rows


def _write_verdicts(paper: str, rows: list[dict[str, Any]]) -> Path:
    out = paper_dir(paper) / "reproduced" / "verdicts.csv"
    atomic_to_csv(
        pd.DataFrame(rows, columns=VERDICT_COLUMNS).astype({"seeds_holding": "Int64", "seeds_total": "Int64"}),
        out,
    )
    return out


def _at_start(paper: str, claim_id: str, prov: dict[str, Any] | None) -> dict[str, str]:
    """The claim's hash when the first of its result's runs was created (claims_at_start.json of each run, carried
    into the artifact's provenance); empty for runs made before this was recorded."""
    starts = sorted(
        (str(rec.get("recorded", "")), str(rec["claims"][key]))
        for run in (prov or {}).get("runs", [])
        if isinstance(rec := run.get("claims_at_start"), dict)
        and isinstance(rec.get("claims"), dict)
        and (key := f"{paper}/{claim_id}") in rec["claims"]
    )
    if not starts:
        # a run records the claims of the papers planned when it was created; another paper can share the run
        # (same config, same folder), so only a record holding this paper's claims says this one was missing
        recorded = sorted(
            str(rec.get("recorded", ""))
            for run in (prov or {}).get("runs", [])
            if isinstance(rec := run.get("claims_at_start"), dict)
            and isinstance(rec.get("claims"), dict)
            and any(str(k).startswith(f"{paper}/") for k in rec["claims"])
        )
        if recorded:  # its runs recorded this paper's claims they would judge, and this one was not among them yet
            return {"claim_sha256_at_start": ADDED_LATER, "run_started": recorded[0][:10]}
        return {"claim_sha256_at_start": "", "run_started": ""}
    return {"claim_sha256_at_start": starts[0][1], "run_started": starts[0][0][:10]}


def verdict_changes(paper: str, before: dict[str, dict[str, Any]]) -> list[str]:
    """One line per claim whose recorded verdict or seed count differs from `before` (recorded_verdicts taken
    earlier), e.g. 'fig2_x: preliminary 1/1 -> holds 3/3': what `keep` and `rejudge` changed."""
    return [
        f"{cid}: {_verdict_text(old) if old is not None else 'not recorded'} -> {_verdict_text(now)}"
        for cid, now in recorded_verdicts(paper).items()
        if (old := before.get(cid)) is None or _verdict_key(old) != _verdict_key(now)
    ]


def _verdict_key(rec: dict[str, Any]) -> tuple[Any, int | None, int | None]:
    """What a recorded verdict is: the verdict and its seed counts (the measured value may move within tolerance)."""
    return rec["verdict"], _int(rec["seeds_holding"]), _int(rec["seeds_total"])


def _verdict_text(rec: dict[str, Any]) -> str:
    """'holds 3/3', or the verdict alone without training seeds."""
    verdict, holding, total = _verdict_key(rec)
    return f"{verdict} {holding}/{total}" if total else str(verdict)


def recorded_verdicts(paper: str) -> dict[str, dict[str, Any]]:
    """The paper's reproduced/verdicts.csv as {claim id: row} ({} when there is none)."""
    return _expected(paper_dir(paper))


def _expected(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "reproduced" / "verdicts.csv"
    if not path.exists():
        return {}
    df = read_table(
        path,
        f"restore it with `git checkout -- {path}` or rewrite it with `ganrepro keep`",
        allow_empty=True,
        text=("claim_sha256", "recorded", "claim_sha256_at_start", "run_started"),
    )
    missing = [c for c in ("claim", "verdict", "seeds_holding", "seeds_total", "measured") if c not in df.columns]
    if missing:
        raise GanreproError(f"{path}: missing column(s) {', '.join(missing)}; restore it with `git checkout -- {path}`")
    return {r["claim"]: r for r in df.to_dict("records")}


def _int(x: Any) -> int | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _seeds(res: dict[str, Any]) -> str:
    n = _int(res.get("seeds_total"))
    return f"{_int(res['seeds_holding'])}/{n} seeds" if n else "no seeds"


def _figure_lines(paper: str, spec: dict[str, Any], lines: list[str]) -> int:
    """One line per committed artifact whose files or code no longer match its provenance; returns the number of
    failing ones. A CSV or PNG whose bytes differ from the recorded sha256 was edited or damaged (a failure); one
    drawn by artifact code that has changed since is stale (shown, not failing: rebuilding needs its runs)."""
    from ganrepro.artifacts import KINDS, code_sha256

    root, n_fail = repo_root(), 0
    for name, art in spec["artifacts"].items():
        prov_path = committed_dir(paper) / f"{name}.provenance.json"
        if not prov_path.exists():
            continue
        prov = read_json(prov_path, f"restore it with `git checkout -- {prov_path.relative_to(root)}`")
        head = f"{paper} {name} [committed figure]"
        recorded = prov.get("files_sha256")
        if not recorded:
            lines.append(f"{head}: not verified (kept before file hashes were recorded; rebuild and keep to add them)")
            continue
        for ext, digest in sorted(recorded.items()):
            path = committed_dir(paper) / f"{name}.{ext}"
            if not path.exists() or sha256_file(path) != digest:
                n_fail += 1
                rel = path.relative_to(root)
                lines.append(
                    f"{head}: CHECK FAILED: {rel} {'is missing' if not path.exists() else 'differs from'} the bytes "
                    f"its provenance records (edited or damaged): `git checkout -- {rel}`, or rebuild and keep it"
                )
        if art["kind"] in KINDS.names() and prov.get("code_sha256") not in (None, code_sha256(art["kind"])):
            lines.append(
                f"{head}: stale (drawn by older {art['kind']} artifact code; rebuild it from its runs and keep it)"
            )
    return n_fail


def _kept_run_lines(paper: str, lines: list[str]) -> int:
    """One line per kept run (`ganrepro keep-runs`): verified, or what is wrong with it; returns the failures."""
    from ganrepro.verdicts.keep_runs import verify_kept

    n_fail = 0
    for rid, problem in verify_kept(paper):
        if problem:
            n_fail += 1
            lines.append(f"{paper} kept run {rid}: CHECK FAILED: {problem}")
        else:
            lines.append(f"{paper} kept run {rid}: verified (bytes match its manifest, config matches the plan)")
    return n_fail


def check(papers: list[str], committed_only: bool = False) -> tuple[int, list[str]]:
    """Return (exit code, lines): 0 when nothing fails, 1 otherwise (module docstring)."""
    root = repo_root()
    lines: list[str] = []
    n_fail = 0
    sources = ["committed"] if committed_only else ["committed", "fresh"]
    for paper in papers:
        names.check("paper", paper, "ganrepro check")
        folder = paper_dir(paper)
        if not (folder / "paper.yaml").exists():
            raise GanreproError(f"no paper folder paper_tables/{paper}/ (with a paper.yaml)")
        spec = load_paper(folder)
        pub = published(folder)
        expected = _expected(folder)
        used_keys = set()
        counts: dict[str, Counter[str]] = {label: Counter() for label in sources}
        for claim in spec["claims"]:
            tol = float(claim["check"].get("tolerance", 0))
            if claim["check"]["type"] == "published":
                used_keys.add(str(claim["check"].get("key")))
            exp = expected.get(claim["id"])
            for label in sources:
                head = f"{paper} {claim['id']} [{label}"
                r = result(paper, claim["artifact"], label)
                if r is None:
                    where = committed_dir(paper) if label == "committed" else fresh_dir(paper)
                    lines.append(f"{head}]: not run (no {(where / (claim['artifact'] + '.csv')).relative_to(root)})")
                    counts[label]["not run"] += 1
                    continue
                head = f"{head}, scale={r.scale}]"
                res = judge(claim, r, pub)
                v, detail = res["verdict"], res["detail"]
                counts[label][v if r.comparable else "not comparable (smoke)"] += 1
                if v == CANNOT_JUDGE:  # the claim does not fit its artifact: never a quiet "ok"
                    n_fail += 1
                    lines.append(f"{head}: CHECK FAILED: {v}: {detail}")
                    continue
                if not r.comparable and label == "committed":  # kept results are paper scale (keep refuses smoke)
                    n_fail += 1
                    lines.append(
                        f"{head}: CHECK FAILED: the committed provenance says scale {r.scale}, not comparable; "
                        "`ganrepro keep` never keeps such a result: restore it with "
                        f"`git checkout -- {r.dir.relative_to(root)}`"
                    )
                    continue
                if not r.comparable:
                    why = "smoke" if r.scale == "smoke" else f"scale {r.scale}, not marked comparable"
                    lines.append(
                        f"{head}: not comparable ({why}; measured: {v}" + (f", {detail}" if detail else "") + ")"
                    )
                    continue
                problems = []
                if exp is not None and label == "committed":
                    rec_hash, recorded = exp.get("claim_sha256"), str(exp.get("recorded") or "")
                    started = str(exp.get("run_started") or "")
                    if _unrevised_change(claim, rec_hash, claim_sha256(claim), recorded):
                        problems.append(
                            f"the claim changed after its result was kept ({recorded}) and has no revision dated "
                            f"since: {_ADD_REVISION.format(paper=paper)}"
                        )
                    kept_hash = rec_hash if isinstance(rec_hash, str) else ""
                    if _unrevised_change(claim, exp.get("claim_sha256_at_start"), kept_hash, started):
                        what = (
                            "was written after its result's first run started"
                            if exp.get("claim_sha256_at_start") == ADDED_LATER
                            else "changed after its first run started"
                        )
                        problems.append(
                            f"the claim {what} ({started}), before its result was kept, "
                            f"and has no revision dated since: {_ADD_REVISION.format(paper=paper)}"
                        )
                if exp is not None:
                    n_before = len(problems)
                    if v != exp["verdict"]:
                        problems.append(f"recorded verdict is {exp['verdict']} ({_seeds(exp)})")
                    elif label == "committed" and (_int(res["seeds_holding"]), _int(res["seeds_total"])) != (
                        _int(exp["seeds_holding"]),
                        _int(exp["seeds_total"]),
                    ):
                        problems.append(f"recorded {_seeds(exp)}, now {_seeds(res)}")
                    if label == "committed" and len(problems) > n_before:
                        problems[-1] += f" ({_MOVED.format(paper=paper)})"
                    if label == "committed" and not same_value(_num(res["measured"]), _num(exp.get("measured")), tol):
                        problems.append(
                            f"measured value moved from the recorded {exp.get('measured')} to {res['measured']}, "
                            f"more than the tolerance {tol}"
                        )
                    note = "as recorded in reproduced/verdicts.csv" if not problems else "; ".join(problems)
                elif label == "committed":  # `keep` records every claim: a kept result with no row is never ok
                    problems.append(_UNRECORDED.format(paper=paper))
                    note = problems[0]
                elif v == "fails":
                    problems.append("no recorded verdict in reproduced/verdicts.csv")
                    note = problems[0]
                else:
                    note = "no recorded verdict"
                if problems:
                    n_fail += 1
                    note = "CHECK FAILED: " + note
                text = "; ".join(s for s in (detail, note) if s)
                lines.append(f"{head}: {v} ({text})")
        n_fail += _figure_lines(paper, spec, lines)
        n_fail += _kept_run_lines(paper, lines)
        for label, c in counts.items():  # a line per paper and source to read before the detail above
            lines.append(f"{paper} [{label}] verdicts: " + ", ".join(f"{n} {v}" for v, n in c.most_common()))
        if pub is not None:
            lines.append(
                f"{paper} published.csv: {len(pub)} published values, {len(used_keys & set(pub['key']))} "
                "compared by claims"
            )
            for key in sorted(used_keys - set(pub["key"])):
                lines.append(f"{paper} published.csv: key {key!r} used by a claim is not in published.csv")
    lines.append(f"check: {n_fail} failing line(s)" if n_fail else "check: ok (nothing fails)")
    return (1 if n_fail else 0), lines

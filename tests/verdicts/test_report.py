"""The report's per-paper table: published | reproduced (mean ± std over seeds, n) | difference | tolerance | ✓/✗,
with the provenance of each number. Built on a copy of the committed WGAN Fig. 2 result."""

from __future__ import annotations

import re
import shutil

import pandas as pd
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan
from ganrepro.verdicts.report import write_report
from scipy.stats import spearmanr

from ..conftest import ROOT


def _row(page: str, claim_id: str, nth: int = 0) -> str:
    """The HTML of the summary-table row of one claim (nth match, in table order)."""
    table = page.split("<table class=summary>", 1)[1].split("</table>", 1)[0]
    rows = [r for r in table.split("<tr") if f"<b>{claim_id}</b>" in r]
    return rows[nth]


def test_summary_table_mean_std_over_seeds_and_provenance(repo_copy):
    kept = repo_copy / "paper_tables" / "wgan" / "reproduced"
    kept.mkdir(parents=True, exist_ok=True)
    for ext in ("csv", "png", "provenance.json"):
        shutil.copy(ROOT / "paper_tables" / "wgan" / "reproduced" / f"fig2.{ext}", kept / f"fig2.{ext}")
    plan = build_plan(load_config(overrides={"papers": ["wgan"]}))
    page = write_report(plan).read_text()
    assert "Paper-scale evidence" in page and "<table id=scoreboard>" in page

    # the reproduced cell is the mean +- std of the per-seed Spearman rho, computed here independently
    df = pd.read_csv(kept / "fig2.csv")
    wg = df[df["method"] == "wgan"]
    rhos = [spearmanr(g["iteration"], g["w1"]).statistic for _, g in wg.groupby("seed")]
    row = _row(page, "fig2_wgan_w1_decreases")
    mean, sd = float(pd.Series(rhos).mean()), float(pd.Series(rhos).std(ddof=1))
    assert f"{mean:.4g} &plusmn; {sd:.2g} <small>(n={len(rhos)})</small>" in row
    # difference = rho - target, per seed
    assert f"{mean + 0.5:.4g} &plusmn;" in row
    assert "&rho; &le; -0.5" in row
    holding = sum(r <= -0.5 for r in rhos)
    assert f"{holding}/{len(rhos)}" in row
    assert ("&#10003;" in row) == (holding == len(rhos))
    assert "rule: every seed must hold and its control fail, 3 seeds needed" in row  # the control is judged per seed
    # provenance of the number: source, scale, git commit, run config hashes, hardware and compute time
    assert "committed" in row and "scale paper" in row and "git " in row and "CPU-h" in row
    runs = pd.read_json(kept / "fig2.provenance.json", typ="series")["runs"]
    shown = [r["run_id"].rsplit("-", 1)[-1] for r in runs if r["run_id"].rsplit("-", 1)[-1] in row]
    assert shown and (len(shown) == len(runs) or f"+{len(runs) - len(shown)}" in row)  # the rest counted

    # a compare claim shows its right side as mean +- std too
    row = _row(page, "fig2_gan_fewer_modes")
    assert re.search(r"right: [-0-9.]+ &plusmn; [-0-9.e]+ <small>\(n=3\)</small>", row)


def test_summary_table_moves_with_the_numbers(repo_copy):
    """Perturb the committed CSV so that W1 rises over training: the row must turn to a failure."""
    kept = repo_copy / "paper_tables" / "wgan" / "reproduced"
    kept.mkdir(parents=True, exist_ok=True)
    for ext in ("png", "provenance.json"):
        shutil.copy(ROOT / "paper_tables" / "wgan" / "reproduced" / f"fig2.{ext}", kept / f"fig2.{ext}")
    df = pd.read_csv(ROOT / "paper_tables" / "wgan" / "reproduced" / "fig2.csv")
    df["w1"] = df["iteration"] * 1e-3  # strictly increasing with iteration: rho = +1 on every seed
    df.to_csv(kept / "fig2.csv", index=False)
    page = write_report(build_plan(load_config(overrides={"papers": ["wgan"]}))).read_text()
    row = _row(page, "fig2_wgan_w1_decreases")
    assert "1 &plusmn; 0 <small>(n=3)</small>" in row
    assert "&#10007; 0/3" in row


def test_evaluation_spread_is_shown_apart_from_the_seed_spread():
    from ganrepro.verdicts.report import _eval_spread

    df = pd.DataFrame({"run": ["a", "a", "b"], "seed": [0, 1, 0], "value": [4.0, 4.2, 3.0], "std": [0.2, 0.4, 9.0]})
    claim = {
        "check": {
            "type": "threshold",
            "where": "run == 'a'",
            "value": "value",
            "agg": "mean",
            "op": ">=",
            "target": 4,
        }
    }
    assert "&plusmn; 0.3" in _eval_spread(claim, df)  # mean of the selected rows' split std, not the seed std
    assert _eval_spread(claim, df.drop(columns="std")) == ""
    claim["check"]["type"] = "spearman"
    assert _eval_spread(claim, df) == ""


def test_cost_line_comes_from_the_cost_model_with_its_unit(repo_copy):
    import pandas as pd
    from ganrepro.verdicts.report import _cost_line

    assert _cost_line("wgan") == ""  # no cost model: nothing is claimed
    d = repo_copy / "benchmarks" / "cpu"
    d.mkdir(parents=True)
    pd.DataFrame(
        [
            {
                "paper": "wgan",
                "counted_in_paper_total": True,
                "hours": 1.25,
                "seeds": 3,
                "basis": "measured (same preset)",
                "hours_unit": "cpu-hours (train benchmark device)",
                "git_commit": "abc123",
            },
            {
                "paper": "wgan",
                "counted_in_paper_total": False,
                "hours": 100.0,
                "seeds": 3,
                "basis": "proxy: x",
                "hours_unit": "cpu-hours (train benchmark device)",
                "git_commit": "abc123",
            },
        ]
    ).to_csv(d / "cost.csv", index=False)
    line = _cost_line("wgan")
    assert "1.2 cpu-hours" in line and "over 1 runs (0 timed by proxy)" in line and "benchmarks/cpu/cost.csv" in line
    assert "timed on" not in line  # no train benchmark beside it: no host named
    pd.DataFrame([{"hw_cpu_model": "AMD EPYC", "hw_cpu_count": 2, "torch_threads": 2}]).to_csv(d / "train.csv")
    assert "timed on AMD EPYC, 2 cores, 2 threads" in _cost_line("wgan")  # whose hours they are
    assert _cost_line("swgan") == ""


PAPERS = ["wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"]


def check_verdicts(lines):
    """{(paper, claim, source): (verdict, comparable)} from `ganrepro check` lines."""
    import re

    out = {}
    for line in lines:
        m = re.match(r"(\S+) (\S+) \[(committed|fresh), scale=[^\]]*\]: (.*)$", line)
        if not m:
            continue
        paper, claim, source, rest = m.groups()
        if rest.startswith("not comparable ("):
            verdict = re.match(r"not comparable \([^;]*; measured: ([a-z ]+?)(,|\))", rest).group(1)
            out[(paper, claim, source)] = (verdict, False)
        elif rest.startswith("CHECK FAILED: cannot judge"):
            out[(paper, claim, source)] = ("cannot judge", None)
        else:
            out[(paper, claim, source)] = (re.match(r"([a-z ]+?) \(", rest).group(1), True)
    return out


def report_verdicts(repo):
    import pandas as pd

    df = pd.read_csv(repo / "results" / "report" / "claims.csv")
    df = df[df["source"] != "none"]
    return {(r.paper, r.claim, r.source): (r.verdict, bool(r.comparable)) for r in df.itertuples()}


def test_check_and_report_give_the_same_verdict_on_the_committed_results(repo_copy):
    import shutil

    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan
    from ganrepro.verdicts.check import check
    from ganrepro.verdicts.report import write_report

    for p in PAPERS:
        shutil.copytree(ROOT / "paper_tables" / p / "reproduced", repo_copy / "paper_tables" / p / "reproduced")
    code, lines = check(PAPERS)
    assert code == 0, "\n".join(lines)
    write_report(build_plan(load_config(overrides={"papers": PAPERS})))
    from_check, from_report = check_verdicts(lines), report_verdicts(repo_copy)
    assert len(from_check) >= 20 and from_check == from_report
    # control: one committed number moved far enough to flip a verdict changes both, the same way
    import pandas as pd

    path = repo_copy / "paper_tables" / "wgan" / "reproduced" / "fig1.csv"
    df = pd.read_csv(path)
    df["W_measured"] = df["W_measured"] + 5.0
    df.to_csv(path, index=False)
    code2, lines2 = check(PAPERS)
    write_report(build_plan(load_config(overrides={"papers": PAPERS})))
    c2, r2 = check_verdicts(lines2), report_verdicts(repo_copy)
    assert code2 == 1 and c2 == r2 and c2 != from_check
    assert c2[("wgan", "fig1_em_is_abs_theta", "committed")] == ("fails", True)


def test_the_difference_of_two_equal_infinities_is_zero_not_nan():
    from ganrepro.verdicts.report import _difference_cell

    inf = float("inf")
    assert _difference_cell({"seed_measured": [inf], "seed_reference": [inf]}).startswith("0 ")  # KL = +inf as printed
    assert _difference_cell({"seed_measured": [5.0], "seed_reference": [inf]}).startswith("-inf")  # control
    assert _difference_cell({"seed_measured": [1.5, 2.5], "seed_reference": [1.0, 1.0]}).startswith("1 &plusmn;")


def test_the_effect_strip_puts_each_seed_on_its_side_of_the_threshold():
    import re

    from ganrepro.verdicts.report import _effect_strip

    def dots(svg: str) -> list[tuple[bool, str]]:  # (right of the threshold line, colour) per seed
        return [
            (float(x) > 60, c) for x, c in re.findall(r'<circle cx="([-0-9.]+)" cy="[0-9.]+" r="3" fill="(#\w+)"', svg)
        ]

    claim = {"check": {"type": "threshold", "op": ">=", "target": 8, "tolerance": 0}}
    res = {"seed_measured": [9.0, 10.0, 6.0], "seed_reference": [8.0] * 3, "seed_verdicts": "0:holds 1:holds 2:fails"}
    svg = _effect_strip(claim, res)
    assert dots(svg) == [(True, "#198754"), (True, "#198754"), (False, "#dc3545")]
    assert "seed 2: -2 (fails)" in svg and "95% interval" in svg
    # control: the same numbers under a "<=" claim put the seeds on the other sides
    flipped = _effect_strip(
        {"check": {**claim["check"], "op": "<="}}, {**res, "seed_verdicts": "0:fails 1:fails 2:holds"}
    )
    assert [right for right, _ in dots(flipped)] == [False, False, True]
    assert _effect_strip(claim, {**res, "seed_measured": [9.0], "seed_reference": [8.0]}) == ""  # one seed: no strip

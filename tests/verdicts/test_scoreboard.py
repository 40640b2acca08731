"""The report's first screen, read as a browser would (stdlib html.parser): the scoreboard's counts equal the
counted rows of claims.csv, paper-scale and smoke evidence never share a section, preliminary and analogue
verdicts do not get the plain ✓, not-run claims say what they need, and a stand-in classifier is said up front."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from ganrepro.core.paths import classifier_dir, fresh_dir, paper_dir
from ganrepro.spec.config import load_config
from ganrepro.spec.paper import load_paper
from ganrepro.spec.plan import build_plan
from ganrepro.verdicts import standing
from ganrepro.verdicts.report import write_report
from ganrepro.verdicts.standing import BUCKETS

from ..conftest import ROOT

PAPERS = ["wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"]


class Page(HTMLParser):
    """What a reader sees: the scoreboard cells, and per paper section the summary rows under each h3."""

    def __init__(self) -> None:
        super().__init__()
        self.board: dict[str, dict[str, int]] = {}  # paper -> bucket -> count
        self.board_text: dict[str, str] = {}
        self.rows: list[dict[str, object]] = []  # summary rows in page order
        self.first_section_at: int | None = None  # index in `events` of the first paper section
        self.events: list[str] = []
        self._in_board = self._in_h3 = False
        self._paper = self._section = self._h3 = ""
        self._row: dict[str, object] | None = None
        self._in_b = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "table" and a.get("id") == "scoreboard":
            self._in_board = True
        elif tag == "section" and (a.get("id") or "").startswith("paper-"):
            self._section = (a.get("id") or "")[len("paper-") :]
            if self.first_section_at is None:
                self.first_section_at = len(self.events)
        elif tag == "h3":
            self._in_h3, self._h3 = True, ""
        elif self._in_board and tag == "tr" and a.get("data-paper"):
            self._paper = a["data-paper"] or ""
            self.board[self._paper], self.board_text[self._paper] = {}, ""
        elif self._in_board and tag == "td" and a.get("data-bucket"):
            self.board[self._paper][a["data-bucket"] or ""] = int(a.get("data-count") or -1)
        elif not self._in_board and tag == "tr" and self._section:
            self._row = {"paper": self._section, "under": self._h3, "smoke": "smokerow" in classes, "badges": []}
        elif tag == "b" and self._row is not None and "claim" not in self._row:
            self._in_b = True
        elif tag == "span" and "badge" in classes and self._row is not None:
            self._row["badges"].append(classes)  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._in_board:
            self._in_board = False
        elif tag == "h3":
            self._in_h3 = False
        elif tag == "tr" and self._row is not None:
            if "claim" in self._row:
                self._row["text"] = "".join(self._row.get("chunks", []))  # type: ignore[arg-type]
                self.rows.append(self._row)
            self._row = None
        elif tag == "b":
            self._in_b = False

    def handle_data(self, data: str) -> None:
        self.events.append(data)
        if self._in_h3:
            self._h3 += data
        if self._in_board and self._paper:
            self.board_text[self._paper] += data
        if self._row is not None:
            if self._in_b:
                self._row["claim"] = data
                self._in_b = False
            self._row.setdefault("chunks", []).append(data)  # type: ignore[union-attr]


@pytest.fixture
def report(repo_copy, monkeypatch):
    """A report of the five papers' committed results, with the Columbia Fashion-MNIST curves cut to seed 0 (so a
    preliminary verdict occurs), plus one fresh smoke result and a stand-in classifier."""
    monkeypatch.setattr(standing, "_cuda_here", lambda: False)  # the reasons below are this CPU machine's
    for p in PAPERS:
        shutil.copytree(ROOT / "paper_tables" / p / "reproduced", repo_copy / "paper_tables" / p / "reproduced")
    one_seed = repo_copy / "paper_tables" / "wgangp_columbia" / "reproduced" / "fmnist_losses.csv"
    df = pd.read_csv(one_seed)
    df[df["seed"] == 0].to_csv(one_seed, index=False)
    fresh = fresh_dir("wgan")
    fresh.mkdir(parents=True)
    kept = ROOT / "paper_tables" / "wgan" / "reproduced"
    for ext in ("csv", "png"):
        shutil.copy(kept / f"fig2.{ext}", fresh / f"fig2.{ext}")
    prov = json.loads((kept / "fig2.provenance.json").read_text())
    (fresh / "fig2.provenance.json").write_text(json.dumps({**prov, "scale": "smoke", "comparable": False}))
    plan = build_plan(load_config(overrides={"papers": PAPERS, "classifiers": ["fashion_mnist"]}))
    cid = next(c for c, cfg in plan.classifiers.items() if cfg["dataset"] == "fashion_mnist")
    info = {
        "test_accuracy": 0.5,
        "target": 0.89,
        "passed": False,
        "stand_in": True,
        "data": "stand-in (synthetic images, not real data)",
        "device": "cpu",
        "training": {"optimizer": "adam", "epochs": 1, "seed": 0, "train_n": 10, "test_n": 10, "train_seconds": 1.0},
    }
    classifier_dir(cid).mkdir(parents=True)
    (classifier_dir(cid) / "failed.json").write_text(json.dumps(info))
    html = write_report(plan).read_text()
    page = Page()
    page.feed(html)
    return page, pd.read_csv(repo_copy / "results" / "report" / "claims.csv")


def test_scoreboard_counts_are_the_counted_rows_of_claims_csv(report):
    page, claims = report
    assert sorted(page.board) == sorted(PAPERS)  # one row per paper
    counted = claims[claims["counted"]]
    assert counted.groupby(["paper", "claim"]).size().max() == 1  # each claim counted once
    for paper in PAPERS:
        mine = counted[counted["paper"] == paper]
        cells = page.board[paper]
        assert cells["claims"] == len(mine) == len(load_paper(paper_dir(paper))["claims"])
        for b in BUCKETS:
            assert cells[b] == int((mine["standing"] == b).sum()), (paper, b)
        assert cells["other"] == int((~mine["standing"].isin(BUCKETS)).sum())
        assert sum(cells[b] for b in BUCKETS) + cells["other"] == cells["claims"]
    # the fresh smoke result is in claims.csv but never counted; the committed paper-scale row is
    wgan = claims[(claims["paper"] == "wgan") & (claims["artifact"] == "fig2")]
    assert set(wgan["source"]) == {"committed", "fresh"}
    assert not wgan[wgan["source"] == "fresh"]["counted"].any() and wgan[wgan["source"] == "committed"]["counted"].all()
    assert "needs a GPU" in page.board_text["wgan"]  # the not-run reasons are on the first screen


def test_a_move_in_the_judged_rows_moves_the_scoreboard(repo_copy, monkeypatch):
    """Control: a committed number moved far enough to flip a verdict changes the scoreboard the same way."""
    monkeypatch.setattr(standing, "_cuda_here", lambda: False)
    shutil.copytree(ROOT / "paper_tables" / "wgan" / "reproduced", repo_copy / "paper_tables" / "wgan" / "reproduced")
    plan = build_plan(load_config(overrides={"papers": ["wgan"]}))
    before = Page()
    before.feed(write_report(plan).read_text())
    path = repo_copy / "paper_tables" / "wgan" / "reproduced" / "fig1.csv"
    df = pd.read_csv(path)
    df["W_measured"] = df["W_measured"] + 5.0
    df.to_csv(path, index=False)
    after = Page()
    after.feed(write_report(plan).read_text())
    assert after.board["wgan"]["fails"] == before.board["wgan"]["fails"] + 1
    assert after.board["wgan"]["holds"] == before.board["wgan"]["holds"] - 1


def test_paper_scale_and_smoke_evidence_are_separate_sections(report):
    page, _ = report
    rows = [r for r in page.rows if r["paper"] == "wgan"]
    assert any(r["smoke"] for r in rows) and any(not r["smoke"] for r in rows)
    first_smoke = next(i for i, r in enumerate(rows) if r["smoke"])
    assert all(not r["smoke"] and r["under"].startswith("Paper-scale") for r in rows[:first_smoke])
    assert all(r["smoke"] and r["under"].startswith("Smoke evidence") for r in rows[first_smoke:])  # never interleaved


def test_preliminary_and_analogue_verdicts_do_not_get_the_plain_check(report):
    page, claims = report
    counted = claims[claims["counted"]].set_index(["paper", "claim"])
    seen = set()
    for r in page.rows:
        if r["smoke"]:
            continue
        row = counted.loc[(r["paper"], r["claim"])]
        if row["standing"] == "not run":  # listed with its reason, no verdict badge
            assert not r["badges"]
            continue
        verdict_badge = r["badges"][0]
        if row["standing"] == "preliminary":
            assert "prelim" in verdict_badge and "holds" not in verdict_badge
            seen.add("preliminary")
        elif row["standing"] == "holds" and row["analogue"]:
            assert "analogue" in verdict_badge and "holds" not in verdict_badge
            assert "analogue" in r["text"]
            seen.add("analogue")
        elif row["standing"] == "holds":
            assert "holds" in verdict_badge
    assert seen == {"preliminary", "analogue"}  # both kinds occur in the fixture


def test_not_run_claims_say_what_they_need_in_words(report):
    page, claims = report
    row = next(r for r in page.rows if r["claim"] == "fig4_w_estimate_falls")  # WGAN Fig. 4: LSUN on a GPU
    assert "needs LSUN bedroom and a GPU" in r_text(row) and "snakemake --profile slurm" in r_text(row)
    not_run = claims[claims["counted"] & (claims["standing"] == "not run")]
    assert not_run["why_not_run"].str.startswith(("needs ", "not yet run")).all()


def r_text(row: dict[str, object]) -> str:
    return str(row["text"])


def test_a_stand_in_classifier_is_said_on_the_first_screen(report):
    page, _ = report
    first_screen = " ".join(page.events[: page.first_section_at])
    assert "fell back to a STAND-IN" in first_screen and "below its target" in first_screen
    assert "classifier fashion_mnist: stand-in" in page.board_text["swgan"]


def test_papers_outside_the_config_have_a_row_saying_so(repo_copy, monkeypatch):
    monkeypatch.setattr(standing, "_cuda_here", lambda: False)
    page = Page()
    page.feed(write_report(build_plan(load_config(overrides={"papers": ["wgan"]}))).read_text())
    assert sorted(page.board) == sorted(PAPERS)
    assert page.board["wgan"]["claims"] == len(load_paper(paper_dir("wgan"))["claims"])
    for p in set(PAPERS) - {"wgan"}:
        assert page.board[p] == {} and f"papers=[wgan,{p}]" in page.board_text[p]  # no counts, and how to get them

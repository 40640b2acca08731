"""`ganrepro check`: passes on the committed wgan results, fails on a perturbed copy, never fails on smoke results,
refuses protocol mismatches with published numbers."""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from ganrepro.cli import main
from ganrepro.verdicts.check import check

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def wgan_copy(repo_copy):
    """A repository copy with the committed wgan results (repo_copy leaves reproduced/ out)."""
    shutil.copytree(ROOT / "paper_tables" / "wgan" / "reproduced", repo_copy / "paper_tables" / "wgan" / "reproduced")
    return repo_copy


def _line(lines, claim, source):
    return next(x for x in lines if x.startswith(f"wgan {claim} [{source}"))


def test_passes_on_committed_results(wgan_copy, capsys):
    purdue = "paper_tables/wgangp_purdue/reproduced"
    shutil.copytree(ROOT / purdue, wgan_copy / purdue)
    assert main(["check", "--committed-only"]) == 0
    out = capsys.readouterr().out
    # mixed seeds are recorded in verdicts.csv and do not break CI (a recorded "fails": the next test)
    assert "wgangp_purdue fig5_clip_0p01_gradients_vanish [committed, scale=paper]: holds (" in out
    assert "wgan fig2_wgan_no_mode_collapse [committed, scale=paper]: inconclusive (" in out
    assert "wgan fig1_em_is_abs_theta [committed, scale=paper]: holds (" in out
    assert out.strip().endswith("check: ok (nothing fails)")
    # a count per paper, from the same lines: every claim once
    import re

    summary = next(x for x in out.splitlines() if x.startswith("wgan [committed] verdicts: "))
    counts = {v: int(n) for n, v in re.findall(r"(\d+) ([a-z ()]+?)(?:,|$)", summary.split(": ", 1)[1])}
    claims = [x for x in out.splitlines() if x.startswith("wgan ") and (" [committed, " in x or " [committed]: " in x)]
    assert sum(counts.values()) == len(claims) == 14
    assert counts["holds"] == sum(": holds (" in x for x in claims)


def test_a_recorded_fails_is_a_result_not_a_check_failure(wgan_copy, capsys):
    """No committed result fails today, so one is made: a fig1 whose EM distance is off by 1 is kept (its verdict,
    fails, is recorded) and check passes on it. Control: the same file without keeping it fails check."""
    _fresh(wgan_copy, "paper")
    assert check(["wgan"])[0] == 1  # control: a fresh result that disagrees with the recorded holds
    src, dst = ROOT / "paper_tables" / "wgan" / "reproduced", wgan_copy / "results" / "paper_tables" / "wgan"
    shutil.copy(src / "fig1.png", dst / "fig1.png")  # keep takes a whole artifact, as built
    prov = json.loads((dst / "fig1.provenance.json").read_text())
    prov["files_sha256"]["csv"] = hashlib.sha256((dst / "fig1.csv").read_bytes()).hexdigest()
    (dst / "fig1.provenance.json").write_text(json.dumps(prov))
    assert main(["keep", "wgan", "fig1"]) == 0
    capsys.readouterr()
    shutil.rmtree(wgan_copy / "results")
    assert main(["check", "--committed-only"]) == 0
    out = capsys.readouterr().out
    assert "wgan fig1_em_is_abs_theta [committed, scale=paper]: fails (" in out
    assert out.strip().endswith("check: ok (nothing fails)")


def test_fails_on_perturbed_copy(wgan_copy):
    path = wgan_copy / "paper_tables" / "wgan" / "reproduced" / "fig1.csv"
    df = pd.read_csv(path)
    df.loc[5, "W_measured"] = df.loc[5, "W_paper"] + 0.2  # outside the 0.05 tolerance of fig1_em_is_abs_theta
    df.to_csv(path, index=False)
    r = subprocess.run(["ganrepro", "check", "--committed-only"], capture_output=True, text=True, cwd=wgan_copy)
    assert r.returncode == 1, r.stdout + r.stderr
    line = _line(r.stdout.splitlines(), "fig1_em_is_abs_theta", "committed")
    assert line.startswith("wgan fig1_em_is_abs_theta [committed, scale=paper]: fails (")
    assert "CHECK FAILED" in line and "recorded verdict is holds" in line


def test_value_moving_within_same_verdict_is_caught(wgan_copy):
    path = wgan_copy / "paper_tables" / "wgan" / "reproduced" / "fig2.csv"
    df = pd.read_csv(path)
    df.loc[df["final"] & (df["method"] == "wgan"), "modes_covered"] -= 1  # still fails, but the number moved
    df.to_csv(path, index=False)
    code, lines = check(["wgan"], committed_only=True)
    assert code == 1 and "measured value moved" in _line(lines, "fig2_wgan_no_mode_collapse", "committed")


def _fresh(repo, scale, perturb=True):
    d = repo / "results" / "paper_tables" / "wgan"
    d.mkdir(parents=True)
    for name in ("fig1", "fig2", "fig3"):
        src = ROOT / "paper_tables" / "wgan" / "reproduced"
        df = pd.read_csv(src / f"{name}.csv")
        if name == "fig1" and perturb:
            df["W_measured"] += 1.0
        df["scale"] = scale
        df.to_csv(d / f"{name}.csv", index=False)
        prov = json.loads((src / f"{name}.provenance.json").read_text())
        (d / f"{name}.provenance.json").write_text(json.dumps({**prov, "scale": scale, "comparable": scale != "smoke"}))


def test_smoke_results_are_never_failures(wgan_copy):
    _fresh(wgan_copy, "smoke")
    code, lines = check(["wgan"])
    assert code == 0
    line = _line(lines, "fig1_em_is_abs_theta", "fresh")
    assert line.startswith("wgan fig1_em_is_abs_theta [fresh, scale=smoke]: not comparable (smoke; measured: fails")


def test_fresh_paper_results_must_reproduce_recorded_verdicts(wgan_copy):
    _fresh(wgan_copy, "paper", perturb=False)
    assert check(["wgan"])[0] == 0
    shutil.rmtree(wgan_copy / "results")
    _fresh(wgan_copy, "paper")
    code, lines = check(["wgan"])
    assert code == 1 and "CHECK FAILED" in _line(lines, "fig1_em_is_abs_theta", "fresh")


def test_missing_artifacts_are_not_run(repo_copy):
    code, lines = check(["wgan"])
    assert code == 0
    assert _line(lines, "fig3_critic_gradient_clean", "committed").endswith(
        "not run (no paper_tables/wgan/reproduced/fig3.csv)"
    )


def test_keep_records_the_committed_verdicts(wgan_copy):
    kept = wgan_copy / "paper_tables" / "wgan" / "reproduced"
    shutil.copytree(kept, wgan_copy / "results" / "paper_tables" / "wgan")
    (kept / "verdicts.csv").unlink()
    assert main(["keep", "wgan", "--force"]) == 0  # --force: skip declared artifacts with no paper-scale result
    got = pd.read_csv(kept / "verdicts.csv")
    want = pd.read_csv(ROOT / "paper_tables" / "wgan" / "reproduced" / "verdicts.csv")
    # the date is the day of keeping (today), not the committed one: compare everything else, and the date apart
    from ganrepro.core.provenance import now_iso

    assert (got["recorded"] == now_iso()[:10]).all()
    pd.testing.assert_frame_equal(got.drop(columns="recorded"), want.drop(columns="recorded"))


def test_published_protocol_mismatch_is_not_comparable(wgan_copy):
    folder = wgan_copy / "paper_tables" / "wgan"
    (folder / "published.csv").write_text(
        "artifact,key,column,value,std,where,protocol\nfig2,modes_wgan,modes,8,,Fig. 2 (p. 9),unstated\n"
    )
    spec = yaml.safe_load((folder / "paper.yaml").read_text())
    spec["claims"].append(
        {
            "id": "fig2_published_modes",
            "artifact": "fig2",
            "statement": "s",
            "tolerance_reason": "r",
            "check": {
                "type": "published",
                "key": "modes_wgan",
                "where": "final and method == 'wgan'",
                "value": "modes_covered",
                "agg": "mean",
                "tolerance": 0,
                "requires_protocol": "class_stats500",
            },
            "control": {"set": {"column": "modes_covered", "value": 2}},
            "revisions": [{"date": "2099-01-01", "old": "none, claim added", "why": "written after fig2 was kept"}],
        }
    )
    (folder / "paper.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["rejudge", "wgan"]) == 0  # a claim added after its result was kept: recorded, with its revision
    code, lines = check(["wgan"], committed_only=True)
    assert code == 0
    line = _line(lines, "fig2_published_modes", "committed")
    assert ": not comparable (" in line and "class_stats500" in line
    assert "wgan published.csv: 1 published values, 1 compared by claims" in lines
    fig2 = folder / "reproduced" / "fig2.csv"
    df = pd.read_csv(fig2)
    df["metric"] = "toy_modes"
    df.to_csv(fig2, index=False)
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, "fig2_published_modes", "committed")
    assert "not comparable (reproduced with metric toy_modes, the comparison requires class_stats500" in line


@pytest.mark.parametrize(
    "name, damage",
    [
        ("fig1.csv", b""),
        ("fig1.csv", b"\x00\x01\x02binary\xff\xfe"),
        ("fig1.csv", b"theta\n"),  # cut after the header
        ("fig1.provenance.json", b'{"scale": "pap'),
        ("verdicts.csv", b"claim\n"),
    ],
)
def test_a_damaged_committed_file_is_one_line_naming_it(wgan_copy, capsys, name, damage):
    (wgan_copy / "paper_tables" / "wgan" / "reproduced" / name).write_bytes(damage)
    assert main(["check", "--committed-only", "--paper", "wgan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganrepro: error: ") and name in err[0] and "git checkout" in err[0]


def test_a_committed_figure_that_differs_from_its_recorded_bytes_fails_check(wgan_copy):
    png = wgan_copy / "paper_tables" / "wgan" / "reproduced" / "fig1.png"
    code, lines = check(["wgan"], committed_only=True)
    fig1 = [x for x in lines if x.startswith("wgan fig1 [committed figure]")]
    assert code == 0 and not any("CHECK FAILED" in x for x in fig1)  # control: unedited (at most "stale")
    png.write_bytes(png.read_bytes()[:-10])
    code, lines = check(["wgan"], committed_only=True)
    line = next(x for x in lines if x.startswith("wgan fig1 [committed figure]"))
    assert code == 1 and "CHECK FAILED" in line and "fig1.png differs from the bytes" in line and "git checkout" in line


def test_a_committed_figure_drawn_by_older_code_is_reported_stale(wgan_copy):
    prov_path = wgan_copy / "paper_tables" / "wgan" / "reproduced" / "fig1.provenance.json"
    prov = json.loads(prov_path.read_text())
    prov["code_sha256"] = "0" * 64
    prov_path.write_text(json.dumps(prov))
    code, lines = check(["wgan"], committed_only=True)
    line = next(x for x in lines if x.startswith("wgan fig1 [committed figure]"))
    assert code == 0 and "stale" in line and "parallel_lines_distances" in line


def test_a_committed_result_relabelled_smoke_fails_check(wgan_copy):
    prov_path = wgan_copy / "paper_tables" / "wgan" / "reproduced" / "fig2.provenance.json"
    prov = json.loads(prov_path.read_text())
    prov["scale"], prov["comparable"] = "smoke", False
    prov_path.write_text(json.dumps(prov))
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, "fig2_wgan_w1_decreases", "committed")
    assert code == 1 and "CHECK FAILED" in line and "scale smoke" in line and "git checkout" in line


def _fresh_copy_with_new_fig1(wgan_copy):
    """Fresh results equal to the kept ones except fig1's PNG (so keeping fig1 alone would show);
    returns the kept and fresh folders and the kept files' bytes before anything is kept."""
    kept = wgan_copy / "paper_tables" / "wgan" / "reproduced"
    fresh = wgan_copy / "results" / "paper_tables" / "wgan"
    shutil.copytree(kept, fresh)
    (fresh / "fig1.png").write_bytes(b"new png")
    prov = json.loads((fresh / "fig1.provenance.json").read_text())
    prov["files_sha256"]["png"] = hashlib.sha256(b"new png").hexdigest()
    (fresh / "fig1.provenance.json").write_text(json.dumps(prov))
    return kept, fresh, {p.name: p.read_bytes() for p in kept.iterdir()}


def test_keep_refuses_an_incomplete_artifact_and_changes_nothing(wgan_copy, capsys):
    kept, fresh, before = _fresh_copy_with_new_fig1(wgan_copy)
    (fresh / "fig2.csv").unlink()
    assert main(["keep", "wgan", "fig1", "fig2"]) == 2
    err = capsys.readouterr().err
    assert "fig2 is incomplete (missing fig2.csv)" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before  # fig1 was not kept alone either


def test_keep_restores_the_previous_files_when_verdicts_cannot_be_recorded(wgan_copy, monkeypatch, capsys):
    import ganrepro.verdicts.check as check_mod

    kept, _, before = _fresh_copy_with_new_fig1(wgan_copy)

    def broken(paper, same=frozenset()):
        raise check_mod.GanreproError("a claim no longer fits")

    monkeypatch.setattr(check_mod, "record_verdicts", broken)
    assert main(["keep", "wgan", "fig1"]) == 2
    assert "a claim no longer fits" in capsys.readouterr().err  # that error, not another one
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before


def test_a_claim_changed_after_its_result_was_kept_needs_a_recorded_revision(wgan_copy, capsys):
    path = wgan_copy / "paper_tables" / "wgan" / "paper.yaml"
    spec = yaml.safe_load(path.read_text())
    claim = next(c for c in spec["claims"] if c["id"] == "fig2_wgan_w1_decreases")
    claim["check"]["target"] = -0.6  # tightened after seeing rho = -0.77: still holds, but it is a change
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, "fig2_wgan_w1_decreases", "committed")
    assert code == 1 and "changed after its result was kept" in line and "revisions:" in line
    assert main(["rejudge", "wgan"]) == 2 and "fig2_wgan_w1_decreases" in capsys.readouterr().err
    claim["revisions"] = [{"date": "2099-01-01", "old": "target -0.5", "why": "a test"}]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert check(["wgan"], committed_only=True)[0] == 0  # recorded as a revision: shown, not a failure
    assert main(["rejudge", "wgan"]) == 0
    rec = pd.read_csv(wgan_copy / "paper_tables" / "wgan" / "reproduced" / "verdicts.csv")
    assert rec.set_index("claim").loc["fig2_wgan_w1_decreases", "claim_sha256"] != ""


def test_rejudge_refuses_a_verdict_that_moves_on_the_same_results_without_a_revision(wgan_copy, capsys):
    folder = wgan_copy / "paper_tables" / "wgan"
    path = folder / "reproduced" / "verdicts.csv"
    assert main(["rejudge", "wgan"]) == 0  # control: nothing moved, nothing to revise
    assert "no verdict changed" in capsys.readouterr().out
    rec = pd.read_csv(path, dtype=str)
    cid = "fig2_wgan_w1_decreases"
    # as if it had been kept under an older verdict rule that judged it otherwise; the claim itself is unchanged
    rec.loc[rec["claim"] == cid, ["verdict", "seeds_holding"]] = ["inconclusive", "2"]
    rec.to_csv(path, index=False)
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, cid, "committed")
    assert code == 1 and "recorded 2/3 seeds, now 3/3 seeds" not in line  # the verdict itself moved
    assert "recorded verdict is inconclusive" in line and "`ganrepro rejudge wgan`" in line
    assert main(["rejudge", "wgan"]) == 2
    err = capsys.readouterr().err
    assert f"{cid} (inconclusive 2/3 -> holds 3/3)" in err and "revisions:" in err
    assert pd.read_csv(path, dtype=str).equals(rec)  # nothing written
    spec = yaml.safe_load((folder / "paper.yaml").read_text())
    next(c for c in spec["claims"] if c["id"] == cid)["revisions"] = [
        {"date": "2099-01-01", "old": "an older verdict rule", "why": "a test"}
    ]
    (folder / "paper.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["rejudge", "wgan"]) == 0
    assert pd.read_csv(path).set_index("claim").loc[cid, "verdict"] == "holds"
    out = capsys.readouterr().out  # what changed, claim by claim
    assert f"verdicts changed:\n  {cid}: inconclusive 2/3 -> holds 3/3\n" in out and out.count(" -> ") == 1


def _claims_at_start(wgan_copy, artifact, claim_hashes, recorded="2026-01-01T00:00:00+00:00"):
    """Give every run of a committed artifact a claims-at-start record, as `ganrepro run-config` writes it."""
    path = wgan_copy / "paper_tables" / "wgan" / "reproduced" / f"{artifact}.provenance.json"
    prov = json.loads(path.read_text())
    for run in prov["runs"]:
        run["claims_at_start"] = {"recorded": recorded, "claims": claim_hashes}
    path.write_text(json.dumps(prov))


def test_a_claim_changed_between_its_run_start_and_keep_needs_a_recorded_revision(wgan_copy):
    from ganrepro.spec.paper import claim_sha256, load_paper

    path = wgan_copy / "paper_tables" / "wgan" / "paper.yaml"
    claims = {c["id"]: c for c in load_paper(path.parent)["claims"]}
    cid = "fig2_wgan_w1_decreases"
    now = {f"wgan/{c}": claim_sha256(claims[c]) for c in claims if claims[c]["artifact"] == "fig2"}
    _claims_at_start(wgan_copy, "fig2", now)  # control: the claims stood as they stand now when the runs started
    assert main(["rejudge", "wgan"]) == 0
    rec = pd.read_csv(path.parent / "reproduced" / "verdicts.csv", dtype=str).set_index("claim")
    assert rec.loc[cid, "claim_sha256_at_start"] == rec.loc[cid, "claim_sha256"] and rec.loc[cid, "run_started"]
    assert check(["wgan"], committed_only=True)[0] == 0

    _claims_at_start(wgan_copy, "fig2", {**now, f"wgan/{cid}": "0123456789abcdef"})  # edited while the runs ran
    assert main(["rejudge", "wgan"]) == 0  # kept under today's claim; its start hash differs
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, cid, "committed")
    assert code == 1 and "changed after its first run started (2026-01-01)" in line and "revisions:" in line
    assert "CHECK FAILED" not in _line(lines, "fig2_gan_fewer_modes", "committed")  # only the changed claim

    spec = yaml.safe_load(path.read_text())
    next(c for c in spec["claims"] if c["id"] == cid)["revisions"] = [
        {"date": "2026-01-02", "old": "target -0.5", "why": "a test"}
    ]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert check(["wgan"], committed_only=True)[0] == 0  # recorded as a revision: shown, not a failure


def test_a_kept_result_with_no_recorded_verdict_fails_and_a_claim_added_after_it_needs_a_revision(wgan_copy, capsys):
    folder = wgan_copy / "paper_tables" / "wgan"
    path, cid = folder / "reproduced" / "verdicts.csv", "fig2_wgan_w1_decreases"
    assert check(["wgan"], committed_only=True)[0] == 0  # control: every kept result has its row
    rec = pd.read_csv(path, dtype=str)
    rec[rec["claim"] != cid].to_csv(path, index=False)  # the row lost, or the claim written after the keep
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, cid, "committed")
    assert code == 1 and "CHECK FAILED: no recorded verdict" in line and "holds" in line  # even a holding claim
    assert main(["rejudge", "wgan"]) == 2
    assert f"{cid} judge results kept before they were written" in capsys.readouterr().err
    spec = yaml.safe_load((folder / "paper.yaml").read_text())
    next(c for c in spec["claims"] if c["id"] == cid)["revisions"] = [
        {"date": "2099-01-01", "old": "none, claim added", "why": "a test"}
    ]
    (folder / "paper.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["rejudge", "wgan"]) == 0
    assert check(["wgan"], committed_only=True)[0] == 0


def test_a_claim_written_after_its_runs_started_needs_a_revision(wgan_copy):
    from ganrepro.spec.paper import claim_sha256, load_paper

    folder = wgan_copy / "paper_tables" / "wgan"
    claims = {c["id"]: c for c in load_paper(folder)["claims"]}
    cid = "fig2_wgan_w1_decreases"
    others = {f"wgan/{c}": claim_sha256(claims[c]) for c in claims if claims[c]["artifact"] == "fig2" and c != cid}
    # control: runs created for another paper's plan (a shared run folder) say nothing about this paper's claims
    _claims_at_start(wgan_copy, "fig2", {"swgan/some_claim": "0123456789abcdef"})
    assert main(["rejudge", "wgan"]) == 0
    rec = pd.read_csv(folder / "reproduced" / "verdicts.csv", dtype=str).set_index("claim")
    assert pd.isna(rec.loc[cid, "claim_sha256_at_start"]) and check(["wgan"], committed_only=True)[0] == 0
    _claims_at_start(wgan_copy, "fig2", others)  # the runs started when this claim did not exist yet
    assert main(["rejudge", "wgan"]) == 0
    rec = pd.read_csv(folder / "reproduced" / "verdicts.csv", dtype=str).set_index("claim")
    assert rec.loc[cid, "claim_sha256_at_start"] == "absent" and rec.loc[cid, "run_started"] == "2026-01-01"
    code, lines = check(["wgan"], committed_only=True)
    line = _line(lines, cid, "committed")
    assert code == 1 and "was written after its result's first run started (2026-01-01)" in line
    assert "CHECK FAILED" not in _line(lines, "fig2_gan_fewer_modes", "committed")  # control: it was there
    spec = yaml.safe_load((folder / "paper.yaml").read_text())
    next(c for c in spec["claims"] if c["id"] == cid)["revisions"] = [
        {"date": "2026-01-02", "old": "none, claim added", "why": "a test"}
    ]
    (folder / "paper.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert check(["wgan"], committed_only=True)[0] == 0


def test_keep_of_the_same_results_may_not_move_a_verdict_without_a_revision(wgan_copy, capsys):
    kept = wgan_copy / "paper_tables" / "wgan" / "reproduced"
    fresh = wgan_copy / "results" / "paper_tables" / "wgan"
    shutil.copytree(kept, fresh)
    path, cid = kept / "verdicts.csv", "fig2_wgan_w1_decreases"
    rec = pd.read_csv(path, dtype=str)
    rec.loc[rec["claim"] == cid, ["verdict", "seeds_holding"]] = ["inconclusive", "2"]  # as under an older rule
    rec.to_csv(path, index=False)
    before = {p.name: p.read_bytes() for p in kept.iterdir()}
    assert main(["keep", "wgan", "fig2"]) == 2  # byte-identical fig2: the same results, judged otherwise
    assert f"{cid} (inconclusive 2/3 -> holds 3/3)" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before  # nothing kept
    # control: a new result (other bytes; here the same numbers written again) may change the verdict
    df = pd.read_csv(fresh / "fig2.csv")
    df.to_csv(fresh / "fig2.csv", index=False, float_format="%.15g")
    assert (fresh / "fig2.csv").read_bytes() != before["fig2.csv"]
    prov = json.loads((fresh / "fig2.provenance.json").read_text())
    prov["files_sha256"]["csv"] = hashlib.sha256((fresh / "fig2.csv").read_bytes()).hexdigest()
    (fresh / "fig2.provenance.json").write_text(json.dumps(prov))
    assert main(["keep", "wgan", "fig2"]) == 0
    assert f"{cid}: inconclusive 2/3 -> holds 3/3" in capsys.readouterr().out

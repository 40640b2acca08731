"""Issue 6: every failure mode ends in one actionable line on stderr, never a traceback, and loses nothing.

Each case goes through the real command line (`ganrepro ...`), the surface users and Snakemake jobs see. Deeper
checks of the same errors live next to their modules (test_plan, data/test_assets, metrics/test_inception,
test_engine); this file pins the user-facing message.
"""

from __future__ import annotations

import errno
import json

import pytest
import torch
import yaml
from ganrepro.cli import main

from .conftest import as_checkpoint_of, tiny_run_config


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    err = capsys.readouterr().err
    return rc, err


def assert_one_line(rc: int, err: str, *needles: str) -> None:
    """Exit 2 and a first line that says what is wrong; a data file's message adds where it looked and where to
    get it."""
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert lines[0].startswith("ganrepro: error: ") and needles[0] in lines[0], err
    assert len(lines) == 1 or "missing file" in lines[0] or "mismatch" in lines[0], err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)


def _edit_paper(repo, edit, paper="wgan"):
    path = repo / "paper_tables" / paper / "paper.yaml"
    spec = yaml.safe_load(path.read_text())
    edit(spec)
    path.write_text(yaml.safe_dump(spec))


# --- config --------------------------------------------------------------------------------------------
def test_malformed_config_file_names_the_file(repo_copy, capsys):
    bad = repo_copy / "bad.yaml"
    bad.write_text("scale: [smoke\nseeds: 0]\n")
    rc, err = run_cli(capsys, "plan", "--configfile", str(bad))
    assert_one_line(rc, err, "bad.yaml", "not valid YAML")


@pytest.mark.parametrize(
    "override, needles",
    [
        ("bogus_key=1", ["bogus_key"]),
        ("seeds=zero", ["seeds"]),
        ("scale=huge", ["scale", "huge"]),
        ("papers=[nope]", ["nope", "available papers", "wgan"]),
    ],
)
def test_bad_config_value_names_key_and_value(repo_copy, capsys, override, needles):
    rc, err = run_cli(capsys, "plan", "--config", override)
    assert_one_line(rc, err, *needles)


def test_bad_config_value_names_its_source(repo_copy, capsys):
    rc, err = run_cli(capsys, "plan", "--config", "allow_download=sure")
    assert_one_line(rc, err, "--config allow_download=sure on the command line", "allow_download=True")
    path = repo_copy / "config" / "config.yaml"
    path.write_text(path.read_text().replace("allow_download: false", "allow_download: sure"))
    rc, err = run_cli(capsys, "plan")
    assert_one_line(rc, err, f"{path}: invalid value at key 'allow_download'", "allow_download: true")
    assert "command line" not in err


@pytest.mark.parametrize(
    "what, edit, needles",
    [
        (
            "method",
            lambda s: s["runs"]["toy8_wgan"].update(method="wgan-xl"),
            ["unknown method 'wgan-xl'", "wgangp"],
        ),
        (
            "dataset",
            lambda s: s["runs"]["toy8_wgan"].update(dataset="imagenet"),
            ["unknown dataset 'imagenet'", "mnist"],
        ),
        (
            "net",
            lambda s: s["runs"]["toy8_wgan"]["G"].update(name="resnet"),
            ["unknown G.name 'resnet'", "dcgan_g"],
        ),
        (
            "metric",
            lambda s: s["artifacts"]["fig6_8_fid"]["metrics"][0].update(name="fid1M"),
            ["unknown metric 'fid1M'", "valid names"],
        ),
    ],
)
def test_unknown_registry_name_lists_the_valid_names(repo_copy, capsys, what, edit, needles):
    _edit_paper(repo_copy, edit)
    rc, err = run_cli(capsys, "validate")
    assert_one_line(rc, err, "paper.yaml", *needles)


# --- paper folders -------------------------------------------------------------------------------------
def test_paper_missing_field(repo_copy, capsys):
    _edit_paper(repo_copy, lambda s: s.pop("citation"))
    rc, err = run_cli(capsys, "plan")
    assert_one_line(rc, err, "paper_tables/wgan/paper.yaml", "'citation' is a required property")


def test_artifact_referring_to_undeclared_run(repo_copy, capsys):
    _edit_paper(repo_copy, lambda s: s["artifacts"]["fig2"]["runs"].append("toy8_wgan_v2"))
    rc, err = run_cli(capsys, "plan")
    assert_one_line(rc, err, "artifact 'fig2' needs run 'toy8_wgan_v2'", "declared: ")


# --- data and weights ----------------------------------------------------------------------------------
def _image_run(tmp_path, data_root, **over):
    d = tmp_path / "run"
    d.mkdir()
    cfg = tiny_run_config(**over)
    cfg["dataset"] = {"name": "fashion_mnist", "image_size": 28, "channels": 1}
    (d / "config.json").write_text(json.dumps(cfg))
    return d


def test_missing_dataset_file_names_file_and_fix(repo_copy, tmp_path, capsys):
    d = _image_run(tmp_path, tmp_path / "empty")
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--data-root", str(tmp_path / "empty"), "--sources")
    assert_one_line(rc, err, "fashion_mnist", "train-images-idx3-ubyte")


def test_checksum_mismatch_names_the_file(repo_copy, tmp_path, capsys):
    from ganrepro.data import assets

    root = tmp_path / "data"
    # every Fashion-MNIST file present at its place but with the wrong bytes (e.g. a cut download)
    for a in assets.assets_for(["fashion_mnist"]):
        p = root / a.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"not the real file")
    d = _image_run(tmp_path, root)
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--data-root", str(root), "--sources")
    assert_one_line(rc, err, "mismatch", "fashion_mnist", "-ubyte")
    assert "md5" in err or "sha256" in err or "size" in err


@pytest.mark.parametrize("state", ["missing", "wrong"])
def test_inception_weights_at_paper_scale(tmp_path, state):
    from ganrepro.cli import user_message
    from ganrepro.core.errors import GanreproError
    from ganrepro.measure import inception as inc

    f = tmp_path / inc.ASSETS[inc.PYTORCH_FID].filename
    if state == "wrong":
        f.write_bytes(b"not the inception weights")
    with pytest.raises(GanreproError) as e:
        inc.resolve_weights(inc.PYTORCH_FID, tmp_path, scale="paper")
    msg = user_message(e.value)
    assert str(f) in msg and "\n" not in msg
    assert ("ganrepro prefetch" in msg) if state == "missing" else ("6726825d" in msg)


# --- checkpoints, disk, concurrency, divergence ----------------------------------------------------------
def test_truncated_checkpoint_is_set_aside_and_never_reused(tmp_path, capsys):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(tiny_run_config(iterations=10)))
    assert run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")[0] == 0
    ck = d / "ckpt" / "last.pt"
    ck.write_bytes(ck.read_bytes()[:100])  # truncated
    (d / "config.json").write_text(json.dumps(tiny_run_config(iterations=20)))
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")
    assert rc == 0 and "Traceback" not in err
    assert "last.pt is unreadable" in err and (d / "ckpt" / "last.pt.corrupt").exists()
    assert json.loads((d / "status.json").read_text())["iterations_done"] == 20


def test_full_disk_keeps_the_previous_output_and_says_so(tmp_path, capsys, monkeypatch):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(tiny_run_config(iterations=10)))
    assert run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")[0] == 0
    as_checkpoint_of(d / "ckpt" / "last.pt", tiny_run_config(iterations=20))  # as if the 20-iteration run stopped
    before = (d / "ckpt" / "last.pt").read_bytes()
    (d / "config.json").write_text(json.dumps(tiny_run_config(iterations=20)))
    real_save = torch.save

    def full_disk(obj, f, *a, **k):  # the device fills up half-way through writing the checkpoint
        real_save(obj, f, *a, **k)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")
    assert_one_line(rc, err, "no space left on the device while writing", str(d), "intact")
    assert not list(d.rglob("*.tmp*")) and not list(d.rglob(".*tmp*")), list(d.rglob("*"))
    ck = d / "ckpt"
    # the previous checkpoint survives (as last.pt, or as prev.pt when the new one never completed)
    assert before in {p.read_bytes() for p in ck.iterdir()}
    monkeypatch.setattr(torch, "save", real_save)
    assert run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")[0] == 0  # space back: it resumes


def test_two_configurations_never_share_a_run_folder(repo_copy, capsys):
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    rid = sorted(build_plan(load_config()).runs)[0]
    run_dir = repo_copy / "results" / "runs" / rid
    assert run_cli(capsys, "run-config", str(run_dir))[0] == 0
    cfg = json.loads((run_dir / "config.json").read_text())
    cfg["batch_size"] += 1  # another configuration written into this folder
    (run_dir / "config.json").write_text(json.dumps(cfg))
    rc, err = run_cli(capsys, "run-config", str(run_dir))
    assert_one_line(rc, err, "holds a different configuration", "refusing to overwrite", "Move the folder aside")
    assert json.loads((run_dir / "config.json").read_text())["batch_size"] == cfg["batch_size"]  # untouched


def test_diverging_run_is_recorded_not_raised(tmp_path, capsys):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(tiny_run_config(divergence_bound=1e-9)))
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")
    assert rc == 0 and "Traceback" not in err
    assert json.loads((d / "status.json").read_text())["status"] == "diverged"


# --- --debug ---------------------------------------------------------------------------------------------
def test_debug_flag_shows_the_traceback(repo_copy, capsys, monkeypatch):
    from ganrepro.core.errors import GanreproError

    with pytest.raises(GanreproError):
        main(["--debug", "plan", "--config", "bogus_key=1"])
    monkeypatch.setenv("GANREPRO_DEBUG", "1")
    with pytest.raises(GanreproError):
        main(["plan", "--config", "bogus_key=1"])


def test_a_bug_is_one_line_that_points_to_debug(capsys, monkeypatch):
    import ganrepro.cli as cli

    def boom(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_plan", boom)
    rc, err = run_cli(capsys, "plan")
    assert_one_line(rc, err, "internal error ZeroDivisionError", "--debug")


@pytest.mark.parametrize("damage", [b"", b'{"method": {"name": "wg', b"\x00\xff" * 40, b"[1, 2, 3]"])
def test_a_damaged_run_config_is_one_line_and_set_aside(tmp_path, capsys, damage):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_bytes(damage)
    rc, err = run_cli(capsys, "train", str(d), "--device", "cpu", "--no-progress")
    assert_one_line(rc, err, "config.json is damaged", "snakemake")
    assert (d / "config.json.corrupt").exists() and not (d / "config.json").exists()


@pytest.mark.parametrize("cmd", ["report", "validate"])
def test_ctrl_c_is_one_line_not_a_traceback(repo_copy, capsys, monkeypatch, cmd):
    import ganrepro.cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(ganrepro.cli, "cmd_" + cmd, interrupted)

    rc = ganrepro.cli.main([cmd])
    err = capsys.readouterr().err
    assert rc == 130 and len(err.strip().splitlines()) == 1 and "interrupted (Ctrl-C)" in err and cmd in err


def test_a_closed_pipe_is_quiet_success(repo_copy):
    import subprocess
    import sys

    seeds = "[" + ",".join(str(i) for i in range(300)) + "]"
    p = subprocess.run(
        f"{sys.executable} -m ganrepro.cli plan --config scale=paper 'papers=[wgan]' 'seeds={seeds}' | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=repo_copy,
        timeout=120,
    )
    assert p.stdout.startswith("scale=paper") and p.stderr == "", p.stderr


def test_a_new_run_folder_records_its_claims_before_any_result(repo_copy, capsys):
    from ganrepro.spec.config import load_config
    from ganrepro.spec.paper import claim_sha256
    from ganrepro.spec.plan import build_plan

    plan = build_plan(load_config())
    art = next(a for a in plan.artifacts() if a.runs)
    run = next(iter(art.runs.values()))[0]
    run_dir = repo_copy / "results" / "runs" / run.run_id
    assert run_cli(capsys, "run-config", str(run_dir))[0] == 0
    rec = json.loads((run_dir / "claims_at_start.json").read_text())
    judged = [c for c in plan.papers[art.paper].spec["claims"] if c["artifact"] == art.name]
    assert judged and all(rec["claims"][f"{art.paper}/{c['id']}"] == claim_sha256(c) for c in judged)
    # dated in the past, so that a rewrite shows even within the same second as the first write
    (run_dir / "claims_at_start.json").write_text(json.dumps({**rec, "recorded": "2000-01-01T00:00:00+00:00"}))
    first = (run_dir / "claims_at_start.json").read_bytes()
    (run_dir / "config.json").unlink()  # written again (same config): the record of the first start stays
    assert run_cli(capsys, "run-config", str(run_dir))[0] == 0
    assert (run_dir / "claims_at_start.json").read_bytes() == first

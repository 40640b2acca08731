"""Where a run stands (`ganrepro plan --status`), read from the files the engine writes."""

import json

from ganrepro.core.runfolder import progress_of


def _status(d, **over):
    st = {"status": "completed", "iterations_done": 500, "wall_time_s": 7200.0, "device": "cpu", **over}
    (d / "status.json").write_text(json.dumps(st))


def test_a_run_with_no_folder_is_not_started_and_one_with_only_its_config_may_be_running(tmp_path):
    assert progress_of(tmp_path / "absent", 500) == ("not started", "not started")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text("{}")
    state, line = progress_of(tmp_path / "r", 500)  # before its first checkpoint a running run leaves no trace
    assert state == "no checkpoint" and "not started, or running before its first one" in line


def test_a_finished_run_says_its_status_iterations_device_and_hours(tmp_path):
    _status(tmp_path)
    assert progress_of(tmp_path, 500) == ("completed", "completed, 500/500 G its (cpu, 2.0 h)")
    _status(tmp_path, status="diverged", iterations_done=120, diverged_at=120, divergence_reason="loss_D is nan")
    state, line = progress_of(tmp_path, 500)
    assert state == "diverged" and line == "diverged at G it 120 of 500 (loss_D is nan)"


def test_an_unfinished_run_gives_the_last_logged_iteration_from_the_end_of_losses_csv(tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "last.pt").write_bytes(b"")
    rows = "\n".join(f"{i},{-i * 0.5},1.0" for i in range(10, 3060, 10))  # longer than the 4 KiB read from its end
    (tmp_path / "losses.csv").write_text("iteration,loss_G,W_estimate\n" + rows + "\n")
    state, line = progress_of(tmp_path, 5000)
    assert state == "unfinished" and line.startswith("unfinished: logged to G it 3050 of 5000, last checkpoint ")
    assert "; log" not in line  # no job log: nothing more to say
    name = "wgangp-fashion_mnist-s0-paper-efc3e37639"
    log = tmp_path / f"{name}.log"
    log.write_text(
        f"{name}: resumed at 22% 1110/5000 it\nsome warning: {name}: 30% spelled otherwise\n"
        f"{name}: 30% 1500/5000 it, 21:00 elapsed, 0.31 it/s, about 3:08:00 left\n"
    )
    line = progress_of(tmp_path, 5000, log)[1]  # the job log's last progress line: rate and time left
    assert line.endswith(": 30% 1500/5000 it, 21:00 elapsed, 0.31 it/s, about 3:08:00 left") and "; log " in line
    log.write_text("ganrepro: error: something else\n")  # control: no progress line of this run, nothing added
    assert "; log" not in progress_of(tmp_path, 5000, log)[1]
    (tmp_path / "losses.csv").write_text("iteration,loss_G\n")  # a checkpoint before the first log row
    assert "logged to G it ? of 5000" in progress_of(tmp_path, 5000)[1]
    _status(tmp_path)  # status.json, written last, wins over the checkpoint
    assert progress_of(tmp_path, 500)[0] == "completed"


def test_a_damaged_status_is_reported_and_left_in_place(tmp_path):
    (tmp_path / "status.json").write_text("{not json")
    assert progress_of(tmp_path, 500)[0] == "unreadable"
    assert (tmp_path / "status.json").read_text() == "{not json"  # a status view never moves files

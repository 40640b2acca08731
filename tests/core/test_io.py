"""YAML is read as data and only as data: duplicate keys and alias bombs are refused, merge keys still work; a
config file that is not UTF-8 or not a mapping is one line naming it."""

import pytest
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import YamlDataError, load_yaml


def test_duplicate_key_is_refused_with_its_line():
    with pytest.raises(YamlDataError, match=r"duplicate key 'lr' at line 3 \(first at line 2\)"):
        load_yaml("opt:\n  lr: 1\n  lr: 2\n")


def test_control_merge_keys_override_without_being_duplicates():
    data = load_yaml("base: &b {lr: 1, beta: 2}\nrun:\n  <<: *b\n  lr: 3\n")
    assert data["run"] == {"lr": 3, "beta": 2}


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):  # 10^9 values once expanded, from a few hundred bytes
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(YamlDataError, match="expands to more than"):
        load_yaml("\n".join(lines) + "\n")


def test_control_a_small_shared_anchor_is_fine():
    assert load_yaml("a: &a [1, 2]\nb: [*a, *a]\n")["b"] == [[1, 2], [1, 2]]


def test_non_utf8_and_wrong_top_level_config_files_are_named(repo_copy):
    from ganrepro.spec import config

    (repo_copy / "config" / "methods.yaml").write_text("- just\n- a list\n")
    config.registry_defaults.cache_clear()
    with pytest.raises(GanreproError, match="methods.yaml: expected a mapping"):
        config.registry_defaults("methods")
    (repo_copy / "config" / "methods.yaml").write_bytes(b"wgan: {lr: 1}\n# caf\xe9 in latin-1\n")
    config.registry_defaults.cache_clear()
    with pytest.raises(GanreproError, match="methods.yaml: not UTF-8"):
        config.registry_defaults("methods")
    config.registry_defaults.cache_clear()


def test_duplicate_key_in_a_paper_yaml_names_the_file(repo_copy):
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    path = repo_copy / "paper_tables" / "wgan" / "paper.yaml"
    path.write_text(path.read_text().replace("title:", "title: first\ntitle:", 1))
    with pytest.raises(GanreproError, match="paper.yaml: duplicate key 'title'"):
        build_plan(load_config())


def test_an_atomic_group_replaces_all_its_files_or_none(tmp_path, monkeypatch):
    import errno
    import os

    import pytest
    from ganrepro.core.io import atomic_group

    a, b = tmp_path / "claims.csv", tmp_path / "index.html"
    a.write_text("old a")
    b.write_text("old b")
    real_fsync = os.fsync
    calls = []

    def full_on_second(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_on_second)
    with pytest.raises(OSError) as e, atomic_group() as g:
        g.write_text(a, "new a")
        g.write_text(b, "new b")
    assert e.value.filename == str(b)
    assert (a.read_text(), b.read_text()) == ("old a", "old b")  # the first file was written, but not swapped in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv", "index.html"]  # no temporary left
    monkeypatch.setattr(os, "fsync", real_fsync)
    with atomic_group() as g:  # control: both replaced
        g.write_text(a, "new a")
        g.write_text(b, "new b")
    assert (a.read_text(), b.read_text()) == ("new a", "new b")

"""A bad config value is blamed on where it came from: the command line (--config) or the file that set it."""

import pytest
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import COMMAND_LINE, check_config, config_origins, load_config


def test_origins_follow_files_then_the_command_line(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("scale: smoke\nseeds: [0]\n")
    b.write_text("seeds: [1]\n")
    assert config_origins([a, b], ["scale"]) == {"scale": COMMAND_LINE, "seeds": str(b)}


def test_bad_value_from_the_file_names_the_file_and_key(repo_copy):
    path = repo_copy / "config" / "config.yaml"
    path.write_text(path.read_text().replace("allow_download: false", 'allow_download: "yes"'))
    with pytest.raises(GanreproError) as e:
        load_config()
    msg = str(e.value)
    assert msg.startswith(f"{path}: invalid value at key 'allow_download'") and "\n" not in msg
    assert "allow_download: true or allow_download: false there" in msg and "command line" not in msg


def test_bad_value_from_the_command_line_names_the_command_line(repo_copy):
    # snakemake's --config reads `true` as the string 'true' (only True/False are booleans there)
    cfg = load_config() | {"allow_download": "true"}
    with pytest.raises(GanreproError) as e:
        check_config(cfg, {"allow_download": COMMAND_LINE}, "config/config.yaml")
    msg = str(e.value)
    assert msg.startswith("--config allow_download=true on the command line:") and "\n" not in msg
    assert "write allow_download=True or allow_download=False" in msg and "config.yaml" not in msg


def test_unknown_key_names_its_source_and_the_valid_keys(repo_copy):
    with pytest.raises(GanreproError, match=r"^--config bogus=1 on the command line: unknown key 'bogus'; valid keys"):
        load_config(overrides={"bogus": 1})

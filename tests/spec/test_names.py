"""Names become parts of paths: one pattern per kind, used by the paper schema, the Snakemake wildcards and every
command that takes a name; a name that would leave the results or paper folders is refused before any work."""

import re
from pathlib import Path

import pytest
from ganrepro.cli import main
from ganrepro.core.errors import GanreproError
from ganrepro.spec import names
from ganrepro.spec.config import schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bad", ["/tmp/x", "../x", "..", "a/b", "a b", "", "x\n"])
def test_bad_names_are_refused(bad):
    for kind in ("paper", "artifact", "run"):
        with pytest.raises(GanreproError, match="not valid"):
            names.check(kind, bad)


def test_good_names_pass():
    assert names.check("paper", "wgangp_purdue") == "wgangp_purdue"
    assert names.check("artifact", "fig6_8_fid") == "fig6_8_fid"
    assert names.check("run_id", "wgan-8gaussians-s0-paper-77c2088833")


def test_the_schema_and_the_wildcards_use_the_same_patterns():
    s = schema("paper")["properties"]
    assert s["paper"]["pattern"] == f"^{names.PATTERNS['paper']}$"
    assert s["runs"]["propertyNames"]["pattern"] == f"^{names.PATTERNS['run']}$"
    assert s["artifacts"]["propertyNames"]["pattern"] == f"^{names.PATTERNS['artifact']}$"
    assert s["claims"]["items"]["properties"]["id"]["pattern"] == f"^{names.PATTERNS['claim']}$"
    assert schema("config")["properties"]["papers"]["items"]["pattern"] == f"^{names.PATTERNS['paper']}$"
    smk = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    for wc, kind in (("run", "run_id"), ("paper", "paper"), ("artifact", "artifact"), ("eval", "eval")):
        assert re.search(rf'{wc}="{re.escape(names.PATTERNS[kind])}"', smk), wc


def test_artifact_command_refuses_a_path_as_a_name(repo_copy, tmp_path, capsys):
    assert main(["artifact", "wgan", str(tmp_path / "x")]) == 2
    assert "not valid" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


def test_keep_refuses_a_paper_name_that_leaves_the_paper_folders(repo_copy, capsys):
    assert main(["keep", "../wgan"]) == 2
    assert "not valid" in capsys.readouterr().err

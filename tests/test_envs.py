"""envs/ganrepro.yaml must list the same packages as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_conda_env_matches_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "envs" / "ganrepro.yaml").read_text())
    listed = set()
    for d in env["dependencies"]:
        if isinstance(d, dict):
            listed |= {_name(x) for x in d.get("pip", []) if not x.startswith("-")}
        elif not d.startswith("python"):
            listed.add(_name(d.split("::")[-1]))
    assert {_name(d) for d in deps} == listed - {"pip"}
    # pinned versions must agree too
    pins = {_name(d): d.split("==")[1] for d in deps if "==" in d}
    env_text = (ROOT / "envs" / "ganrepro.yaml").read_text()
    for name, version in pins.items():
        assert re.search(rf"{re.escape(name)}\s*==?\s*{re.escape(version)}", env_text), name

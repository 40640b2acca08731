"""The package's layers import one way (docs/architecture.md states the order). Read from the code's own imports,
module-level and function-local alike: a module may import its own layer and the layers below it, never above."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "workflow" / "ganrepro"
LAYERS = ["core", "spec", "data", "train", "measure", "artifacts", "verdicts", "bench", "forkserver", "cli"]


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return len(LAYERS)  # the package itself (ganrepro/__init__.py) sits on top
    return LAYERS.index(parts[1])


def _module_of(path: Path, pkg: Path = PKG) -> str:
    rel = path.relative_to(pkg.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, root: Path = PKG) -> list[tuple[str, int]]:
    """(imported ganrepro module, line) for every import statement in the file."""
    me = _module_of(path, root)
    pkg = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "ganrepro":  # from ganrepro import data -> the submodule
                out += [(f"ganrepro.{a.name}", node.lineno) for a in node.names]
            elif mod.startswith("ganrepro."):
                out.append((mod, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("ganrepro.")]
    return out


def violations(pkg: Path = PKG) -> list[str]:
    bad = []
    for path in sorted(pkg.rglob("*.py")):
        me = _module_of(path, pkg)
        for mod, line in _imports(path, pkg):
            if _layer(mod) > _layer(me):
                bad.append(f"{path.relative_to(pkg.parent)}:{line}: {me} imports {mod}, a layer above it")
    return bad


def test_every_module_belongs_to_a_layer():
    tops = {
        p.name.removesuffix(".py")
        for p in PKG.iterdir()
        if (p.suffix == ".py" or p.is_dir()) and p.name != "__pycache__"
    }
    tops -= {"__init__"}
    assert tops <= set(LAYERS), f"modules outside the layer list {LAYERS}: {sorted(tops - set(LAYERS))}"


def test_no_import_runs_up_a_layer():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path):
    # negative control: a copy of the package with one upward import must be reported
    fake = tmp_path / "ganrepro"
    (fake / "spec").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "spec" / "__init__.py").write_text("")
    (fake / "spec" / "plan.py").write_text("def f():\n    from ganrepro.train.engine import train\n")
    (fake / "spec" / "ok.py").write_text("from ganrepro.core.errors import GanreproError\n")
    bad = violations(fake)
    assert len(bad) == 1 and "spec/plan.py:2" in bad[0] and "ganrepro.train.engine" in bad[0]


@pytest.mark.parametrize("argv", [["plan"], ["validate"], ["check", "--committed-only"]])
def test_planning_validating_and_checking_import_no_torch(argv):
    code = (
        "import sys\nfrom ganrepro.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'torchvision', 'ot', 'pytorch_fid', 'torch_fidelity')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parents[1])
    assert "HEAVY []" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]


def test_an_artifact_that_runs_no_torch_code_records_hardware_without_importing_torch():
    """Most artifact kinds only read CSVs: their provenance names torch's installed version without paying its
    import (~2.5 s of CPU per job); a job that already imported torch records threads (and a GPU) as before."""
    code = (
        "import sys, json\nfrom ganrepro.core.provenance import hardware\n"
        "light = hardware(load_torch=False)\nloaded = 'torch' in sys.modules\n"
        "import torch\nfull = hardware(load_torch=False)\n"
        "print('OUT', json.dumps([light, loaded, full, torch.__version__]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parents[1])
    light, loaded, full, version = json.loads(out.stdout.split("OUT ", 1)[1])
    assert not loaded and "torch_threads" not in light and version.startswith(light["torch"])
    assert full["torch_threads"] >= 1 and full["torch"] == version

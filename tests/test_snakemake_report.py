"""`snakemake --report`: artifacts flagged with their paper as category, the artifact as subcategory, and a
caption rendered from paper.yaml (workflow/report/artifact.rst), plus the workflow description."""

import html
import json
import re
import subprocess

import yaml


def _smk(*args, timeout=600):
    return subprocess.run(["snakemake", *args], capture_output=True, text=True, timeout=timeout)


def _js_value(page: str, name: str):
    """The JSON value that Snakemake's HTML report assigns to `var <name> = ...` in its <script id=...> block."""
    m = re.search(rf'<script id="[\w-]+">\s*var {name} = ', page)
    assert m, f"no `var {name}` block in the report"
    return json.JSONDecoder().raw_decode(page, m.end())[0]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_snakemake_report_has_artifact_with_caption(repo_copy):
    """fig1 of the WGAN paper needs no training run: build it at smoke scale, then the Snakemake report."""
    target = "results/paper_tables/wgan/fig1.csv"
    r = _smk("--cores", "1", "--config", "seeds=[0]", "papers=[wgan]", "--", target)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = repo_copy / "report.html"
    r = _smk("--report", str(out), "--config", "seeds=[0]", "papers=[wgan]", "--", target)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert out.stat().st_size > 0
    page = out.read_text(encoding="utf-8")

    assert _js_value(page, "categories") == {
        "wgan": {"fig1": ["results/paper_tables/wgan/fig1.csv", "results/paper_tables/wgan/fig1.png"]}
    }
    results = _js_value(page, "results")
    spec = yaml.safe_load((repo_copy / "paper_tables" / "wgan" / "paper.yaml").read_text())
    paper, fig1 = spec["title"], spec["artifacts"]["fig1"]
    for name, mime, file_label in [
        ("fig1.png", "image/png", "figure (PNG)"),
        ("fig1.csv", "text/csv", "table (CSV)"),
    ]:
        res = results[f"results/paper_tables/wgan/{name}"]
        assert res["mime_type"] == mime
        assert res["labels"] == {
            "paper": "wgan",
            "artifact": "fig1",
            "kind": fig1["kind"],
            "scale": "smoke",
            "file": file_label,
        }
        caption = _text(res["caption"])
        for needle in (fig1["title"], fig1["where"], paper, fig1["paper_says"], "smoke", "NOT COMPARABLE"):
            assert " ".join(needle.split()) in caption, (needle, caption)
    description = _text(_js_value(page, "workflow_desc"))
    assert "papers wgan, scale smoke" in description and "NOT COMPARABLE" in description

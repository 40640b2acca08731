"""The generic artifact kinds on tiny real runs: two WGAN seeds and one GAN forced to diverge."""

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from ganrepro.artifacts import build
from ganrepro.artifacts.runfiles import median_filter
from ganrepro.artifacts.weight_histogram import rebin, saturation
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import sha256_file
from ganrepro.spec.plan import Artifact, Run, run_id
from ganrepro.train.engine import train

from ..conftest import tiny_run_config


def _diverging_config():
    cfg = tiny_run_config(seed=0)
    cfg["method"] = {  # a learning rate of 1e30 makes the losses non-finite within a few steps (as test_engine)
        "name": "gan",
        "optimizer_D": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "optimizer_G": {"name": "adam", "lr": 1e30, "betas": [0.5, 0.999], "eps": 1e-8},
        "critic_iters": 1,
    }
    cfg["log_every"] = 1  # its one log row keeps finite D losses and gradient norms beside the NaN loss_G
    return cfg


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    runs = {"clip": [], "boom": []}
    for key, cfg in [
        ("clip", {**tiny_run_config(seed=0), "activation_gradnorm": True}),
        ("clip", {**tiny_run_config(seed=1), "activation_gradnorm": True}),
        ("boom", _diverging_config()),
    ]:
        run = Run(paper="t", key=key, seed=cfg["seed"], config=cfg, run_id=run_id(cfg))
        d = root / "results" / "runs" / run.run_id
        d.mkdir(parents=True)
        (d / "config.json").write_text(json.dumps(cfg))
        train(d, device="cpu", progress=False, threads=1)
        runs[key].append(run)
    return root, runs


@pytest.fixture
def env(trained, tmp_path, monkeypatch):
    """A private copy of the trained runs (tests may delete or replace files), with GANREPRO_ROOT on it."""
    src, runs = trained
    root = tmp_path / "repo"
    shutil.copytree(src, root)
    monkeypatch.setenv("GANREPRO_ROOT", str(root))
    return runs


def _build(runs, kind, tmp_path, **params):
    art = Artifact(paper="t", name=kind, kind=kind, spec={"title": f"test {kind}", "params": params}, runs=runs)
    prov = build(art, "smoke", [0, 1], out_dir=tmp_path / "out")
    assert (tmp_path / "out" / f"{kind}.png").stat().st_size > 1000
    return pd.read_csv(tmp_path / "out" / f"{kind}.csv"), prov


def test_median_filter_known_series():
    s = pd.Series([1.0, 5.0, 2.0, 8.0, np.nan, 3.0, np.inf])
    np.testing.assert_allclose(median_filter(s, 3), [3, 2, 5, 5, np.nan, 3, np.nan])
    np.testing.assert_allclose(median_filter(s, 1), [1, 5, 2, 8, np.nan, 3, np.nan])


def test_loss_curve(env, tmp_path):
    df, prov = _build(env, "loss_curve", tmp_path, columns=["loss_D", "W_estimate"], median_filter=5, every=2)
    for c in [
        "scale",
        "run",
        "method",
        "seed",
        "run_id",
        "iteration",
        "status",
        "final",
        "loss_D",
        "loss_D_filtered",
        "W_estimate",
        "W_estimate_filtered",
    ]:
        assert c in df.columns
    assert (df.scale == "smoke").all() and prov["comparable"] is False
    r0 = env["clip"][0]
    full = pd.read_csv(r0.dir / "losses.csv")
    got = df[(df.run == "clip") & (df.seed == 0)]
    assert got.iteration.tolist() == [2, 6, 10, 14, 18, 20]  # every 2nd row + the final one
    assert got.final.tolist() == [False] * 5 + [True]
    raw = full.loss_D.to_numpy()
    brute = [np.median(raw[max(0, i - 2) : i + 3]) for i in range(len(raw))]
    expect = pd.Series(brute, index=full.iteration).loc[got.iteration].to_numpy()
    np.testing.assert_allclose(got.loss_D_filtered, expect)
    np.testing.assert_allclose(got.W_estimate, -got.loss_D, rtol=1e-6)
    boom = df[df.run == "boom"]  # the GAN logs no W_estimate; its diverged rows load as NaN, not an error
    assert len(boom) >= 1 and boom.W_estimate.isna().all() and (boom.status == "diverged").all()
    assert prov["diverged_runs"] == {
        env["boom"][0].run_id: json.loads((env["boom"][0].dir / "status.json").read_text())["diverged_at"]
    }
    with pytest.raises(GanreproError, match="k_t"):
        _build(env, "loss_curve", tmp_path, columns=["k_t"])
    with pytest.raises(GanreproError, match="odd"):
        _build(env, "loss_curve", tmp_path, median_filter=4)
    (r0.dir / "losses.csv").unlink()
    with pytest.raises(GanreproError, match=str(r0.dir / "losses.csv")):
        _build(env, "loss_curve", tmp_path)


def test_sample_grid(env, tmp_path):
    df, prov = _build(env, "sample_grid", tmp_path)
    assert {"run", "method", "seed", "iteration", "png", "sha256", "status"} <= set(df.columns)
    # by default every seed is shown: a row per (run, seed), both clip seeds and the one boom seed
    assert sorted(zip(df.run, df.seed, strict=True)) == [("boom", 0), ("clip", 0), ("clip", 1)]
    clip = df[df.run == "clip"].set_index("seed")
    boom = df.set_index("run").loc["boom"]
    for s, r in enumerate(env["clip"]):
        assert clip.loc[s, "iteration"] == 20
        assert clip.loc[s, "png"] == f"runs/{r.run_id}/samples/it_0000020.png"
        assert clip.loc[s, "sha256"] == sha256_file(r.dir / "samples" / "it_0000020.png")
        assert prov["images"][f"clip/seed{s}"] == clip.loc[s, "png"]
    assert clip.loc[0, "sha256"] != clip.loc[1, "sha256"]  # two seeds, two different grids
    st = json.loads((env["boom"][0].dir / "status.json").read_text())
    assert boom.status == "diverged" and boom.iteration == st["diverged_at"]
    df, _ = _build(env, "sample_grid", tmp_path, iteration=10, seed=0)
    clip, boom = df.set_index("run").loc["clip"], df.set_index("run").loc["boom"]
    assert clip.seed == 0 and clip.iteration == 10 and not clip.diverged_before
    assert boom.diverged_before and boom.iteration == st["diverged_at"]  # diverged earlier: its last grid
    df, _ = _build({"clip": env["clip"]}, "sample_grid", tmp_path, seed=1)
    assert df.seed.tolist() == [1] and df.iteration.tolist() == [20]
    with pytest.raises(GanreproError, match="seed 7"):
        _build(env, "sample_grid", tmp_path, seed=7)
    png = env["clip"][0].dir / "samples" / "it_0000010.png"
    png.unlink()
    with pytest.raises(GanreproError, match=str(png)):
        _build(env, "sample_grid", tmp_path, iteration=10)


def test_saturation_and_rebin_on_a_hand_made_histogram():
    h = pd.DataFrame(
        {
            "param": ["w", "w", "w", "b", "b", "b"],
            "lo": [-1.0, -0.99, 0.99, -0.5, -0.495, 0.495],
            "hi": [-0.99, 0.99, 1.0, -0.495, 0.495, 0.5],
            "count": [30, 40, 30, 0, 8, 2],
        }
    )
    m, sat = saturation(h)
    assert m == 1.0 and sat == pytest.approx(62 / 110)
    np.testing.assert_allclose(rebin(h[h.param == "w"], np.array([-1.0, 0.0, 1.0])), [50, 50])
    # a file without the band bins (50 equal bins, as written before) is not measurable, never estimated
    old = pd.DataFrame({"param": "w", "lo": [-1.0, 0.0], "hi": [0.0, 1.0], "count": [10, 10]})
    assert math.isnan(saturation(old)[1])


def test_engine_histograms_count_the_saturation_band_exactly():
    import torch
    from ganrepro.train.engine import _weight_histograms
    from torch import nn

    torch.manual_seed(0)
    D = nn.Linear(64, 32)
    with torch.no_grad():  # every weight at +-c, as a binding clip leaves them: the share must reach 1
        D.weight.copy_(0.01 * torch.sign(torch.randn_like(D.weight)))
        D.bias.copy_(torch.full_like(D.bias, -0.01))
    h = _weight_histograms(D, 5)
    assert h.groupby("param").size().tolist() == [50, 50]
    assert saturation(h) == (pytest.approx(0.01), pytest.approx(1.0))
    with torch.no_grad():  # control: a Gaussian tensor puts a small share in the top 1% of |w|
        D.weight.normal_()
        D.bias.normal_()
    assert saturation(_weight_histograms(D, 5))[1] < 0.05


def test_weight_histogram(env, tmp_path):
    df, prov = _build(env, "weight_histogram", tmp_path, bins=20)
    for c in [
        "run",
        "method",
        "seed",
        "iteration",
        "bin_lo",
        "bin_hi",
        "count",
        "n_weights",
        "max_abs_w",
        "saturated_fraction",
    ]:
        assert c in df.columns
    clip = df[df.run == "clip"]
    assert len(clip) == 2 * 20 and (clip.iteration == 20).all()
    n_critic = sum(int(np.prod(v.shape)) for v in json_state_dict(env["clip"][0]).values())
    for _, g in clip.groupby("seed"):
        assert g["count"].sum() == pytest.approx(n_critic) and (g.n_weights == n_critic).all()
        # WGAN clamps every critic parameter to [-0.01, 0.01] before each critic step (WG), so the snapshot taken
        # after the last step lies within one RMSProp step of the bound
        assert 0.009 < g.max_abs_w.iloc[0] < 0.0105
    assert clip.bin_lo.min() > -0.0105 and (df[df.run == "boom"].status == "diverged").all()
    # hand-made histogram in place of seed 0's: 60 of 100 weights of `w` sit within 1% of max |w|
    r0 = env["clip"][0]
    pd.DataFrame(
        {
            "iteration": 20,
            "param": ["w", "w", "w", "b", "b", "b"],
            "lo": [-1.0, -0.99, 0.99, -0.5, -0.495, 0.495],
            "hi": [-0.99, 0.99, 1.0, -0.495, 0.495, 0.5],
            "count": [30, 40, 30, 0, 8, 2],
        }
    ).to_csv(r0.dir / "hist" / "it_0000020.csv", index=False)
    df, _ = _build(env, "weight_histogram", tmp_path, params_like="w", bins=2, iteration=20)
    g = df[(df.run == "clip") & (df.seed == 0)]
    assert g.saturated_fraction.iloc[0] == pytest.approx(0.6) and g.n_weights.iloc[0] == 100
    boom = df[df.run == "boom"]
    assert boom.diverged_before.all()  # diverged before it 20: its last histogram is used
    with pytest.raises(GanreproError, match="params_like"):
        _build(env, "weight_histogram", tmp_path, params_like="nope")
    shutil.rmtree(r0.dir / "hist")
    with pytest.raises(GanreproError, match=str(r0.dir / "hist")):
        _build(env, "weight_histogram", tmp_path)


def json_state_dict(run):
    import torch

    snap = sorted((run.dir / "snapshots").glob("it_*.pt"))[-1]
    return torch.load(snap, weights_only=True)["D"]


@pytest.mark.parametrize("gradient_of, prefix", [("weights", "gradnorm_D."), ("activations", "actgradnorm_D.")])
def test_gradnorm_by_layer(env, tmp_path, gradient_of, prefix):
    env = {"clip": env["clip"]}  # the runs that logged both; the diverged one is below
    df, _ = _build(env, "gradnorm_by_layer", tmp_path, last_rows=3, gradient_of=gradient_of)
    assert {"run", "method", "seed", "layer_index", "param", "gradnorm", "n_rows"} <= set(df.columns)
    r0 = env["clip"][0]
    full = pd.read_csv(r0.dir / "losses.csv")
    gcols = [c for c in full.columns if c.startswith(prefix)]
    assert gcols
    g = df[(df.run == "clip") & (df.seed == 0)].sort_values("layer_index")
    assert g.layer_index.tolist() == list(range(1, len(gcols) + 1))
    assert g.param.tolist() == [c.removeprefix(prefix) for c in gcols]
    np.testing.assert_allclose(g.gradnorm, full[gcols].tail(3).mean().to_numpy())
    assert (g.n_rows == 3).all() and (g.iteration_to == 20).all()
    (r0.dir / "losses.csv").unlink()
    with pytest.raises(GanreproError, match=str(r0.dir / "losses.csv")):
        _build(env, "gradnorm_by_layer", tmp_path, gradient_of=gradient_of)


def test_gradnorm_by_layer_of_weights_skips_a_diverged_runs_non_finite_rows(env, tmp_path):
    df, _ = _build({"boom": env["boom"]}, "gradnorm_by_layer", tmp_path, last_rows=3, gradient_of="weights")
    bl = pd.read_csv(env["boom"][0].dir / "losses.csv")
    gcols = [c for c in bl.columns if c.startswith("gradnorm_D.")]
    assert len(df) == len(gcols) and (df.status == "diverged").all()  # never an error
    assert (df.n_rows == np.isfinite(bl[gcols]).all(axis=1).sum()).all()


def test_gradnorm_by_layer_of_activations_needs_runs_that_logged_them(env, tmp_path):
    """The boom run did not set activation_gradnorm: the error names its losses.csv and the fix."""
    with pytest.raises(GanreproError, match="activation_gradnorm: true"):
        _build({"boom": env["boom"]}, "gradnorm_by_layer", tmp_path)


def test_divergence_summary(env, tmp_path):
    df, prov = _build(env, "divergence_summary", tmp_path, window=3)
    for c in [
        "run",
        "method",
        "seed",
        "status",
        "diverged",
        "diverged_at",
        "divergence_reason",
        "iterations_done",
        "rolling_std",
        "window_rows",
    ]:
        assert c in df.columns
    boom = df[df.run == "boom"].iloc[0]
    st = json.loads((env["boom"][0].dir / "status.json").read_text())
    assert (
        bool(boom.diverged)
        and boom.diverged_at == st["diverged_at"]
        and boom.divergence_reason == st["divergence_reason"]
    )
    assert boom.iterations_done == st["iterations_done"] < 20
    bl = pd.read_csv(env["boom"][0].dir / "losses.csv").loss_D
    assert (
        boom.final_value == pytest.approx(bl[np.isfinite(bl)].iloc[-1])
        if np.isfinite(bl).any()
        else pd.isna(boom.final_value)
    )
    clip = df[(df.run == "clip") & (df.seed == 1)].iloc[0]
    assert not clip.diverged and pd.isna(clip.diverged_at) and clip.iterations_done == 20
    loss = pd.read_csv(env["clip"][1].dir / "losses.csv").loss_D
    assert clip.rolling_std == pytest.approx(loss.tail(3).std()) and clip.window_rows == 3
    with pytest.raises(GanreproError, match="k_t"):
        _build(env, "divergence_summary", tmp_path, column="k_t")
    (env["boom"][0].dir / "status.json").unlink()
    with pytest.raises(GanreproError, match=str(env["boom"][0].dir / "status.json")):
        _build(env, "divergence_summary", tmp_path)


def test_provenance_footer_sits_below_every_axes(env, tmp_path, monkeypatch):
    # The footer once overlapped the x-axis labels; it must be drawn under all of them.
    from ganrepro.core.io import AtomicGroup

    saved = {}
    real_savefig = AtomicGroup.savefig

    def spy(self, fig, path, **kw):
        saved["fig"] = fig
        return real_savefig(self, fig, path, **kw)

    monkeypatch.setattr(AtomicGroup, "savefig", spy)
    _build(env, "loss_curve", tmp_path, columns=["loss_D", "W_estimate"], median_filter=5, every=2)
    fig = saved["fig"]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()  # build() closed the figure; give it a canvas again
    footer = fig.texts[-1]
    assert "scale=smoke" in footer.get_text()
    top_of_footer = footer.get_window_extent(renderer).y1
    for ax in fig.axes:
        assert ax.get_tightbbox(renderer).y0 > top_of_footer


@pytest.mark.parametrize(
    "name, damage, needle",
    [
        ("losses.csv", lambda p: p.write_text(""), "empty"),
        ("losses.csv", lambda p: p.write_text("\n".join(p.read_text().splitlines()[:4]) + "\n"), "last logged"),
        ("losses.csv", lambda p: p.write_bytes(b"\x00\xff\xfe" * 50), "losses.csv is damaged"),
        ("status.json", lambda p: p.write_text(p.read_text()[:20]), "not valid JSON"),
        ("status.json", lambda p: p.write_text("[1, 2]"), "not an object"),
    ],
)
def test_a_damaged_run_file_is_one_line_set_aside_never_a_run_that_drops_out(env, tmp_path, name, damage, needle):
    """An emptied or cut losses.csv, or a damaged status.json, of a finished run: one error naming the file and the
    command that writes it again; the file is moved aside so the error does not repeat."""
    path = env["clip"][0].dir / name
    damage(path)
    with pytest.raises(GanreproError) as e:
        _build(env, "loss_curve", tmp_path)
    msg = str(e.value)
    assert needle in msg and str(path) in msg and "\n" not in msg
    assert "ganrepro train" in msg or "snakemake" in msg
    assert not path.exists() and path.with_name(name + ".corrupt").exists()


def test_control_an_intact_run_folder_builds(env, tmp_path):
    df, _ = _build(env, "loss_curve", tmp_path)
    assert set(df.seed) == {0, 1}


def test_figures_of_stand_in_runs_say_so_in_their_title(env, tmp_path, monkeypatch):
    """A title naming the paper's dataset (e.g. LSUN) over curves, grids or histograms from stand-in images says
    stand-in, whatever the kind: build() marks every figure whose runs used stand-in data."""
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "close", lambda fig=None: shown.append(fig))
    kinds = (
        ("loss_curve", {"columns": ["loss_D"]}),
        ("sample_grid", {}),
        ("weight_histogram", {"bins": 20}),
        ("gradnorm_by_layer", {"last_rows": 3, "gradient_of": "weights"}),
    )

    def titles():
        shown.clear()
        for kind, params in kinds:
            art = Artifact(paper="t", name=kind, kind=kind, spec={"title": "LSUN bedrooms", "params": params}, runs=env)
            build(art, "smoke", [0, 1], out_dir=tmp_path / "out")
        return [fig.get_suptitle() for fig in shown]

    assert all("STAND-IN" not in t for t in titles())  # control: toy data, no banner
    for r in env["clip"]:
        st = json.loads((r.dir / "status.json").read_text())
        (r.dir / "status.json").write_text(json.dumps({**st, "data": "stand-in (synthetic images, not real data)"}))
    got = titles()
    assert len(got) == len(kinds) and all(t.startswith("STAND-IN DATA") for t in got), got
    assert got[0].endswith("LSUN bedrooms")  # the kind's own title stays under the banner


def test_a_metric_curve_of_one_snapshot_draws_a_point(monkeypatch):
    """One snapshot per run (e.g. a FID at the last iteration only) is a visible marker, not an empty axis."""
    import matplotlib

    matplotlib.use("Agg")
    from ganrepro.artifacts import metric_curve as mc

    one = pd.DataFrame(
        {
            "run": ["a", "a"],
            "method": "wgan",
            "seed": [0, 1],
            "eval_id": "fid",
            "iteration": [100, 100],
            "value": [30.0, 32.0],
        }
    )
    monkeypatch.setattr(mc, "eval_table", lambda art: one)
    art = Artifact(paper="t", name="m", kind="metric_curve", spec={"title": "t", "params": {}}, runs={})

    def mean_line(fig):
        (line,) = [x for x in fig.axes[0].get_lines() if x.get_label() == "a (n=2 seeds)"]
        return line

    fig = mc.metric_curve(art)[1]
    line = mean_line(fig)
    assert line.get_marker() == "o" and list(line.get_ydata()) == [31.0]
    seeds = sorted(list(x.get_ydata()) for x in fig.axes[0].get_lines() if x is not line)
    assert seeds == [[30.0], [32.0]]  # each seed drawn beneath the mean
    curve = pd.concat([one.assign(iteration=[i, i]) for i in (100, 200, 300)])
    monkeypatch.setattr(mc, "eval_table", lambda art: curve)
    assert mean_line(mc.metric_curve(art)[1]).get_marker() in ("None", None, "")  # control: a curve


def test_the_code_hash_of_a_kind_covers_the_helper_modules_it_imports(monkeypatch, tmp_path):
    """A committed figure is 'stale' when the code that drew it changed: that includes a shared helper module
    (plotting) for the kinds that import it, and only for those."""
    import sys

    from ganrepro.artifacts import code_sha256, plotting

    before = {k: code_sha256(k) for k in ("loss_curve", "metric_curve", "sample_grid")}
    edited = tmp_path / "plotting.py"
    edited.write_text(open(plotting.__file__).read() + "\n# an edit\n")
    monkeypatch.setattr(sys.modules["ganrepro.artifacts.plotting"], "__file__", str(edited))
    after = {k: code_sha256(k) for k in before}
    assert after["loss_curve"] != before["loss_curve"] and after["metric_curve"] != before["metric_curve"]
    assert after["sample_grid"] == before["sample_grid"]  # control: a kind that does not use the helper

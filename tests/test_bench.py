"""ganrepro bench: runs at a tiny size (CI keeps it working); the fast path computes what the plain path does."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from ganrepro import bench
from ganrepro.train.engine import train_iteration


def test_tiny_train_bench_writes_csv_and_plot(tmp_path):
    rows = bench.bench_train("cpu", ["wgangp_gpmnist"], its=1, repeats=1, tiny=True, threads=1)
    path = bench.write(rows, "train", tmp_path)
    df = pd.read_csv(path)
    assert list(df["case"]) == ["wgangp_gpmnist"] and (tmp_path / "train.png").stat().st_size > 0
    r = df.iloc[0]
    assert r["ganrepro_its_per_s"] > 0 and r["reference_its_per_s"] > 0
    assert r["speedup"] == pytest.approx(r["ganrepro_its_per_s"] / r["reference_its_per_s"], rel=1e-2)
    assert "NOT the paper" in r["size"] and r["git_commit"] and r["version_torch"] == torch.__version__
    assert r["n_critic"] == 5 and r["batch_size"] == 8  # steady state, not WGAN's 100-step warm-up


@pytest.mark.parametrize("case", ["wgan_dcgan32", "wgangp_gpmnist", "swgan_dcgan32", "began32"])
def test_fast_path_gives_the_plain_paths_losses(case):
    """The benchmark's two loops differ in data pipeline, host syncs and optimizer kernels, never in the
    arithmetic: fed the same batches, they give the same losses (CPU; tolerance 1e-5 relative for kernel order)."""
    preset = bench.TRAIN_CASES[case]
    cfg, fast, sampler = bench._case_setup(preset, "cpu", tiny=True, foreach=None)
    _, plain, sampler2 = bench._case_setup(preset, "cpu", tiny=True, foreach=False)
    for it in range(bench.STEADY_ITERATION, bench.STEADY_ITERATION + 3):
        a = train_iteration(fast, sampler, it, cfg["batch_size"], "cpu")
        plain.begin_iteration(it)
        for _ in range(plain.n_critic(it)):
            b = plain.critic_step(sampler2.sample(cfg["batch_size"]))
            [float(v) for v in b.values()]
        b.update(plain.generator_step(cfg["batch_size"]))
        assert a.keys() == b.keys()
        for k in a:
            assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-5, abs=1e-6), (case, it, k)


def test_synthetic_paper_has_the_requested_number_of_distinct_runs():
    spec = bench._synthetic_paper(7)
    assert len(spec["runs"]) == 7 and spec["artifacts"]["all"]["runs"] == list(spec["runs"])
    assert len({r["iterations"] for r in spec["runs"].values()}) == 7


def test_tiny_dag_bench_times_snakemake_dry_runs(tmp_path):
    rows = bench.bench_dag(n_runs=5)
    df = pd.DataFrame(rows)
    assert set(df["plan_cache"]) == {"cold", "warm"} and (df["snakemake_n_s"] > 0).all()
    synth = df[df["dag"] == "synthetic_5_runs"]
    assert (synth["jobs"] > 5).all()  # 5 runs -> 5 run_config + 5 train + artifact + report + all ...
    full = df[df["dag"] == "paper_scale_all_papers_3_seeds"]
    assert (full["jobs"] > 300).all()


def test_smoke_bench_runs_the_dag_for_real_and_reports_its_time(tmp_path):
    """`ganrepro bench smoke` on one cheap target (the WGAN paper's Fig. 1 needs no training run): a real
    snakemake run in a scratch copy, timed, with its jobs and artifacts counted and the CPU load recorded."""
    rows = bench.bench_smoke(cores=1, config=["seeds=[0]"], targets=["results/paper_tables/wgan/fig1.csv"])
    (r,) = rows
    assert r["case"] == "smoke_subset" and r["wall_s"] > 0 and r["cpu_s"] > 0
    assert r["jobs"] == 1 and r["artifacts"] == 1 and r["artifacts_with_png"] == 1 and r["report"] is False
    assert "load_avg_1min_before" in r and "git_commit" in r
    assert r["jobs_artifact"] == 1 and r["cpu_s_artifact"] > 0  # from the fork server's job log
    path = bench.write(rows, "smoke", tmp_path)
    assert path.exists() and (tmp_path / "smoke.png").stat().st_size > 0


def test_cost_model_from_a_train_csv(tmp_path):
    rows = bench.bench_train("cpu", ["wgan_dcgan32", "toy8_wgangp"], its=1, repeats=1, tiny=True, threads=1)
    for r in rows:  # pretend these were the paper-size timings: the model only reads seconds per iteration
        r["size"] = "paper nets and batch size"
    src = bench.write(rows, "train", tmp_path)
    cost = pd.DataFrame(bench.cost_model(src, seeds=3))
    assert set(cost["paper"]) == {"wgan", "swgan", "tvwgan", "wgangp_columbia", "wgangp_purdue"}
    exact = cost[cost["basis"] == "measured (same preset)"]
    assert len(exact) and (exact["basis_case"].isin(["wgan_dcgan32", "toy8_wgangp"])).all()
    r = exact.iloc[0]
    assert r["hours"] == pytest.approx(r["iterations"] * r["s_per_g_iteration"] * 3 / 3600, rel=1e-3)
    assert cost["hours_unit"].str.startswith("cpu").all()
    bench.write(cost.to_dict("records"), "cost", tmp_path)
    assert (tmp_path / "cost.png").stat().st_size > 0


def test_slurm_runtime_comes_from_the_benchmark_with_a_safety_factor(tmp_path):
    from ganrepro.spec.plan import resolve_run

    cfg = resolve_run("t", "wgan_dcgan_cifar32", {"preset": "wgan_dcgan_cifar32"}, seed=0, scale="paper")
    assert bench.runtime_minutes(cfg, tmp_path / "none") == 720  # no benchmark for GPUs: the documented fallback
    row = {
        "case": "wgan_dcgan32",
        "preset": "wgan_dcgan_cifar32",
        "method": "wgan",
        "image_size": 32,
        "n_critic": 5,
        "ganrepro_s_per_it": 0.06,
        "size": "paper nets and batch size",
    }
    (tmp_path / "gpu").mkdir()
    pd.DataFrame([row]).to_csv(tmp_path / "gpu" / "train.csv", index=False)
    expect = int(-(-cfg["iterations"] * 0.06 * 2.0 // 60)) + 10
    assert bench.runtime_minutes(cfg, tmp_path, safety=2.0) == expect
    assert bench.runtime_minutes(cfg, tmp_path, safety=3.0) > expect
    # a retry after a timeout (a node slower than the benchmark host) asks for one more multiple of the estimate
    assert bench.runtime_minutes(cfg, tmp_path, safety=2.0, attempt=2) == 2 * expect
    toy = resolve_run("t", "wgangp_toy8", {"preset": "wgangp_toy8"}, seed=0, scale="paper")
    assert bench.runtime_minutes(toy, tmp_path) == 720  # CPU runs read benchmarks/cpu, absent here


def test_tiny_evaluate_bench_times_both_paths_and_they_agree(tmp_path):
    rows = bench.bench_evaluate("cpu", n=20, batch_size=10)
    df = pd.read_csv(bench.write(rows, "evaluate", tmp_path))
    assert list(df["metric"]) == ["fid", "is"] and (df["ganrepro_s"] > 0).all() and (df["direct_s"] > 0).all()
    # same images, same weights: the two paths compute the same number (IS: same splits and shuffle seed)
    for r in df.itertuples():
        assert r.ganrepro_value == pytest.approx(r.direct_value, rel=1e-3), r.metric

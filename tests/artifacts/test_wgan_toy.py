import math

import pandas as pd
from ganrepro.artifacts import build
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan


def test_fig1_measures_example_1(repo_copy, tmp_path):
    plan = build_plan(load_config())
    art = plan.artifact("wgan", "fig1")
    art.spec["params"].update(n_theta=5, n_samples=300)
    prov = build(art, "smoke", [0], out_dir=tmp_path)
    df = pd.read_csv(tmp_path / "fig1.csv")
    assert prov["comparable"] is False and (df.scale == "smoke").all()
    nonzero = df[df.theta != 0]
    assert ((nonzero.W_measured - nonzero.theta.abs()).abs() < 0.06).all()
    assert (nonzero.JS_measured - math.log(2)).abs().max() < 1e-9
    assert (nonzero.TV_measured - 1.0).abs().max() < 1e-9 and (nonzero.KL_measured == math.inf).all()
    assert (tmp_path / "fig1.png").stat().st_size > 1000

"""Record golden trajectories from the authors' own training scripts, for tests/train/test_golden.py.

    python tools/record_golden.py --wgan <WassersteinGAN checkout> --wgangp <wgan-gp checkout> [--out tests/golden]

--wgan is a checkout of martinarjovsky/WassersteinGAN (main.py, models/), --wgangp one of caogang/wgan-gp
(gan_toy.py, the PyTorch port of igul222's toy). Their files are never changed: each script is copied to a temporary
folder, where only what Python 3, torch 2 and a CPU need is fixed (FIXES below, exact string replacements that
must each apply) and the run's size is set (SETTINGS: smaller nets, batches and runs, so the files stay small).
The script then runs unmodified otherwise, with hooks around it that record (ganrepro.train.replay.Recording):

- the initial weights (when the first optimizer is built, after the scripts' own init), the final weights;
- the real batches: for WG main.py the order of every epoch of its shuffled DataLoader over a small synthetic image
  set standing in for the ImageFolder (values k/128 - 1, exact in float16); for gan_toy.py every batch its critic
  read (the G step's unused batch is not needed);
- every latent batch the generator was fed (the sample grid's fixed noise excluded) and, for WGAN-GP, every
  interpolation-weight batch (torch.rand, wrapped for the run);
- the losses after every critic and generator step (read from the scripts' globals in an optimizer-step hook).

Each golden file's meta says which repository commit was run, with which fixes and settings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))
from ganrepro.train.replay import Recording  # noqa: E402

WG_REPO = "martinarjovsky/WassersteinGAN"
GP_REPO = "caogang/wgan-gp"

# (old, new, why): applied to the temporary copy only; each must occur at least once
WG_FIXES = [
    ("data_iter.next()", "next(data_iter)", "Python 3: iterators have no .next()"),
    ("transforms.Scale(", "transforms.Resize(", "torchvision >= 0.8 removed Scale (same transform)"),
]
GP_FIXES = [
    ("print netG", "print(netG)", "Python 3 print"),
    ("print netD", "print(netD)", "Python 3 print"),
    ("xrange(", "range(", "Python 3 range"),
    ("data.next()", "next(data)", "Python 3: generators have no .next()"),
    ("use_cuda = True", "use_cuda = False", "CPU run"),
    (
        "one = torch.FloatTensor([1])",
        "one = torch.tensor(1.0)",
        "torch 2: backward() of a 0-dim loss needs a 0-dim gradient of the loss's dtype",
    ),
]


def _fix(src: Path, dst: Path, fixes: list[tuple[str, str, str]], settings: dict[str, tuple[str, str]]) -> None:
    text = src.read_text()
    for old, new, _ in fixes:
        if old not in text:
            raise SystemExit(f"{src}: expected to find {old!r}; is this the right checkout?")
        text = text.replace(old, new)
    for old, new in settings.values():
        if text.count(old) != 1:
            raise SystemExit(f"{src}: expected exactly one {old!r}")
        text = text.replace(old, new)
    dst.write_text(text)


def _commit(checkout: Path, given: str | None) -> str:
    if given:
        return given
    r = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{checkout} is not a git checkout: pass its commit with --wgan-commit / --wgangp-commit")
    return r.stdout.strip()


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().clone().numpy()


def _state(net: nn.Module) -> list[np.ndarray]:
    return [_np(v) for v in net.state_dict().values()]


def _names(net: nn.Module) -> list[str]:
    return list(net.state_dict())


class _Hooks:
    """Global torch hooks for one run of a script whose nets and optimizers are globals of namespace ``ns``."""

    def __init__(self, ns: dict[str, Any], g_inputs: Callable[[tuple[Any, ...]], torch.Tensor | None]) -> None:
        self.ns, self.g_input = ns, g_inputs
        self.init: dict[str, list[np.ndarray]] = {}
        self.latents: list[np.ndarray] = []
        self.d_inputs: list[torch.Tensor] = []  # critic inputs since the last optimizer step
        self.steps: list[tuple[str, list[torch.Tensor]]] = []  # ("D" | "G", critic inputs of that step)
        self.on_step: dict[str, Callable[[], None]] = {}

    def optimizer_built(self) -> None:
        if not self.init:  # the first optimizer: both nets exist and are initialised (WG and GP build D's first)
            self.init = {"G": _state(self.ns["netG"]), "D": _state(self.ns["netD"])}

    def forward_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if module is self.ns.get("netG"):
            z = self.g_input(args)
            if z is not None:
                self.latents.append(_np(z).reshape(z.shape[0], -1))
        elif module is self.ns.get("netD"):
            self.d_inputs.append(args[0].detach().clone())

    def step_post(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        which = "D" if opt is self.ns.get("optimizerD") else "G"
        self.steps.append((which, self.d_inputs))
        self.d_inputs = []
        self.on_step[which]()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        hooks = self
        saved = {name: getattr(torch.optim, name) for name in ("Adam", "RMSprop")}

        def recording(base: type) -> type:
            class Recorded(base):  # type: ignore[misc, valid-type]
                def __init__(self, *a: Any, **kw: Any) -> None:
                    hooks.optimizer_built()
                    super().__init__(*a, **kw)

            return Recorded

        for name, cls in saved.items():
            setattr(torch.optim, name, recording(cls))
        h1 = nn.modules.module.register_module_forward_pre_hook(self.forward_pre)
        h2 = register_optimizer_step_post_hook(self.step_post)
        try:
            yield
        finally:
            h1.remove()
            h2.remove()
            for name, cls in saved.items():
                setattr(torch.optim, name, cls)


def _exec(script: Path, argv: list[str], ns: dict[str, Any]) -> None:
    code = compile(script.read_text(), str(script), "exec")
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv, sys.path = [str(script), *argv], [str(script.parent), *sys.path]
    try:
        exec(code, ns)
    finally:
        sys.argv, sys.path = old_argv, old_path
        for name in [m for m in sys.modules if m == "models" or m.startswith("models.")]:
            del sys.modules[name]  # their package name is generic: never leave it importable


# --- WG main.py ----------------------------------------------------------------------------------------
class _Images(torch.utils.data.Dataset):
    """Stands in for WG's ImageFolder: fixed images, and a log of the indices the DataLoader read, in order."""

    def __init__(self, images: np.ndarray) -> None:
        self.images, self.read = images, []

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        self.read.append(int(i))
        return torch.from_numpy(self.images[i].astype(np.float32)), 0


def record_wg(
    checkout: Path, commit: str, name: str, *, mlp: bool, n_images: int, image_size: int, nz: int, width: int,
    batch: int, epochs: int, seed: int,
) -> Recording:  # fmt: skip
    import torchvision.datasets

    codes = np.random.default_rng(seed).integers(0, 256, size=(n_images, 1, image_size, image_size))
    images = ((codes - 128) / 128).astype(np.float16)  # exact in float16 and float32
    dataset = _Images(images)
    argv = [
        "--dataset", "folder", "--dataroot", "unused", "--workers", "0", "--batchSize", str(batch),
        "--imageSize", str(image_size), "--nc", "1", "--nz", str(nz), "--ngf", str(width), "--ndf", str(width),
        "--niter", str(epochs), "--experiment", "samples",
    ] + (["--mlp_G", "--mlp_D"] if mlp else [])  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(checkout / "models", work / "models")
        _fix(checkout / "main.py", work / "main.py", WG_FIXES, {})
        ns: dict[str, Any] = {"__name__": "__main__", "__file__": str(work / "main.py")}
        critic: dict[str, list[float]] = {"loss_D": [], "loss_D_real": [], "loss_D_fake": []}
        gen: dict[str, list[float]] = {"loss_G": []}

        def g_input(args: tuple[Any, ...]) -> torch.Tensor | None:
            fixed = ns.get("fixed_noise")
            if fixed is not None and args[0].data_ptr() == fixed.data_ptr():
                return None  # the sample grid's fixed noise, not a training draw
            return args[0]

        hooks = _Hooks(ns, g_input)

        def d_step() -> None:
            for key, var in (("loss_D", "errD"), ("loss_D_real", "errD_real"), ("loss_D_fake", "errD_fake")):
                critic[key].append(ns[var].item())

        hooks.on_step = {"D": d_step, "G": lambda: gen["loss_G"].append(ns["errG"].item())}
        saved_folder = torchvision.datasets.ImageFolder
        torchvision.datasets.ImageFolder = lambda root, transform=None: dataset  # type: ignore[assignment,misc]
        cwd = Path.cwd()
        try:
            os.chdir(work)  # WG writes its samples and checkpoints under the working folder
            random.seed(seed)  # WG draws its torch seed with random.randint
            with hooks.active():
                _exec(work / "main.py", argv, ns)
        finally:
            os.chdir(cwd)
            torchvision.datasets.ImageFolder = saved_folder
        G, D = ns["netG"], ns["netD"]
        read = np.array(dataset.read)
        if len(read) % n_images:
            raise SystemExit(f"{name}: WG read {len(read)} items, not whole epochs of {n_images}")
        perms = list(read.reshape(-1, n_images))
        for p in perms:
            if sorted(p) != list(range(n_images)):
                raise SystemExit(f"{name}: an epoch of WG's DataLoader is not a permutation")
        final = {"G": _state(G), "D": _state(D)}
        names = {"G": _names(G), "D": _names(D)}
    g_its = len(gen["loss_G"])
    nets = (
        {"G": {"name": "mlp_g", "image_size": image_size, "channels": 1, "nz": nz, "width": width},
         "D": {"name": "mlp_d", "image_size": image_size, "channels": 1, "width": width}}
        if mlp else
        {"G": {"name": "dcgan_g", "image_size": image_size, "channels": 1, "nz": nz, "width": width},
         "D": {"name": "dcgan_d", "image_size": image_size, "channels": 1, "width": width}}
    )  # fmt: skip
    meta = {
        "case": name,
        "authors_repo": WG_REPO,
        "authors_commit": commit,
        "authors_script": "main.py",
        "authors_argv": argv,
        "authors_fixes": [f"{old!r} -> {new!r}: {why}" for old, new, why in WG_FIXES],
        "data": f"{n_images} synthetic 1x{image_size}x{image_size} images, values k/128 - 1 (k uniform 0..255, "
        f"numpy seed {seed}), in place of ImageFolder; python random.seed({seed}) before the script",
        "state_names": names,
        "dtype": "float32",
        "run": {"method": {"name": "wgan"}, **nets, "batch_size": batch, "iterations": g_its, "seed": 0},
        "critic_steps": len(critic["loss_D"]),
        **_versions(),
    }
    return Recording(
        meta=meta,
        init=hooks.init,
        final=final,
        latents=hooks.latents,
        interpolation_weights=[],
        critic_losses={k: np.array(v, dtype=np.float32) for k, v in critic.items()},
        g_losses={k: np.array(v, dtype=np.float32) for k, v in gen.items()},
        images=images,
        perms=perms,
    )


# --- GP gan_toy.py -------------------------------------------------------------------------------------
def record_gp_toy(checkout: Path, commit: str, *, dim: int, batch: int, iters: int, seed: int) -> Recording:
    settings = {
        "DIM": ("DIM = 512", f"DIM = {dim}"),
        "BATCH_SIZE": ("BATCH_SIZE = 256", f"BATCH_SIZE = {batch}"),
        "ITERS": ("ITERS = 100000", f"ITERS = {iters}"),
    }
    # their logging (tflib.plot is Python 2 only) and sklearn (swiss roll only) are not needed: stand-ins
    plot = types.ModuleType("tflib.plot")
    plot.plot = plot.flush = plot.tick = lambda *a, **k: None  # type: ignore[attr-defined]
    tflib = types.ModuleType("tflib")
    tflib.plot = plot  # type: ignore[attr-defined]
    sk = types.ModuleType("sklearn")
    sk.datasets = types.ModuleType("sklearn.datasets")  # type: ignore[attr-defined]
    stubs = {"tflib": tflib, "tflib.plot": plot, "sklearn": sk, "sklearn.datasets": sk.datasets}  # type: ignore[attr-defined]
    saved_modules = {k: sys.modules.get(k) for k in stubs}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _fix(checkout / "gan_toy.py", work / "gan_toy.py", GP_FIXES, settings)
        ns: dict[str, Any] = {"__name__": "__main__", "__file__": str(work / "gan_toy.py")}
        hooks = _Hooks(ns, lambda args: args[0])
        critic: dict[str, list[float]] = {"loss_D": [], "W_estimate": []}
        gen: dict[str, list[float]] = {"loss_G": []}
        real: list[np.ndarray] = []
        eps: list[np.ndarray] = []

        def d_step() -> None:
            inputs = hooks.steps[-1][1]
            if len(inputs) != 3:  # real, fake, interpolates
                raise SystemExit(f"gan_toy.py critic step called the critic {len(inputs)} times, expected 3")
            real.append(_np(inputs[0]).astype(np.float32))  # their batches are float32 numpy arrays
            critic["loss_D"].append(ns["D_cost"].item())
            critic["W_estimate"].append(ns["Wasserstein_D"].item())

        hooks.on_step = {"D": d_step, "G": lambda: gen["loss_G"].append(ns["G_cost"].item())}
        rand = torch.rand

        def recorded_rand(*a: Any, **k: Any) -> torch.Tensor:
            out = rand(*a, **k)
            eps.append(_np(out).reshape(-1))
            return out

        old_dtype = torch.get_default_dtype()
        try:
            sys.modules.update(stubs)
            torch.set_default_dtype(torch.float64)  # the float64 golden: their nets and draws in double
            torch.rand = recorded_rand
            random.seed(seed)
            np.random.seed(seed)
            with hooks.active():
                _exec(work / "gan_toy.py", [], ns)
        finally:
            torch.rand = rand
            torch.set_default_dtype(old_dtype)
            for k, v in saved_modules.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
        G, D = ns["netG"], ns["netD"]
        if G.main[0].weight.dtype != torch.float64 or any(r.dtype != np.float64 for r in hooks.latents):
            raise SystemExit("gan_toy.py did not run in float64")
        for r, x in zip(real, (s[1][0] for s in hooks.steps if s[0] == "D"), strict=True):
            if not np.array_equal(r.astype(np.float64), _np(x)):  # the float32 copy must be exact
                raise SystemExit("a gan_toy.py batch is not float32-valued")
        final = {"G": _state(G), "D": _state(D)}
        names = {"G": _names(G), "D": _names(D)}
    meta = {
        "case": "wgangp_toy8_f64",
        "authors_repo": GP_REPO,
        "authors_commit": commit,
        "authors_script": "gan_toy.py (MODE wgan-gp, DATASET 8gaussians, FIXED_GENERATOR False)",
        "authors_fixes": [f"{old!r} -> {new!r}: {why}" for old, new, why in GP_FIXES],
        "authors_settings": {k: new for k, (_, new) in settings.items()},
        "data": f"their 8gaussians generator; python random.seed({seed}), numpy.random.seed({seed}) before the "
        "script; torch.set_default_dtype(float64) around it; tflib.plot and sklearn replaced by no-op stand-ins",
        "state_names": names,
        "dtype": "float64",
        "run": {
            "method": {"name": "wgangp", "gp_lambda": 0.1},
            "G": {"name": "toy_mlp_g", "nz": 2, "out_dim": 2, "width": dim, "n_hidden": 3},
            "D": {"name": "toy_mlp_d", "in_dim": 2, "width": dim, "n_hidden": 3},
            "batch_size": batch,
            "iterations": len(gen["loss_G"]),
            "seed": 0,
        },
        "critic_steps": len(critic["loss_D"]),
        **_versions(),
    }
    return Recording(
        meta=meta,
        init=hooks.init,
        final=final,
        latents=hooks.latents,
        interpolation_weights=eps,
        critic_losses={k: np.array(v, dtype=np.float64) for k, v in critic.items()},
        g_losses={k: np.array(v, dtype=np.float64) for k, v in gen.items()},
        real=real,
    )


def _versions() -> dict[str, str]:
    return {"recorded_with": f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wgan", type=Path, required=True, help=f"checkout of {WG_REPO}")
    ap.add_argument("--wgangp", type=Path, required=True, help=f"checkout of {GP_REPO}")
    ap.add_argument("--wgan-commit", help="its commit, when the checkout is not a git work tree")
    ap.add_argument("--wgangp-commit", help="its commit, when the checkout is not a git work tree")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "golden")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)  # one thread: the same kernels' summation order as the test's replay
    a.out.mkdir(parents=True, exist_ok=True)
    wg, gp = _commit(a.wgan, a.wgan_commit), _commit(a.wgangp, a.wgangp_commit)
    recs = {
        # 100/5 schedule past G iteration 500: 12 batches per epoch, so the 100-step blocks (cut at the epoch's
        # end) differ from 5-step ones, G iteration 500 starts with 7 batches left
        "wgan_mlp": record_wg(a.wgan, wg, "wgan_mlp", mlp=True, n_images=48, image_size=8, nz=2, width=16,
                              batch=4, epochs=185, seed=0),
        # an epoch with a short last batch (50 = 12 x 4 + 2): WG still feeds a full batch of 4 fakes
        "wgan_mlp_partial": record_wg(a.wgan, wg, "wgan_mlp_partial", mlp=True, n_images=50, image_size=4, nz=2,
                                      width=8, batch=4, epochs=2, seed=1),
        "wgan_dcgan32": record_wg(a.wgan, wg, "wgan_dcgan32", mlp=False, n_images=12, image_size=32, nz=8,
                                  width=4, batch=4, epochs=6, seed=2),
        "wgangp_toy8_f64": record_gp_toy(a.wgangp, gp, dim=16, batch=64, iters=4, seed=3),
    }  # fmt: skip
    for name, rec in recs.items():
        path = a.out / f"{name}.npz"
        rec.save(path)
        print(f"{path}: {rec.meta['run']['iterations']} G its, {rec.meta['critic_steps']} critic steps, "
              f"{path.stat().st_size / 1024:.0f} KiB")  # fmt: skip
    (a.out / "README.md").write_text(_readme(recs))
    return 0


def _readme(recs: dict[str, Recording]) -> str:
    lines = [
        "# Golden trajectories of the authors' code",
        "",
        "Written by `tools/record_golden.py`; replayed by `tests/train/test_golden.py`. Do not edit by hand.",
        "",
        "| file | authors' repo @ commit | G its | critic steps | dtype |",
        "|---|---|---|---|---|",
    ]
    for name, r in recs.items():
        m = r.meta
        lines.append(
            f"| {name}.npz | {m['authors_repo']} @ {m['authors_commit'][:12]} | {m['run']['iterations']} | "
            f"{m['critic_steps']} | {m['dtype']} |"
        )
    lines += [
        "",
        "Each file's `meta` (JSON) holds the full settings, the fixes applied to a temporary copy of the script and",
        "the ganrepro run config the replay uses.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

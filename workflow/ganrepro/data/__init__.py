"""Dataset registry. A dataset is a sampler: ``sample(n) -> Tensor`` plus ``state_dict`` for exact resume.

Every sampler carries ``provenance``: what the data is (toy recipe, real files, or a labelled stand-in). Samplers
that read files (``needs_files = True``: the real image datasets in ``images.py``) also take ``data_root`` and
``sources`` and verify their files (``assets.py``, config/assets.yaml) before any training.
"""

from __future__ import annotations

from typing import Any

import torch

from ganrepro.core.registry import Registry

DATASETS = Registry("dataset")


class Sampler:
    provenance: str = "unknown"
    needs_files: bool = False  # True: build() must also get data_root and sources (where the files are)
    labels: torch.Tensor | None = None
    num_classes: int | None = None

    def __init__(self, seed: int) -> None:
        self.gen = torch.Generator().manual_seed(seed)

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        """n draws; `keep_partial` matters only to finite datasets (IndexedSampler)."""
        raise NotImplementedError

    def epoch_done(self, n: int, keep_partial: bool = False) -> bool:
        """Whether the current epoch has no batch left (the next sample starts a new one); never, for endless toys."""
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["gen"])


class IndexedSampler(Sampler):
    """A finite dataset held as one tensor, read in shuffled epochs (a fresh permutation per epoch).

    A batch never straddles two epochs. The tail of an epoch that is smaller than the batch is dropped, so every
    critic step sees a full real batch, unless `keep_partial` asks for it as the epoch's short last batch
    (torch's DataLoader with drop_last=False, as WG main.py reads its data). The position, the epoch and the
    permutation are part of the state, so a resumed run reads exactly the batches the uninterrupted run would
    have read.
    """

    value_range: tuple[float, float] = (-1.0, 1.0)

    def __init__(self, seed: int, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        super().__init__(seed)
        self.images, self.labels = images, labels
        self.epoch, self.pos = 0, 0
        self.perm = self.new_permutation()

    def new_permutation(self) -> torch.Tensor:
        """The order of the next epoch. ganrepro.train.replay overrides it to read the epochs a recorded run read."""
        return torch.randperm(len(self.images), generator=self.gen)

    def epoch_done(self, n: int, keep_partial: bool = False) -> bool:
        return self.pos >= len(self.perm) if keep_partial else self.pos + n > len(self.perm)

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        if n > len(self.images):
            raise ValueError(f"batch size {n} is larger than the dataset ({len(self.images)} items)")
        if self.epoch_done(n, keep_partial):
            self.epoch, self.pos = self.epoch + 1, 0
            self.perm = self.new_permutation()
        idx = self.perm[self.pos : self.pos + n]
        self.pos += n
        return self.images[idx.to(self.images.device)]

    def to(self, device: str, max_bytes: int = 4 << 30) -> IndexedSampler:
        """Keep the whole dataset on the device (one copy, then index sampling there: no per-batch transfer).

        Only when it fits under ``max_bytes``; the batches are the same values either way, so the trajectory and
        the resume state do not change (the permutation stays on the CPU generator).
        """
        nbytes = self.images.element_size() * self.images.nelement()
        if device != "cpu" and nbytes <= max_bytes:
            self.images = self.images.to(device)
        return self

    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state(), "epoch": self.epoch, "pos": self.pos, "perm": self.perm.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["gen"])
        self.epoch, self.pos, self.perm = state["epoch"], state["pos"], state["perm"]


def uint8_to_range(x: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Decoded uint8 pixels as floats in the GAN's value range (the image caches hold uint8: 4x less memory)."""
    lo, hi = value_range
    return x.float().div_(255.0).mul_(hi - lo).add_(lo)


def build(name: str, seed: int, **kwargs: Any) -> Sampler:
    return DATASETS.get(name)(seed=seed, **kwargs)


def needs_files(name: str) -> bool:
    """Whether dataset ``name`` reads external files (then it takes data_root and sources)."""
    return bool(getattr(DATASETS.get(name), "needs_files", False))


from ganrepro.data import images as _images  # noqa: E402,F401  (registers the real image datasets)
from ganrepro.data import standin, toy  # noqa: E402,F401

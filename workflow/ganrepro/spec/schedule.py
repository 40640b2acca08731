"""How many real batches a method's critic reads per generator iteration, and how long a run is in the paper's unit.

One home for both facts, used by the training loop (ganrepro.train) and by the planner (a run given in `epochs`):

- critic schedule: WG main.py's rule when the method config has `warmup_critic_iters` (100 critic steps for the
  first `warmup_g_iters` G iterations and every `warmup_every`-th, else `critic_iters`); `critic_iters` steps
  otherwise; one step when the method has no critic count (BEGAN's combined step).
- data loop: `critic_block_ends_with_epoch` (WG: a block of critic steps stops when the epoch runs out of batches,
  the G step follows) and `keep_partial_batch` (WG: torch's DataLoader keeps an epoch's short last batch). Methods
  without these keys draw full batches endlessly, as the GP and BT loops do.
- epochs: one epoch is one pass of the critic over the training set, as WG counts them (`for epoch in
  range(niter)` over the DataLoader). `g_iterations_for_epochs` runs the schedule forward to the G iteration at
  which that many passes are complete, so runs of methods with different critic schedules see the same data.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from ganrepro.core.errors import GanreproError

# Items per epoch of each real dataset's training split ('all' for the Zappos shoes); toys have no epochs.
# Sources: torchvision's dataset classes and the datasets' own pages (MNIST, Fashion-MNIST 60,000; CIFAR-10
# 50,000; CelebA 202,599; LSUN bedroom train 3,033,042; UT-Zappos50K 50,025). The image samplers check the count
# they decode against this table (ganrepro.data.images).
EPOCH_ITEMS = {
    "mnist": 60000,
    "fashion_mnist": 60000,
    "cifar10": 50000,
    "celeba": 202599,
    "lsun_bedroom": 3033042,
    "zappos50k_shoes": 50025,
}


def critic_steps(hp: dict[str, Any], g_iter: int) -> int:
    """Critic steps of G iteration `g_iter` (0-based) for a method config `hp` (module docstring)."""
    if "warmup_critic_iters" in hp:
        if g_iter < hp["warmup_g_iters"] or g_iter % hp["warmup_every"] == 0:
            return int(hp["warmup_critic_iters"])
        return int(hp["critic_iters"])
    if "critic_iters" in hp:
        return int(hp["critic_iters"])
    return 1


def data_loop(hp: dict[str, Any]) -> tuple[bool, bool]:
    """(a critic block ends with the epoch, an epoch's short last batch is used) for a method config `hp`."""
    return bool(hp.get("critic_block_ends_with_epoch", False)), bool(hp.get("keep_partial_batch", False))


def batches_per_epoch(n_items: int, batch_size: int, keep_partial: bool) -> int:
    return math.ceil(n_items / batch_size) if keep_partial else n_items // batch_size


_SCHEDULE_KEYS = (
    "warmup_critic_iters",
    "warmup_g_iters",
    "warmup_every",
    "critic_iters",
    "critic_block_ends_with_epoch",
    "keep_partial_batch",
)


def g_iterations_for_epochs(epochs: int, n_items: int, batch_size: int, hp: dict[str, Any]) -> tuple[int, int, int]:
    """(G iterations, critic batches, batches per epoch) of `epochs` complete passes of the critic over
    `n_items` items at `batch_size`, under the method config's schedule and data loop."""
    # Only the schedule keys matter; the walk below is millions of steps at paper scale and a plan asks the same
    # question once per seed, so the answer is kept per schedule.
    key = tuple((k, hp[k]) for k in _SCHEDULE_KEYS if k in hp)
    try:
        hash(key)
    except TypeError:  # a malformed value (a list): walk uncached and let critic_steps or the run schema name it
        return _walk.__wrapped__(epochs, n_items, batch_size, key)
    return _walk(epochs, n_items, batch_size, key)


@lru_cache(maxsize=256)
def _walk(epochs: int, n_items: int, batch_size: int, key: tuple[tuple[str, Any], ...]) -> tuple[int, int, int]:
    hp = dict(key)
    ends_with_epoch, keep_partial = data_loop(hp)
    nb = batches_per_epoch(n_items, batch_size, keep_partial)
    if nb < 1:
        raise GanreproError(f"batch size {batch_size} is larger than the dataset ({n_items} items)")
    g = batches = 0
    if ends_with_epoch:  # WG: the block is cut at the epoch's end and the G step follows
        for _ in range(epochs):
            i = 0
            while i < nb:
                k = min(critic_steps(hp, g), nb - i)
                i, batches, g = i + k, batches + k, g + 1
    else:  # endless: stop at the first G iteration whose critic block completes the last epoch
        while batches < epochs * nb:
            batches, g = batches + critic_steps(hp, g), g + 1
    return g, batches, nb

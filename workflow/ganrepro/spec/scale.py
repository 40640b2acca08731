"""What each scale allows: the one place that decides it (config key `scale`, schemas/config.schema.yaml).

smoke  short runs on stand-in data and randomly initialised Inception weights where the real files are absent,
       to exercise every code path in minutes; its numbers are labelled NOT COMPARABLE everywhere
paper  each paper's own settings on the real data and official weights; its numbers are compared with the paper
"""

from __future__ import annotations

SCALES = ("smoke", "paper")


def comparable(scale: str) -> bool:
    """Whether numbers made at this scale may be compared with the paper's (and kept by `ganrepro keep`)."""
    return scale == "paper"


def allows_stand_ins(scale: str) -> bool:
    """Whether a stand-in may replace what is missing: synthetic images for a dataset, random Inception weights."""
    return scale == "smoke"

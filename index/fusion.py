"""Reciprocal rank fusion: several rankings of the passages into one ordered list of candidates.

BM25 scores, cosines and date matches live on unrelated scales; ranks compare them without a
calibration that would shift with the corpus.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ranking:
    """One ranker's scores for every passage (higher is better), and its vote's weight."""

    name: str
    scores: np.ndarray
    weight: float = 1.0
    # Passages scoring 0 or less get no vote (BM25 without a shared term).
    positive_only: bool = False


@dataclass(frozen=True)
class Bonus:
    """A flat vote, as if ranked first, for every passage in `rows` (e.g. dated in the asked period)."""

    name: str
    rows: np.ndarray
    weight: float


@dataclass
class Candidate:
    row: int
    fused: float


def fuse(rankings: list[Ranking], depth: int, rrf_k: float, bonuses: tuple[Bonus, ...] = ()) -> list[Candidate]:
    fused: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        order = np.argsort(-ranking.scores, kind="stable")[:depth]
        for rank, row in enumerate(order):
            if ranking.positive_only and ranking.scores[row] <= 0:
                break
            if not np.isfinite(ranking.scores[row]):
                break
            fused[int(row)] += ranking.weight / (rrf_k + rank)
    for bonus in bonuses:
        # Only passages some ranker found: a date alone never makes a passage relevant.
        for row in bonus.rows:
            if int(row) in fused:
                fused[int(row)] += bonus.weight / rrf_k
    return sorted((Candidate(row, score) for row, score in fused.items()), key=lambda c: c.fused, reverse=True)

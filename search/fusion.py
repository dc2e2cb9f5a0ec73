"""Reciprocal Rank Fusion: one ranking from several, by rank alone.

Each list contributes `weight / (k + rank)` (rank from 1) to every item on it; items are
ordered by the sum. Scores of different methods (ts_rank_cd, cosine distance) are not
comparable, ranks are, which is why RRF needs no calibration. k = 60 is the value of the
original paper (Cormack et al., 2009).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

RRF_K = 60
#: Weight of the filtered-vector list when the user gave filters: what they asked for
#: explicitly (a sender, a date range) should win ties against loose matches.
FILTERED_WEIGHT = 1.5

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Contribution:
    """One list's say about an item: where it ranked there and what RRF gave for it."""

    method: str
    rank: int
    rrf: float


@dataclass
class Fused(Generic[Key]):
    key: Key
    score: float = 0.0
    contributions: list[Contribution] = field(default_factory=list)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[Key]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> list[Fused[Key]]:
    """Fuse ranked lists of keys (best first), highest fused score first.

    A key repeated within one list counts at its best rank only. Ties keep the order in
    which keys were first seen, so the result is deterministic.
    """
    fused: dict[Key, Fused[Key]] = {}
    for method, ranking in rankings.items():
        weight = (weights or {}).get(method, 1.0)
        seen: set[Key] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            entry = fused.setdefault(key, Fused(key))
            contribution = weight / (k + rank)
            entry.score += contribution
            entry.contributions.append(Contribution(method, rank, contribution))
    return sorted(fused.values(), key=lambda entry: -entry.score)

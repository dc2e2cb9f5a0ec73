"""Ranking metrics over graded judgments (grade >= 1 counts as relevant)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean


def precision_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Relevant among the first k, over k (unjudged items count as not relevant)."""
    return sum(1 for doc in ranking[:k] if grades.get(doc, 0) >= 1) / k


def condensed(ranking: Sequence[str], grades: Mapping[str, int]) -> list[str]:
    """The ranking with unjudged items removed (Sakai's condensed lists for pooled qrels)."""
    return [doc for doc in ranking if doc in grades]


def ndcg_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k with the grade as gain; 0 when nothing is relevant."""
    dcg = sum(grades.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    best = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / best if best else 0.0


def reciprocal_rank(ranking: Sequence[str], grades: Mapping[str, int]) -> float:
    for rank, doc in enumerate(ranking, start=1):
        if grades.get(doc, 0) >= 1:
            return 1 / rank
    return 0.0


def recall_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, grade in grades.items() if grade >= 1}
    return len(relevant.intersection(ranking[:k])) / len(relevant) if relevant else 0.0


def mean(values: Sequence[float]) -> float:
    return round(fmean(values), 4) if values else 0.0

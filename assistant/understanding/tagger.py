"""The offline slot tagger: a linear-chain CRF's exported weights, decoded with Viterbi.

Trained by `train.py` (python-crfsuite) on MASSIVE's annotated slots and the project's
own examples; labels are BIO tags over `features.tokenize` tokens (B-person, I-date, ...).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.understanding.features import token_features

TAGGER_PATH = Path(__file__).parent / "data" / "slot_tagger.json"


class SlotTagger:
    def __init__(self, path: Path = TAGGER_PATH) -> None:
        model = json.loads(path.read_text())
        self._labels: list[str] = model["labels"]
        self._common_words = frozenset(model["common_words"])
        index = {label: i for i, label in enumerate(self._labels)}
        self._state: dict[str, list[tuple[int, float]]] = {
            attribute: [(index[label], weight) for label, weight in weights.items()]
            for attribute, weights in model["state"].items()
        }
        size = len(self._labels)
        self._transitions = np.zeros((size, size), dtype=np.float64)
        for pair, weight in model["transitions"].items():
            a, b = pair.split(" ")
            self._transitions[index[a], index[b]] = weight

    def tag(self, tokens: list[str]) -> list[str]:
        """The most likely BIO tag sequence for the tokens."""
        if not tokens:
            return []
        size = len(self._labels)
        emissions = np.zeros((len(tokens), size), dtype=np.float64)
        for position in range(len(tokens)):
            for attribute in token_features(tokens, position, self._common_words):
                for label, weight in self._state.get(attribute, ()):
                    emissions[position, label] += weight
        score = emissions[0].copy()
        back = np.zeros((len(tokens), size), dtype=np.int64)
        for position in range(1, len(tokens)):
            candidates = score[:, None] + self._transitions
            back[position] = candidates.argmax(axis=0)
            score = candidates.max(axis=0) + emissions[position]
        path = [int(score.argmax())]
        for position in range(len(tokens) - 1, 0, -1):
            path.append(int(back[position, path[-1]]))
        return [self._labels[i] for i in reversed(path)]

    @property
    def common_words(self) -> frozenset[str]:
        return self._common_words

    def spans(self, tokens: list[str]) -> dict[str, list[str]]:
        return spans_from_tags(tokens, self.tag(tokens))


def spans_from_tags(tokens: list[str], tags: list[str]) -> dict[str, list[str]]:
    """Slot values by type, each the tokens of one B-/I- run joined by spaces."""
    spans: dict[str, list[str]] = {}
    current_type, current = "", []  # type: tuple[str, list[str]]
    for token, tag in [*zip(tokens, tags, strict=True), ("", "O")]:
        inside = tag.startswith("I-") and tag[2:] == current_type
        if current and not inside:
            spans.setdefault(current_type, []).append(" ".join(current))
            current_type, current = "", []
        if tag.startswith("B-") or (tag.startswith("I-") and not inside):
            current_type, current = tag[2:], [token]
        elif inside:
            current.append(token)
    return spans

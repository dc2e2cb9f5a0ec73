"""The offline intent classifier: trained weights (see `train.py`) run with numpy.

Features: TF-IDF word 1-2-grams and character 2-5-grams of the normalised request, and its
all-MiniLM-L6-v2 sentence embedding; a multinomial logistic regression on top. The
embedding always comes from the offline MiniLM model (the one the weights were trained
with), whatever embedding model search is configured to use.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.understanding.features import char_features, tfidf_vector, tokenize, word_features
from search.embeddings import Embedder, get_embedder

if TYPE_CHECKING:
    from assistant.core.settings import Settings

CLASSIFIER_PATH = Path(__file__).parent / "data" / "intent_classifier.npz"
# Embedded at training time and again at load: if the embedding model or its pooling
# changed since, the weights no longer fit and the classifier refuses to start.
REFERENCE_TEXT = "move my meeting with sarah to friday afternoon"
REFERENCE_MIN_COSINE = 0.98
# Normalised requests whose embeddings are kept (~1.5 KB each). The same words come back
# in other conversations ("open the first one", "what about last month?"), where the
# intent cache, keyed by the conversation too, misses.
EMBEDDING_MEMO_SIZE = 4096
# Scale of the embedding block next to the two unit-length TF-IDF blocks (chosen by
# cross-validation on the training data).
EMBEDDING_WEIGHT = 1.0


def minilm_embedder(settings: Settings) -> Embedder:
    return get_embedder(settings.model_copy(update={"embedding_model": "minilm-l6-int8"}))


def embed_texts(settings: Settings, texts: Sequence[str]) -> np.ndarray:
    return minilm_embedder(settings).embed_documents(list(texts))


@dataclass(frozen=True)
class Prediction:
    """Classes with their probabilities, most likely first."""

    ranked: list[tuple[str, float]]

    @property
    def probability(self) -> float:
        return self.ranked[0][1]


class IntentClassifier:
    def __init__(self, embedder: Embedder, path: Path = CLASSIFIER_PATH) -> None:
        with np.load(path, allow_pickle=False) as weights:
            self._classes = [str(c) for c in weights["classes"]]
            self._word_vocabulary = {str(t): i for i, t in enumerate(weights["word_terms"])}
            self._word_idf = weights["word_idf"]
            self._char_vocabulary = {str(t): i for i, t in enumerate(weights["char_terms"])}
            self._char_idf = weights["char_idf"]
            self._coef = weights["coef"]
            self._intercept = weights["intercept"]
            reference = weights["reference_vector"]
        self._embed = functools.lru_cache(maxsize=EMBEDDING_MEMO_SIZE)(embedder.embed_query)
        cosine = float(embedder.embed_query(REFERENCE_TEXT) @ reference)
        if cosine < REFERENCE_MIN_COSINE:
            raise RuntimeError(
                f"the intent classifier was trained with other embeddings (cosine {cosine:.3f}): "
                "retrain it with `python -m assistant.tools.train_understanding`"
            )

    def predict(self, normalised_text: str) -> Prediction:
        features = np.concatenate(
            [
                tfidf_vector(word_features(tokenize(normalised_text)), self._word_vocabulary, self._word_idf),
                tfidf_vector(char_features(normalised_text), self._char_vocabulary, self._char_idf),
                self._embed(normalised_text) * EMBEDDING_WEIGHT,
            ]
        )
        scores = features @ self._coef + self._intercept
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        order = np.argsort(-probabilities)
        return Prediction([(self._classes[i], float(probabilities[i])) for i in order])

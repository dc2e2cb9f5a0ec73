"""Train the offline intent classifier and slot tagger; write their weights to `data/`.

    .venv/bin/python -m assistant.tools.train_understanding [--massive ../shared/eval/intents_train.jsonl]

Training data: MASSIVE 1.1 en-US train (Amazon, CC BY 4.0; requests about email and
calendars) plus the project's own examples in `data/project_train.txt` (Drive, sharing,
deleting mail). The products of this script are committed, so running Concierge needs
neither the data nor scikit-learn / python-crfsuite (dev dependencies).

- Classifier: multinomial logistic regression over TF-IDF word 1-2-grams, TF-IDF
  character 2-5-grams (robust to typos and speech transcripts) and the sentence
  embedding (all-MiniLM-L6-v2, for paraphrases that share no word with training data).
  Hyper-parameters were chosen by 5-fold cross-validation on the training file only.
- Tagger: a linear-chain CRF (L-BFGS with L1+L2) over the window features of
  `features.token_features`; its state and transition weights are exported to JSON and
  decoded with Viterbi in `tagger.py`.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.core.settings import PROJECT_ROOT, get_settings
from assistant.understanding.classifier import CLASSIFIER_PATH, EMBEDDING_WEIGHT, REFERENCE_TEXT, embed_texts
from assistant.understanding.features import (
    char_features,
    normalise,
    span_key,
    token_features,
    tokenize,
    word_features,
)
from assistant.understanding.labels import label_for
from assistant.understanding.tagger import TAGGER_PATH

MASSIVE_TRAIN = PROJECT_ROOT.parent / "shared" / "eval" / "intents_train.jsonl"
PROJECT_EXAMPLES = PROJECT_ROOT / "assistant" / "understanding" / "data" / "project_train.txt"
CHAR_MIN_DF = 2
LOGISTIC_C = 30.0
_BRACKET = re.compile(r"\[(\w+):\s*([^\]]+)\]")


@dataclass
class Example:
    text: str  # normalised
    label: str
    tags: list[str]  # BIO tags, one per token of `text`


def bio_tags(tokens: list[str], slots: dict[str, list[str]]) -> list[str]:
    """BIO tags for the tokens, each slot value placed at its first unused occurrence."""
    tags = ["O"] * len(tokens)
    keys = [span_key(t) for t in tokens]
    for slot_type, values in slots.items():
        for value in values:
            wanted = [span_key(t) for t in tokenize(normalise(value))]
            for start in range(len(tokens) - len(wanted) + 1):
                window = range(start, start + len(wanted))
                if keys[start : start + len(wanted)] == wanted and all(tags[i] == "O" for i in window):
                    tags[start] = f"B-{slot_type}"
                    for i in window[1:]:
                        tags[i] = f"I-{slot_type}"
                    break
    return tags


def load_massive(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        text = normalise(row["text"])
        tags = bio_tags(tokenize(text), row["slots"])
        examples.append(Example(text, label_for(row["service"], row["operations"]), tags))
    return examples


def load_project(path: Path = PROJECT_EXAMPLES) -> list[Example]:
    examples = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, annotated = (part.strip() for part in line.split("|", 1))
        slots: dict[str, list[str]] = {}
        for slot_type, value in _BRACKET.findall(annotated):
            slots.setdefault(slot_type, []).append(value.strip())
        text = normalise(_BRACKET.sub(lambda m: m.group(2).strip(), annotated))
        examples.append(Example(text, label, bio_tags(tokenize(text), slots)))
    return examples


def _vocabulary(docs: list[Counter[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    terms = sorted(term for term, count in df.items() if count >= min_df)
    vocabulary = {term: i for i, term in enumerate(terms)}
    n = len(docs)
    idf = np.array([np.log((1 + n) / (1 + df[t])) + 1 for t in terms], dtype=np.float32)
    return vocabulary, idf


def _tfidf_matrix(docs: list[Counter[str]], vocabulary: dict[str, int], idf: np.ndarray):
    from scipy import sparse

    rows, cols, values = [], [], []
    for row, doc in enumerate(docs):
        entries = [(vocabulary[g], (1 + np.log(c)) * idf[vocabulary[g]]) for g, c in doc.items() if g in vocabulary]
        norm = np.sqrt(sum(v * v for _, v in entries)) or 1.0
        for col, value in entries:
            rows.append(row)
            cols.append(col)
            values.append(value / norm)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(docs), len(vocabulary)))


def train_classifier(examples: list[Example], output: Path) -> None:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    texts = [e.text for e in examples]
    word_docs = [word_features(tokenize(t)) for t in texts]
    char_docs = [char_features(t) for t in texts]
    word_vocabulary, word_idf = _vocabulary(word_docs, 1)
    char_vocabulary, char_idf = _vocabulary(char_docs, CHAR_MIN_DF)
    embeddings = embed_texts(get_settings(), texts) * EMBEDDING_WEIGHT
    matrix = sparse.hstack(
        [
            _tfidf_matrix(word_docs, word_vocabulary, word_idf),
            _tfidf_matrix(char_docs, char_vocabulary, char_idf),
            sparse.csr_matrix(embeddings),
        ]
    ).tocsr()
    model = LogisticRegression(C=LOGISTIC_C, max_iter=5000).fit(matrix, [e.label for e in examples])
    np.savez_compressed(
        output,
        classes=np.array(model.classes_, dtype=str),
        word_terms=np.array(list(word_vocabulary), dtype=str),
        word_idf=word_idf,
        char_terms=np.array(list(char_vocabulary), dtype=str),
        char_idf=char_idf,
        coef=model.coef_.T.astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
        reference_text=np.array(REFERENCE_TEXT),
        reference_vector=embed_texts(get_settings(), [REFERENCE_TEXT])[0],
    )
    print(f"classifier: {len(examples)} examples, {matrix.shape[1]} features -> {output}")


def _common_words(examples: list[Example], min_count: int = 2) -> frozenset[str]:
    """Words used at least `min_count` times outside person names in the training data."""
    counts: Counter[str] = Counter()
    for example in examples:
        for token, tag in zip(tokenize(example.text), example.tags, strict=True):
            if not tag.endswith("-person"):
                counts[token] += 1
    return frozenset(word for word, count in counts.items() if count >= min_count)


def train_tagger(examples: list[Example], output: Path) -> None:
    import pycrfsuite

    common_words = _common_words(examples)
    trainer = pycrfsuite.Trainer(verbose=False)
    for example in examples:
        tokens = tokenize(example.text)
        features = [token_features(tokens, i, common_words) for i in range(len(tokens))]
        trainer.append(features, example.tags)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": 200})
    with tempfile.TemporaryDirectory() as tmp:
        model_path = str(Path(tmp) / "tagger.crfsuite")
        trainer.train(model_path)
        tagger = pycrfsuite.Tagger()
        tagger.open(model_path)
        info = tagger.info()
    labels = sorted(info.labels, key=lambda label: (label != "O", label))
    state: dict[str, dict[str, float]] = {}
    for (attribute, label), weight in info.state_features.items():
        state.setdefault(attribute, {})[label] = round(weight, 4)
    transitions = {f"{a} {b}": round(w, 4) for (a, b), w in info.transitions.items()}
    model = {
        "labels": labels,
        "common_words": sorted(common_words),
        "state": state,
        "transitions": transitions,
    }
    output.write_text(json.dumps(model))
    print(f"tagger: {len(examples)} sequences, {len(state)} attributes -> {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--massive", type=Path, default=MASSIVE_TRAIN)
    args = parser.parse_args()
    examples = load_massive(args.massive) + load_project()
    train_classifier(examples, CLASSIFIER_PATH)
    train_tagger(examples, TAGGER_PATH)


if __name__ == "__main__":
    main()

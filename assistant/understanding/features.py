"""Text normalisation and the features of the offline models.

Training (`assistant.tools.train_understanding`) and inference (`classifier`, `tagger`) call the
same functions here, so what a model saw in training is exactly what it sees at run time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

# Speech transcripts write "five p. m."; typed text writes "5pm" or "5 PM".
_MERIDIEM = re.compile(r"\b([ap])\s*\.\s*m\b\.?|\b([ap])m\b\.?", re.IGNORECASE)
_TOKEN = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email addresses stay whole
    r"|\d{1,2}:\d{2}(?:am|pm)?"  # clock times
    r"|\w+(?:'\w+)?"  # words, with a possessive or contraction attached
    r"|[^\w\s]"
)
_SPACES = re.compile(r"\s+")


# Words speech recognisers and hurried typists split or misspell, one spelling each.
_RESPELLINGS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\bup coming\b"), "upcoming"),
    (re.compile(r"\be ?-?mails?\b"), lambda m: "emails" if m.group(0).endswith("s") else "email"),
    (re.compile(r"\bcalender\b"), "calendar"),
    (re.compile(r"\bremainders?\b"), lambda m: "reminder" + ("s" if m.group(0).endswith("s") else "")),
    (re.compile(r"\bun(?:red|raed|reed|rad|reda)\b"), "unread"),
    (re.compile(r"\bto morrow\b"), "tomorrow"),
    (re.compile(r"\bweek end\b"), "weekend"),
]


def normalise(text: str) -> str:
    """Lower case, one spelling for am/pm and for split words, single spaces."""
    lowered = _MERIDIEM.sub(lambda m: f"{(m.group(1) or m.group(2)).lower()}m", text.lower())
    for pattern, replacement in _RESPELLINGS:
        lowered = pattern.sub(replacement, lowered)
    return _SPACES.sub(" ", lowered.replace("’", "'")).strip()


def tokenize(text: str) -> list[str]:
    """Tokens of already-normalised text."""
    return _TOKEN.findall(text)


def span_key(text: str) -> str:
    """How two slot values are compared: normalised words, no possessive, no punctuation."""
    words = [re.sub(r"'s$", "", w) for w in tokenize(normalise(text)) if re.match(r"\w", w)]
    return " ".join(words)


# ---------------------------------------------------------------- the intent classifier


def word_features(tokens: list[str]) -> Counter[str]:
    words = [t for t in tokens if re.match(r"\w", t)]
    padded = ["<s>", *words, "</s>"]
    grams: Counter[str] = Counter(words)
    grams.update(f"{a} {b}" for a, b in zip(padded, padded[1:], strict=False))
    return grams


def char_features(text: str, sizes: tuple[int, ...] = (2, 3, 4, 5)) -> Counter[str]:
    """Character n-grams inside each word padded with spaces (sklearn's `char_wb`)."""
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for n in sizes:
            if len(padded) < n:
                continue
            grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def tfidf_vector(counts: Counter[str], vocabulary: dict[str, int], idf: np.ndarray) -> np.ndarray:
    """Sublinear tf * idf over a fixed vocabulary, L2-normalised (unknown n-grams dropped)."""
    vector = np.zeros(len(vocabulary), dtype=np.float32)
    for gram, count in counts.items():
        index = vocabulary.get(gram)
        if index is not None:
            vector[index] = (1.0 + math.log(count)) * idf[index]
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


# ---------------------------------------------------------------- the slot tagger

WEEKDAYS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
}
MONTHS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
}
NUMBER_WORDS = {
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "half",
    "quarter",
}
ORDINAL = re.compile(
    r"^(\d+(st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|\w+teenth|twentieth|thirtieth)$"
)
RELATIVE_DAYS = {"today", "tomorrow", "yesterday", "tonight", "weekend", "week", "month", "year"}
DAY_PARTS = {"morning", "afternoon", "evening", "night", "noon", "midnight", "lunchtime"}


FIRST_NAMES_PATH = Path(__file__).parent / "data" / "first_names.txt"


@cache
def first_names() -> frozenset[str]:
    """Common given names: the tagger's cue for a person it never saw in training."""
    lines = FIRST_NAMES_PATH.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_name(token: str) -> bool:
    return token.removesuffix("'s") in first_names()


def _shape(token: str) -> str:
    shape = re.sub(r"[a-z]+", "a", re.sub(r"\d+", "0", token))
    return shape[:6]


def lexical_class(token: str) -> str:
    if token in WEEKDAYS:
        return "weekday"
    if token in MONTHS:
        return "month"
    if token in RELATIVE_DAYS:
        return "relday"
    if token in DAY_PARTS:
        return "daypart"
    if token in {"am", "pm", "o'clock"}:
        return "meridiem"
    if token in NUMBER_WORDS or token.isdigit():
        return "number"
    if ORDINAL.match(token):
        return "ordinal"
    if "@" in token:
        return "email"
    return "-"


def token_features(tokens: list[str], index: int, common_words: frozenset[str]) -> list[str]:
    """Boolean features of one token for the CRF tagger, from a window of +-2 tokens.

    `common_words` are the words the training data uses outside person names: a word not
    among them after "email to" is most likely a name the tagger never saw.
    """

    def word(offset: int) -> str:
        position = index + offset
        if position < 0:
            return "<s>"
        if position >= len(tokens):
            return "</s>"
        return tokens[position]

    token = tokens[index]
    features = [
        "bias",
        f"w={token}",
        f"suf3={token[-3:]}",
        f"pre3={token[:3]}",
        f"shape={_shape(token)}",
        f"lex={lexical_class(token)}",
        "poss=" + str(token.endswith("'s")),
        f"w-1={word(-1)}",
        f"w+1={word(1)}",
        f"w-2={word(-2)}",
        f"w+2={word(2)}",
        f"w-1|w={word(-1)}|{token}",
        f"w|w+1={token}|{word(1)}",
        f"w-2|w-1={word(-2)}|{word(-1)}",
        f"w+1|w+2={word(1)}|{word(2)}",
        f"lex-1={lexical_class(word(-1))}",
        f"lex+1={lexical_class(word(1))}",
        f"name={_is_name(token)}",
        f"name-1={_is_name(word(-1))}",
        f"name+1={_is_name(word(1))}",
        "common=" + str(token.removesuffix("'s") in common_words),
        f"common+1={word(1) in common_words}",
    ]
    if index == 0:
        features.append("first")
    if index == len(tokens) - 1:
        features.append("last")
    return features

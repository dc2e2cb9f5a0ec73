"""Typos in a request, corrected towards the words of the user's own items.

"enron confrences" found nothing for "confrences": no item holds it, and its vector is not
the vector of "conferences". A word is a suspect when it is no English word (the 160,000
words of pyspellchecker's English frequency list, names such as "george" included). Its
candidates are the English words at most two edits away (one for words of four letters) that
start with the same letter, and the word as typed if some item holds it. Each is weighed by
how many of the user's items hold it, less EDIT_COST per edit, so "Eron" becomes "enron"
(one edit, in most of the mailbox) rather than "iron", or than itself (a typo in one
message). A suspect no candidate fits stays as typed. Requests of English words only never
reach the database here.

A misspelt name is no English word and has no English word near it ("Brightwve", "Anadlu",
"Vrightwave"): when no item holds the word or any of its English candidates, its
candidates are the words of the user's titles (subjects, event summaries, file names)
within the same edit distance, whatever their first letter, found through the titles'
trigram indexes. Names the items hold cost no such lookup.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from spellchecker import SpellChecker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from search.query import Service
from search.retrievers import SERVICES, term_statistics

#: One edit costs this much log-frequency: a candidate two edits away must be held by
#: about e^3 = 20 times as many items as one an edit away to win.
EDIT_COST = 3.0
SHORTEST_SUSPECT = 4
MAX_CANDIDATES = 200

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class Spelling:
    """The request as corrected, and what was corrected ("confrences" -> "conferences")."""

    text: str
    corrections: dict[str, str] = field(default_factory=dict)


def load_english() -> None:
    """Load the English word list now (0.25 s): at start, before the startup heap is frozen,
    rather than on the first request with a typo."""
    _english()


@cache
def _english() -> tuple[frozenset[str], dict[str, list[str]]]:
    """English words, and the same words by first letter (where candidates are looked for)."""
    words = frozenset(word for word in SpellChecker(distance=1).word_frequency if word.isalpha())
    by_letter: dict[str, list[str]] = {}
    for word in sorted(words):
        by_letter.setdefault(word[0], []).append(word)
    return words, by_letter


def suspects(request: str) -> list[str]:
    """The request's words that are no English word, lower-cased, in order, once each."""
    english, _ = _english()
    found: list[str] = []
    for match in _WORD.finditer(request.lower()):
        word = match.group()
        if len(word) >= SHORTEST_SUSPECT and word.replace("'", "") not in english and word not in found:
            found.append(word)
    return found


def candidates(word: str) -> dict[str, int]:
    """English words near `word` and how many edits away (same first letter)."""
    _, by_letter = _english()
    return _near(word, by_letter.get(word[0], []))


def _edit_limit(word: str) -> int:
    return 1 if len(word) <= SHORTEST_SUSPECT else 2


def _near(word: str, choices: Iterable[str]) -> dict[str, int]:
    """The choices within `word`'s edit limit, and how many edits away."""
    near = process.extract(
        word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=_edit_limit(word), limit=MAX_CANDIDATES
    )
    return {candidate: int(distance) for candidate, distance, _ in near if candidate != word}


#: Titles whose words may be what a misspelt name meant: pg_trgm's word similarity (a
#: name inside a longer title) at this threshold lets a five-letter name with one wrong
#: letter through ("beakon" / "Beacon PRD": 0.44).
TITLE_SIMILARITY = 0.4


async def _title_words_near(
    connection: AsyncConnection, user_id: uuid.UUID, services: tuple[Service, ...], words: list[str]
) -> dict[str, dict[str, int]]:
    """For each word, the words of the user's titles near it (one statement for all)."""
    titles = " UNION ALL ".join(
        (
            f"(SELECT {column} AS title FROM {table} t "
            f"WHERE t.user_id = :user_id AND w.word <% {column} LIMIT {MAX_CANDIDATES})"
        )
        for table, column in ((SERVICES[service].table, SERVICES[service].title) for service in services)
    )
    await connection.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"), {"t": str(TITLE_SIMILARITY)}
    )
    rows = await connection.execute(
        text(f"SELECT w.word, t.title FROM unnest(CAST(:words AS text[])) AS w(word) CROSS JOIN LATERAL ({titles}) t"),
        {"user_id": user_id, "words": words},
    )
    vocabulary: dict[str, set[str]] = {word: set() for word in words}
    for word, title in rows:
        vocabulary[word].update(found.lower() for found in _WORD.findall(title))
    return {word: _near(word, found) for word, found in vocabulary.items()}


async def _items_holding(
    connection: AsyncConnection, user_id: uuid.UUID, services: tuple[Service, ...], words: Iterable[str]
) -> dict[str, int]:
    statistics = await term_statistics(connection, user_id, services, sorted(set(words)))
    return {term.term: term.items for term in statistics.terms}


async def correct(
    connection: AsyncConnection, user_id: uuid.UUID, services: tuple[Service, ...], request: str, words: list[str]
) -> Spelling:
    """The request with its typos corrected towards the user's items: `words` are its
    suspects (one query, made only when there are some; two more for a misspelt name)."""
    near = {word: candidates(word) for word in words}
    items = await _items_holding(
        connection, user_id, services, [*words, *(c for found in near.values() for c in found)]
    )
    unfixed = [word for word in words if not any(items.get(c, 0) for c in (word, *near[word]))]
    if unfixed:
        for word, found in (await _title_words_near(connection, user_id, services, unfixed)).items():
            near[word] = found
        items |= await _items_holding(connection, user_id, services, (c for w in unfixed for c in near[w]))
    corrections: dict[str, str] = {}
    for word in words:
        # The word as typed competes too, at no edit: a name the items hold stays, unless
        # it is rare and a word one edit away is far more common ("eron" in one message,
        # "enron" in a thousand).
        held = {c: distance for c, distance in near[word].items() if items.get(c, 0) > 0}
        if items.get(word, 0) > 0:
            held[word] = 0
        best = max(held, key=lambda c: math.log1p(items[c]) - EDIT_COST * held[c], default=word)
        if best != word:
            corrections[word] = best
    if not corrections:
        return Spelling(request)
    corrected = _WORD.sub(lambda m: corrections.get(m.group().lower(), m.group()), request)
    return Spelling(corrected, corrections)

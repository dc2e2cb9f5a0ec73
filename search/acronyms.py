"""Workplace acronyms in requests, both ways: "H2" is "the second half", and back.

"objectives for the second half" shares no word with "OKRs H2 2026", and MiniLM does not
know what H2 or OKR stand for. The list (`data/acronyms.tsv`) holds general business,
finance, hiring, product and engineering acronyms, not any one workspace's jargon.

`widen(text)` is a request as searched, followed by the expansion of each acronym it uses
and the acronym of each expansion it spells out: "objectives for the second half (H2)",
"Beacon PRD (product requirements document)". Full text then matches either form, and the
query vector carries both. Items are embedded as written: annotating their acronyms
("OKRs (objectives and key results)") measured no better (search/README.md).
"""

from __future__ import annotations

import re
from pathlib import Path

ACRONYMS_PATH = Path(__file__).parent / "data" / "acronyms.tsv"


def _load() -> dict[str, str]:
    entries = {}
    for line in ACRONYMS_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            acronym, expansion = line.split("\t")
            entries[acronym] = expansion
    return entries


EXPANSIONS: dict[str, str] = _load()
_AS_WRITTEN = {acronym.lower(): acronym for acronym in EXPANSIONS}


def _alternation(acronyms: list[str]) -> str:
    # Longest first, so that "CapEx" is not read as a shorter acronym; a plural "s" may follow.
    return "|".join(re.escape(a) for a in sorted(acronyms, key=len, reverse=True))


_BOUNDARY_BEFORE, _BOUNDARY_AFTER = r"(?<![\w&])", r"s?(?![\w&])"
#: In requests, people type "okrs" and "prd": any case, except for two letters ("hr" is
#: fine, "go" and "ai" may be words), which must be capitals unless they hold a digit ("h2").
_ANY_CASE = [a for a in EXPANSIONS if len(a) > 2 or any(c.isdigit() for c in a)]
_IN_REQUESTS_ANY_CASE = re.compile(f"{_BOUNDARY_BEFORE}({_alternation(_ANY_CASE)}){_BOUNDARY_AFTER}", re.IGNORECASE)
_IN_REQUESTS_AS_WRITTEN = re.compile(
    f"{_BOUNDARY_BEFORE}({_alternation([a for a in EXPANSIONS if a not in _ANY_CASE])}){_BOUNDARY_AFTER}"
)
#: Each expansion spelt out, words in order, any punctuation between them, plurals allowed.
_SPELT_OUT = {
    acronym: re.compile(
        r"\b" + r"\W+".join(re.escape(w) + "s?" for w in re.findall(r"\w+", expansion)) + r"\b", re.IGNORECASE
    )
    for acronym, expansion in EXPANSIONS.items()
}


def _by_first_word() -> dict[str, list[str]]:
    """The acronyms by the first word of their expansion: a request is only searched for
    the expansions whose first word it holds (searching all hundred cost 80 µs a request)."""
    index: dict[str, list[str]] = {}
    for acronym, expansion in EXPANSIONS.items():
        index.setdefault(re.findall(r"\w+", expansion.lower())[0], []).append(acronym)
    return index


_BY_FIRST_WORD = _by_first_word()


def widen(text: str) -> str:
    """`text` followed by the expansions of the acronyms it uses and the acronyms of the
    expansions it spells out, each once, in parentheses; `text` itself when there are none."""
    used = {
        _AS_WRITTEN[m.group(1).lower()]
        for pattern in (_IN_REQUESTS_ANY_CASE, _IN_REQUESTS_AS_WRITTEN)
        for m in pattern.finditer(text)
    }
    words = re.findall(r"\w+", text.lower())
    starts = {acronym for word in words for acronym in _BY_FIRST_WORD.get(word, _BY_FIRST_WORD.get(word[:-1], []))}
    spelt = {acronym for acronym in starts if _SPELT_OUT[acronym].search(text)}
    added = [EXPANSIONS[acronym] for acronym in sorted(used - spelt)] + sorted(spelt - used)
    return " ".join([text, *(f"({addition})" for addition in added)])

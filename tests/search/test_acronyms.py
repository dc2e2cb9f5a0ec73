"""Acronyms in requests: the spelt-out form is searched too, and the other way round."""

from __future__ import annotations

import pytest

from search.acronyms import widen


@pytest.mark.parametrize(
    ("request_text", "searched"),
    [
        ("objectives for the second half", "objectives for the second half (H2)"),
        ("the Beacon prd", "the Beacon prd (product requirements document)"),
        ("h2 okrs", "h2 okrs (second half) (objectives and key results)"),  # typed in lower case, plural
        ("our key performance indicators", "our key performance indicators (KPI)"),  # spelt out, plural
        ("full time employees", "full time employees (FTE)"),  # "full-time" spelt without its hyphen
        ("the p&l", "the p&l (profit and loss)"),
        ("PRD (product requirements document)", "PRD (product requirements document)"),  # both forms already
        ("go live with ai", "go live with ai"),  # two lower-case letters are words
        ("the AI roadmap", "the AI roadmap (artificial intelligence)"),
        ("lunch with Sarah", "lunch with Sarah"),
        ("SaaSy update", "SaaSy update"),  # inside a word, no acronym
    ],
)
def test_a_request_is_searched_with_both_forms_of_its_acronyms(request_text: str, searched: str) -> None:
    assert widen(request_text) == searched

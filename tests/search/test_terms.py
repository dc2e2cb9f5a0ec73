"""From what people type to full-text terms and to the text the query vector is made of."""

from __future__ import annotations

from search.terms import meaningful_terms, or_query, topic_text


def test_full_text_keeps_the_topic_words_only() -> None:
    assert meaningful_terms("find my emails about the budget review") == ["budget", "review"]
    assert meaningful_terms("dentist appointment") == ["dentist"]
    assert meaningful_terms("meetings next week with Sarah") == ["next", "week", "sarah"]
    assert meaningful_terms("meetings next week with Sarah", dated=True) == ["sarah"]


def test_the_query_vector_loses_the_request_and_mail_words_but_keeps_the_phrase() -> None:
    assert topic_text("show me emails about the budget") == "me about the budget"
    # An appointment is what the user wants, not where to look: it stays.
    assert topic_text("dentist appointment") == "dentist appointment"
    assert topic_text("emails from last week about hiring", dated=True) == "from about hiring"
    # Nothing but request words: the text as typed.
    assert topic_text("show my emails") == "show my emails"


def test_or_query_quotes_every_term() -> None:
    assert or_query(["budget", "o'brien", "a|b"]) == "'budget' | 'o''brien' | 'a|b'"

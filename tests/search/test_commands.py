"""The search commands end to end, on the test's own database and Valkey."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.settings import get_settings
from assistant.tools.search_eval import ItemFacts
from tests.support import connect

CORPUS = [
    {
        "id": "d1",
        "from": "sarah.chen@acme.com",
        "to": "alice@acme.com",
        "cc": "",
        "date": "Tue, 8 Jan 2002 20:33:06 -0800",
        "subject": "Q4 financial review",
        "body": "The spending forecast and cost plan for the fourth quarter.",
    },
    {
        "id": "d2",
        "from": "tom@acme.com",
        "to": "alice@acme.com",
        "cc": "",
        "date": "Wed, 9 Jan 2002 10:00:00 -0800",
        "subject": "Offsite",
        "body": "The bus leaves at eight and the hotel has rooms for everyone.",
    },
    {
        "id": "d3",
        "from": "mike@acme.com",
        "to": "alice@acme.com",
        "cc": "sarah.chen@acme.com",
        "date": "Thu, 10 Jan 2002 10:00:00 -0800",
        "subject": "Hiking",
        "body": "Photos from the mountain trail.",
    },
]
QUERIES = [{"id": "1", "text": "budget forecast"}, {"id": "2", "text": "hotel for the offsite"}]
QRELS = [
    {"query_id": "1", "doc_id": "d1", "grade": 2},
    {"query_id": "1", "doc_id": "d3", "grade": 0},
    {"query_id": "2", "doc_id": "d2", "grade": 2},
]


@pytest.fixture
def configured(database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", database_url)
    monkeypatch.setenv("CONCIERGE_REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _eval_arguments(directory: Path) -> list[str]:
    return [
        "eval",
        "retrieval",
        "--corpus",
        str(_write(directory / "c.jsonl", CORPUS)),
        "--queries",
        str(_write(directory / "q.jsonl", QUERIES)),
        "--qrels",
        str(_write(directory / "r.jsonl", QRELS)),
        "--json",
    ]


def test_eval_retrieval_imports_the_corpus_and_scores_each_method(
    configured: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _eval_arguments(tmp_path)
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 2
    assert set(report) >= {"hybrid", "fulltext", "vector"}
    # Both queries find their one relevant email first: P@5 is 1/5 whether unjudged
    # emails count (whole corpus) or are dropped (condensed).
    assert report["hybrid"]["mrr"] == 1.0
    assert report["hybrid"]["p_at_5"] == report["hybrid"]["p_at_5_condensed"] == pytest.approx(0.2)
    # Running again re-uses the stored vectors and gives the same numbers.
    assert main(arguments) == 0
    assert json.loads(capsys.readouterr().out)["hybrid"] == report["hybrid"]


def test_eval_retrieval_reports_a_broken_corpus_line(
    configured: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps(CORPUS[0]) + "\n{not json\n")
    arguments = [
        "eval",
        "retrieval",
        "--corpus",
        str(corpus),
        "--queries",
        str(_write(tmp_path / "q.jsonl", QUERIES)),
        "--qrels",
        str(_write(tmp_path / "r.jsonl", QRELS)),
    ]
    assert main(arguments) == 2
    assert "c.jsonl:2: not JSON" in capsys.readouterr().err


def test_reindex_re_embeds_every_cached_item(
    configured: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _eval_arguments(tmp_path)
    assert main(arguments) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["reindex", "--batch", "2"]) == 0
    assert "gmail: 3 items" in capsys.readouterr().out
    # Same model, same pieces: the search sees exactly what it saw before.
    assert main(arguments) == 0
    assert json.loads(capsys.readouterr().out)["hybrid"] == before["hybrid"]


async def test_reindex_to_a_model_of_another_dimension_retypes_and_rebuilds(
    configured: None,
    database_url: str,
    openai_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = _eval_arguments(tmp_path)
    assert await asyncio.to_thread(main, arguments) == 0
    monkeypatch.setenv("CONCIERGE_EMBEDDING_MODEL", "text-embedding-3-small")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server)
    get_settings.cache_clear()
    assert await asyncio.to_thread(main, ["reindex"]) == 0
    connection = await connect(database_url)
    try:
        column = await connection.fetchval(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'search_chunks'::regclass AND attname = 'embedding'"
        )
        chunks = await connection.fetchval("SELECT count(*) FROM search_chunks WHERE vector_dims(embedding) = 1536")
        index = await connection.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_chunks_embedding'")
    finally:
        await connection.close()
    assert column == "vector(1536)" and chunks == 3
    assert "USING hnsw (embedding vector_cosine_ops)" in index


def test_an_item_its_query_filters_exclude_is_not_one_of_its_answers() -> None:
    # Labels name titles, and the user's reply shares its title with Sarah's mail: for
    # "the review Sarah sent this month" only Sarah's mail of this month can be an answer.
    sarahs = ItemFacts(
        "Q4 Financial Review", datetime(2026, 11, 10, tzinfo=UTC), "Sarah Chen <sarah.chen@acme.com>", ("INBOX",)
    )
    reply = ItemFacts(
        "Re: Q4 Financial Review", datetime(2026, 11, 11, tzinfo=UTC), "Alex Rivera <alex@acme.com>", ("SENT",)
    )
    this_month = {"senders": ["Sarah"], "after": "2026-11-01"}
    assert sarahs.passes(this_month) and not reply.passes(this_month)
    assert not sarahs.passes({"after": "2026-11-15"}) and sarahs.passes({"before": "2026-11-15"})
    assert not sarahs.passes({"senders": ["Sarah Cheng"]})  # another person
    assert reply.passes({"people": ["Tom"]})  # mail about Tom is an answer even when he is not on it
    assert sarahs.passes({"labels": ["inbox"]}) and not reply.passes({"labels": ["INBOX"]})
    deck = ItemFacts(
        "Board deck", None, "Sarah Chen <sarah.chen@acme.com>", mime_type="application/vnd.google-apps.presentation"
    )
    assert not deck.passes({"mime_types": ["application/pdf"]}) and deck.passes({"senders": ["Sarah Chen"]})


def test_the_labelled_drive_queries_carry_the_types_the_planner_fills(data_dir: Path) -> None:
    # The labels hold the filters a planner would fill: for a Drive-only query, exactly the
    # Drive types of the kinds the offline reader reads from its words ("PDFs",
    # "spreadsheets"); the planner makes them filters of the Drive search.
    from assistant.planner import plan_for
    from assistant.tools.search_eval import LABELS, load_queries
    from assistant.understanding.local import local_understanding
    from assistant.understanding.meaning import Meaning
    from assistant.understanding.reader import FrameReader

    reader = FrameReader(local_understanding(get_settings()))
    drive_only = [query for query in load_queries(LABELS) if query.services == ("gdrive",)]
    assert len(drive_only) >= 10
    for query in drive_only:
        frame, _ = reader.read(query.text)
        # Searched in Drive alone, as labelled: the kinds read decide the types.
        frame = frame.model_copy(
            update={
                "act": "find",
                "services": ["drive"],
                "target": frame.target.model_copy(update={"service": "drive"}),
                "also": [],
                "confidence": 0.9,
            }
        )
        meaning = Meaning(text=query.text, frame=frame, provider="local")
        (search,) = plan_for(meaning, datetime(2026, 11, 18, tzinfo=UTC)).steps
        planned = set(search.params["filters"].get("mime_types", []))
        assert set(query.filters.get("mime_types", [])) == planned, (query.id, query.text, frame.target.kinds)

"""The search commands end to end, on the test's own database and Valkey."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import get_settings

CORPUS = [
    {"id": "d1", "from": "sarah.chen@acme.com", "to": "alice@acme.com", "cc": "", "date": "Tue, 8 Jan 2002 20:33:06 -0800",
     "subject": "Q4 financial review", "body": "The spending forecast and cost plan for the fourth quarter."},
    {"id": "d2", "from": "tom@acme.com", "to": "alice@acme.com", "cc": "", "date": "Wed, 9 Jan 2002 10:00:00 -0800",
     "subject": "Offsite", "body": "The bus leaves at eight and the hotel has rooms for everyone."},
    {"id": "d3", "from": "mike@acme.com", "to": "alice@acme.com", "cc": "sarah.chen@acme.com",
     "date": "Thu, 10 Jan 2002 10:00:00 -0800", "subject": "Hiking", "body": "Photos from the mountain trail."},
]  # fmt: skip
QUERIES = [{"id": "1", "text": "budget forecast"}, {"id": "2", "text": "hotel for the offsite"}]
QRELS = [
    {"query_id": "1", "doc_id": "d1", "grade": 2}, {"query_id": "1", "doc_id": "d3", "grade": 0},
    {"query_id": "2", "doc_id": "d2", "grade": 2},
]  # fmt: skip


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


def test_eval_retrieval_imports_the_corpus_and_scores_each_method(
    configured: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["eval", "retrieval", "--corpus", str(_write(tmp_path / "c.jsonl", CORPUS)),
                 "--queries", str(_write(tmp_path / "q.jsonl", QUERIES)),
                 "--qrels", str(_write(tmp_path / "r.jsonl", QRELS)), "--json"]  # fmt: skip
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
    arguments = ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(_write(tmp_path / "q.jsonl", QUERIES)),
                 "--qrels", str(_write(tmp_path / "r.jsonl", QRELS))]  # fmt: skip
    assert main(arguments) == 2
    assert "c.jsonl:2: not JSON" in capsys.readouterr().err

"""`concierge eval retrieval`: hybrid search measured on an external email corpus with qrels.

The corpus (format: ../shared/eval/README.md) is imported into an evaluation user of its
own through the indexer the sync uses (cleaning, chunking, embedding), then every query
runs through the same hybrid search the product uses. Reported: P@5 over the whole corpus
(unjudged = not relevant) and condensed (unjudged dropped before cutting), nDCG@10 and MRR,
for the fused ranking and for each method alone.

Re-running on the same corpus re-uses the stored vectors of unchanged pieces.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

BATCH = 64
RANKING_DEPTH = 100


@dataclass(frozen=True)
class Judged:
    query_id: str
    text: str
    grades: dict[str, int]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, required=True, help="corpus.jsonl")
    parser.add_argument("--queries", type=Path, required=True, help="queries.jsonl")
    parser.add_argument("--qrels", type=Path, required=True, help="qrels.jsonl")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON only")
    parser.add_argument("--limit-queries", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    try:
        report = asyncio.run(evaluate(args.corpus, args.queries, args.qrels, args.limit_queries))
    except (OSError, ValueError) as exc:
        print(f"concierge eval retrieval: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=None if args.json else 2))
    return 0


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc


def load_judged(queries: Path, qrels: Path) -> list[Judged]:
    grades: dict[str, dict[str, int]] = {}
    for row in read_jsonl(qrels):
        grades.setdefault(str(row["query_id"]), {})[str(row["doc_id"])] = int(row["grade"])
    return [Judged(str(q["id"]), q["text"], grades.get(str(q["id"]), {})) for q in read_jsonl(queries)]


def email_item(document: Mapping[str, Any]) -> Any:
    """A corpus email as the indexer's `EmailItem`."""
    from assistant.core.items import EmailItem, Person

    def people(field: str) -> tuple[Person, ...]:
        return tuple(Person(addr.lower(), name) for name, addr in getaddresses([document.get(field) or ""]) if addr)

    senders = people("from")
    try:
        date = parsedate_to_datetime(document["date"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"document {document['id']}: unreadable date {document.get('date')!r}") from exc
    if date.tzinfo is None:
        raise ValueError(f"document {document['id']}: date without a time zone")
    return EmailItem(
        message_id=str(document["id"]),
        thread_id=str(document["id"]),
        subject=document.get("subject") or "",
        sender=senders[0] if senders else Person(""),
        internal_date=date,
        body_text=document.get("body") or "",
        to=people("to"),
        cc=people("cc"),
        labels=("INBOX",),
    )


async def evaluate(corpus: Path, queries: Path, qrels: Path, limit_queries: int | None = None) -> dict[str, Any]:
    from search.runtime import command_runtime, ensure_account

    judged = load_judged(queries, qrels)[:limit_queries]
    documents = list(read_jsonl(corpus))
    corpus_tag = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
    async with command_runtime() as runtime:
        user_id, account_id = await ensure_account(runtime.engine, f"eval-{corpus_tag}@retrieval.invalid")
        await import_corpus(runtime, user_id, account_id, documents)
        return await score(runtime, user_id, judged)


async def import_corpus(runtime: Any, user_id: Any, account_id: Any, documents: list[dict[str, Any]]) -> None:
    from sqlalchemy import text

    from search.indexing import GMAIL

    items = [email_item(document) for document in documents]
    for start in range(0, len(items), BATCH):
        await runtime.indexer.index(user_id, account_id, items[start : start + BATCH])
    wanted = {item.message_id for item in items}
    async with runtime.engine.connect() as connection:
        stored = (
            (
                await connection.execute(
                    text("SELECT message_id FROM gmail_cache WHERE account_id = :a"), {"a": account_id}
                )
            )
            .scalars()
            .all()
        )
    await runtime.indexer.remove(account_id, GMAIL, [(m,) for m in stored if m not in wanted])


async def score(runtime: Any, user_id: Any, judged: Sequence[Judged]) -> dict[str, Any]:
    from search import metrics
    from search.query import SearchQuery

    per_method: dict[str, dict[str, list[float]]] = {}
    latencies = []
    for query in judged:
        response = await runtime.search.search(
            SearchQuery(user_id=user_id, text=query.text, services=("gmail",), limit=RANKING_DEPTH)
        )
        latencies.append(response.timings_ms["total"])
        rankings: dict[str, list[str]] = {"hybrid": [r.google_id for r in response.results]}
        ids = {r.item_id: r.google_id for r in response.results}
        ids |= await _google_ids(runtime, [key[1] for ranking in response.rankings.values() for key in ranking])
        for method, ranking in response.rankings.items():
            rankings[method] = [ids[item_id] for _, item_id in ranking]
        for method, ranking in rankings.items():
            values = per_method.setdefault(method, {})
            values.setdefault("p_at_5", []).append(metrics.precision_at(ranking, query.grades, 5))
            values.setdefault("p_at_5_condensed", []).append(
                metrics.precision_at(metrics.condensed(ranking, query.grades), query.grades, 5)
            )
            values.setdefault("ndcg_at_10", []).append(metrics.ndcg_at(ranking, query.grades, 10))
            values.setdefault("mrr", []).append(metrics.reciprocal_rank(ranking, query.grades))
    latencies.sort()
    report: dict[str, Any] = {"n": len(judged)}
    for method in ("hybrid", "fulltext", "vector"):
        report[method] = {name: metrics.mean(values) for name, values in per_method.get(method, {}).items()}
    report["p50_ms"] = round(latencies[len(latencies) // 2], 1) if latencies else None
    return report


async def _google_ids(runtime: Any, item_ids: list[Any]) -> dict[Any, str]:
    from sqlalchemy import text

    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id, message_id FROM gmail_cache WHERE id = ANY(:ids)"), {"ids": list(set(item_ids))}
        )
        return {row.id: row.message_id for row in rows}

"""`concierge eval search`: hybrid search on labelled queries over the demo workspace.

The demo workspace is served by a private sandbox (state kept in the data directory, clock
fixed at the workspace's own "today", 2026-11-18, so the labels' dates hold), linked to an
evaluation user and mirrored by the real sync (Google client, content extraction,
indexer). Each labelled query (`search/data/search_eval.jsonl`: text, services, the
filters a planner would fill, graded relevant items by title) runs through the hybrid
search and through each method alone.

Metrics per query, averaged: P@5 over min(5, number of relevant items), since many
questions have fewer than five right answers; nDCG@10 with the grades as gains; MRR;
recall@10. The filtered method is averaged over the queries that have filters (it does not
run otherwise). Labels whose title matches no synced item are listed, not silently dropped.
Labels name titles, and a reply shares its title: an item the query's own filters exclude
(the user's reply, for "the review Sarah sent") is not one of its answers
(`ItemFacts.passes`, judged from the item's fields, not by the search under test).

With `--rerank` and a configured language model, each query's 20 best fused results are
also reordered by the model as search steps do (`assistant/rerank.py`), reported as
`reranked`; `hybrid` stays the fused ranking.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from assistant.core.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from assistant.rerank import Reranker

LABELS = PROJECT_ROOT / "search" / "data" / "search_eval.jsonl"
#: Results scored per query (P@5, nDCG@10, recall@10 and MRR all read the first ten).
RANKED = 10
WORKSPACE_NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
EVAL_USER = "eval-search@concierge.invalid"
METHODS = ("hybrid", "fulltext", "vector", "filtered")


@dataclass(frozen=True)
class ItemFacts:
    """What a label's filters are checked against: an item's title, time, sender (an
    email's sender, an event's organizer, a file's owners, as "Name <address>"), labels
    and type."""

    title: str
    time: datetime | None
    sender: str
    labels: tuple[str, ...] = ()
    mime_type: str = ""

    def passes(self, filters: dict[str, Any]) -> bool:
        """Whether the item can answer a query with these filters. People named as anyone
        on the item ("Lena Fischer") do not exclude: mail about her is an answer even when
        she is not on it, and search keeps an item whose title names her in full."""
        after, before = (filters.get(bound) for bound in ("after", "before"))
        if self.time is not None and (
            (after and self.time < datetime.fromisoformat(after).replace(tzinfo=UTC))
            or (before and self.time >= datetime.fromisoformat(before).replace(tzinfo=UTC))
        ):
            return False
        if not all(_names(person, self.sender) for person in filters.get("senders", ())):
            return False
        if not {label.upper() for label in filters.get("labels", ())} <= {label.upper() for label in self.labels}:
            return False
        return not filters.get("mime_types") or self.mime_type in filters["mime_types"]


def _names(person: str, people: str) -> bool:
    """Whether `people` holds `person`: each of its words starts a word there ("Sarah"
    names "Sarah Chen <sarah.chen@…>", "Sarah Cheng" does not)."""
    words = re.findall(r"\w+", people.lower())
    return all(any(word.startswith(part) for word in words) for part in re.findall(r"\w+", person.lower()))


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    text: str
    services: tuple[str, ...]
    filters: dict[str, Any]
    relevant: dict[str, int]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=Path, default=LABELS, help="labelled queries (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON only")
    parser.add_argument("--reset", action="store_true", help="reload the demo workspace into the sandbox")
    parser.add_argument("--rerank", action="store_true", help="also rerank by the configured language model")


def run(args: argparse.Namespace) -> int:
    from assistant.core.settings import get_settings
    from assistant.rerank import reranker_for

    try:
        queries = load_queries(args.queries)
    except (OSError, ValueError, KeyError) as exc:
        print(f"concierge eval search: {exc}", file=sys.stderr)
        return 2
    reranker = reranker_for(get_settings()) if args.rerank else None
    if args.rerank and reranker is None:
        print(
            "concierge eval search: --rerank needs a language model (CONCIERGE_OPENAI_API_KEY or "
            "CONCIERGE_OPENAI_BASE_URL, or CONCIERGE_ANTHROPIC_API_KEY) and CONCIERGE_SEARCH_RERANK on",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(evaluate(queries, reset=args.reset, progress=not args.json, reranker=reranker))
    print(json.dumps(report, indent=None if args.json else 2, ensure_ascii=False))
    return 0


def load_queries(path: Path) -> list[LabelledQuery]:
    from assistant.tools.retrieval_eval import read_jsonl

    return [
        LabelledQuery(
            id=row["id"],
            text=row["text"],
            services=tuple(row.get("services") or ("gmail", "gcal", "gdrive")),
            filters=row.get("filters") or {},
            relevant={str(k): int(v) for k, v in row["relevant"].items()},
        )
        for row in read_jsonl(path)
    ]


def search_filters(filters: dict[str, Any]) -> Any:
    from search.query import SearchFilters

    def day(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None

    return SearchFilters(
        people=tuple(filters.get("people", ())),
        senders=tuple(filters.get("senders", ())),
        recipients=tuple(filters.get("recipients", ())),
        after=day(filters.get("after")),
        before=day(filters.get("before")),
        labels=tuple(filters.get("labels", ())),
        mime_types=tuple(filters.get("mime_types", ())),
    )


async def evaluate(
    queries: list[LabelledQuery], *, reset: bool, progress: bool, reranker: Reranker | None = None
) -> dict[str, Any]:
    from assistant.core.settings import get_settings
    from search.runtime import command_runtime, progress_printer

    say = progress_printer(progress)
    async with command_runtime() as runtime:
        say("syncing the demo workspace from a private sandbox")
        account_id = await sync_demo_workspace(runtime, get_settings(), reset=reset)
        say("running the labelled queries")
        return await score(runtime, account_id, queries, reranker=reranker)


async def sync_demo_workspace(runtime: Any, settings: Any, *, reset: bool) -> Any:
    """Link the demo's main account to the evaluation user and run a full sync of it."""
    import redis

    from assistant.core.db import session_factory
    from sandbox.api import Sandbox
    from sandbox.linking import link_sandbox_account
    from sandbox.oauth import accounts_in_order
    from sandbox.server import DEMO_WORKSPACE, open_store, start_in_thread
    from sync.jobs import sync_every_service

    state = settings.data_dir / "eval-search-sandbox"
    state.mkdir(parents=True, exist_ok=True)
    store = await asyncio.to_thread(open_store, state, DEMO_WORKSPACE, WORKSPACE_NOW, reset)
    sandbox = start_in_thread(Sandbox(store))
    engine = runtime.engine
    client = redis.Redis.from_url(runtime.redis_url)
    try:
        main = accounts_in_order(store)[0]["email"]
        sync_settings = settings.model_copy(update={"google_api_base_url": sandbox.base_url})
        async with session_factory(engine)() as session:
            _, account = await link_sandbox_account(
                session, store, user_email=EVAL_USER, account_email=main, client_id=sync_settings.google_client_id
            )
            await session.commit()
        await sync_every_service(engine, client, account.id, full=True, settings=sync_settings)
        return account.id
    finally:
        client.close()
        sandbox.stop()
        store.close()


async def score(
    runtime: Any, account_id: Any, queries: list[LabelledQuery], *, reranker: Reranker | None = None
) -> dict[str, Any]:
    from sqlalchemy import text

    from search import metrics
    from search.query import SearchQuery

    async with runtime.engine.connect() as connection:
        user_id = (
            await connection.execute(text("SELECT user_id FROM google_accounts WHERE id = :a"), {"a": account_id})
        ).scalar_one()
        items = await _items(connection, account_id)
    methods = METHODS + (("reranked",) if reranker else ())
    per_method: dict[str, dict[str, list[float]]] = {m: {} for m in methods}
    latencies, unmatched, per_query = [], [], []
    for query in queries:
        in_scope = {key: facts for key, facts in items.items() if key[0] in query.services}
        known = {facts.title for facts in in_scope.values()}
        unmatched.extend(f"{query.id}: {title}" for title in query.relevant if title not in known)
        relevant = {
            key: query.relevant[facts.title]
            for key, facts in in_scope.items()
            if query.relevant.get(facts.title, 0) >= 1 and facts.passes(query.filters)
        }
        response = await runtime.search.search(
            SearchQuery(
                user_id=user_id,
                text=query.text,
                services=query.services,  # type: ignore[arg-type]
                filters=search_filters(query.filters),
                limit=reranker.fetch_limit(RANKED) if reranker else RANKED,
            )
        )
        latencies.append(response.timings_ms["total"])
        rankings = {"hybrid": [(r.service, r.item_id) for r in response.results[:RANKED]], **response.rankings}
        if reranker:
            reranked = await reranker.rerank(query.text, response.results, ZoneInfo("UTC"), terms=response.terms)
            rankings["reranked"] = [(r.service, r.item_id) for r in reranked[:RANKED]]
        grades = {_key(key): grade for key, grade in relevant.items()}
        for method in methods:
            if method == "filtered" and not query.filters:
                continue  # the filtered list exists only for queries with filters
            ranking = [_key(key) for key in rankings.get(method, [])]
            values = per_method[method]
            cutoff = min(5, len(grades)) or 5
            values.setdefault("p_at_5", []).append(sum(1 for doc in ranking[:5] if doc in grades) / cutoff)
            values.setdefault("ndcg_at_10", []).append(metrics.ndcg_at(ranking, grades, 10))
            values.setdefault("mrr", []).append(metrics.reciprocal_rank(ranking, grades))
            values.setdefault("recall_at_10", []).append(metrics.recall_at(ranking, grades, 10))
        per_query.append(
            {
                "id": query.id,
                "p_at_5": round(per_method["hybrid"]["p_at_5"][-1], 2),
                "top": [r.title for r in response.results[:3]],
            }
        )
    latencies.sort()
    report: dict[str, Any] = {"n": len(queries), "n_with_filters": sum(1 for q in queries if q.filters)}
    for method in methods:
        report[method] = {name: metrics.mean(values) for name, values in per_method[method].items()}
    # The filtered method only runs on queries with filters: hybrid on the same queries.
    with_filters = [i for i, query in enumerate(queries) if query.filters]
    report["hybrid_on_filter_queries"] = {
        name: metrics.mean([values[i] for i in with_filters]) for name, values in per_method["hybrid"].items()
    }
    report["p50_ms"] = round(latencies[len(latencies) // 2], 1)
    report["p99_ms"] = round(latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)], 1)
    report["unmatched_labels"] = unmatched
    report["misses"] = [q for q in per_query if q["p_at_5"] < 1]
    return report


def _key(key: tuple[str, Any]) -> str:
    return f"{key[0]}:{key[1]}"


async def _items(connection: Any, account_id: Any) -> dict[tuple[str, Any], ItemFacts]:
    from sqlalchemy import text

    rows = await connection.execute(
        text(
            "SELECT 'gmail', id, subject, internal_date, concat(sender_name, ' <', sender_email, '>'), labels, '' "
            "FROM gmail_cache WHERE account_id = :a AND NOT labels && ARRAY['TRASH', 'SPAM'] "
            "UNION ALL SELECT 'gcal', id, summary, start_at, concat(organizer_name, ' <', organizer_email, '>'), "
            "ARRAY[]::text[], '' FROM gcal_cache WHERE account_id = :a AND status <> 'cancelled' "
            "UNION ALL SELECT 'gdrive', id, name, modified_at, people, ARRAY[]::text[], mime_type "
            "FROM gdrive_cache WHERE account_id = :a"
        ),
        {"a": account_id},
    )
    return {
        (service, item_id): ItemFacts(title, time, sender or "", tuple(labels), mime_type)
        for service, item_id, title, time, sender, labels, mime_type in rows
    }

"""Reranking by a configured language model, through the real SDK against a scripted
server: it reorders the best results, never drops one, and any failure keeps the fused
order."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio
from sqlalchemy import text

from assistant.agents.calendar import CalendarAgent
from assistant.agents.gmail import GmailAgent
from assistant.agents.sources import search_outputs
from assistant.core.settings import get_settings
from assistant.rerank import RankedResults, Reranker, reordered, reranker_for
from assistant.tools.search_eval import LabelledQuery, score
from search.hybrid import HybridSearch
from search.query import SearchQuery, SearchResult
from tests.execution.conftest import NOW, World
from tests.llm.scripted_server import Reply, ScriptedServer
from tests.llm.support import settings_for

LONDON = ZoneInfo("Europe/London")


def result(title: str) -> SearchResult:
    return SearchResult(
        service="gmail",
        item_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        google_id=title,
        title=title,
        snippet=f"About {title}.",
        item_time=datetime(2026, 11, 10, 9, tzinfo=UTC),
        people="Sarah Chen <sarah.chen@acme.com>",
        link=None,
        score=0.03,
        matches=(),
    )


RESULTS = [result(title) for title in ("Budget breaks in Lisbon", "Q4 Financial Review", "Events budget", "Hiring")]


def titles(results: list[SearchResult]) -> list[str]:
    return [r.title for r in results]


def test_the_named_results_come_first_and_none_is_lost() -> None:
    assert titles(reordered(RESULTS, [3, 2])) == [
        "Events budget",
        "Q4 Financial Review",
        "Budget breaks in Lisbon",
        "Hiring",
    ]
    # Numbers that name nothing, and repeats, are ignored.
    assert titles(reordered(RESULTS, [0, 2, 9, 2, -1])) == [
        "Q4 Financial Review",
        "Budget breaks in Lisbon",
        "Events budget",
        "Hiring",
    ]
    assert titles(reordered(RESULTS, [])) == titles(RESULTS)


def reranker(server: ScriptedServer, provider: str = "openai", **overrides: object) -> Reranker:
    found = reranker_for(settings_for(provider, server, **overrides))
    assert found is not None
    return found


def ranking_reply(provider: str, order: list[int]) -> Reply:
    answer = RankedResults(order=order)
    return Reply(content=answer.model_dump_json()) if provider == "openai" else Reply(tool_input=answer.model_dump())


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_the_model_reorders_the_results_it_read(provider: str) -> None:
    with ScriptedServer([ranking_reply(provider, [2, 3])]) as server:
        ranked = await reranker(server, provider, search_rerank_candidates=3).rerank(
            "the budget", RESULTS, LONDON, terms=["budget"]
        )
        prompt = str(server.requests[0]["body"]["messages"])
    assert titles(ranked) == ["Q4 Financial Review", "Events budget", "Budget breaks in Lisbon", "Hiring"]
    # It read the request and the first three, numbered, with their kind, day and people.
    assert "Looking for: the budget" in prompt
    assert "[2] email · Tue 10 Nov 2026 · Sarah Chen <sarah.chen@acme.com> · Q4 Financial Review" in prompt
    assert "[3] email" in prompt and "Hiring" not in prompt


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=500),  # the model is down (after its retries)
        Reply(content='{"order": ["first"]}'),  # not a list of numbers
        Reply(content=json.dumps({"order": [1]}), delay=3.0),  # too slow for the budget
    ],
)
async def test_any_failure_keeps_the_fused_order(reply: Reply) -> None:
    with ScriptedServer([reply]) as server:
        started = time.monotonic()
        ranked = await reranker(server, search_rerank_timeout_seconds=0.5).rerank(
            "the budget", RESULTS, LONDON, terms=["budget"]
        )
        elapsed = time.monotonic() - started
    assert titles(ranked) == titles(RESULTS)
    assert elapsed < 2.0


async def test_an_order_is_cached_for_the_same_request_over_the_same_results(redis_url: str) -> None:
    client = redis.asyncio.from_url(redis_url)
    request = f"the budget {uuid.uuid4()}"  # an entry of its own
    with ScriptedServer([ranking_reply("openai", [3])]) as server:
        found = reranker_for(settings_for("openai", server), client)
        assert found is not None
        first = await found.rerank(request, RESULTS, LONDON, terms=["budget"])
        again = await found.rerank(request, RESULTS, LONDON, terms=["budget"])
        assert len(server.requests) == 1 and titles(again) == titles(first) == [
            "Events budget",
            "Budget breaks in Lisbon",
            "Q4 Financial Review",
            "Hiring",
        ]
        await found.rerank(request, RESULTS[:3], LONDON, terms=["budget"])  # other candidates: another question
        assert len(server.requests) == 2
    await client.aclose()


def test_no_reranker_without_a_model_or_when_turned_off() -> None:
    assert reranker_for(get_settings().model_copy(update={"llm_provider": "local"})) is None
    with ScriptedServer([]) as server:
        assert reranker_for(settings_for("openai", server, search_rerank=False)) is None


async def test_a_search_step_shows_what_the_model_ranked_first(world: World) -> None:
    # The fused ranking puts the NPS mail below mail that shares the request's words; the
    # model, reading twenty candidates, names it first, and the step shows it first.
    context = await world.concierge.context_for(world.alex, NOW)
    request, answer = "customer satisfaction score for Atlas", "Atlas NPS after one month: 52"
    fused = await context.search.search(SearchQuery(user_id=world.alex, text=request, services=("gmail",), limit=20))
    position = titles(fused.results).index(answer) + 1
    assert position > 3  # not shown without the reranker
    with ScriptedServer([ranking_reply("openai", [position])]) as server:
        context.reranker = reranker(server)
        found = await search_outputs(context, GmailAgent(), {"text": request, "limit": 3})
        prompt = str(server.requests[0]["body"]["messages"])
    assert [item.title for item in found["items"]][0] == answer
    assert len(found["items"]) == 3
    assert f"[{position}] email" in prompt and "[20]" in prompt

    # A listing by filters alone has no relevance to judge: no model call.
    with ScriptedServer([ranking_reply("openai", [2])]) as server:
        context.reranker = reranker(server)
        window = {"after": "2026-11-23T00:00:00+00:00", "before": "2026-11-30T00:00:00+00:00"}
        listed = await search_outputs(context, CalendarAgent(), {"text": "meetings next week", "filters": window})
        assert len(listed["items"]) >= 2 and server.requests == []


async def test_eval_search_scores_the_reranked_order_beside_the_fused_one(world: World) -> None:
    concierge = world.concierge
    async with concierge.engine.connect() as connection:
        account_id = (
            await connection.execute(text("SELECT id FROM google_accounts WHERE user_id = :u"), {"u": world.alex})
        ).scalar_one()
    runtime = SimpleNamespace(
        engine=concierge.engine, search=HybridSearch(concierge.engine, concierge.query_embeddings)
    )
    request, answer = "customer satisfaction score for Atlas", "Atlas NPS after one month: 52"
    labelled = [LabelledQuery(id="q1", text=request, services=("gmail",), filters={}, relevant={answer: 2})]
    fused = await runtime.search.search(SearchQuery(user_id=world.alex, text=request, services=("gmail",), limit=20))
    position = titles(fused.results).index(answer) + 1
    plain = await score(runtime, account_id, labelled)
    with ScriptedServer([ranking_reply("openai", [position])]) as server:
        report = await score(runtime, account_id, labelled, reranker=reranker(server))
    assert "reranked" not in plain
    assert report["hybrid"] == plain["hybrid"]  # the fused ranking is scored as without a reranker
    assert report["hybrid"]["mrr"] == round(1 / position, 4) < 1
    assert report["reranked"]["mrr"] == 1.0 and report["reranked"]["p_at_5"] == 1.0

"""Search steps in time order (`order`), a number of them (`count`) and all of them
(`every`, with `total`), run by the agents against the synced demo workspace and checked
against the sandbox through the real Google client."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text as sql

from assistant.orchestrator import Orchestrator, StepResult
from assistant.plan import Binding, ExecutionPlan, PlanStep
from tests.execution.conftest import ALEX, NOW, World, google

PRIYA_1_1 = "1:1 Priya / Alex"


async def search(world: World, service: str, params: dict[str, Any], *, bulk_cap: int | None = None) -> dict[str, Any]:
    """A search step, run by its agent with the user's context at the world's NOW."""
    context = await world.concierge.context_for(world.alex, NOW)
    if bulk_cap is not None:
        context = dataclasses.replace(context, settings=context.settings.model_copy(update={"bulk_cap": bulk_cap}))
    step = PlanStep(id="find", service=service, operation="search", description="Find", params=params)
    return await world.concierge.agents[service].run(step, {}, context)


def occurrences(world: World, query: str) -> list[datetime]:
    """Every occurrence's start at the sandbox, in order (the calendar as Google lists it)."""
    calendar = google(world.sandbox, ALEX, "calendar")
    starts: list[datetime] = []
    token = None
    while True:
        page = (
            calendar.events()
            .list(calendarId="primary", q=query, singleEvents=True, orderBy="startTime", pageToken=token)
            .execute()
        )
        starts += [datetime.fromisoformat(e["start"]["dateTime"]) for e in page["items"] if e["summary"] == query]
        token = page.get("nextPageToken")
        if not token:
            return starts


def mail_from(world: World, address: str) -> list[tuple[datetime, str]]:
    """(time, id) of each message from `address` in Alex's mailbox, newest first."""
    gmail = google(world.sandbox, ALEX, "gmail")
    found = gmail.users().messages().list(userId="me", q=f"from:{address}", maxResults=500).execute()
    dated = []
    for message in found.get("messages", []):
        got = gmail.users().messages().get(userId="me", id=message["id"], format="minimal").execute()
        dated.append((datetime.fromtimestamp(int(got["internalDate"]) / 1000).astimezone(NOW.tzinfo), got["id"]))
    return sorted(dated, reverse=True)


async def test_the_next_occurrence_of_a_weekly_series_is_the_coming_one(world: World) -> None:
    found = await search(
        world, "calendar", {"text": "1:1", "filters": {"people": ["Priya"]}, "order": "next", "count": 1}
    )
    coming = min(start for start in occurrences(world, PRIYA_1_1) if start >= NOW)
    assert len(found["items"]) == 1, [(i.title, i.when) for i in found["items"]]
    top = found["top"]
    assert top.title == PRIYA_1_1 and top.when == coming, (top.title, top.when, coming)
    assert NOW <= top.when < NOW + timedelta(days=7)  # weekly: never one two years out


async def test_the_next_one_named_with_a_word_its_title_lacks_is_still_that_event(world: World) -> None:
    # The calendar calls it "Beacon kickoff"; people call it "the Project Beacon kickoff".
    # With no event holding every word, every word but one finds it, not the soonest event
    # loosely like it.
    found = await search(world, "calendar", {"text": "Project Beacon kickoff", "order": "next", "count": 1})
    kickoff = [start for start in occurrences(world, "Beacon kickoff") if start >= NOW]
    assert kickoff, "the demo workspace has a coming Beacon kickoff"
    assert [(i.title, i.when) for i in found["items"]] == [("Beacon kickoff", kickoff[0])]


async def test_the_latest_occurrence_is_the_last_one_that_started(world: World) -> None:
    found = await search(
        world, "calendar", {"text": "1:1", "filters": {"people": ["Priya"]}, "order": "latest", "count": 2}
    )
    past = [start for start in occurrences(world, PRIYA_1_1) if start < NOW]
    assert [item.when for item in found["items"]] == sorted(past, reverse=True)[:2]
    assert all(item.title == PRIYA_1_1 for item in found["items"])


async def test_the_earliest_occurrence_is_the_first_of_the_series(world: World) -> None:
    found = await search(world, "calendar", {"text": "1:1 Priya", "order": "earliest", "count": 1})
    assert [(item.title, item.when) for item in found["items"]] == [(PRIYA_1_1, occurrences(world, PRIYA_1_1)[0])]


async def test_every_occurrence_counts_past_the_search_depth(world: World) -> None:
    """131 occurrences: more than search's hundred candidates, all listed and counted."""
    found = await search(
        world, "calendar", {"text": "1:1", "filters": {"people": ["Priya"]}, "every": True, "order": "earliest"}
    )
    expected = occurrences(world, PRIYA_1_1)
    assert len(expected) > 100
    assert found["total"] == len(expected)
    assert [item.when for item in found["items"]] == expected


async def test_the_latest_email_from_sarah_is_her_newest(world: World) -> None:
    found = await search(
        world, "gmail", {"text": "", "filters": {"senders": ["Sarah Chen"]}, "order": "latest", "count": 1}
    )
    newest_time, newest_id = mail_from(world, "sarah.chen@northwindlabs.com")[0]
    assert [item.id for item in found["items"]] == [newest_id], [(i.title, i.when) for i in found["items"]]
    assert found["top"].when == newest_time


async def test_the_earliest_emails_from_sarah_come_oldest_first(world: World) -> None:
    found = await search(
        world, "gmail", {"text": "", "filters": {"senders": ["Sarah Chen"]}, "order": "earliest", "count": 3}
    )
    oldest = sorted(mail_from(world, "sarah.chen@northwindlabs.com"))[:3]
    assert [item.id for item in found["items"]] == [message_id for _, message_id in oldest]


async def test_the_latest_email_about_a_topic_is_the_newest_about_it(world: World) -> None:
    found = await search(world, "gmail", {"text": "Q4 Financial Review", "order": "latest", "count": 1})
    assert len(found["items"]) == 1
    top = found["top"]
    assert "q4 financial review" in top.title.lower(), top.title
    async with world.concierge.engine.connect() as connection:
        newest = (
            await connection.execute(
                sql(
                    "SELECT max(internal_date) FROM gmail_cache WHERE user_id = :u AND subject ILIKE :s "
                    "AND NOT labels && ARRAY['TRASH', 'SPAM']"
                ),
                {"u": world.alex, "s": "%Q4 Financial Review%"},
            )
        ).scalar_one()
    assert top.when == newest


async def test_the_latest_invoice_is_the_newest_invoice_not_the_newest_mention(world: World) -> None:
    """Newer mail mentions an invoice in passing; "my most recent invoice" is an invoice."""
    found = await search(world, "gmail", {"text": "invoice", "order": "latest", "count": 1})
    async with world.concierge.engine.connect() as connection:
        newest_mention, newest_titled = (
            await connection.execute(
                sql(
                    "SELECT max(internal_date), max(internal_date) FILTER (WHERE subject ILIKE '%invoice%') "
                    "FROM gmail_cache WHERE user_id = :u AND search_tsv @@ to_tsquery('english', 'invoice') "
                    "AND NOT labels && ARRAY['TRASH', 'SPAM']"
                ),
                {"u": world.alex},
            )
        ).one()
    assert newest_mention > newest_titled  # the case this is about
    assert [(("invoice" in i.title.lower()), i.when) for i in found["items"]] == [(True, newest_titled)]


async def test_every_email_from_tom_becker_with_the_total(world: World) -> None:
    found = await search(world, "gmail", {"text": "", "filters": {"senders": ["Tom Becker"]}, "every": True})
    expected = mail_from(world, "tom.becker@northwindlabs.com")
    assert len(expected) >= 3
    assert sorted(item.id for item in found["items"]) == sorted(message_id for _, message_id in expected)
    assert found["total"] == len(expected)


async def test_every_stops_at_the_cap_and_still_counts_them_all(world: World) -> None:
    found = await search(
        world,
        "gmail",
        {"text": "", "filters": {"senders": ["Tom Becker"]}, "every": True, "order": "latest"},
        bulk_cap=2,
    )
    expected = mail_from(world, "tom.becker@northwindlabs.com")
    assert [item.id for item in found["items"]] == [message_id for _, message_id in expected[:2]]
    assert found["total"] == len(expected)


async def test_count_takes_that_many_in_relevance_order(world: World) -> None:
    found = await search(world, "drive", {"text": "Q4 Financial Review", "count": 1})
    assert len(found["items"]) == 1 and "Q4 Financial Review" in found["top"].title
    assert found["total"] == 1


async def test_without_the_new_params_a_search_is_as_before_and_says_its_total(world: World) -> None:
    found = await search(world, "gmail", {"text": "invoice", "limit": 4})
    assert set(found) == {"items", "top", "corrections", "total"}
    assert len(found["items"]) == 4 and found["total"] == 4 and found["top"] is found["items"][0]


async def test_a_later_step_can_use_the_total(world: World) -> None:
    """`total` is a search output: a plan may bind it, and the orchestrator hands it over."""
    plan = ExecutionPlan(
        steps=[
            PlanStep(
                id="toms",
                service="gmail",
                operation="search",
                description="Every email from Tom",
                params={"text": "", "filters": {"senders": ["Tom Becker"]}, "every": True},
            ),
            PlanStep(
                id="read_one",
                service="gmail",
                operation="search",
                description="Uses the count",
                params={"text": "", "filters": {"senders": ["Tom Becker"]}},
                inputs={"how_many": Binding(step="toms", output="total")},
            ),
        ]
    )
    context = await world.concierge.context_for(world.alex, NOW)
    results: dict[str, StepResult] = {}
    async for _ in Orchestrator(world.concierge.agents, _no_writes).run(plan, context, results):
        pass
    assert {r.status for r in results.values()} == {"ok"}, {k: r.error for k, r in results.items()}
    assert results["toms"].outputs["total"] == len(mail_from(world, "tom.becker@northwindlabs.com"))


async def _no_writes(step, proposed):
    raise AssertionError("no writes expected")

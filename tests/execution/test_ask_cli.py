"""`concierge ask` runs the whole pipeline from a terminal and prints a trace."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.execution.conftest import ALEX, World, google


def ask(world: World, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "CONCIERGE_DATABASE_URL": world.database_url,
        "CONCIERGE_REDIS_URL": world.redis_url,
        "CONCIERGE_GOOGLE_API_BASE_URL": world.sandbox.base_url,
        "CONCIERGE_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", *arguments, "--user", ALEX, "--now", "2026-11-18T09:30:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_json_trace_lists_intent_plan_steps_actions_and_answer(world: World) -> None:
    result = await asyncio.to_thread(ask, world, "delete the Saturday long run", "--json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["intent"]["frame"]["act"] == "delete" and trace["intent"]["frame"]["services"] == ["calendar"]
    assert [s["operation"] for s in trace["plan"]["steps"]] == ["search", "delete"]
    assert [s["status"] for s in trace["steps"]] == ["ok", "awaiting_confirmation"]
    (action,) = trace["actions"]
    assert action["service"] == "calendar" and action["operation"] == "delete" and action["status"] == "pending"
    assert "Saturday long run" in action["preview"]
    assert "needs your confirmation" in trace["answer"]
    # Without --yes nothing happened.
    event_id = action["fields"]["events"][0]["event_id"]
    calendar = google(world.sandbox, ALEX, "calendar")
    assert calendar.events().get(calendarId="primary", eventId=event_id).execute()["status"] == "confirmed"


async def test_yes_confirms_and_the_text_output_says_so(world: World) -> None:
    result = await asyncio.to_thread(ask, world, "delete the dinner for Olivia's birthday", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Dinner for Olivia's birthday" in result.stdout and "done" in result.stdout
    calendar = google(world.sandbox, ALEX, "calendar")
    found = (
        calendar.events()
        .list(calendarId="primary", q="Dinner for Olivia", singleEvents=True, showDeleted=True)
        .execute()["items"]
    )
    assert found and all(e.get("status") == "cancelled" for e in found)
    birthday = calendar.events().list(calendarId="primary", q="Olivia's birthday", singleEvents=True).execute()["items"]
    assert any(e["summary"] == "Olivia's birthday" for e in birthday)  # not the birthday itself


async def test_unknown_user_is_a_clear_error(world: World) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "assistant.cli", "ask", "hello", "--user", "nobody@example.com"],
        env=os.environ | {"CONCIERGE_DATABASE_URL": world.database_url, "CONCIERGE_REDIS_URL": world.redis_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "sign in to Concierge" in result.stderr

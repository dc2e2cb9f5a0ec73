"""Google answering 429 / 403 rateLimitExceeded / 5xx during sync (a quota storm).

Within the retry budget the calls are retried (honouring Retry-After) and the sync
finishes; beyond it the run fails without moving its cursor, and the next run (RQ's
retry) picks up every change.
"""

from __future__ import annotations

import httpx
import pytest
from googleapiclient.errors import HttpError

from sync.jobs import sync_service
from tests.faults.support import assert_mirrors_google
from tests.sandbox.conftest import ALEX
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import control_call, sync_all, sync_status


async def test_a_storm_of_429s_and_500s_loses_nothing(link, connect, control: httpx.Client) -> None:
    linked: LinkedAccount = await link(ALEX)
    for method, kind in [
        ("gmail.users.messages.get", "429"),
        ("gmail.users.messages.list", "500"),
        ("calendar.events.list", "503"),
        ("drive.files.list", "403"),
        ("drive.files.export", "500"),
    ]:
        control_call(control, "POST", "/faults", {"method": method, "kind": kind, "count": 2, "retry_after": 0})
    try:
        await sync_all(linked)
    finally:
        control_call(control, "DELETE", "/faults")
    await assert_mirrors_google(linked, connect(ALEX))


async def test_a_storm_beyond_the_retry_budget_fails_the_run_and_the_next_run_loses_nothing(
    link, connect, control: httpx.Client
) -> None:
    linked: LinkedAccount = await link(ALEX)
    linked.settings = linked.settings.model_copy(update={"google_retry_attempts": 2})
    await sync_all(linked)
    cursor = (await sync_status(linked))["gmail"].cursor
    for number in range(2):
        control_call(
            control,
            "POST",
            f"/accounts/{ALEX}/messages",
            {"from": "dana@partner.test", "subject": f"Storm {number}", "text": "."},
        )
    # Both new messages are fetched twice (the whole budget), and fail both times.
    control_call(
        control, "POST", "/faults", {"method": "gmail.users.messages.get", "kind": "429", "count": 4, "retry_after": 1}
    )
    try:
        with pytest.raises(HttpError) as raised:
            await sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    finally:
        control_call(control, "DELETE", "/faults")
    assert raised.value.resp.status == 429
    failed = (await sync_status(linked))["gmail"]
    assert failed.status == "error" and failed.cursor == cursor  # nothing skipped past

    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    assert outcome.status == "ok" and not outcome.full
    await assert_mirrors_google(linked, connect(ALEX))

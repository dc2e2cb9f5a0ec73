"""Idempotency-Key: a repeated request gets the first one's answer, and one email is sent."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import DANIEL, ApiUser, ask, done_of, parse_sse, unique_words
from tests.api.test_actions import _inbox
from tests.execution.conftest import World
from tests.support import connect


def _pending_for(world: World, words: str) -> int:
    async def count() -> int:
        conn = await connect(world.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM pending_actions WHERE preview LIKE $1", f"%{words}%")
        finally:
            await conn.close()

    return asyncio.run(count())


def test_a_duplicate_idempotency_key_sends_one_email(api_url: str, alex: ApiUser, world: World) -> None:
    words = unique_words()
    text = f"send an email to Daniel saying the release is tagged, {words}"
    key = str(uuid.uuid4())
    # Sent twice at once (a client retrying while the first is still running), then again.
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: ask(api_url, alex, text, key=key), range(2))
    third = ask(api_url, alex, text, key=key)
    assert first[1] == second[1] == third[1]  # the same stream, byte for byte
    action = done_of(first[0])["actions"][0]
    assert _pending_for(world, words) == 1  # the pipeline ran once

    confirm_key = str(uuid.uuid4())

    def confirm(_: int) -> httpx.Response:
        headers = alex.headers | {"Idempotency-Key": confirm_key}
        return httpx.post(f"{api_url}/actions/{action['id']}/confirm", headers=headers, timeout=60)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(confirm, range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replay") == "true" for a in answers) == 2
    assert len(_inbox(world, DANIEL, words)) == 1


def test_the_same_key_for_another_request_is_refused(api_url: str, alex: ApiUser) -> None:
    key = str(uuid.uuid4())
    headers = alex.headers | {"Idempotency-Key": key}
    assert httpx.post(f"{api_url}/sync", json={"services": ["gdrive"]}, headers=headers).status_code == 202
    replay = httpx.post(f"{api_url}/sync", json={"services": ["gdrive"]}, headers=headers)
    assert replay.status_code == 202 and replay.headers["idempotent-replay"] == "true"
    refused = httpx.post(f"{api_url}/sync", json={"services": ["gcal"]}, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "idempotency_key_reused"
    bad = httpx.post(f"{api_url}/sync", json={}, headers=alex.headers | {"Idempotency-Key": "has spaces"})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["error"]["message"]


def test_keys_are_per_user(api_url: str, alex: ApiUser, sarah: ApiUser) -> None:
    key = str(uuid.uuid4())
    alexs, _ = ask(api_url, alex, "emails about the budget from Sarah", key=key)
    sarahs = httpx.post(
        f"{api_url}/query",
        json={"text": "emails about the budget from Sarah"},
        headers=sarah.headers | {"Idempotency-Key": key},
        timeout=120,
    )
    assert sarahs.status_code == 200
    assert done_of(parse_sse(sarahs.text.split("\n")))["conversation_id"] != done_of(alexs)["conversation_id"]

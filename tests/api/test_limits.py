"""Rate limits: the free tier's hourly bucket and a per-endpoint bucket answer 429 with Retry-After."""

from __future__ import annotations

import httpx

from tests.api.conftest import ApiUser


def test_the_free_tier_gets_429_after_100_requests_an_hour(api_url: str, daniel: ApiUser) -> None:
    with httpx.Client(base_url=api_url, headers=daniel.headers) as client:
        statuses = [client.get("/conversations").status_code for _ in range(100)]
        refused = client.get("/conversations")
    # The sign-in's own calls count too, so the limit may come a request or two early.
    assert statuses.count(429) <= 2 and statuses[:90] == [200] * 90
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "free" in error["message"]
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 37  # one request's worth of the hourly bucket: 36 s


def test_an_endpoint_limit_answers_429_before_the_tier(api_url: str, sarah: ApiUser) -> None:
    """Six syncs a minute, whatever the (enterprise) tier allows."""
    with httpx.Client(base_url=api_url, headers=sarah.headers) as client:
        statuses: list[int] = []
        while 429 not in statuses and len(statuses) < 8:
            response = client.post("/sync", json={"services": ["gmail"]})
            statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {202} and len(statuses) >= 2, statuses
    assert "sync requests" in response.json()["error"]["message"]
    assert 1 <= int(response.headers["retry-after"]) <= 10  # 6 a minute: one every 10 s

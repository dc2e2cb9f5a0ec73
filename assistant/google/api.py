"""One Google API of one linked account, callable from asyncio code.

google-api-python-client is blocking and its `httplib2.Http` is not thread-safe, so
each worker thread builds its own service object, and calls run in threads while the
event loop (database writes, embedding) carries on. Every call goes through the
account's `GoogleCaller`: quota bucket and retry policy included. `google_api_for` is
the one place such a client is assembled, for sync jobs and agents alike.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from redis import Redis

from assistant.core.models import GoogleAccount
from assistant.core.services import spec
from assistant.core.settings import Settings
from assistant.google.accounts import credentials_for
from assistant.google.calls import GoogleCaller, RetryPolicy
from assistant.google.client import Api, build_service
from assistant.google.rate_limit import TokenBucket


class GoogleApi:
    def __init__(self, api: Api, credentials: Credentials, base_url: str | None, caller: GoogleCaller) -> None:
        self.api = api
        self.credentials = credentials
        self.base_url = base_url
        self.caller = caller
        self._local = threading.local()

    def service(self) -> Resource:
        """This thread's service object."""
        service = getattr(self._local, "service", None)
        if service is None:
            service = build_service(self.api, self.credentials, self.base_url)
            self._local.service = service
        return service

    async def call(self, make_request: Callable[[Resource], HttpRequest], *, cost: int | None = None) -> Any:
        """Build a request with this thread's service and execute it under the policy."""

        def run() -> Any:
            return self.caller.execute(make_request(self.service()), cost=cost)

        return await asyncio.to_thread(run)


def google_api_for(account: GoogleAccount, api: Api, settings: Settings, redis: Redis) -> GoogleApi:
    """`account`'s client of `api`: its stored credentials, the configured base URL (a
    stand-in's, or Google's), and a caller that spends the account's quota for the
    service and retries as the settings say."""
    retries = RetryPolicy(attempts=settings.google_retry_attempts)
    caller = GoogleCaller(quota_bucket(redis, account.id, api, settings), retries)
    return GoogleApi(api, credentials_for(account, settings), settings.google_api_base_url, caller)


def quota_bucket(redis: Redis, account_id: uuid.UUID, api: Api, settings: Settings) -> TokenBucket:
    """The account's bucket for one service, shared by sync jobs and agents (Gmail counts
    quota units, Calendar and Drive requests)."""
    per_minute = settings.gmail_quota_units_per_minute if api == "gmail" else settings.google_requests_per_minute
    key = f"quota:{account_id}:{spec(api).cache_name}"
    return TokenBucket(redis, key, capacity=per_minute, per_second=per_minute / 60)


def http_status(error: BaseException) -> int | None:
    return error.resp.status if isinstance(error, HttpError) else None

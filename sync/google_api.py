"""One Google API of one linked account, callable from asyncio code.

google-api-python-client is blocking and its `httplib2.Http` is not thread-safe, so
each worker thread builds its own service object, and calls run in threads while the
event loop (database writes, embedding) carries on. Every call goes through the
account's `GoogleCaller`: quota bucket and retry policy included.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from sync.google_calls import GoogleCaller
from sync.google_client import Api, build_service


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


def http_status(error: BaseException) -> int | None:
    return error.resp.status if isinstance(error, HttpError) else None

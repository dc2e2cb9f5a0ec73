"""Helpers for tests: raw database connections to look at what is really stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url


async def connect(url: str, *, database: str | None = None) -> asyncpg.Connection:
    """A raw asyncpg connection to the URL's database (or another on the same server)."""
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        database=database or parsed.database,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
    )


async def create_database(server_url: str, prefix: str) -> str:
    """A new, empty database on the server of `server_url`; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await connect(server_url, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    admin = await connect(url, database="postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


def pages(request_for: Callable[[str | None], Any], key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every item of a paged Google list (`request_for(page_token)`), and the last page
    (it holds the sync token)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = request_for(token).execute()
        items.extend(page.get(key, []))
        token = page.get("nextPageToken")
        if not token:
            return items, page

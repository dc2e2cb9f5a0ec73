"""Helpers for tests: raw database connections to look at what is really stored."""

from __future__ import annotations

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

"""Database engine and sessions (SQLAlchemy asyncio over asyncpg).

Serving a user: `as_user(engine, user_id)` is the same engine (same pool) whose every
transaction first switches to the request role and names the user, so PostgreSQL's
row-level security (migration 0006) hides every other user's rows even from a query
that forgets its `WHERE user_id`. Background work (sync, migrations) uses the plain
engine and stays the owner.
"""

from __future__ import annotations

import errno
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from assistant.core.settings import get_settings

#: The execution option that carries the user an engine acts for.
ACTING_USER = "concierge_acting_user"
T = TypeVar("T")
_ENTER_ROLE = text("SELECT set_config('role', :role, true), set_config('app.user_id', :user_id, true)")


def asyncpg_url(url: str) -> str:
    """The SQLAlchemy URL for asyncpg, whatever driver the configured URL names."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"only PostgreSQL is supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine whose pool never hands out a connection the server has closed.

    A restarted PostgreSQL closes every connection, and the driver notices a closed socket
    by itself: checking that at checkout costs no round trip, where `pool_pre_ping` costs
    three on every checkout (BEGIN, a statement, ROLLBACK). A dead connection the driver
    has not noticed yet fails its first statement, which invalidates the whole pool;
    `retry_if_disconnected` then runs that transaction again on a new connection.

    Behind a transaction-mode pooler (`database_transaction_pooler`), two transactions on
    one of our connections may run in different server sessions, so nothing may outlive
    a transaction: no statement cache, and every prepared statement named uniquely
    (asyncpg numbers them per connection, and two clients' `__asyncpg_stmt_1__` would
    collide in one server session). Row-level security only sets transaction-local state.
    """
    if get_settings().database_transaction_pooler:
        kwargs["connect_args"] = TRANSACTION_POOLER_CONNECT_ARGS | kwargs.get("connect_args", {})
    engine = create_async_engine(asyncpg_url(url), **kwargs)
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection) -> None:
    """A pooled connection the server has closed (a restart, a failover, an idle timeout)
    is replaced, and so is every connection pooled before it (they are likely closed too)."""
    if record.driver_connection is not None and record.driver_connection.is_closed():
        raise InvalidatePoolError("PostgreSQL closed this pooled connection")


async def retry_if_disconnected(run: Callable[[], Awaitable[T]]) -> T:
    """`run()` (one transaction), run again if a statement of it found its connection dead.

    The failure has invalidated the pool, so the second run gets a new connection. Only
    a statement's failure counts: the server then rolled the transaction back, so nothing
    of it happened. A failed COMMIT (it may have committed) is raised, as is a second
    failure. For the first transaction of a request, which finds a restart's dead
    connections when the driver has not noticed them yet.
    """
    try:
        return await run()
    except DBAPIError as error:
        if not (error.connection_invalidated and error.statement is not None):
            raise
    return await run()


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached: raised where a failure would otherwise be hidden."""


#: SQLSTATEs of a server that cannot serve us now: class 08 (connection exception), too
#: many connections, and shutting down or starting up (57P01-57P03).
_UNAVAILABLE_SQLSTATES = ("08", "53300", "57P01", "57P02", "57P03")
#: A connect's own socket errors that are not ConnectionError: the Unix socket is gone
#: (the server is stopped), or no route to the host.
_SOCKET_ERRNOS = frozenset({errno.ENOENT, errno.EHOSTUNREACH, errno.ENETUNREACH})


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` says PostgreSQL could not be reached (down, restarting, out of
    connections, or the pool waited in vain), rather than that a statement was wrong.

    A statement on a connection the server closed raises a DBAPIError that invalidated
    its connection; connecting to a stopped server raises the socket's own error,
    unwrapped (measured here: FileNotFoundError for the embedded server's Unix socket,
    ConnectionRefusedError over TCP). An OSError naming a file is a local problem, not this.
    """
    if isinstance(error, DatabaseUnavailable | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return error.connection_invalidated or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    return isinstance(error, OSError) and error.filename is None and error.errno in _SOCKET_ERRNOS


TRANSACTION_POOLER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,  # asyncpg's own cache
    "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg dialect's cache
    "prepared_statement_name_func": lambda: f"__concierge_{uuid.uuid4().hex}__",
}


def as_user(engine: AsyncEngine, user_id: uuid.UUID) -> AsyncEngine:
    """`engine`, acting for one user: each transaction runs as the request role (see above)."""
    return engine.execution_options(**{ACTING_USER: str(user_id)})


@event.listens_for(Engine, "begin")
def _enter_request_role(connection: Connection) -> None:
    """`SET LOCAL ROLE` and `SET LOCAL app.user_id` at the start of an acting engine's transactions.

    Both end with the transaction, so a pooled connection goes back to the pool as the owner.
    """
    user_id = connection.get_execution_options().get(ACTING_USER)
    if user_id is not None:
        connection.execute(_ENTER_ROLE, {"role": get_settings().database_request_role, "user_id": user_id})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def short_lived_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for one `asyncio.run` (an RQ job, a CLI command), disposed at the end.

    A pooled engine must not outlive its event loop, and each job runs its own loop.
    """
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()

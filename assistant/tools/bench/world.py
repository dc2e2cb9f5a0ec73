"""What the pipeline bench runs against: a synced demo workspace and the app serving it.

- `synced_world`: a sandbox serving the workspace (its state kept under the data directory,
  so a second run only syncs incrementally), a bench user linked to the workspace's main
  account on the enterprise tier, and bearer tokens for it.
- `running_app`: the real app (`chainlit run chat_app.py`, chat UI and HTTP API) in a
  process of its own, as `concierge demo` starts it, with the LLM configuration given;
  this checkout's, or another revision's from a `git worktree` (`against.checkout`).
- `scripted_llm`: `tests/llm/scripted_server.py` in a process of its own, answering as a
  hosted model would: intents after a delay, answers streamed at a token rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.core.processes import start, stop_child, wait_for_http, web_app_command
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.understanding.cache import user_keys

#: Variables of the caller's environment that would choose a language model for the app.
LLM_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")
#: Rate limits the bench's app runs with: far above what one process can serve, so that no
#: request is refused (the limiter still runs: its Redis calls are part of the cost).
UNLIMITED = {
    "CONCIERGE_API_GLOBAL_REQUESTS_PER_SECOND": "1000000",
    "CONCIERGE_API_QUERY_REQUESTS_PER_MINUTE": "1000000",
    "CONCIERGE_API_REQUESTS_PER_HOUR_ENTERPRISE": "100000000",
}


@dataclass(frozen=True)
class World:
    settings: Settings
    database_url: str
    redis_url: str
    sandbox_url: str
    user_id: uuid.UUID
    items: int
    sync_seconds: float

    def tokens(self, count: int) -> list[str]:
        """A bearer token per simulated user, signed as `POST /auth/token` signs them."""
        from assistant.api.auth import Authenticator

        authenticator = Authenticator(self.settings, None, None, None)  # type: ignore[arg-type]  # only mints
        return [authenticator.mint(self.user_id, None).token for _ in range(count)]

    def forget_caches(self) -> None:
        """Drop the bench user's cached frames and all cached query embeddings, so that a
        configuration starts as cold as the one before it did."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            for pattern in (user_keys(self.user_id), "concierge:query-embedding:*"):
                keys = list(client.scan_iter(match=pattern, count=1000))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()

    def app_env(self, llm: dict[str, str]) -> dict[str, str]:
        """The app's environment: this world's servers and sandbox, the LLM settings `llm`."""
        inherited = {name: value for name, value in os.environ.items() if name not in LLM_VARIABLES}
        return (
            inherited
            | UNLIMITED
            | llm
            | {
                "CONCIERGE_DATABASE_URL": self.database_url,
                "CONCIERGE_REDIS_URL": self.redis_url,
                "CONCIERGE_GOOGLE_API_BASE_URL": self.sandbox_url,
                "CONCIERGE_DATA_DIR": str(self.settings.data_dir),
            }
        )


@asynccontextmanager
async def synced_world(workspace: Path, say: Callable[[str], None]) -> AsyncIterator[World]:
    import redis
    from sqlalchemy import text, update

    from assistant.core import migrate
    from assistant.core.db import session_factory, short_lived_engine
    from assistant.core.embedded import service_urls
    from assistant.core.models import User
    from assistant.core.settings import get_settings
    from sandbox.api import Sandbox
    from sandbox.linking import link_sandbox_account
    from sandbox.oauth import accounts_in_order
    from sandbox.server import open_store, start_in_thread
    from sync.jobs import sync_every_service

    settings = get_settings()
    urls = service_urls(settings)
    await asyncio.to_thread(migrate.upgrade, urls.database_url)
    # One sandbox state and one bench user per workspace file, kept between runs.
    tag = hashlib.sha256(str(workspace.resolve()).encode()).hexdigest()[:10]
    state = settings.data_dir / "bench-pipeline" / tag
    state.mkdir(parents=True, exist_ok=True)
    say(f"loading {workspace.name} into the sandbox at {state}")
    store = await asyncio.to_thread(open_store, state, workspace)
    sandbox = start_in_thread(Sandbox(store))
    client = redis.Redis.from_url(urls.redis_url)
    try:
        main = accounts_in_order(store)[0]["email"]
        zone = json.loads(workspace.read_text()).get("timezone", "UTC")
        sync_settings = settings.model_copy(update={"google_api_base_url": sandbox.base_url})
        async with short_lived_engine(urls.database_url) as engine:
            async with session_factory(engine)() as session:
                user, account = await link_sandbox_account(
                    session,
                    store,
                    user_email=f"pipeline-bench-{tag}@bench.invalid",
                    account_email=main,
                    client_id=sync_settings.google_client_id,
                )
                await session.execute(update(User).where(User.id == user.id).values(tier="enterprise", timezone=zone))
                await session.commit()
                user_id, account_id = user.id, account.id
            say(f"syncing {main} (full the first time, incremental after)")
            started = time.perf_counter()
            await sync_every_service(engine, client, account_id, settings=sync_settings)
            sync_seconds = time.perf_counter() - started
            async with engine.connect() as connection:
                items = (
                    await connection.execute(
                        text(
                            "SELECT (SELECT count(*) FROM gmail_cache WHERE user_id = :u)"
                            " + (SELECT count(*) FROM gcal_cache WHERE user_id = :u)"
                            " + (SELECT count(*) FROM gdrive_cache WHERE user_id = :u)"
                        ),
                        {"u": user_id},
                    )
                ).scalar_one()
        say(f"  {items} items, synced in {sync_seconds:.1f}s")
        yield World(settings, urls.database_url, urls.redis_url, sandbox.base_url, user_id, items, sync_seconds)
    finally:
        client.close()
        sandbox.stop()
        store.close()


@dataclass(frozen=True)
class App:
    url: str
    pid: int


@contextmanager
def running_app(env: dict[str, str], log_path: Path, root: Path = PROJECT_ROOT, name: str = "the app") -> Iterator[App]:
    """The app in its own process with `env`; stopped on exit. From the checkout at `root`
    (another revision's `git worktree`: see `processes.start`); `name` says which app in
    the error if it does not start."""
    from sandbox.server import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = start(web_app_command("127.0.0.1", port, root), env, root, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_http(url + "/healthz", process)
        except SystemExit as error:
            raise SystemExit(f"{name} did not start ({error}): see its log, {log_path}") from None
        yield App(url, process.pid)
    finally:
        stop_child(process)


@contextmanager
def scripted_llm(config: dict[str, object]) -> Iterator[str]:
    """The scripted model server serving `config` (see tests/llm/scripted_server.py); yields its URL."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="concierge-bench-llm-", delete=False) as file:
        json.dump(config, file)
    # From the checkout: `tests` is not an installed package.
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.llm.scripted_server", file.name],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the scripted model server did not start (exit code {process.poll()})")
        yield url
    finally:
        stop_child(process)
        os.unlink(file.name)

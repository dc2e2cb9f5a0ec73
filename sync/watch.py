"""Push channels: open, renew, stop.

With a public URL configured (`CONCIERGE_PUBLIC_URL`), each linked account gets a Calendar
`events.watch` channel on its primary calendar and a Drive `changes.watch` channel, both
posting to our webhooks (`<public URL>/webhooks/calendar`, `/webhooks/drive`, see
sync/webhooks.py) with a fresh channel id and the signed `channel_token(account, service)`;
and, when a Pub/Sub topic is configured too (`CONCIERGE_GMAIL_PUBSUB_TOPIC`), a Gmail
`users.watch` on that topic. Gmail's notifications reach us through a Pub/Sub push
subscription on the topic, which is set up at Google (not by us) with the endpoint
`gmail_push_endpoint()` gives; the topic must let `gmail-api-push@system.gserviceaccount.com`
publish. Each notification queues a high-priority incremental sync (sync/webhooks.py).

One periodic pass does all of it (`run_watch_pass`, registered with `concierge cron` every
`PASS_INTERVAL_SECONDS`): a single query decides, per account and service, what to do.
- open: no channel yet, and that service's first full sync has completed (a notification
  before then would only queue a sync behind the running backfill). So a newly linked
  account gets its channels on the first pass after each backfill ends: no hook in the
  sync job, one code path for opening, renewing and retrying.
- renew: less than `RENEW_MARGIN` of the channel's life is left, or it points somewhere
  else than configured now (the public URL or topic changed), or (Gmail) it was opened
  `GMAIL_REWATCH_AFTER` ago. A new channel is opened and recorded, then the old one is
  stopped (`channels.stop`). Gmail has one watch per mailbox: calling `users.watch` again
  replaces it, so there is nothing to stop.
- stop: a channel is open but no longer wanted (no public URL or topic any more, or the
  account's autosync was turned off): `channels.stop` / `users.stop`, and the row goes.
Accounts that are not active (consent revoked) are left alone: their calls would fail,
and their channels lapse by themselves. No code path deletes a linked account today; the
rows cascade with it and its channels lapse within a week (a notification for it queues
a sync that is skipped).

Failures never spread: a call that fails is logged (the status and Google's reason, never
the request, whose body holds the channel's token) and tried again on the next pass; the
sync jobs do not depend on channels at all. Passes do not overlap (a Redis lock), so one
account never gets two channels from two passes. A channel opened but not recorded (a
crash in between) merely lapses at its expiry; its notifications only queue syncs.

The fallback is the periodic sweep (sync/schedule.py): it keeps running whatever happens
here, with or without a public URL, so a lost notification, a lapsed channel or a
deployment without a public URL costs freshness of at most `sync_interval_minutes`.
Google only posts to https addresses: against Google itself, an http public URL opens no
Calendar or Drive channel (the sandbox, a stand-in, accepts http).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError
from redis import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from assistant.core.db import session_factory, short_lived_engine
from assistant.core.models import GoogleAccount, WatchChannel
from assistant.core.runtime import redis_client, urls
from assistant.core.services import CACHE_NAMES, SPECS, Service, by_cache_name
from assistant.core.settings import Settings, get_settings
from assistant.google.accounts import save_refreshed_token
from assistant.google.api import GoogleApi, google_api_for, http_status
from assistant.google.calls import AccountNeedsReconsent, error_reason
from assistant.google.resources import CALENDAR_ID
from sync.webhooks import WATCH_SERVICES, channel_token, gmail_push_token, router

log = logging.getLogger(__name__)

GMAIL = SPECS[Service.GMAIL].cache_name
CALENDAR = SPECS[Service.CALENDAR].cache_name
DRIVE = SPECS[Service.DRIVE].cache_name

#: How often `concierge cron` runs the pass. Opening for a new account waits at most this
#: long after its backfill; every failure is retried this often.
PASS_INTERVAL_SECONDS = 10 * 60
#: How long we ask Calendar and Drive channels to live: a week, Google's maximum for
#: `events.watch` and `changes.watch` (without `expiration`, Drive gives one hour).
CHANNEL_LIFETIME = timedelta(days=7)
#: Renew a channel once less than this is left of its life. Google's channels last up to
#: 7 days and Gmail's watch must be renewed within 7; a day leaves ~140 passes to get a
#: renewal through (Google down, quota spent) before a channel lapses.
RENEW_MARGIN = timedelta(days=1)
#: Google recommends calling Gmail's `users.watch` once a day; one call renews it.
GMAIL_REWATCH_AFTER = timedelta(days=1)
#: Gmail's quota units for `users.watch` and `users.stop` (Google's published costs).
GMAIL_WATCH_UNITS = 100
GMAIL_STOP_UNITS = 50
#: Accounts whose channels one pass works on at once (each call runs in a thread).
ACCOUNTS_AT_ONCE = 8
#: A pass holds this lock; a killed pass frees it after the timeout (the RQ job's too).
PASS_LOCK_KEY = "watch-pass-lock"
PASS_TIMEOUT_SECONDS = 30 * 60

# Per account and service: what to do now. `:<service>` is where its notifications should
# go (a webhook URL, or Gmail's topic), NULL when no channel should be open.
_SERVICES = ", ".join(f"('{name}', CAST(:{name} AS text))" for name in CACHE_NAMES)
_DUE = text(
    f"""
    SELECT a.id AS account_id, svc.service,
           CASE WHEN w.id IS NULL THEN 'open'
                WHEN svc.address IS NULL OR NOT a.autosync_enabled THEN 'stop'
                ELSE 'renew' END AS action
    FROM google_accounts a
    CROSS JOIN (VALUES {_SERVICES}) AS svc(service, address)
    LEFT JOIN watch_channels w ON w.account_id = a.id AND w.service = svc.service
    LEFT JOIN sync_status s ON s.account_id = a.id AND s.service = svc.service
    WHERE a.status = 'active'
      AND CASE
          WHEN w.id IS NULL THEN svc.address IS NOT NULL AND a.autosync_enabled AND s.last_full_sync_at IS NOT NULL
          WHEN svc.address IS NULL OR NOT a.autosync_enabled THEN true
          ELSE w.address <> svc.address
               OR w.expires_at < CAST(:renew_before AS timestamptz)
               OR (w.service = '{GMAIL}' AND w.opened_at <= CAST(:rewatch_before AS timestamptz))
          END
    ORDER BY a.id, w.expires_at NULLS LAST
    """
)


@dataclass
class WatchOutcome:
    """What one pass did (counts of channels), or that another pass was running."""

    opened: int = 0
    renewed: int = 0
    stopped: int = 0
    failed: int = 0
    busy: bool = False


@dataclass(frozen=True)
class _Opened:
    channel_id: str | None
    resource_id: str | None
    expires_at: datetime


def push_addresses(settings: Settings) -> dict[str, str | None]:
    """Where each service's notifications should go, by cache name: our webhook's URL
    (Calendar, Drive) or the Pub/Sub topic (Gmail); None where no channel should be open."""
    wanted: dict[str, str | None] = dict.fromkeys(CACHE_NAMES)
    base = settings.public_url
    if base is None:
        return wanted
    if base.startswith("https://") or settings.google_api_base_url is not None:
        for api, cache_name in WATCH_SERVICES.items():
            wanted[cache_name] = f"{base}{router.prefix}/{api}"
    wanted[GMAIL] = settings.gmail_pubsub_topic
    return wanted


def gmail_push_endpoint(settings: Settings) -> str | None:
    """The endpoint for the Pub/Sub push subscription on `gmail_pubsub_topic` (it carries
    the push token: configure it at Google, do not log it); None without a public URL."""
    if settings.public_url is None:
        return None
    return f"{settings.public_url}{router.prefix}/{GMAIL}?token={gmail_push_token()}"


def run_watch_pass() -> dict[str, Any]:
    """RQ job entry point (`concierge cron`); returns the outcome as a dict."""

    async def work() -> WatchOutcome:
        async with short_lived_engine(urls().database_url) as engine:
            return await watch_pass(engine, redis_client())

    return asdict(asyncio.run(work()))


async def watch_pass(
    engine: AsyncEngine, redis: Redis, settings: Settings | None = None, *, now: datetime | None = None
) -> WatchOutcome:
    """Open, renew and stop every account's channels as the settings say (module docstring)."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    wanted = push_addresses(settings)
    if settings.public_url and wanted[CALENDAR] is None:
        log.warning("the public URL is not https: Google opens no Calendar or Drive channel to it")
    lock = redis.lock(PASS_LOCK_KEY, timeout=PASS_TIMEOUT_SECONDS, thread_local=False)
    if not lock.acquire(blocking=False):
        log.info("another watch pass is running")
        return WatchOutcome(busy=True)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            rows = await session.execute(
                _DUE,
                {**wanted, "renew_before": now + RENEW_MARGIN, "rewatch_before": now - GMAIL_REWATCH_AFTER},
            )
            due: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
            for row in rows:
                due[row.account_id].append((row.service, row.action))
        outcome = WatchOutcome()
        limit = asyncio.Semaphore(ACCOUNTS_AT_ONCE)

        async def one(account_id: uuid.UUID, actions: list[tuple[str, str]]) -> None:
            async with limit:
                try:
                    await _watch_account(sessions, redis, settings, account_id, actions, wanted, now, outcome)
                except Exception as error:  # the database, say: the other accounts carry on
                    outcome.failed += len(actions)
                    log.warning(
                        "push channels not changed, trying again on the next pass",
                        extra={"account": str(account_id), "error": _describe(error)},
                    )

        await asyncio.gather(*(one(account_id, actions) for account_id, actions in due.items()))
    finally:
        try:
            lock.release()
        except (LockError, RedisError):
            pass  # expired, or Redis is away: it frees itself within the timeout
    log.info("watch pass", extra=asdict(outcome))
    return outcome


async def _watch_account(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
    account_id: uuid.UUID,
    actions: list[tuple[str, str]],
    wanted: dict[str, str | None],
    now: datetime,
    outcome: WatchOutcome,
) -> None:
    async with sessions() as session:
        account = await session.get(GoogleAccount, account_id)
    if account is None or account.status != "active":
        return
    apis: dict[str, GoogleApi] = {}
    try:
        for service, action in actions:
            api = apis.setdefault(service, google_api_for(account, by_cache_name(service).service, settings, redis))
            try:
                if action == "stop":
                    await _stop(sessions, api, account, service)
                    outcome.stopped += 1
                else:
                    address = wanted[service]
                    assert address is not None  # the query only opens or renews wanted channels
                    if await _open_or_renew(sessions, api, account, service, address, now):
                        outcome.renewed += 1
                    else:
                        outcome.opened += 1
            except AccountNeedsReconsent:
                outcome.failed += 1
                log.warning("push channels: consent revoked", extra={"account": str(account.id)})
                return  # every other call would fail too; the next sync marks the account
            except Exception as error:
                outcome.failed += 1
                log.warning(
                    "push channel not changed, trying again on the next pass",
                    extra={"account": str(account.id), "service": service, "action": action, "error": _describe(error)},
                )
    finally:
        async with sessions() as session:
            saved = [await save_refreshed_token(session, account.id, api.credentials) for api in apis.values()]
            if any(saved):
                await session.commit()


async def _open_or_renew(
    sessions: async_sessionmaker[AsyncSession],
    api: GoogleApi,
    account: GoogleAccount,
    service: str,
    address: str,
    now: datetime,
) -> bool:
    """Open a channel and record it; stop the one it replaces. True when it replaced one."""
    async with sessions() as session:
        old = (
            await session.execute(
                select(WatchChannel).where(WatchChannel.account_id == account.id, WatchChannel.service == service)
            )
        ).scalar_one_or_none()
    opened = await _open(api, account.id, service, address, now)
    values = {
        "channel_id": opened.channel_id,
        "resource_id": opened.resource_id,
        "address": address,
        "expires_at": opened.expires_at,
        "opened_at": now,
    }
    async with sessions() as session:
        await session.execute(
            insert(WatchChannel)
            .values(user_id=account.user_id, account_id=account.id, service=service, **values)
            .on_conflict_do_update(index_elements=["account_id", "service"], set_=values)
        )
        await session.commit()
    if old is None:
        log.info("push channel opened", extra={"account": str(account.id), "service": service})
        return False
    if old.channel_id is not None:  # Gmail's new watch replaced the old one already
        try:
            await _stop_at_google(api, service, old.channel_id, old.resource_id)
        except Exception as error:
            log.warning(
                "replaced push channel not stopped; it lapses by itself",
                extra={"account": str(account.id), "service": service, "error": _describe(error)},
            )
    log.info("push channel renewed", extra={"account": str(account.id), "service": service})
    return True


async def _open(api: GoogleApi, account_id: uuid.UUID, service: str, address: str, now: datetime) -> _Opened:
    if service == GMAIL:
        watch = await api.call(
            lambda s: s.users().watch(userId="me", body={"topicName": address}), cost=GMAIL_WATCH_UNITS
        )
        return _Opened(None, None, _expiry(watch, now))
    body = {
        "id": str(uuid.uuid4()),
        "type": "web_hook",
        "address": address,
        "token": channel_token(account_id, service),
        "expiration": str(int((now + CHANNEL_LIFETIME).timestamp() * 1000)),
    }
    if service == CALENDAR:
        channel = await api.call(lambda s: s.events().watch(calendarId=CALENDAR_ID, body=body))
    elif service == DRIVE:
        start = (await api.call(lambda s: s.changes().getStartPageToken()))["startPageToken"]
        channel = await api.call(lambda s: s.changes().watch(pageToken=start, body=body))
    else:
        raise ValueError(f"{service} has no push channels")
    return _Opened(channel["id"], channel["resourceId"], _expiry(channel, now))


async def _stop(
    sessions: async_sessionmaker[AsyncSession], api: GoogleApi, account: GoogleAccount, service: str
) -> None:
    """Stop the account's channel for `service` at Google, then forget it."""
    async with sessions() as session:
        channel = (
            await session.execute(
                select(WatchChannel).where(WatchChannel.account_id == account.id, WatchChannel.service == service)
            )
        ).scalar_one_or_none()
    if channel is None:
        return
    await _stop_at_google(api, service, channel.channel_id, channel.resource_id)
    async with sessions() as session:
        await session.execute(delete(WatchChannel).where(WatchChannel.id == channel.id))
        await session.commit()
    log.info("push channel stopped", extra={"account": str(account.id), "service": service})


async def _stop_at_google(api: GoogleApi, service: str, channel_id: str | None, resource_id: str | None) -> None:
    """`channels.stop` (or Gmail's `users.stop`); a channel Google no longer knows is stopped."""
    try:
        if service == GMAIL:
            await api.call(lambda s: s.users().stop(userId="me"), cost=GMAIL_STOP_UNITS)
        else:
            await api.call(lambda s: s.channels().stop(body={"id": channel_id, "resourceId": resource_id}))
    except HttpError as error:
        if http_status(error) != 404:
            raise


def _expiry(answer: dict[str, Any], now: datetime) -> datetime:
    """When Google says the channel lapses (epoch milliseconds); unknown = now, so that
    the next pass renews it rather than trust a lifetime nobody promised."""
    millis = answer.get("expiration")
    return datetime.fromtimestamp(int(millis) / 1000, UTC) if millis else now


def _describe(error: BaseException) -> str:
    """What went wrong, without the request: its body holds the channel's token."""
    if isinstance(error, HttpError):
        return " ".join(str(part) for part in ("HTTP", http_status(error), error_reason(error)) if part)
    return type(error).__name__

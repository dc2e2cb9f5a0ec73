"""`concierge sync EMAIL`: sync one linked Google account now.

Runs in this process by default, printing each service's outcome; `--enqueue` hands the
work to the workers at high priority instead (as the UI's refresh button does).
"""

from __future__ import annotations

import argparse
import asyncio
import json

from sync.queues import SERVICES, Priority, enqueue_sync


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("email", help="the linked Google account's address")
    parser.add_argument("--service", nargs="+", choices=SERVICES, default=list(SERVICES))
    parser.add_argument("--full", action="store_true", help="full resync instead of incremental")
    parser.add_argument("--enqueue", action="store_true", help="queue it for the workers")


def run(args: argparse.Namespace) -> int:
    # deferred: these add 336 ms to every `concierge` call, `--help` included, which imports
    # this module to build its help (timed after build_parser(), median of 7).
    from sqlalchemy import select

    from assistant.core.db import session_factory, short_lived_engine
    from assistant.core.models import GoogleAccount
    from assistant.core.runtime import redis_client, urls
    from sync.jobs import sync_service

    async def work() -> int:
        async with short_lived_engine(urls().database_url) as engine:
            async with session_factory(engine)() as session:
                accounts = (
                    (await session.execute(select(GoogleAccount).where(GoogleAccount.email == args.email.lower())))
                    .scalars()
                    .all()
                )
            if not accounts:
                print(f"no linked Google account {args.email!r}: sign in with it first")
                return 1
            for account in accounts:
                for service in args.service:
                    if args.enqueue:
                        job = enqueue_sync(
                            redis_client(), str(account.id), service, priority=Priority.HIGH, full=args.full
                        )
                        print(json.dumps({"service": service, "queued": job.id if job else None}))
                    else:
                        outcome = await sync_service(engine, redis_client(), account.id, service, full=args.full)
                        print(json.dumps(outcome.__dict__))
        return 0

    return asyncio.run(work())

"""The pipeline bench's query mix: conversations as a person would have them.

A conversation opens with a lookup in one service (the labelled search queries of the
demo workspace, or one naming a real subject, event or file of the synced caches, so that
requests rarely repeat and the intent and query-embedding caches help only as much as they
would in real use), a lookup across services, or a write; a lookup may be followed up in
the same conversation ("open the first one", "reply to the second one saying thanks").
Writes are proposed and never confirmed: nothing is sent to the sandbox's Google.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Literal

Kind = Literal["lookup", "cross_service", "follow_up", "write"]

CROSS_SERVICE = (
    "emails about the budget from Sarah and my meetings with her next week",
    "emails about the Istanbul trip and when am I free next week",
    "the Atlas launch plan and emails about the launch",
    "emails from Daniel and my meetings with him this week",
    "the Beacon requirements document and emails about the Beacon kickoff",
    "emails about hiring and my interviews next week",
)
WRITES = (
    "send an email to Daniel saying the release notes are ready",
    "schedule a meeting with Daniel tomorrow at 4pm about the on-call rota",
    "share the Atlas launch deck with sarah.chen@northwindlabs.com",
    "email Priya that the roadmap review moves to Friday",
    "move the Beacon kickoff to Friday at 2pm",
)
FOLLOW_UPS = ("open the first one", "the second one", "what about last month?", "and Drive?")
FOLLOW_UP_WRITES = ("reply to the first one saying thanks",)
#: Of conversations: how they open. Of lookups: how often one or two follow-ups come.
OPENERS: dict[Kind, float] = {"lookup": 0.7, "cross_service": 0.18, "write": 0.12}
FOLLOW_UP_CHANCE = 0.45
WRITE_FOLLOW_UP_CHANCE = 0.15


@dataclass(frozen=True)
class Turn:
    kind: Kind
    text: str


@dataclass(frozen=True)
class Mix:
    lookups: tuple[str, ...]

    def conversation(self, rng: random.Random) -> list[Turn]:
        opener: Kind = rng.choices(list(OPENERS), weights=list(OPENERS.values()))[0]
        if opener == "cross_service":
            return [Turn("cross_service", rng.choice(CROSS_SERVICE))]
        if opener == "write":
            return [Turn("write", rng.choice(WRITES))]
        turns = [Turn("lookup", rng.choice(self.lookups))]
        while len(turns) < 3 and rng.random() < FOLLOW_UP_CHANCE:
            if rng.random() < WRITE_FOLLOW_UP_CHANCE:
                turns.append(Turn("write", rng.choice(FOLLOW_UP_WRITES)))
                break
            turns.append(Turn("follow_up", rng.choice(FOLLOW_UPS)))
        return turns

    def texts(self) -> list[str]:
        """Every request text the mix can send."""
        return [*self.lookups, *CROSS_SERVICE, *WRITES, *FOLLOW_UPS, *FOLLOW_UP_WRITES]


async def build_mix(database_url: str, user_id: uuid.UUID, per_service: int = 300, seed: int = 10) -> Mix:
    """The labelled queries plus `per_service` lookups naming items of the user's caches."""
    from sqlalchemy import text

    from assistant.core.db import short_lived_engine
    from assistant.tools.search_eval import LABELS, load_queries

    labelled = [query.text for query in load_queries(LABELS)]
    rng = random.Random(seed)
    templates = {
        "SELECT DISTINCT subject FROM gmail_cache WHERE user_id = :u AND subject <> '' ORDER BY 1": "emails about {}",
        "SELECT DISTINCT summary FROM gcal_cache WHERE user_id = :u AND summary <> '' ORDER BY 1": "when is the {}",
        "SELECT DISTINCT name FROM gdrive_cache WHERE user_id = :u ORDER BY 1": "find the {}",
    }
    named: list[str] = []
    async with short_lived_engine(database_url) as engine, engine.connect() as connection:
        for query, template in templates.items():
            titles = list((await connection.execute(text(query), {"u": user_id})).scalars())
            named += [
                template.format(title.removeprefix("Re: "))
                for title in rng.sample(titles, min(per_service, len(titles)))
            ]
    return Mix(tuple(labelled + named))

"""Synthetic mailboxes for the search benchmark, with honest vectors at a tolerable cost.

Embedding 114,000 items with the real model would take hours on 2 cores. Instead every
item is written from a pool of sentences (a few hundred topic phrases x templates), the
pool is embedded once with the real model, and an item's vector is the normalised mean of
its sentences' vectors (`RecombinedEmbedder`). The vectors are real model vectors of real
sentences, clustered by topic the way mail is; queries are embedded with the real model.
The text goes through the real indexer, so full text works on it as on real mail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from assistant.core.items import Attendee, EmailItem, EventItem, FileItem, Person
from search.embeddings import Embedder, Vectors, normalise

TOPICS = [
    "quarterly budget",
    "hiring plan",
    "server outage",
    "vendor contract",
    "product launch",
    "customer complaint",
    "board meeting",
    "tax filing",
    "office move",
    "security audit",
    "sales forecast",
    "marketing campaign",
    "travel booking",
    "expense report",
    "team offsite",
    "performance review",
    "legal dispute",
    "press release",
    "insurance renewal",
    "data migration",
    "pricing change",
    "partner agreement",
    "recruiting event",
    "holiday schedule",
    "training course",
    "invoice payment",
    "supply shortage",
    "code review",
    "mobile app release",
    "annual report",
    "investor update",
    "safety inspection",
    "conference talk",
    "benefits enrolment",
    "lease renewal",
    "shipping delay",
    "warehouse inventory",
    "research grant",
    "charity dinner",
    "website redesign",
]
TEMPLATES = [
    "Can we go over the {t} before Friday?",
    "I attached the latest notes on the {t}.",
    "The {t} needs your sign-off this week.",
    "Quick reminder about the {t} deadline.",
    "Here is where we stand on the {t}.",
    "Please review the numbers for the {t}.",
    "There is a problem with the {t} that we should discuss.",
    "The {t} went better than expected.",
    "Who owns the next step on the {t}?",
    "Let us set up a call about the {t}.",
    "Legal asked for changes to the {t}.",
    "Finance flagged a risk in the {t}.",
    "The client is happy with the {t}.",
    "We need more people on the {t}.",
    "I will be out, so Dana covers the {t}.",
    "Summary of yesterday's discussion on the {t}.",
]
FIRST = ["Sarah", "Tom", "Priya", "Diego", "Mei", "Olu", "Anna", "Lars", "Fatima", "Kenji", "Grace", "Ivan"]
LAST = ["Chen", "Baker", "Singh", "Lopez", "Wong", "Adeyemi", "Novak", "Berg", "Haddad", "Sato", "Kim", "Petrov"]
MIME_TYPES = [
    "application/pdf",
    "application/vnd.google-apps.document",
    "application/vnd.google-apps.spreadsheet",
    "image/png",
]
QUERIES = [
    "emails about the {t}",
    "{t}",
    "latest on the {t}",
    "problems with the {t}",
    "who is handling the {t}",
    "notes from the {t} discussion",
]


def sentence_pool() -> list[str]:
    return [template.format(t=topic) for topic in TOPICS for template in TEMPLATES]


def subject_pool() -> list[str]:
    return [f"{topic.capitalize()}{suffix}" for topic in TOPICS for suffix in ("", " update", " - next steps")]


class RecombinedEmbedder(Embedder):
    """Vectors of texts written from the pool: the normalised mean of their lines' vectors.

    Items are written one sentence a line, and a piece is never split, so every line is a
    pool sentence or subject whose real vector is known, except the attendee-name line the
    indexer adds to events, which does not contribute.
    """

    model_name = "recombined"

    def __init__(self, real: Embedder, lines: Sequence[str]) -> None:
        self.dimensions = real.dimensions
        self.model_name = real.model_name
        self._vectors = dict(zip(lines, real.embed_documents(list(lines)), strict=True))

    def chunk(self, text: str, header: str = "") -> list[str]:
        return ["\n".join(part for part in (header.strip(), text.strip()) if part)]

    def _embed_pieces(self, pieces: Sequence[str]) -> Vectors:
        return normalise(
            np.stack(
                [
                    np.mean([self._vectors[line] for line in piece.split("\n") if line in self._vectors], axis=0)
                    for piece in pieces
                ]
            ).astype(np.float32)
        )


def people(rng: random.Random, count: int) -> list[Person]:
    chosen = set()
    while len(chosen) < count:
        chosen.add((rng.choice(FIRST), rng.choice(LAST)))
    return [Person(f"{first}.{last}@example.com".lower(), f"{first} {last}") for first, last in sorted(chosen)]


def mailbox(
    seed: int, owner: Person, emails: int, events: int, files: int, now: datetime
) -> list[EmailItem | EventItem | FileItem]:
    """One user's items: topics, people and dates spread over the past two years."""
    rng = random.Random(seed)
    contacts = people(rng, 40)
    sentences, subjects = sentence_pool(), subject_pool()

    def topic_text(size: int) -> tuple[str, str]:
        topic = rng.randrange(len(TOPICS))
        lines = [sentences[topic * len(TEMPLATES) + rng.randrange(len(TEMPLATES))] for _ in range(size)]
        if rng.random() < 0.3:  # some messages wander off topic
            lines[-1] = rng.choice(sentences)
        return subjects[topic * 3 + rng.randrange(3)], "\n".join(dict.fromkeys(lines))

    def past(days: int) -> datetime:
        return now - timedelta(days=rng.uniform(0, days))

    items: list[EmailItem | EventItem | FileItem] = []
    for n in range(emails):
        subject, body = topic_text(3)
        sender = rng.choice(contacts) if rng.random() < 0.8 else owner
        items.append(
            EmailItem(
                message_id=f"m{seed}-{n}",
                thread_id=f"t{seed}-{n // 3}",
                subject=subject,
                sender=sender,
                internal_date=past(730),
                body_text=body,
                to=(owner,) if sender != owner else (rng.choice(contacts),),
                labels=tuple(rng.sample(["INBOX", "IMPORTANT", "STARRED", "CATEGORY_UPDATES"], 2)),
                is_unread=rng.random() < 0.2,
            )
        )
    for n in range(events):
        subject, body = topic_text(2)
        start = past(365) + timedelta(days=60)
        guests = tuple(Attendee(p.email, p.name, "accepted") for p in rng.sample(contacts, 3))
        items.append(
            EventItem(
                calendar_id="primary",
                event_id=f"e{seed}-{n}",
                summary=subject,
                start_at=start,
                end_at=start + timedelta(hours=1),
                description=body,
                organizer=owner,
                attendees=guests,
            )
        )
    for n in range(files):
        subject, body = topic_text(4)
        items.append(
            FileItem(
                file_id=f"f{seed}-{n}",
                name=subject,
                mime_type=rng.choice(MIME_TYPES),
                modified_at=past(730),
                owners=(owner,),
                content_text=body,
            )
        )
    return items


def queries(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(QUERIES).format(t=rng.choice(TOPICS)) for _ in range(count)]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)

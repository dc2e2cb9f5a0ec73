"""Names to addresses: "Sara" -> sarah.chen@acme.com, from the people a user has seen.

Candidates come from `search_contacts` (filled by the indexer) through its trigram
indexes: `word_similarity` finds a name inside a longer one ("sara" in "Sarah Chen") and
forgives a letter or two. Every contact scoring within `AMBIGUITY_MARGIN` of the best one
is kept, so "Sarah" means both Sarahs when two are equally likely, and the more frequent
contact breaks exact ties in the order returned.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

MIN_SIMILARITY = 0.5
AMBIGUITY_MARGIN = 0.1
MAX_ADDRESSES = 5

_RESOLVE = text(
    """
    SELECT email, greatest(word_similarity(:name, name), word_similarity(:name, email)) AS similarity
    FROM search_contacts
    WHERE user_id = :user_id AND (:name <% name OR :name <% email)
    ORDER BY similarity DESC, occurrences DESC
    LIMIT 20
    """
)


async def resolve_person(connection: AsyncConnection, user_id: uuid.UUID, person: str) -> list[str]:
    """The addresses a name or address most likely means, best first (maybe none)."""
    person = " ".join(person.split()).lower()
    if not person:
        return []
    if "@" in person:
        return [person]
    await connection.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
                             {"t": str(MIN_SIMILARITY)})  # fmt: skip
    rows = (await connection.execute(_RESOLVE, {"user_id": user_id, "name": person})).all()
    if not rows:
        return []
    best = rows[0].similarity
    return [row.email for row in rows if row.similarity >= best - AMBIGUITY_MARGIN][:MAX_ADDRESSES]

"""Names to addresses: "Sara" -> sarah.chen@acme.com, from the people a user has seen.

Candidates come from `search_contacts` (filled by the indexer) through its trigram
indexes: `word_similarity` finds a name inside a longer one ("sara" in "Sarah Chen") and
forgives a letter or two. Among the names that match about as well as the best one, the
people the user actually deals with win: "Sarah" is the colleague with whom there are
meetings and replies, not the newsletter that writes every week. A second candidate is
kept only when the user deals with them nearly as much (then "Sarah" is ambiguous and
means both).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

MIN_SIMILARITY = 0.5
SIMILARITY_MARGIN = 0.1
#: A runner-up is kept when the user deals with them at least this share as often.
EXCHANGE_SHARE = 0.5
MAX_ADDRESSES = 5

_RESOLVE = text(
    """
    SELECT email, exchanges,
           greatest(word_similarity(:name, name), word_similarity(:name, email)) AS similarity
    FROM search_contacts
    WHERE user_id = :user_id AND (:name <% name OR :name <% email)
    ORDER BY similarity DESC, exchanges DESC, occurrences DESC
    LIMIT 20
    """
)


#: The addresses of one domain, most seen first; an organisation writes from a few
#: (notifications@, messages-noreply@, invitations@).
MAX_DOMAIN_ADDRESSES = 20
_AT_DOMAIN = text(
    """
    SELECT email FROM search_contacts
    WHERE user_id = :user_id AND email LIKE :domain
    ORDER BY occurrences DESC
    LIMIT :limit
    """
)


async def resolve_person(connection: AsyncConnection, user_id: uuid.UUID, person: str) -> list[str]:
    """The addresses a name, an address or a domain ("@linkedin.com") most likely means,
    best first (maybe none)."""
    person = " ".join(person.split()).lower()
    if not person:
        return []
    if person.startswith("@"):
        # An organisation by its domain ("@linkedin.com"): every address it writes from.
        rows = (
            await connection.execute(
                _AT_DOMAIN, {"user_id": user_id, "domain": f"%{person}", "limit": MAX_DOMAIN_ADDRESSES}
            )
        ).all()
        return [row.email for row in rows]
    if "@" in person:
        return [person]
    await connection.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"), {"t": str(MIN_SIMILARITY)}
    )
    rows = (await connection.execute(_RESOLVE, {"user_id": user_id, "name": person})).all()
    if not rows:
        return []
    close = [row for row in rows if row.similarity >= rows[0].similarity - SIMILARITY_MARGIN]
    close.sort(key=lambda row: -row.exchanges)
    most = close[0].exchanges
    return [row.email for row in close if row.exchanges >= most * EXCHANGE_SHARE][:MAX_ADDRESSES]


#: A sender who wrote this many times without the user ever writing to them or meeting
#: them is a mailing: notifications, receipts, newsletters, templated outreach.
UNANSWERED_MIN_OCCURRENCES = 10

_UNANSWERED = text(
    """
    SELECT c.email FROM search_contacts c
    WHERE c.user_id = :user_id AND c.exchanges = 0 AND c.occurrences >= :min_occurrences
      AND c.email <> ALL (SELECT lower(a.email) FROM google_accounts a WHERE a.user_id = :user_id)
      AND EXISTS (SELECT 1 FROM search_contacts e WHERE e.user_id = :user_id AND e.exchanges > 0)
    """
)


async def unanswered_senders(connection: AsyncConnection, user_id: uuid.UUID) -> frozenset[str]:
    """The addresses that write to the user often and that the user never answered.

    Empty when the user has exchanged mail or meetings with nobody: a mailbox whose owner
    never wrote (an imported archive) says nothing about whom they ignore.
    """
    rows = await connection.execute(_UNANSWERED, {"user_id": user_id, "min_occurrences": UNANSWERED_MIN_OCCURRENCES})
    return frozenset(rows.scalars())

"""The user's contacts, read from the caches, and fuzzy matching of typed names to them.

A contact is anyone the user has exchanged mail with, met, or shared files with: senders
and recipients in `gmail_cache`, organizers and attendees in `gcal_cache`, owners in
`gdrive_cache`. "Sara" matches Sarah Chen when she is the only close match; when two
contacts are equally close the caller gets both as candidates and asks which one.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, OrderedDict

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.understanding.schema import Contact, ResolvedPerson

# Below this similarity (0-100) a name is not a match; within AMBIGUITY_GAP of the best
# another contact is an equally good reading and the user is asked.
MATCH_THRESHOLD = 80.0
AMBIGUITY_GAP = 5.0
MAX_CONTACTS = 5000
# A candidate seen at least USUAL_RATIO times as often as every other (and at least
# USUAL_MINIMUM times) is the one meant.
USUAL_RATIO = 3
USUAL_MINIMUM = 5

# One row per (name, address) with how often it appears, most frequent first.
_CONTACTS_SQL = text(
    """
    WITH people(name, email) AS (
        SELECT sender_name, sender_email FROM gmail_cache WHERE user_id = :user_id
        UNION ALL
        SELECT '', unnest(to_emails || cc_emails) FROM gmail_cache WHERE user_id = :user_id
        UNION ALL
        SELECT organizer_name, organizer_email FROM gcal_cache WHERE user_id = :user_id
        UNION ALL
        SELECT coalesce(a->>'displayName', ''), a->>'email'
        FROM gcal_cache, jsonb_array_elements(coalesce(attendees, '[]'::jsonb)) AS a
        WHERE user_id = :user_id AND jsonb_typeof(attendees) = 'array'
        UNION ALL
        SELECT coalesce(o->>'displayName', ''), o->>'emailAddress'
        FROM gdrive_cache, jsonb_array_elements(coalesce(owners, '[]'::jsonb)) AS o
        WHERE user_id = :user_id AND jsonb_typeof(owners) = 'array'
    )
    SELECT name, lower(email) AS email, count(*) AS seen
    FROM people WHERE coalesce(email, '') <> ''
    GROUP BY name, lower(email)
    ORDER BY seen DESC
    LIMIT :limit
    """
)


def _display_name(name: str, email: str) -> str:
    if name.strip():
        return name.strip()
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part)


class ContactBook:
    """Contacts of one user (each address once, under its most frequent name)."""

    def __init__(self, contacts: list[Contact], seen: dict[str, int] | None = None) -> None:
        self.contacts = contacts
        #: How often each address appears in the caches: who the user deals with.
        self.seen = seen or {}
        # Keys to match against: the full name, each part of it, and the address.
        self._keys: list[str] = []
        self._owners: list[int] = []
        for index, contact in enumerate(contacts):
            name = contact.name.lower()
            for key in {name, *name.split(), contact.email.lower(), contact.email.split("@")[0].lower()}:
                self._keys.append(key)
                self._owners.append(index)

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str, int]]) -> ContactBook:
        best: dict[str, tuple[str, int]] = {}
        seen: Counter[str] = Counter()
        for name, email, count in rows:
            seen[email] += count
            if name.strip() and (email not in best or count > best[email][1]):
                best[email] = (name, count)
        ordered = sorted(seen, key=lambda email: -seen[email])
        contacts = [Contact(name=_display_name(best.get(email, ("", 0))[0], email), email=email) for email in ordered]
        return cls(contacts, dict(seen))

    def match(self, mention: str) -> ResolvedPerson:
        """The contact a typed name or address means, with the runners-up when ambiguous."""
        query = re.sub(r"'s$", "", mention.strip().lower())
        if "@" in query:
            for contact in self.contacts:
                if contact.email == query:
                    return ResolvedPerson(mention=mention, contact=contact, score=100.0)
            return ResolvedPerson(mention=mention, contact=Contact(name=query, email=query), score=100.0)
        if not self.contacts or not query:
            return ResolvedPerson(mention=mention, contact=None, score=0.0)
        if len(query) <= 3:
            # A fuzzy ratio means little on two or three letters ("my" is 80% "amy").
            exact = [self.contacts[o] for k, o in zip(self._keys, self._owners, strict=True) if k == query]
            unique = list({c.email: c for c in exact}.values())
            if len(unique) == 1:
                return ResolvedPerson(mention=mention, contact=unique[0], score=100.0)
            return ResolvedPerson(mention=mention, contact=None, score=100.0 if unique else 0.0, candidates=unique[:5])
        scores: dict[int, float] = {}
        for _key, score, position in process.extract(query, self._keys, scorer=fuzz.ratio, limit=50):
            owner = self._owners[position]
            # A full-name query ("sarah chen") should beat a first-name-only match.
            full = fuzz.token_sort_ratio(query, self.contacts[owner].name.lower())
            scores[owner] = max(scores.get(owner, 0.0), score, full)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < MATCH_THRESHOLD:
            return ResolvedPerson(mention=mention, contact=None, score=ranked[0][1] if ranked else 0.0)
        best_score = ranked[0][1]
        exact = [self.contacts[i] for i, _ in ranked if self.contacts[i].name.lower() == query]
        if len(exact) == 1:  # "sarah chen" is Sarah Chen, however close Sarah Cheng is
            return ResolvedPerson(mention=mention, contact=exact[0], score=100.0)
        close = [self.contacts[i] for i, score in ranked if score >= best_score - AMBIGUITY_GAP]
        if len(close) > 1 and (usual := self._usual(close)) is not None:
            return ResolvedPerson(mention=mention, contact=usual, score=best_score)
        if len(close) > 1:
            return ResolvedPerson(mention=mention, contact=None, score=best_score, candidates=close[:5])
        return ResolvedPerson(mention=mention, contact=close[0], score=best_score)

    def _usual(self, close: list[Contact]) -> Contact | None:
        """The candidate the user deals with far more than with the others, if any:
        "Sarah" is the colleague in forty threads, not the vendor who wrote twice."""
        counts = sorted(((self.seen.get(c.email, 0), c) for c in close), key=lambda pair: -pair[0])
        (first, contact), (second, _) = counts[0], counts[1]
        return contact if first >= USUAL_MINIMUM and first >= USUAL_RATIO * max(second, 1) else None


async def load_contacts(session: AsyncSession, user_id: uuid.UUID) -> ContactBook:
    result = await session.execute(_CONTACTS_SQL, {"user_id": user_id, "limit": MAX_CONTACTS})
    return ContactBook.from_rows([(row.name or "", row.email, row.seen) for row in result])


# Moves whenever the indexer records people (every item synced or written through adds
# to `occurrences`), i.e. whenever the contacts read above may have changed.
_CONTACTS_VERSION_SQL = text(
    "SELECT count(*), coalesce(sum(occurrences), 0), max(last_seen_at) FROM search_contacts WHERE user_id = :user_id"
)


class ContactCache:
    """Each user's `ContactBook`, read again only when their contacts may have changed.

    Reading the book aggregates every cached email, event and file of the user (~25 ms of
    PostgreSQL for the demo's 7,000 items, plus building ~800 contacts in Python) and
    every message needs it; the version check is one index lookup. Per process, the most
    recently used `max_users` books.
    """

    def __init__(self, max_users: int = 1000) -> None:
        self.max_users = max_users
        self._books: OrderedDict[uuid.UUID, tuple[tuple[object, ...], ContactBook]] = OrderedDict()

    async def get(self, session: AsyncSession, user_id: uuid.UUID) -> ContactBook:
        version = tuple((await session.execute(_CONTACTS_VERSION_SQL, {"user_id": user_id})).one())
        cached = self._books.get(user_id)
        if cached is not None and cached[0] == version:
            self._books.move_to_end(user_id)
            return cached[1]
        book = await load_contacts(session, user_id)
        self._books[user_id] = (version, book)
        self._books.move_to_end(user_id)
        while len(self._books) > self.max_users:
            self._books.popitem(last=False)
        return book

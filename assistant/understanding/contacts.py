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

from assistant.understanding.schema import EVERYONE, Contact, ResolvedPerson

# Below this similarity (0-100) a name is not a match; within AMBIGUITY_GAP of the best
# another contact is an equally good reading and the user is asked.
MATCH_THRESHOLD = 80.0
AMBIGUITY_GAP = 5.0
MAX_CONTACTS = 5000
#: Domains many unrelated people write from: no organisation of their own.
_MAIL_PROVIDERS = frozenset(
    "gmail.com googlemail.com outlook.com hotmail.com live.com yahoo.com icloud.com me.com aol.com proton.me "
    "protonmail.com substack.com".split()
)
#: The local parts of an organisation's all-staff address.
_ALL_STAFF = frozenset({"all", "everyone", "staff", "allstaff", "all-staff", "company", "all-hands"})
# A candidate seen at least USUAL_RATIO times as often as every other (and at least
# USUAL_MINIMUM times) is the one meant.
USUAL_RATIO = 3
USUAL_MINIMUM = 5
# Of several colleagues with the name, a meeting's guest needs a smaller lead: the card
# shows whom it invites before anything is sent. In the demo workspace "Sarah" is Sarah
# Chen (219 appearances) over Sarah Tomlinson (89), who is only on company-wide invites.
COLLEAGUE_RATIO = 2

# One row per (name, address) with how often it appears, most frequent first.
_CONTACTS_SQL = text(
    """
    WITH people(name, email, addressed) AS (
        SELECT sender_name, sender_email, 0 FROM gmail_cache WHERE user_id = :user_id
        UNION ALL
        SELECT '', unnest(to_emails || cc_emails), 1 FROM gmail_cache WHERE user_id = :user_id
        UNION ALL
        SELECT organizer_name, organizer_email, 1 FROM gcal_cache WHERE user_id = :user_id
        UNION ALL
        SELECT coalesce(a->>'displayName', ''), a->>'email', 1
        FROM gcal_cache, jsonb_array_elements(coalesce(attendees, '[]'::jsonb)) AS a
        WHERE user_id = :user_id AND jsonb_typeof(attendees) = 'array'
        UNION ALL
        SELECT coalesce(o->>'displayName', ''), o->>'emailAddress', 1
        FROM gdrive_cache, jsonb_array_elements(coalesce(owners, '[]'::jsonb)) AS o
        WHERE user_id = :user_id AND jsonb_typeof(owners) = 'array'
    )
    SELECT name, lower(email) AS email, count(*) AS seen, sum(addressed) AS addressed
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

    def __init__(
        self, contacts: list[Contact], seen: dict[str, int] | None = None, addressed: set[str] | None = None
    ) -> None:
        self.contacts = contacts
        #: How often each address appears in the caches: who the user deals with.
        self.seen = seen or {}
        #: Addresses that were ever a recipient, a guest or an owner: people in a
        #: conversation, not only senders of mailings.
        self.addressed = addressed or set()
        self._domains: dict[str, str] | None = None
        # Keys to match against: the full name, each part of it, and the address.
        self._keys: list[str] = []
        self._owners: list[int] = []
        for index, contact in enumerate(contacts):
            name = contact.name.lower()
            for key in {name, *name.split(), contact.email.lower(), contact.email.split("@")[0].lower()}:
                self._keys.append(key)
                self._owners.append(index)

    def named(self, word: str) -> list[Contact]:
        """The people the user writes to or meets whose name has `word` as a whole part
        ("mehmet": Mehmet Yılmaz); not senders of mailings ("Brightwave Billing")."""
        word = word.lower()
        found = {
            self.contacts[owner].email: self.contacts[owner]
            for key, owner in zip(self._keys, self._owners, strict=True)
            if key == word
            and word in self.contacts[owner].name.lower().split()
            and self.contacts[owner].email in self.addressed
        }
        return list(found.values())

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str, int]] | list[tuple[str, str, int, int]]) -> ContactBook:
        """From (name, address, times seen[, times among an item's recipients or guests])."""
        best: dict[str, tuple[str, int]] = {}
        seen: Counter[str] = Counter()
        addressed: set[str] = set()
        for name, email, count, *among in rows:
            seen[email] += count
            if among and among[0]:
                addressed.add(email)
            if name.strip() and (email not in best or count > best[email][1]):
                best[email] = (name, count)
        ordered = sorted(seen, key=lambda email: -seen[email])
        contacts = [Contact(name=_display_name(best.get(email, ("", 0))[0], email), email=email) for email in ordered]
        return cls(contacts, dict(seen), addressed)

    def organization(self, words: str) -> str | None:
        """The domain of the organisation `words` name when they name one that sends the
        user mailings ("LinkedIn", "CloudNest", "Turkish Airlines", "Product Notes Weekly"),
        by its domain ("linkedin.com") or a sender's name; None for anything else. An
        organisation the user corresponds with (anyone at it ever among the recipients:
        "the Anadolu email" is about Anadolu), mail providers and the user's own
        organisation (the most common domain) are not read as senders."""
        key = re.sub(r"[^a-z0-9]", "", words.lower())
        if len(key) < 3:
            return None
        return self._organizations().get(key)

    def own_domain(self) -> str:
        """The user's organisation's domain: the most common among the people they deal with."""
        counts = Counter(contact.email.split("@")[-1] for contact in self.contacts if "@" in contact.email)
        return counts.most_common(1)[0][0] if counts else ""

    def _colleagues_domain(self) -> str:
        """The domain of the user's own address (the one seen most: on every message and
        event), unless it is a mail provider's (a personal account has no colleagues)."""
        seen = [c for c in self.contacts if "@" in c.email]
        if not seen:
            return ""
        domain = max(seen, key=lambda c: self.seen.get(c.email, 0)).email.split("@")[-1]
        return "" if domain in _MAIL_PROVIDERS else domain

    def colleague(self, candidates: list[Contact]) -> Contact | None:
        """The candidate in the user's own organisation (of several there, the one the user
        deals with far more): whom a meeting with "Sarah" invites, and whose calendar the
        organisation shares; not the vendor Sarah or the customer Sarah."""
        own = self._colleagues_domain()
        inside = list({c.email: c for c in candidates if own and c.email.endswith("@" + own)}.values())
        return inside[0] if len(inside) == 1 else self._usual(inside, COLLEAGUE_RATIO) if inside else None

    def _organizations(self) -> dict[str, str]:
        if self._domains is None:
            own = self.own_domain()
            spoken_to = {email.split("@")[-1] for email in self.addressed}
            own_name = own.split(".")[0]
            found: dict[str, str] = {}
            for contact in self.contacts:
                domain = contact.email.split("@")[-1]
                mine = domain.split(".")[0] == own_name or own_name in domain.split(".")  # northwindlabs.atlassian.net
                if mine or domain in spoken_to or domain in _MAIL_PROVIDERS or "@" not in contact.email:
                    continue
                found.setdefault(re.sub(r"[^a-z0-9]", "", domain.split(".")[0]), domain)
                name = re.sub(r"[^a-z0-9]", "", contact.name.lower())
                if len(name) >= 3 and " " in contact.name.strip():
                    found.setdefault(name, domain)  # "Product Notes Weekly", "Turkish Airlines"
            self._domains = found
        return self._domains

    def everyone(self) -> Contact | None:
        """The all-staff address of the user's organisation (all@, everyone@, staff@), the
        one the user's mail has seen most, if any."""
        own = self._colleagues_domain()
        lists = [
            c for c in self.contacts if own and c.email.split("@")[0] in _ALL_STAFF and c.email.endswith("@" + own)
        ]
        return max(lists, key=lambda c: self.seen.get(c.email, 0)) if lists else None

    def match(self, mention: str) -> ResolvedPerson:
        """The contact a typed name or address means, with the runners-up when ambiguous."""
        if mention == EVERYONE:
            return ResolvedPerson(mention=mention, contact=self.everyone(), score=100.0)
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
            if len(unique) > 1 and (usual := self._usual(unique)) is not None:
                return ResolvedPerson(mention=mention, contact=usual, score=100.0)  # "tom" is Tom Becker
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
        if " " in query:  # "sarah chenoweth" is "Sarah Chenoweth's Strategy Letter", not Sarah Chen
            leading = [c for c in self.contacts if re.match(rf"{re.escape(query)}(?:\b|'s)", c.name.lower())]
            if len({c.email for c in leading}) == 1:
                return ResolvedPerson(mention=mention, contact=leading[0], score=100.0)
        close = [self.contacts[i] for i, score in ranked if score >= best_score - AMBIGUITY_GAP]
        if len(close) > 1 and (usual := self._usual(close)) is not None:
            return ResolvedPerson(mention=mention, contact=usual, score=best_score)
        if len(close) > 1:
            return ResolvedPerson(mention=mention, contact=None, score=best_score, candidates=close[:5])
        return ResolvedPerson(mention=mention, contact=close[0], score=best_score)

    def _usual(self, close: list[Contact], ratio: float = USUAL_RATIO) -> Contact | None:
        """The candidate the user deals with far more than with the others, if any:
        "Sarah" is the colleague in forty threads, not the vendor who wrote twice. Only
        people the user has written to (or met) count when some have been: "Olivia" is
        the sister they write to, not three recruiters who wrote to them once."""
        written = [c for c in close if c.email in self.addressed]
        if len(written) == 1 and len(close) > 1:
            return written[0]
        close = written or close
        if len(close) < 2:
            return None
        counts = sorted(((self.seen.get(c.email, 0), c) for c in close), key=lambda pair: -pair[0])
        (first, contact), (second, _) = counts[0], counts[1]
        return contact if first >= USUAL_MINIMUM and first >= ratio * max(second, 1) else None


async def load_contacts(session: AsyncSession, user_id: uuid.UUID) -> ContactBook:
    result = await session.execute(_CONTACTS_SQL, {"user_id": user_id, "limit": MAX_CONTACTS})
    return ContactBook.from_rows([(row.name or "", row.email, row.seen, row.addressed) for row in result])


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

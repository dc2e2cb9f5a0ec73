"""What a search asks for and what it returns: the planner fills these from the intent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from assistant.core.services import CACHE_NAMES

#: A service as the caches name it ("gmail", "gcal", "gdrive"): one of the registry's
#: `CACHE_NAMES` (SearchQuery checks).
Service = str
Method = Literal["fulltext", "vector", "filtered"]
ALL_SERVICES: tuple[Service, ...] = CACHE_NAMES
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class SearchFilters:
    """Metadata constraints. People may be names ("Sara", "sarah chen") or addresses.

    - `people`: anyone on the item (sender, recipient, organizer, attendee, owner);
    - `senders`: an email's sender, an event's organizer, a file's owner;
    - `recipients`: an email's To/Cc, an event's attendees;
    - `after` / `before`: the item's time (email date, event start, file modified),
      `after` inclusive, `before` exclusive;
    - `labels`: Gmail labels the email must all carry, by name in any case ("starred",
      "Receipts");
    - `mime_types`: Drive types, a full type or a prefix ending in "/" ("image/");
    - `unread`, `has_attachment`: Gmail flags;
    - `received`: Gmail mail the user received, not mail they sent ("emails I got").

    A filter a service cannot satisfy (labels on an event) excludes that service.
    """

    people: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None
    labels: tuple[str, ...] = ()
    mime_types: tuple[str, ...] = ()
    unread: bool | None = None
    has_attachment: bool | None = None
    received: bool | None = None

    def is_empty(self) -> bool:
        return self == SearchFilters()


@dataclass(frozen=True)
class SearchQuery:
    """One search by one user.

    `text` is the user's words as typed (intent words are dropped for full text here, not
    by the caller). `account_ids` narrows to some of the user's linked accounts; it can
    never widen the search beyond `user_id`. The filters an item carries itself (time,
    labels, flags, type) constrain every method: "emails from last week" lists no older
    mail. People constrain the fused ranking (`HybridSearch._fuse`); with
    `filters_required` every method applies them in SQL as well and the unfiltered vector
    list is skipped (a listing such as "unread emails from Sarah").
    """

    user_id: uuid.UUID
    text: str
    services: tuple[Service, ...] = ALL_SERVICES
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = DEFAULT_LIMIT
    account_ids: tuple[uuid.UUID, ...] | None = None
    filters_required: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.services) - set(ALL_SERVICES)
        if unknown or not self.services:
            raise ValueError(f"services must be among {ALL_SERVICES}, got {self.services}")
        if not 1 <= self.limit <= 100:
            raise ValueError(f"limit must be between 1 and 100, got {self.limit}")


@dataclass(frozen=True)
class MethodMatch:
    """Why a result matched by one method: its rank and raw score in that method's list.

    `score` is ts_rank_cd for full text and cosine similarity for the vector methods.
    """

    method: Method
    rank: int
    score: float


@dataclass(frozen=True)
class SearchResult:
    service: Service
    item_id: uuid.UUID
    account_id: uuid.UUID
    google_id: str
    title: str
    snippet: str
    item_time: datetime | None
    people: str
    link: str | None
    score: float
    matches: tuple[MethodMatch, ...]

    @property
    def methods(self) -> tuple[Method, ...]:
        return tuple(match.method for match in self.matches)

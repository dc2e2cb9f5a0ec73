"""The services Concierge reads and acts on, and everything that differs between them.

One `Service` per Google product, spelt one way in code ("gmail", "calendar", "drive"),
and one `ServiceSpec` each: what to call it, what its items are, and how stored data
names it. The caches, sync status, search chunks and quota buckets name a service by
`cache_name` ("gmail", "gcal", "gdrive"), kept as stored so that no data migrates; code
translates through this registry, never through a map of its own.

    spec = SPECS[Service.CALENDAR]
    spec.cache_name, spec.display_name, spec.noun, spec.plural   # "gcal", "Calendar", "event", "events"
    by_cache_name("gdrive").service                              # Service.DRIVE
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Service(StrEnum):
    GMAIL = "gmail"
    CALENDAR = "calendar"
    DRIVE = "drive"


#: The same names as a type, for the models and signatures that carry a service as plain
#: text (plan steps, sources, the understanding's output); tests/test_services.py keeps
#: it equal to `Service`.
ServiceName = Literal["gmail", "calendar", "drive"]


@dataclass(frozen=True)
class ServiceSpec:
    service: Service
    #: How the caches, sync status, search and quota buckets name it (stored data).
    cache_name: str
    #: The product's name, for people ("Gmail", "Calendar", "Drive").
    display_name: str
    #: Google's full name of the product, when telling what Google did ("Google Calendar").
    product_name: str
    #: What one item is called, and several ("email", "emails").
    noun: str
    plural: str
    #: The lucide icon its sources show (public/elements/Sources.jsx).
    icon: str
    #: Google's API for it (discovery name and version) and the OAuth scopes it needs:
    #: read everything, and write what the agents may do after the user confirms.
    api_name: str
    api_version: str
    scopes: tuple[str, ...]
    #: Whether Google notifies its changes through `watch` channels posting to our webhooks
    #: (Calendar `events.watch`, Drive `changes.watch`; Gmail pushes through Pub/Sub).
    watch_channel: bool = False


SPECS: dict[Service, ServiceSpec] = {
    Service.GMAIL: ServiceSpec(
        Service.GMAIL,
        cache_name="gmail",
        display_name="Gmail",
        product_name="Gmail",
        noun="email",
        plural="emails",
        icon="Mail",
        api_name="gmail",
        api_version="v1",
        scopes=("https://www.googleapis.com/auth/gmail.modify",),  # read, draft, send, trash
    ),
    Service.CALENDAR: ServiceSpec(
        Service.CALENDAR,
        cache_name="gcal",
        display_name="Calendar",
        product_name="Google Calendar",
        noun="event",
        plural="events",
        icon="CalendarDays",
        api_name="calendar",
        api_version="v3",
        scopes=("https://www.googleapis.com/auth/calendar",),  # events, free/busy, settings
        watch_channel=True,
    ),
    Service.DRIVE: ServiceSpec(
        Service.DRIVE,
        cache_name="gdrive",
        display_name="Drive",
        product_name="Google Drive",
        noun="file",
        plural="files",
        icon="FileText",
        api_name="drive",
        api_version="v3",
        scopes=("https://www.googleapis.com/auth/drive",),  # files, exports, sharing
        watch_channel=True,
    ),
}
_BY_CACHE_NAME = {spec.cache_name: spec for spec in SPECS.values()}
#: Every service's cache name, in the registry's order (sync, search, the API's `/sync`).
CACHE_NAMES: tuple[str, ...] = tuple(spec.cache_name for spec in SPECS.values())


def spec(service: str) -> ServiceSpec:
    """The spec of a service named as code names it ("calendar")."""
    return SPECS[Service(service)]


def by_cache_name(cache_name: str) -> ServiceSpec:
    """The spec of a service named as stored data names it ("gcal")."""
    return _BY_CACHE_NAME[cache_name]

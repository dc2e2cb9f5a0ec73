"""The service registry (assistant/core/services.py) is the one list of services: every place
that handles services handles exactly the registry's, end to end."""

from __future__ import annotations

import re
import typing
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from assistant.agents.base import SourceItem
from assistant.agents.registry import AGENTS
from assistant.api.schemas import SyncRequest
from assistant.chat.panels import freshness, source_card
from assistant.core.services import CACHE_NAMES, SPECS, Service, ServiceName, by_cache_name, spec
from assistant.core.settings import PROJECT_ROOT
from assistant.google.client import API_VERSIONS, SCOPES
from search import retrievers
from search.indexing import SERVICE_TABLES
from search.query import ALL_SERVICES
from sync.jobs import SYNCERS
from sync.queues import SERVICES
from sync.webhooks import WATCH_SERVICES


def test_each_service_has_one_spec_and_both_names_lead_back_to_it() -> None:
    assert set(SPECS) == set(Service)
    assert set(typing.get_args(ServiceName)) == {service.value for service in Service}
    for service, described in SPECS.items():
        assert described.service is service
        assert spec(service.value) is described
        assert by_cache_name(described.cache_name) is described


def test_every_part_handles_exactly_the_registry_s_services() -> None:
    names = set(CACHE_NAMES)
    assert set(SERVICES) == names  # sync queues and status
    assert set(SYNCERS) == names and all(SYNCERS[name].service == name for name in names)  # sync jobs
    assert set(SERVICE_TABLES) == names  # indexing
    assert set(retrievers.SERVICES) == names  # search
    assert set(ALL_SERVICES) == names  # search queries
    assert SyncRequest().services == list(CACHE_NAMES)  # the API: by default, every service
    with pytest.raises(ValidationError, match=f"must be one of {', '.join(CACHE_NAMES)} \\["):
        SyncRequest(services=["gmail", "tasks"])
    assert SyncRequest.model_json_schema()["properties"]["services"]["items"]["enum"] == list(CACHE_NAMES)
    assert {by_cache_name(name).service for name in WATCH_SERVICES.values()} == {
        s.service for s in SPECS.values() if s.watch_channel
    }
    assert set(API_VERSIONS) == {described.api_name for described in SPECS.values()}  # the Google layer
    assert {scope for described in SPECS.values() for scope in described.scopes} < set(SCOPES)  # sign-in asks for all


def test_the_agents_and_the_source_panel_cover_every_service() -> None:
    assert set(AGENTS) == {service.value for service in Service}
    for name, agent in AGENTS.items():
        assert agent.service == name and agent.cache_service == spec(name).cache_name
        now = datetime.now(UTC)
        times = {"start": now.isoformat(), "end": now.isoformat()}  # what an event's details hold
        source = SourceItem(service=name, id="x", account_id="a", title="An item", when=now, details=times)
        card = source_card(1, source, ZoneInfo("Europe/Berlin"))
        assert card["service"] == name and card["link"].startswith("Open in ")
        assert card["icon"] == spec(name).icon
    line = freshness(dict.fromkeys(CACHE_NAMES), datetime.now(UTC))
    assert all(described.display_name in line for described in SPECS.values())


def test_the_source_chips_draw_every_service_s_icon() -> None:
    chips = (PROJECT_ROOT / "public" / "elements" / "Sources.jsx").read_text()
    drawn = re.search(r"const ICONS = \{([^}]*)\}", chips)
    assert drawn is not None
    assert {described.icon for described in SPECS.values()} <= {name.strip() for name in drawn.group(1).split(",")}

"""The service registry (assistant/core/services.py) is the one list of services: every place
that handles services handles exactly the registry's, end to end."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from assistant.api.schemas import SyncRequest
from assistant.chat.panels import freshness
from assistant.core.services import CACHE_NAMES, SPECS, Service, by_cache_name, spec
from assistant.google.client import SCOPES, Api
from search import retrievers
from search.indexing import SERVICE_TABLES
from search.query import ALL_SERVICES
from sync.jobs import SYNCERS
from sync.queues import SERVICES
from sync.webhooks import WATCH_SERVICES


def test_each_service_has_one_spec_and_both_names_lead_back_to_it() -> None:
    assert set(SPECS) == set(Service)
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
    with pytest.raises(ValidationError, match="must be one of gmail, gcal, gdrive"):
        SyncRequest(services=["gmail", "tasks"])
    assert SyncRequest.model_json_schema()["properties"]["services"]["items"]["enum"] == list(CACHE_NAMES)
    assert {by_cache_name(name).service for name in WATCH_SERVICES.values()} == set(Service) - {Service.GMAIL}
    assert set(typing.get_args(Api)) == {described.api_name for described in SPECS.values()}  # the Google layer
    assert {scope for described in SPECS.values() for scope in described.scopes} < set(SCOPES)  # sign-in asks for all


def test_the_agents_and_the_source_panel_cover_every_service() -> None:
    from assistant.agents.calendar import CalendarAgent
    from assistant.agents.drive import DriveAgent
    from assistant.agents.gmail import GmailAgent

    agents = [GmailAgent(), CalendarAgent(), DriveAgent()]
    assert {agent.cache_service for agent in agents} == set(CACHE_NAMES)
    line = freshness(dict.fromkeys(CACHE_NAMES), datetime.now(UTC))
    assert all(described.display_name in line for described in SPECS.values())

"""The agents, one per service: where the pipeline finds a step's agent and the chat a
source's panel. Adding a service adds its agent here (docs/architecture.md)."""

from __future__ import annotations

from assistant.agents.calendar import CalendarAgent
from assistant.agents.drive import DriveAgent
from assistant.agents.gmail import GmailAgent
from assistant.agents.sources import CacheReader
from assistant.core.services import ServiceName

#: Agents keep no state of their own (a request's state is its AgentContext): one each.
AGENTS: dict[ServiceName, CacheReader] = {
    "gmail": GmailAgent(),
    "calendar": CalendarAgent(),
    "drive": DriveAgent(),
}

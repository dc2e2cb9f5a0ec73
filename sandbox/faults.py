"""Faults injected through the control API: errors or latency on the next N calls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.errors import ApiError

FAULT_ERRORS: dict[str, ApiError] = {
    "429": ApiError(429, "Resource has been exhausted (e.g. check quota).", "rateLimitExceeded"),
    "403": ApiError(403, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits"),
    "500": ApiError(500, "Backend Error", "backendError"),
    "503": ApiError(503, "The service is currently unavailable.", "backendError"),
}


@dataclass
class Fault:
    method: str  # a Google method id, a prefix ending in "." or "*" for every method
    kind: str  # a key of FAULT_ERRORS, or "latency"
    remaining: int
    latency_seconds: float = 0.0
    retry_after: int | None = None

    def matches(self, method_id: str) -> bool:
        return self.method in ("*", method_id) or (self.method.endswith(".") and method_id.startswith(self.method))


class Faults:
    """Pending faults, applied first-come to matching calls until used up."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind != "latency" and fault.kind not in FAULT_ERRORS:
            raise ValueError(f"unknown fault {fault.kind!r}; use latency or one of {sorted(FAULT_ERRORS)}")
        self.pending.append(fault)

    def clear(self) -> None:
        self.pending.clear()

    async def apply(self, method_id: str) -> None:
        for fault in self.pending:
            if fault.remaining > 0 and fault.matches(method_id):
                fault.remaining -= 1
                if fault.kind == "latency":
                    await asyncio.sleep(fault.latency_seconds)
                    continue
                template = FAULT_ERRORS[fault.kind]
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
                raise ApiError(template.code, template.message, template.reason, template.domain, headers)
        self.pending = [fault for fault in self.pending if fault.remaining > 0]

"""The offline classifier's classes: a service and a group of operations.

A class names what the words can tell apart reliably ("write to the calendar"); the exact
operation inside the group (create or update, send or reply) is read from the verbs by
`local.choose_operation`.
"""

from __future__ import annotations

from typing import cast

from assistant.understanding.schema import Operation, Service

GROUP_OPERATIONS: dict[str, tuple[Operation, ...]] = {
    "query": ("search", "read"),
    "compose": ("send", "draft", "reply", "forward"),
    "write": ("create", "update"),
    "delete": ("delete",),
    "share": ("share",),
}


def label_for(service: Service, operations: list[str]) -> str:
    """The class of a labelled request: its service and the group of its first operation."""
    first = operations[0]
    for group, members in GROUP_OPERATIONS.items():
        if first in members:
            return f"{service}.{group}"
    raise ValueError(f"unknown operation {first!r}")


def split_label(label: str) -> tuple[Service, str]:
    service, group = label.split(".", 1)
    return cast(Service, service), group

"""Execution plans: a DAG of steps, each consuming named outputs of earlier steps.

A step's `inputs` bind its parameter names to outputs of other steps
(`{"event": Binding(step="find_flight", output="top")}`); those bindings are the edges of
the graph. `levels()` groups the steps into waves that can run concurrently; a cycle or a
binding to a step or output that does not exist is a `PlanError` raised when the plan is
built, with a message saying which steps are at fault.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from assistant.core.services import ServiceName

Service = ServiceName


#: The step that looks up what would make a request's condition false ("unless we already
#: meet that day", "if Monday at 11 is free"): the write after it runs only if it finds nothing.
CONDITION_STEP = "check_condition"


class Operation(StrEnum):
    """What a step does. Reads run at once; writes become proposed actions (`assistant.writes`)."""

    SEARCH = "search"
    READ = "read"
    FREE_SLOTS = "free_slots"
    DRAFT = "draft"
    SEND = "send"
    REPLY = "reply"
    FORWARD = "forward"
    TRASH = "trash"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    SHARE = "share"
    UNSHARE = "unshare"
    RENAME = "rename"


#: What each operation produces, by name; bindings may only name these.
OUTPUTS: dict[Operation, tuple[str, ...]] = {
    Operation.SEARCH: ("items", "top", "total"),
    Operation.READ: ("item",),
    Operation.FREE_SLOTS: ("slots",),
    **{op: ("action",) for op in Operation if op not in (Operation.SEARCH, Operation.READ, Operation.FREE_SLOTS)},
}
WRITE_OPERATIONS = frozenset(op for op, outputs in OUTPUTS.items() if outputs == ("action",))


class PlanError(Exception):
    """The steps do not form a runnable plan (a cycle, or a binding to nothing).

    Not a ValueError, so that pydantic lets it through from validation unwrapped.
    """


class Binding(BaseModel):
    """The output `output` of step `step`. A step needs its inputs: one bound to nothing
    (no result, an empty list) is skipped, unless the input is `optional` (a check whose
    empty answer is the point: "unless we already meet that day")."""

    step: str
    output: str
    optional: bool = False


class PlanStep(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    service: Service
    operation: Operation
    description: str
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Binding] = Field(default_factory=dict)

    @property
    def is_write(self) -> bool:
        return self.operation in WRITE_OPERATIONS

    @property
    def depends_on(self) -> set[str]:
        return {binding.step for binding in self.inputs.values()}


class ExecutionPlan(BaseModel):
    steps: list[PlanStep]

    @model_validator(mode="after")
    def _check(self) -> ExecutionPlan:
        self.levels()
        return self

    def step(self, step_id: str) -> PlanStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def levels(self) -> list[list[PlanStep]]:
        """The steps in waves: every step's inputs come from earlier waves."""
        by_id: dict[str, PlanStep] = {}
        for step in self.steps:
            if step.id in by_id:
                raise PlanError(f"two steps are called {step.id!r}")
            by_id[step.id] = step
        for step in self.steps:
            for name, binding in step.inputs.items():
                source = by_id.get(binding.step)
                if source is None:
                    raise PlanError(
                        f"step {step.id!r} input {name!r} is bound to a step that does not exist: {binding.step!r}"
                    )
                if binding.output not in OUTPUTS[source.operation]:
                    raise PlanError(
                        f"step {step.id!r} input {name!r} is bound to {binding.step}.{binding.output}, "
                        f"but a {source.operation} step only produces {', '.join(OUTPUTS[source.operation])}"
                    )
        levels: list[list[PlanStep]] = []
        placed: set[str] = set()
        remaining = list(self.steps)
        while remaining:
            wave = [step for step in remaining if step.depends_on <= placed]
            if not wave:
                stuck = ", ".join(sorted(step.id for step in remaining))
                raise PlanError(f"steps {stuck} can never run: their inputs form a cycle")
            levels.append(wave)
            placed |= {step.id for step in wave}
            remaining = [step for step in remaining if step.id not in placed]
        return levels

"""Running a plan: level by level, the steps of a level concurrently, as a stream of events.

Nothing a step does can stop the others: an exception or a timeout becomes that step's
`failed` result, steps that needed its outputs are `skipped` (saying why), and the rest
complete, so the answer can say what was found and what failed. A write step is not run:
its agent proposes the action, which is recorded for the user to confirm, and the step
ends `awaiting_confirmation`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.agents.base import Ambiguous, BaseAgent, StepFailed, Unchanged, explain_failure
from assistant.agents.context import AgentContext
from assistant.plan import ExecutionPlan, PlanStep, Service
from assistant.understanding.schema import Clarification
from assistant.writes import ProposedAction

log = logging.getLogger(__name__)

StepStatus = Literal["ok", "failed", "skipped", "awaiting_confirmation"]
EventKind = Literal["step_started", "step_finished", "step_failed", "step_skipped", "action_required"]
DEFAULT_STEP_TIMEOUT_SECONDS = 20.0

#: Stores a proposed action for confirmation; returns what the user is shown (with its id).
RecordAction = Callable[[PlanStep, ProposedAction], Awaitable[Any]]


@dataclass
class StepResult:
    step: PlanStep
    status: StepStatus
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_ms: float = 0.0
    #: What to ask the user when the step found several items where one is needed.
    question: Clarification | None = None


@dataclass(frozen=True)
class StepEvent:
    kind: EventKind
    step: PlanStep
    result: StepResult | None = None


class Orchestrator:
    def __init__(
        self,
        agents: Mapping[Service, BaseAgent],
        record_action: RecordAction,
        step_timeout: float = DEFAULT_STEP_TIMEOUT_SECONDS,
    ) -> None:
        self.agents = agents
        self.record_action = record_action
        self.step_timeout = step_timeout

    async def run(
        self, plan: ExecutionPlan, context: AgentContext, results: dict[str, StepResult]
    ) -> AsyncIterator[StepEvent]:
        """Yield events as steps start and end; `results` is filled in as they do."""
        events: asyncio.Queue[StepEvent | None] = asyncio.Queue()

        async def run_levels() -> None:
            try:
                for level in plan.levels():
                    await asyncio.gather(*(self._run_step(step, context, results, events.put_nowait) for step in level))
            finally:
                events.put_nowait(None)

        runner = asyncio.create_task(run_levels())
        try:
            while (event := await events.get()) is not None:
                yield event
        finally:
            if not runner.done():
                runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    async def _run_step(
        self,
        step: PlanStep,
        context: AgentContext,
        results: dict[str, StepResult],
        emit: Callable[[StepEvent], None],
    ) -> None:
        inputs, missing = _inputs(step, results)
        if missing:
            result = results[step.id] = StepResult(step, "skipped", error=missing)
            emit(StepEvent("step_skipped", step, result))
            return
        emit(StepEvent("step_started", step))
        started = time.perf_counter()
        agent = self.agents[step.service]
        try:
            async with asyncio.timeout(self.step_timeout):
                if step.is_write:
                    proposed = await agent.propose(step, inputs, context)
                    outputs = {"action": await self.record_action(step, proposed)}
                else:
                    outputs = await agent.run(step, inputs, context)
        except TimeoutError:
            result = StepResult(step, "failed", error=f"no answer within {self.step_timeout:.0f} s")
        except Unchanged as already:
            result = StepResult(step, "ok", outputs={"note": str(already)})
        except Ambiguous as several:
            result = StepResult(step, "failed", outputs={"items": several.items}, error=str(several))
            result.question = several.clarification
        except Exception as error:  # a broken step must not take the others down
            if not isinstance(error, StepFailed):
                log.warning(
                    "step failed",
                    extra={"step": step.id, "service": step.service, "error": type(error).__name__},
                    exc_info=True,
                )
            result = StepResult(step, "failed", error=explain_failure(step.service, error))
        else:
            status: StepStatus = "awaiting_confirmation" if step.is_write else "ok"
            result = StepResult(step, status, outputs=outputs)
        result.duration_ms = (time.perf_counter() - started) * 1000
        results[step.id] = result
        ended: dict[StepStatus, EventKind] = {
            "ok": "step_finished",
            "failed": "step_failed",
            "awaiting_confirmation": "action_required",
        }
        emit(StepEvent(ended[result.status], step, result))


def _inputs(step: PlanStep, results: Mapping[str, StepResult]) -> tuple[dict[str, Any], str | None]:
    """The step's inputs from earlier results, or why it cannot run."""
    values: dict[str, Any] = {}
    for name, binding in step.inputs.items():
        source = results.get(binding.step)
        if source is None or source.status != "ok":
            state = "did not finish" if source is None else source.status.replace("_", " ")
            return {}, f"skipped: it needs {source.step.description if source else binding.step}, which {_verb(state)}"
        value = source.outputs.get(binding.output)
        if (value is None or value == []) and not binding.optional:
            return {}, f"skipped: {source.step.description} found nothing to act on"
        values[name] = value
    return values, None


def _verb(state: str) -> str:
    return {"failed": "failed", "skipped": "was skipped", "awaiting confirmation": "awaits confirmation"}.get(
        state, state
    )

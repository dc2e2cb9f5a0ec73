"""The answer: streamed from a language model through the real SDK when one is configured,
from templates when not, from the same numbered facts either way."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.agents.base import SourceItem
from assistant.llm.factory import build_chain
from assistant.llm.local_provider import LocalProvider
from assistant.orchestrator import StepResult
from assistant.plan import Binding, PlanStep
from assistant.synthesizer import AnswerTask, collect_sources, stream_answer, write_locally
from tests.llm.scripted_server import Reply, ScriptedServer
from tests.llm.support import settings_for

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=LONDON)


def task() -> AnswerTask:
    review = SourceItem(
        service="gmail",
        id="m1",
        account_id="a",
        title="Q4 Financial Review",
        url="https://mail.google.com/x",
        when=datetime(2026, 11, 10, 9, 5, tzinfo=LONDON),
        snippet="Marketing ran 12% over plan",
        details={"from": "Sarah Chen <sarah.chen@northwindlabs.com>"},
    )
    search = PlanStep(id="search_gmail", service="gmail", operation="search", description="Search your emails")
    calendar = PlanStep(id="search_calendar", service="calendar", operation="search", description="Search your events")
    results = [
        StepResult(search, "ok", outputs={"items": [review], "top": review}),
        StepResult(calendar, "failed", error="Google Calendar is not responding right now (HTTP 500)"),
    ]
    return AnswerTask(
        question="emails about the budget from Sarah and my meetings with her",
        now=NOW,
        timezone=LONDON,
        results=results,
        sources=collect_sources(results),
        last_synced={"gmail": datetime(2026, 11, 18, 3, 0, tzinfo=LONDON)},
    )


async def read(pieces) -> str:
    return "".join([piece async for piece in pieces])


async def test_the_model_writes_the_answer_from_numbered_facts() -> None:
    with ScriptedServer(
        [Reply(pieces=["Sarah sent the ", "Q4 Financial Review [1]; ", "your calendar did not answer."])]
    ) as server:
        chain = build_chain(settings_for("openai", server), LocalProvider(streaming={AnswerTask: write_locally}))
        pieces, provider = await stream_answer(chain, task())
        answer = await read(pieces)
        prompt = server.requests[-1]["body"]["messages"][-1]["content"]
    assert provider == "openai"
    assert answer == "Sarah sent the Q4 Financial Review [1]; your calendar did not answer."
    assert "[1] **Q4 Financial Review**, from Sarah Chen" in prompt
    assert "Google Calendar is not responding right now (HTTP 500)" in prompt
    assert "last synced 6 hours ago" in prompt  # stale data is a fact the model must pass on


async def test_offline_the_template_writer_says_the_same_things() -> None:
    with ScriptedServer([Reply(status=500)]) as server:  # the model is down: fall back
        chain = build_chain(settings_for("openai", server), LocalProvider(streaming={AnswerTask: write_locally}))
        pieces, provider = await stream_answer(chain, task())
        answer = await read(pieces)
    assert provider == "local"
    assert "[1] **Q4 Financial Review**, from Sarah Chen on Tue 10 Nov" in answer
    assert "I couldn't search your events: Google Calendar is not responding right now (HTTP 500)" in answer
    assert "last synced 6 hours ago" in answer


async def test_a_list_asked_newest_first_is_called_the_newest() -> None:
    answer = task()
    search = answer.results[0].step
    newest = search.model_copy(update={"params": {"newest_first": True}})
    items = [answer.sources[0].model_copy(update={"id": f"m{n}", "title": f"Note {n}"}) for n in range(7)]
    answer.results[0] = StepResult(newest, "ok", outputs={"items": items, "top": items[0]})
    answer.sources = collect_sources(answer.results)
    written = await read(write_locally(answer))
    assert "I found 7 emails; the 5 newest:" in written
    with ScriptedServer([Reply(pieces=["ok"])]) as server:
        chain = build_chain(settings_for("openai", server), LocalProvider(streaming={AnswerTask: write_locally}))
        await read((await stream_answer(chain, answer))[0])
        prompt = server.requests[-1]["body"]["messages"][-1]["content"]
    assert "- Search your emails: listed newest first, as asked" in prompt


async def test_files_asked_for_by_kind_are_called_by_it() -> None:
    answer = task()
    pdf = answer.sources[0].model_copy(update={"service": "drive", "id": "f1", "title": "Atlas pricing one-pager.pdf"})
    search = PlanStep(
        id="search_drive",
        service="drive",
        operation="search",
        description="Search your PDFs",
        params={"nouns": ["PDF", "PDFs"]},
    )
    answer.results = [
        StepResult(search, "ok", outputs={"items": [pdf], "top": pdf}),
        StepResult(
            search.model_copy(update={"params": {"nouns": ["PDF", "PDFs"]}, "id": "s2"}), "ok", outputs={"items": []}
        ),
    ]
    answer.sources = collect_sources(answer.results)
    written = await read(write_locally(answer))
    assert "I found one PDF:" in written
    assert "I didn't find any PDFs matching that." in written


async def test_every_searched_service_gets_its_best_results_numbered() -> None:
    # Ten results from each of three services: the first must not take every number,
    # leaving "I found 10 files; the 0 most relevant:".
    answer = task()
    results = []
    for service in ("gmail", "calendar", "drive"):
        step = PlanStep(id=f"search_{service}", service=service, operation="search", description=f"Search {service}")
        items = [
            answer.sources[0].model_copy(
                update={"service": service, "id": f"{service}{n}", "title": f"T{n}", "details": {"all_day": True}}
            )
            for n in range(10)
        ]
        results.append(StepResult(step, "ok", outputs={"items": items, "top": items[0]}))
    answer.results = results
    answer.sources = collect_sources(results)
    assert [s.service for s in answer.sources] == ["gmail"] * 5 + ["calendar"] * 5 + ["drive"] * 5
    written = await read(write_locally(answer))
    assert written.count("; the 5 most relevant:") == 3
    assert "[15] **T4**" in written


def _when_answer(item: SourceItem, ask: str = "when") -> str:
    step = PlanStep(id="search", service=item.service, operation="search", description="Search")
    results = [StepResult(step, "ok", outputs={"items": [item], "top": item})]
    answer = AnswerTask(
        question="when?", now=NOW, timezone=LONDON, results=results, sources=[item], ask=ask, asked_of="search"
    )
    from assistant.synthesizer import direct_answer

    said = direct_answer(answer)
    assert said is not None
    return said


def test_an_event_set_in_another_zone_is_said_in_its_own_time_too() -> None:
    """A talk in Istanbul at 11:00 there is 08:00 in London: both are said, the user's first."""
    istanbul = ZoneInfo("Europe/Istanbul")
    start, end = datetime(2026, 12, 4, 11, 0, tzinfo=istanbul), datetime(2026, 12, 4, 11, 45, tzinfo=istanbul)
    talk = SourceItem(
        service="calendar",
        id="e1",
        account_id="a",
        title="Talk: Retail analytics",
        when=start,
        details={"start": start.isoformat(), "end": end.isoformat(), "time_zone": "Europe/Istanbul"},
    )
    said = _when_answer(talk)
    assert "08:00\u201308:45 your time (11:00\u201311:45 in Istanbul)" in said
    at_home = talk.model_copy(update={"details": talk.details | {"time_zone": "Europe/London"}})
    assert "your time" not in _when_answer(at_home) and "08:00\u201308:45" in _when_answer(at_home)


def test_when_mail_came_says_who_sent_it() -> None:
    """ "who sent the press release draft, and when?": the sender and the day."""
    said = _when_answer(task().sources[0])
    assert said.startswith("**Q4 Financial Review** [1] came from Sarah Chen on Tuesday 10 November at 09:05")


async def test_a_briefing_says_what_the_mail_says() -> None:
    """ "prepare me for my next meeting": each email's line carries its points (about three
    sentences of its text), where a list shows a one-line snippet."""
    agenda = (
        "Hi Alex, agenda for Tuesday: spend vs plan; the Atlas contractors and the December roll-off; "
        "moving 25k of research incentives to Q1 for Beacon; 2027 headcount. Sarah"
    )
    answer = task()
    mail = answer.sources[0].model_copy(update={"details": answer.sources[0].details | {"excerpt": agenda}})
    brief = PlanStep(
        id="search_gmail", service="gmail", operation="search", description="Search", params={"brief": True}
    )
    answer.results = [StepResult(brief, "ok", outputs={"items": [mail], "top": mail})]
    answer.sources = collect_sources(answer.results)
    assert "moving 25k of research incentives" in await read(write_locally(answer))
    listed = brief.model_copy(update={"params": {}})
    answer.results = [StepResult(listed, "ok", outputs={"items": [mail], "top": mail})]
    assert "25k" not in await read(write_locally(answer))


async def test_a_condition_found_clear_says_so_and_is_no_answer_by_itself() -> None:
    """ "if Monday at 11 is free, add 'Hiring plan'": an empty check is good news, not
    "No: I found no events"."""
    from assistant.plan import CONDITION_STEP

    check = PlanStep(id=CONDITION_STEP, service="calendar", operation="search", description="Check your calendar first")
    answer = task()
    answer.results = [StepResult(check, "ok", outputs={"items": []})]
    answer.sources, answer.ask, answer.asked_of = [], "yes_no", CONDITION_STEP
    written = await read(write_locally(answer))
    assert "Nothing in your calendar is in the way." in written
    assert "No:" not in written and "didn't find" not in written


async def _free_time(params: dict, outputs: dict) -> str:
    step = PlanStep(id="find_free_time", service="calendar", operation="free_slots", description="Find free time")
    step.params.update(params)
    results = [StepResult(step, "ok", outputs=outputs)]
    return (await read(write_locally(AnswerTask(question="?", now=NOW, timezone=LONDON, results=results)))).strip()


def _window(start: str, end: str) -> dict[str, str]:
    return {"start": f"2026-11-{start}:00+00:00", "end": f"2026-11-{end}:00+00:00"}


async def test_free_time_says_whose_time_and_each_day_s_windows() -> None:
    windows = [_window("19T12:40", "19T14:00"), _window("19T14:30", "19T16:00"), _window("20T09:00", "20T10:00")]
    said = await _free_time({"names": ["Sarah Chen", "Daniel Okafor"]}, {"windows": windows, "minutes": 30})
    assert said == (
        "You, Sarah Chen and Daniel Okafor are all free for half an hour or more on "
        "Thu 19 Nov: 12:40\u201314:00 and 14:30\u201316:00; Fri 20 Nov: 09:00\u201310:00."
    )


async def test_the_first_free_time_says_when_it_starts_and_until_when() -> None:
    said = await _free_time({"first": True}, {"windows": [_window("19T09:45", "19T12:10")], "minutes": 60})
    assert said == "You're first free for an hour at 09:45 on Thu 19 Nov (free until 12:10)."


async def test_no_free_time_and_an_unseen_calendar_are_said() -> None:
    said = await _free_time(
        {"names": ["Lena Fischer"]}, {"windows": [], "minutes": 120, "unseen": ["lena@kestrel.example"]}
    )
    assert said.startswith("I couldn't find 2 hours in working hours then when you and Lena Fischer are both free.")
    assert "I can't see lena@kestrel.example's calendar" in said


async def test_a_new_event_put_where_everyone_is_free_says_so_and_what_else_was_free() -> None:
    free = PlanStep(id="find_free_slot", service="calendar", operation="free_slots", description="Find a free slot")
    free.params.update(names=["Sarah Chen"])
    slots = [
        {"start": "2026-11-20T13:20:00+00:00", "end": "2026-11-20T14:05:00+00:00"},
        {"start": "2026-11-20T14:25:00+00:00", "end": "2026-11-20T15:10:00+00:00"},
        {"start": "2026-11-23T09:00:00+00:00", "end": "2026-11-23T09:45:00+00:00"},
    ]
    create = PlanStep(
        id="create_calendar",
        service="calendar",
        operation="create",
        description="Add the event",
        inputs={"slots": Binding(step="find_free_slot", output="slots")},
    )
    results = [StepResult(free, "ok", outputs={"slots": slots}), StepResult(create, "failed", error="no calendar")]
    said = await read(write_locally(AnswerTask(question="?", now=NOW, timezone=LONDON, results=results)))
    assert (
        "The first time you and Sarah Chen are both free is Fri 20 Nov 13:20; also free: 14:25 and Mon 23 Nov 09:00."
        in said
    )

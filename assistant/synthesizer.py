"""The answer: step results turned into a conversational reply, streamed, with sources.

Every item shown is numbered once (`[1]`, `[2]`...) and the reply cites those numbers;
each number carries the item's Google URL for the UI. The reply says plainly when nothing
was found, when a service's data may be stale (last successful sync), what failed, and
which actions wait for confirmation. With a language model configured the wording is the
model's, from the same facts; offline, `write_locally` composes it from templates.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.agents.base import SourceItem
from assistant.agents.gmail import booking_reference
from assistant.core.services import spec
from assistant.google.resources import zone_named
from assistant.llm.base import ChatMessage, LLMError, LLMRequest
from assistant.llm.chain import FallbackChain
from assistant.orchestrator import StepResult
from assistant.plan import CONDITION_STEP, Operation, PlanStep
from assistant.understanding.frame import Ask

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=1)
ELLIPSIS = "\u2026"
MAX_SOURCES = 12
#: Results an answer lists per search; each search's are numbered sources, whatever the cap.
SHOWN_PER_STEP = 5

SYSTEM_PROMPT = """\
You are Concierge, answering a question about the user's Gmail, Calendar and Drive from the
facts given (search results, actions waiting for confirmation, failures). Be brief and
conversational. Cite items with their numbers in square brackets, like [1]. Never invent
items, dates or people that are not in the facts. If nothing was found, say so plainly.
Mention failures and stale data exactly as given. For actions waiting for confirmation, say
what will happen and that it needs their confirmation; never claim it is done."""


@dataclass
class AnswerTask:
    """Everything the answer may say, in the order it should be said."""

    question: str
    now: datetime
    timezone: ZoneInfo
    results: list[StepResult]
    sources: list[SourceItem] = field(default_factory=list)
    last_synced: dict[str, datetime | None] = field(default_factory=dict)
    #: What the answer must say first (the request frame's `ask`), about the items of the
    #: step `asked_of` found.
    ask: Ask = "list"
    asked_of: str | None = None
    #: The request meant one item ("my next 1:1", "Sarah's latest email"): say which, and when.
    one: bool = False
    #: People an access question asks about ("is it shared with Daniel?"): (name, address);
    #: the user themself ("can I edit it?") is ("you", "").
    about: list[tuple[str, str]] = field(default_factory=list)
    #: The user's own addresses (their linked accounts): "you" in what the answer says.
    me: frozenset[str] = frozenset()

    def number_of(self, item: SourceItem) -> int:
        return next(i for i, s in enumerate(self.sources, start=1) if (s.service, s.id) == (item.service, item.id))


def target_searches(results: list[StepResult]) -> set[str]:
    """Searches that only looked for the target of an action: their best item is the answer."""
    return {b.step for r in results for b in r.step.inputs.values() if b.output == "top"}


#: An agenda ("what does next week look like?") shows this many events: those with other
#: people first (the meetings that matter), then the rest, each day in order.
AGENDA_SHOWN = 10


def is_agenda(step: PlanStep) -> bool:
    """A calendar listing of a stretch of time, with nothing to look for in it."""
    params = step.params
    return (
        step.service == "calendar"
        and step.operation == Operation.SEARCH
        and bool(params.get("every"))
        and params.get("order") in ("earliest", "next")
        and not params.get("text")
    )


def agenda_items(items: list[SourceItem]) -> list[SourceItem]:
    """The events an agenda shows, in time order. When there are more than it shows, the
    ones that stand out come first: a one-off meeting with other people (a review, a
    customer call) before an occurrence of a series (the daily standup), and both before
    solo blocks (focus time, reminders)."""

    def weight(item: SourceItem) -> int:
        with_people = len(item.details.get("attendees") or []) >= 2
        return (0 if with_people else 2) + (1 if item.details.get("recurring_event_id") else 0)

    chosen = sorted(items, key=weight)[:AGENDA_SHOWN]
    return sorted(chosen, key=lambda item: item.when or datetime.min.replace(tzinfo=UTC))


def collect_sources(results: list[StepResult]) -> list[SourceItem]:
    """The items of all successful steps, each once: first the SHOWN_PER_STEP best of each
    step, in step order (the ones the answer lists: with three services searched, the
    first must not take every number), then the others while fewer than MAX_SOURCES."""
    targets = target_searches(results)
    found_per_step = []
    for result in results:
        if result.status != "ok":
            continue
        found = result.outputs.get("items") or ([result.outputs["item"]] if result.outputs.get("item") else [])
        if is_agenda(result.step):
            found = agenda_items(found)
        found_per_step.append(found[:1] if result.step.id in targets else found)
    sources: dict[tuple[str, str], SourceItem] = {}
    for found in found_per_step:
        shown = AGENDA_SHOWN if len(found_per_step) == 1 else SHOWN_PER_STEP
        for item in found[:shown]:
            sources.setdefault((item.service, item.id), item)
    for item in (item for found in found_per_step for item in found[SHOWN_PER_STEP:]):
        if len(sources) >= MAX_SOURCES:
            break
        sources.setdefault((item.service, item.id), item)
    return list(sources.values())


def answer_request(task: AnswerTask) -> LLMRequest:
    facts = "\n".join(_facts(task))
    return LLMRequest(
        system=SYSTEM_PROMPT,
        messages=[ChatMessage(role="user", content=f"Question: {task.question}\n\nFacts:\n{facts}")],
        task=task,
        max_tokens=700,
    )


async def stream_answer(chain: FallbackChain, task: AnswerTask) -> tuple[AsyncIterator[str], str]:
    """The answer's text pieces, and the provider writing them.

    A model that breaks off mid-answer (it stalls past the timeout, the stream drops) has
    already shown its first words: they stay, and the offline writer's answer follows, so
    the answer still ends with every fact instead of an error.
    """
    answer = await chain.stream(answer_request(task))
    return _finished_offline_if_broken(answer.pieces, answer.provider, task), answer.provider


async def _finished_offline_if_broken(
    pieces: AsyncIterator[str], provider: str, task: AnswerTask
) -> AsyncIterator[str]:
    try:
        async for piece in pieces:
            yield piece
    except LLMError as error:
        log.warning("the answer broke off, finishing it offline", extra={"provider": provider, "error": str(error)})
        yield "\n\n"
        async for piece in write_locally(task):
            yield piece


async def write_locally(task: AnswerTask) -> AsyncIterator[str]:
    """The offline writer: the same facts in sentences, streamed a line at a time.

    The whole answer is ready at once, so a piece per word would look no different and
    only multiply the events every client handles: a five-item answer is ~170 words, each
    an SSE event or a chat UI message. With lines, `concierge bench pipeline` at 20
    concurrent users streamed an answer in 0.4 s p50 instead of 1.2 s.
    """
    for paragraph in _local_paragraphs(task):
        for line in paragraph.splitlines(keepends=True):
            yield line
            await asyncio.sleep(0)  # let the event loop deliver each piece as it comes
        yield "\n\n"


def _local_paragraphs(task: AnswerTask) -> list[str]:
    direct = direct_answer(task)
    paragraphs: list[str] = [direct] if direct else []
    targets = target_searches(task.results)
    for result in task.results:
        step = result.step
        singular, plural = step.params.get("nouns") or (
            spec(step.service).noun,
            spec(step.service).plural,
        )  # "PDFs", when asked
        if result.status == "ok" and step.id == CONDITION_STEP and step.params.get("purpose") == "overlaps":
            paragraphs.append(_clash_said(task, result))
            continue
        if result.status == "ok" and step.id == CONDITION_STEP and step.operation == Operation.FREE_SLOTS:
            paragraphs.append(_their_time_said(task, step, result.outputs))
            continue
        if result.status == "ok" and step.id == CONDITION_STEP:
            # What stands in the way is said by the write that did not happen; nothing, here.
            if not result.outputs.get("items"):
                paragraphs.append("Nothing in your calendar is in the way.")
            continue
        if result.status == "skipped" and CONDITION_STEP in {binding.step for binding in step.inputs.values()}:
            continue  # the condition did not hold: the check's paragraph says so
        if result.status == "ok" and step.operation == Operation.SEARCH:
            items = result.outputs.get("items") or []
            if result.outputs.get("corrections"):
                paragraphs.append(_searched_for(result.outputs["corrections"]) + ".")
            if not items:
                paragraphs.append(f"I didn't find any {plural} matching that.")
                continue
            if step.params.get("purpose") == "booking":
                paragraphs.append(booking_answer(items[0], task.number_of(items[0])))
                continue
            if step.id in targets:
                top = items[0]
                paragraphs.append(f"I found this {singular}: [{task.number_of(top)}] {_line(top, task.timezone)}.")
                continue
            if is_agenda(step):
                shown = [item for item in agenda_items(items) if _cited(task, item)]
                lead = f"You have {len(items)} {singular if len(items) == 1 else plural}" + (
                    ":" if len(shown) == len(items) else f"; the {len(shown)} that stand out, in time order:"
                )
                lines = [lead] + [f"- [{task.number_of(item)}] {_line(item, task.timezone)}" for item in shown]
                paragraphs.append("\n".join(lines))
                continue
            shown = [item for item in items[:SHOWN_PER_STEP] if _cited(task, item)]
            if len(items) == 1:
                lead = f"I found one {singular}:"
            elif len(shown) < len(items):
                best = ORDER_WORDS.get(_order(step.params), "most relevant")
                lead = f"I found {len(items)} {plural}; the {len(shown)} {best}:"
            else:
                lead = f"I found {len(items)} {plural}:"
            # A briefing says what the mail and files say, not only what they are.
            chars = BRIEF_CHARS if step.params.get("brief") else SNIPPET_CHARS
            lines = [lead] + [f"- [{task.number_of(item)}] {_line(item, task.timezone, chars)}" for item in shown]
            paragraphs.append("\n".join(lines))
        elif result.status == "ok" and step.operation == Operation.READ:
            item = result.outputs["item"]
            body = (item.details.get("body") or item.snippet or "").strip()
            paragraphs.append(
                f"[{task.number_of(item)}] {_line(item, task.timezone)}" + (f"\n\n{body[:1200]}" if body else "")
            )
        elif result.status == "ok" and step.operation == Operation.FREE_SLOTS:
            if any(step.id in {b.step for b in r.step.inputs.values()} for r in task.results):
                paragraphs.append(_slot_chosen_said(step, result.outputs, task.timezone))
            else:
                paragraphs.append(_free_time_said(step, result.outputs, task.timezone))
        elif result.status == "awaiting_confirmation":
            action = result.outputs["action"]
            paragraphs.append(f"This needs your confirmation before I do it:\n{action.preview}")
        elif result.status == "ok" and "note" in result.outputs:
            paragraphs.append(result.outputs["note"])  # a write with nothing to change says why
        elif result.status == "failed":
            paragraphs.append(f"I couldn't {step.description[0].lower() + step.description[1:]}: {result.error}")
        elif result.status == "skipped":
            paragraphs.append(f"I didn't {step.description[0].lower() + step.description[1:]} ({result.error}).")
    stale = _stale_services(task)
    if stale:
        paragraphs.append(stale)
    return paragraphs or ["I'm not sure what to do with that. Could you rephrase it?"]


def _clash_said(task: AnswerTask, result: StepResult) -> str:
    """ "**Product standup** (Thu 19 Nov, 09:30–09:45) doesn't clash with **Q4 Financial
    Review** (Tue 24 Nov, 14:00–14:45), so I've left it as it is." or what it clashes with."""
    checked: SourceItem = result.outputs["checked"]
    clashing: list[SourceItem] = result.outputs.get("items") or []
    compared: list[SourceItem] = result.outputs.get("compared") or []
    it = f"**{checked.title}** ({_line_time(checked, task.timezone)})"
    if clashing:
        return (
            f"{it} clashes with "
            + _and(f"**{item.title}** ({_line_time(item, task.timezone)})" for item in clashing[:3])
            + "."
        )
    if compared:
        other = compared[0]
        return (
            f"{it} doesn't clash with **{other.title}** ({_line_time(other, task.timezone)}), so I've left it as it is."
        )
    return f"{it} doesn't clash with anything, so I've left it as it is."


def _and(parts: Iterable[str]) -> str:
    said = list(parts)
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


def _line_time(item: SourceItem, zone: ZoneInfo) -> str:
    """ "Tue 24 Nov, 14:00–14:45": an event's time as its line shows it."""
    when = item.when.astimezone(zone) if item.when else None
    if when is None:
        return ""
    if item.details.get("all_day") or not item.details.get("end"):
        return f"{when:%a %-d %b}"
    end = datetime.fromisoformat(item.details["end"]).astimezone(zone)
    return f"{when:%a %-d %b, %H:%M}\u2013{end:%H:%M}"


def direct_answer(task: AnswerTask) -> str | None:
    """The answer to the question asked, in one sentence, before the list: when, who, how
    many, who has access, where, yes or no. None when a list is what was asked."""
    result = next((r for r in task.results if r.step.id == task.asked_of and r.status == "ok"), None)
    if (task.ask == "list" and not task.one) or result is None:
        return None
    if result.step.operation not in (Operation.SEARCH, Operation.READ) or result.step.id == CONDITION_STEP:
        return None
    found: list[SourceItem] = result.outputs.get("items") or (
        [result.outputs["item"]] if "item" in result.outputs else []
    )
    singular, plural = result.step.params.get("nouns") or (
        spec(result.step.service).noun,
        spec(result.step.service).plural,
    )
    if task.ask == "count":
        total = int(result.outputs.get("total", len(found)))
        return f"You have {total} {singular if total == 1 else plural} matching that."
    if not found:
        return f"No: I found no {plural} matching that." if task.ask == "yes_no" else None
    item = found[0]
    cite = f" [{task.number_of(item)}]" if _cited(task, item) else ""
    if task.ask == "when" and item.service == "gmail":  # "who sent the press release, and when?"
        sender = str(item.details.get("from") or "someone unknown").split(" <")[0]
        return f"**{item.title}**{cite} came from {sender} {_when_said(item, task.now, task.timezone)}."
    if task.ask == "when":
        tense = "was" if item.when is not None and item.when < task.now else "is"
        return f"**{item.title}**{cite} {tense} {_when_said(item, task.now, task.timezone)}."
    if task.ask == "who":
        return f"**{item.title}**{cite}: {_who(item)}."
    if task.ask == "where":
        place = item.details.get("location") or item.details.get("meet_link")
        return f"**{item.title}**{cite} is " + (f"at {place}." if place else "not given a place.")
    if task.ask == "access":
        return _access_answer(item, cite, task.about, task.me)
    if task.ask == "yes_no":
        return f"Yes: **{item.title}**{cite}."
    if task.ask == "amount":
        amount = amount_in(item)
        return f"**{item.title}**{cite} " + (f"is for {amount}." if amount else "says no amount I can find.")
    return f"**{item.title}**{cite}, {_when_said(item, task.now, task.timezone)}."  # the one item meant


#: The lines of a booking's confirmation about ending it: cancelling, refunds, fees, whom to call.
_CANCELLING = re.compile(r"cancel|refund|\bfees?\b|manage (?:my )?booking|no-show|\bcall\b|\+\d", re.IGNORECASE)


def booking_answer(booking: SourceItem, number: int) -> str:
    """What to say to "cancel my flight": the assistant cannot cancel a booking made with
    someone else; the booking's reference and what its confirmation says about cancelling."""
    seller = (booking.details.get("from") or "").split(" <")[0].strip() or "whoever sold it"
    reference = booking_reference(booking)
    body = str(booking.details.get("body") or booking.details.get("excerpt") or "")
    terms = [line.strip(" -\u2022\t") for line in body.splitlines() if _CANCELLING.search(line)]
    said = f"I can't cancel a booking with {seller} myself: only {seller} can."
    said += f" Your booking is **{reference}** [{number}]." if reference else f" Your booking: [{number}]."
    if terms:
        said += " What their confirmation says:\n" + "\n".join(f"- {term}" for term in terms[:6])
    return said + "\n\nOnce it's cancelled, I can remove its entries from your calendar."


#: A sum of money as mail and documents write it: "GBP 6,290.40", "£1,200", "$49.99", "EUR 300".
_MONEY = re.compile(r"(?:\b(?:GBP|USD|EUR|CHF|TRY)\s?|[£$€])\d[\d,]*(?:\.\d{1,2})?(?:\s?(?:GBP|USD|EUR))?")
#: Words that introduce the sum an item is for, rather than another figure in it.
_DUE = re.compile(r"\b(?:amount due|total due|total|amount|balance due|to pay|charged|price)\b", re.IGNORECASE)


def amount_in(item: SourceItem) -> str | None:
    """The sum the item is for: the one after "amount due"/"total" if said, else the first."""
    text = " ".join(str(item.details.get(key) or "") for key in ("body", "excerpt")) or item.snippet or ""
    sums = list(_MONEY.finditer(text))
    if not sums:
        return None
    for due in _DUE.finditer(text):
        after = next((m for m in sums if 0 <= m.start() - due.end() < 40), None)
        if after is not None:
            return after.group(0).strip()
    return sums[0].group(0).strip()


def _when_said(item: SourceItem, now: datetime, zone: ZoneInfo) -> str:
    """ "on Monday 23 November, 10:00–10:45 (in 5 hours)"; the year when it is not this one."""
    start = (item.when or now).astimezone(zone)
    year = f" {start:%Y}" if start.year != now.astimezone(zone).year else ""
    day = f"{start:%A %-d %B}{year}"
    if item.service == "calendar" and item.details.get("all_day"):
        span = f"on {day} (all day)"
    elif item.service == "calendar" and item.details.get("end"):
        end = datetime.fromisoformat(item.details["end"]).astimezone(zone)
        span = f"on {day}, {start:%H:%M}\u2013{end:%H:%M}" + _there(item, start, end, zone)
    else:
        span = f"on {day} at {start:%H:%M}"
    return f"{span} ({_relative(start - now)})"


def _there(item: SourceItem, start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """An event set in another zone than the user's at its own local time too: a talk in
    Istanbul at 11:00 there is " your time (11:00–11:45 in Istanbul)"; "" otherwise."""
    name = item.details.get("time_zone")
    if not name:
        return ""
    there = zone_named(str(name))
    if there.utcoffset(start) == zone.utcoffset(start):
        return ""
    place = there.key.rsplit("/", 1)[-1].replace("_", " ")
    return f" your time ({start.astimezone(there):%H:%M}\u2013{end.astimezone(there):%H:%M} in {place})"


def _relative(delta: timedelta) -> str:
    """ "in 5 hours", "in 3 days", "2 days ago"."""
    seconds = delta.total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 3600:
        amount, unit = max(1, round(seconds / 60)), "minute"
    elif seconds < 48 * 3600:
        amount, unit = round(seconds / 3600), "hour"
    else:
        amount, unit = round(seconds / 86400), "day"
    said = f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"in {said}" if ahead else f"{said} ago"


def _who(item: SourceItem) -> str:
    if item.service == "calendar":
        organizer = item.details.get("organizer") or ""
        people = [a.get("name") or a.get("email") or "" for a in item.details.get("attendees", [])]
        names = ", ".join(p for p in people if p) or "nobody else"
        return f"{names}" + (f"; organised by {_name_of(organizer, item)}" if organizer else "")
    if item.service == "gmail":
        return f"from {item.details.get('from', 'an unknown sender')}, to {', '.join(item.details.get('to', []))}"
    return "owned by " + (", ".join(item.details.get("owners", [])) or "someone unknown")


def _name_of(address: str, item: SourceItem) -> str:
    for attendee in item.details.get("attendees", []):
        if attendee.get("email") == address and attendee.get("name"):
            return f"{attendee['name']} <{address}>"
    return address


def _access_answer(item: SourceItem, cite: str, about: list[tuple[str, str]], me: frozenset[str]) -> str:
    """Who has access; or, asked about someone (the user included), whether they have it
    and as what, and who does."""
    everyone = _access(item, me)
    if not about:
        return f"**{item.title}**{cite}: {everyone}."
    sentences = []
    for name, address in about:
        mine = name == "you"
        holder = next(
            (
                permission
                for permission in item.details.get("permissions", [])
                if (mine and permission.get("email", "").lower() in me)
                or (address and permission.get("email", "").lower() == address.lower())
                or (not mine and permission.get("name") and name.lower() in permission["name"].lower())
            ),
            None,
        )
        role = ROLE_NAMES.get(holder.get("role", ""), holder.get("role", "")) if holder else ""
        if mine and holder is not None:
            sentences.append(
                f"You are {_a(role)} {role} on **{item.title}**{cite}: you can {ROLE_CAN.get(role, 'open it')}."
            )
        elif mine:
            sentences.append(f"You have no access of your own to **{item.title}**{cite}.")
        elif holder is not None:
            label = ROLE_LABELS.get(role, role)
            sentences.append(f"Yes: {holder.get('name') or name} has access to **{item.title}**{cite} ({label}).")
        else:
            sentences.append(f"No: **{item.title}**{cite} is not shared with {name}.")
    return " ".join(sentences) + f" {everyone[0].upper()}{everyone[1:]}."


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


#: Each role in an access list, by what it lets its holder do.
ROLE_LABELS = {"owner": "owner", "editor": "can edit", "commenter": "can comment", "viewer": "can view"}
#: What each role lets its holder do, said to them.
ROLE_CAN = {
    "owner": "edit it and share it",
    "editor": "edit it",
    "commenter": "view it and comment on it, but not edit it",
    "viewer": "view it, but not edit it or comment on it",
}


ROLE_NAMES = {"owner": "owner", "organizer": "owner", "fileOrganizer": "editor", "writer": "editor"}
ROLE_NAMES |= {"commenter": "commenter", "reader": "viewer"}


def _access(item: SourceItem, me: frozenset[str] = frozenset()) -> str:
    """ "Sarah Chen (owner), Priya Shah (editor) and anyone at northwindlabs.com with the link (viewer) have access";
    "only you have access: it is not shared with anyone"."""
    holders = []
    others = 0
    for permission in item.details.get("permissions", []):
        role = ROLE_NAMES.get(permission.get("role", ""), permission.get("role", ""))
        kind = permission.get("type")
        name, email = permission.get("name"), permission.get("email")
        if kind == "anyone":
            who = "anyone with the link"
        elif kind == "domain":
            who = f"anyone at {permission.get('domain', 'the organisation')} with the link"
        elif email and email.lower() in me:
            who = "you"
        else:
            who = (
                f"{name} <{email}>" if name and email and name.lower() != email.lower() else name or email or "someone"
            )
        others += who != "you"
        holders.append(f"{who} ({ROLE_LABELS.get(role, role)})")
    if holders and not others:
        return "only you have access: it is not shared with anyone else"
    if not holders:
        owners = ", ".join(item.details.get("owners", []))
        return f"only its owner has access ({owners})" if owners else "I can't see who has access"
    listed = holders[0] if len(holders) == 1 else ", ".join(holders[:-1]) + f" and {holders[-1]}"
    return f"{listed} {'has' if len(holders) == 1 else 'have'} access"


#: How an ordered list is described ("the 5 newest").
ORDER_WORDS = {"latest": "newest", "earliest": "oldest", "next": "soonest"}


def _order(params: dict[str, Any]) -> str:
    """The order a search step listed its items in."""
    return str(params.get("order") or ("latest" if params.get("newest_first") else "relevance"))


def _searched_for(corrections: dict[str, str]) -> str:
    return "Searched for " + ", ".join(
        f"\u201c{fixed}\u201d instead of \u201c{typed}\u201d" for typed, fixed in corrections.items()
    )


def _cited(task: AnswerTask, item: SourceItem) -> bool:
    return any((s.service, s.id) == (item.service, item.id) for s in task.sources)


def _facts(task: AnswerTask) -> list[str]:
    lines = [f"Now: {task.now.astimezone(task.timezone):%A %d %B %Y %H:%M} ({task.timezone})"]
    direct = direct_answer(task)
    if direct:
        lines.append(f"Answer the question first, with this: {direct}")
    for number, item in enumerate(task.sources, start=1):
        lines.append(f"[{number}] {_line(item, task.timezone)}")
    for result in task.results:
        step = result.step
        if result.status == "ok" and step.operation == Operation.SEARCH and result.outputs.get("corrections"):
            lines.append(f"- {step.description}: {_searched_for(result.outputs['corrections'])} (say so)")
        if result.status == "ok" and step.params.get("purpose") == "booking" and result.outputs.get("items"):
            top = result.outputs["items"][0]
            lines.append(f"- Say this about the booking: {booking_answer(top, task.number_of(top))}")
        if result.status == "ok" and step.operation == Operation.SEARCH and not result.outputs.get("items"):
            lines.append(f"- {step.description}: nothing found")
        elif result.status == "ok" and step.operation == Operation.SEARCH and _order(step.params) != "relevance":
            lines.append(f"- {step.description}: listed {ORDER_WORDS[_order(step.params)]} first, as asked")
        elif result.status == "ok" and step.operation == Operation.FREE_SLOTS:
            lines.append(f"- free time: {_free_time_said(step, result.outputs, task.timezone)}")
        elif result.status == "awaiting_confirmation":
            lines.append(f"- waiting for confirmation: {result.outputs['action'].preview}")
        elif result.status == "ok" and "note" in result.outputs:
            lines.append(f"- {step.description}: nothing to change, {result.outputs['note']} (say so)")
        elif result.status in ("failed", "skipped"):
            lines.append(f"- {step.description} {result.status}: {result.error}")
    stale = _stale_services(task)
    if stale:
        lines.append(f"- {stale}")
    return lines


def _line(item: SourceItem, zone: ZoneInfo, chars: int = 0) -> str:
    """One item on one line: what it is, when, who, and `chars` of its words (the snippet's
    SNIPPET_CHARS by default)."""
    chars = chars or SNIPPET_CHARS
    when = item.when.astimezone(zone) if item.when else None
    if item.service == "gmail":
        sender = item.details.get("from", "").split(" <")[0] or "unknown sender"
        return f"**{item.title}**, from {sender}" + (f" on {when:%a %-d %b}" if when else "") + _snippet(item, chars)
    if item.service == "calendar":
        if item.details.get("all_day"):
            span = f"{when:%a %-d %b} (all day)" if when else ""
        else:
            end = datetime.fromisoformat(item.details["end"]).astimezone(zone)
            span = _line_time(item, zone) + _there(item, when, end, zone) if when else ""
        people = [a.get("name") or a.get("email") for a in item.details.get("attendees", [])][:4]
        return (
            f"**{item.title}**, {span}"
            + (f" with {', '.join(people)}" if people else "")
            + (f" at {item.details['location']}" if item.details.get("location") else "")
        )
    owners = ", ".join(item.details.get("owners", [])[:2])
    return (
        f"**{item.title}**"
        + (f", edited {when:%-d %b}" if when else "")
        + (f" (owner {owners})" if owners else "")
        + _snippet(item, chars)
    )


SNIPPET_CHARS = 130
#: A briefing's lines ("prepare me for my next meeting") carry this much of each item:
#: about three sentences, enough for an agenda's points.
BRIEF_CHARS = 420
SALUTATION = re.compile(r"^(hi|hello|hey|dear|morning|good morning)\b[^,.!\n]{0,30}[,.!]\s*", re.IGNORECASE)


def _snippet(item: SourceItem, chars: int = SNIPPET_CHARS) -> str:
    """The item's own words, without what the line already says (its title, "Hi Alex,");
    beyond the snippet's length, from the start of its text."""
    words = item.details.get("excerpt") if chars > SNIPPET_CHARS and item.details.get("excerpt") else item.snippet
    text = " ".join((words or "").split())
    if text.lower().startswith(item.title.lower()):
        text = text[len(item.title) :].lstrip(" :-\u2013\u2014")
    text = SALUTATION.sub("", text)
    if not text:
        return ""
    if len(text) > chars:
        text = text[:chars].rsplit(" ", 1)[0].rstrip(",.;:") + ELLIPSIS
    return f": \u201c{text}\u201d"


def _free_time_said(step: PlanStep, outputs: dict[str, Any], zone: ZoneInfo) -> str:
    """ "You and Daniel Okafor are both free for an hour on Mon 23 Nov 10:45–14:05.";
    for the first free time only ("my first free hour tomorrow"), when it starts."""
    names = [str(name) for name in step.params.get("names") or []]
    minutes = int(outputs.get("minutes") or step.params.get("duration_minutes") or 30)
    length = _length(minutes)
    windows = [
        (datetime.fromisoformat(w["start"]).astimezone(zone), datetime.fromisoformat(w["end"]).astimezone(zone))
        for w in outputs.get("windows") or []
    ]
    who = _whose_time(names)
    unseen = [str(address) for address in outputs.get("unseen") or []]
    caveat = f" I can't see {_and(unseen)}'s calendar, so their time isn't counted." if unseen else ""
    if not windows:
        return f"I couldn't find {length} in working hours then when {who[0].lower() + who[1:]} free.{caveat}"
    if step.params.get("first"):
        start, end = windows[0]
        return f"{who} first free for {length} at {start:%H:%M} on {start:%a %-d %b} (free until {end:%H:%M}).{caveat}"
    days: dict[str, list[str]] = {}
    for start, end in windows:
        days.setdefault(f"{start:%a %-d %b}", []).append(f"{start:%H:%M}–{end:%H:%M}")
    said = "; ".join(f"{day}: {_and(spans)}" for day, spans in days.items())
    return f"{who} free for {length} or more on {said}.{caveat}"


def _their_time_said(task: AnswerTask, step: PlanStep, outputs: dict[str, Any]) -> str:
    """ "You and Sarah Chen are both free then (Fri 20 Nov, 15:00–15:30)." or "Daniel
    Okafor isn't free then (Thu 19 Nov, 14:00–14:30): you have [1] 1:1 Alex / Daniel. I
    didn't add it." (a condition on other people's time)."""
    start = datetime.fromisoformat(step.params["start"]).astimezone(task.timezone)
    end = datetime.fromisoformat(step.params["end"]).astimezone(task.timezone)
    when = f"{start:%a %-d %b}, {start:%H:%M}\u2013{end:%H:%M}"
    names = dict(zip(step.params.get("attendees") or [], step.params.get("names") or [], strict=False))
    if outputs.get("slots"):
        who = _and(["You", *names.values()])
        return f"{who} {'are both' if len(names) == 1 else 'are all'} free then ({when})."
    busy = [names[address] for address in outputs.get("busy") or [] if address in names]
    if not busy:
        busy = ["You"]
    events = [f"[{task.number_of(item)}] **{item.title}**" for item in outputs.get("items") or [] if _cited(task, item)]
    said = f"{_and(busy)} {'is' if len(busy) == 1 and busy != ['You'] else 'are'}n't free then ({when})"
    if events:
        said += f": you have {_and(events)} then"
    return said + ". I didn't add it."


def _whose_time(names: list[str]) -> str:
    """ "You're", "You and Sarah Chen are both", "You, Sarah Chen and Daniel Okafor are all"."""
    if not names:
        return "You're"
    if len(names) == 1:
        return f"You and {names[0]} are both"
    return "You, " + ", ".join(names[:-1]) + f" and {names[-1]} are all"


def _slot_chosen_said(step: PlanStep, outputs: dict[str, Any], zone: ZoneInfo) -> str:
    """Why a new event is at its time: "The first time you and Sarah Chen are both free
    is Fri 20 Nov 13:20; also free: 14:25, Mon 23 Nov 09:00." (the card shows the first)."""
    slots = [datetime.fromisoformat(slot["start"]).astimezone(zone) for slot in outputs.get("slots") or []]
    if not slots:
        return _free_time_said(step, outputs, zone)
    who = _whose_time([str(name) for name in step.params.get("names") or []])
    first = slots[0]
    said = f"The first time {who[0].lower() + who[1:]} free is {first:%a %-d %b %H:%M}"
    others = [f"{s:%H:%M}" if s.date() == first.date() else f"{s:%a %-d %b %H:%M}" for s in slots[1:3]]
    return said + (f"; also free: {_and(others)}." if others else ".")


def _length(minutes: int) -> str:
    if minutes == 60:
        return "an hour"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours"
    if minutes == 30:
        return "half an hour"
    return f"{minutes} minutes"


def _stale_services(task: AnswerTask) -> str | None:
    searched = {r.step.service for r in task.results if r.step.operation in (Operation.SEARCH, Operation.READ)}
    notes = []
    for service in sorted(searched):
        synced = task.last_synced.get(spec(service).cache_name)
        if synced is None:
            notes.append(f"your {spec(service).plural} have not finished syncing yet")
        elif task.now - synced > STALE_AFTER:
            notes.append(f"your {spec(service).plural} were last synced {_ago(task.now - synced)} ago")
    if not notes:
        return None
    return "Note: " + "; ".join(notes) + ", so the newest items may be missing."


def _ago(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{delta.days} days"

"""Judging one run of a task: did what happened match what had to happen?

The judge sees only outcomes: the answer's text, the sources it showed (in order), the
question it asked back (if any), and the sandbox's item changes between the snapshot
before the request and the state after its writes were confirmed. It never looks at the
plan, the intent or the steps. Items named in the task (`ItemRef`) are found among the
sources, among the changed items, or in the workspace as it was before the task.

    verdict = judge(task, outcome, workspace)
    verdict.passed, verdict.problems
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from assistant.tools.tasks.suite import (
    Change,
    EventCancelled,
    EventChanged,
    EventCreated,
    Fact,
    FileChanged,
    ItemRef,
    MessageScope,
    Sent,
    Task,
    Trashed,
)

#: Kinds of sandbox item a person sees change; labels, threads and calendars follow them.
JUDGED_KINDS = frozenset({"message", "draft", "event", "file"})
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten "
    "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_MONTHS = "january february march april may june july august september october november december".split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()


@dataclass(frozen=True)
class Source:
    """A source the answer showed, as the judge needs it."""

    service: str
    id: str
    title: str
    when: dt.datetime | None = None
    #: Who it is from / organised it / owns it, as shown (names and addresses).
    people: str = ""


@dataclass(frozen=True)
class ItemChange:
    """One sandbox item before the task and after it (None: it did not exist)."""

    kind: str
    owner: str
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Outcome:
    answer: str
    sources: list[Source]
    #: The question asked back, with its options, if the answer was a clarification.
    question: str | None
    changes: list[ItemChange]
    error: str | None = None
    milliseconds: float = 0.0


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


class Workspace(Protocol):
    """The sandbox as it was before the task (the snapshot the task started from)."""

    def messages(self, owner: str) -> list[dict[str, Any]]: ...

    def busy(self, email: str, start: dt.datetime, end: dt.datetime) -> bool: ...


def judge(task: Task, outcome: Outcome, workspace: Workspace, zone: ZoneInfo) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    if outcome.error:
        problems.append(f"failed: {outcome.error}")
    expect = task.expect
    for ref in expect.cite:
        if not any(_source_is(source, ref, zone) for source in outcome.sources):
            problems.append(f"not cited: {_ref(ref)}")
    if expect.first is not None and not (outcome.sources and _source_is(outcome.sources[0], expect.first, zone)):
        shown = outcome.sources[0].title if outcome.sources else "nothing"
        problems.append(f"first source is {shown!r}, not {_ref(expect.first)}")
    for ref in expect.not_cite:
        if any(_source_is(source, ref, zone) for source in outcome.sources):
            problems.append(f"cited what it must not: {_ref(ref)}")
    today = task.now.astimezone(zone).date()
    for fact in expect.facts:
        if not states(outcome.answer, fact, today):
            problems.append(f"the answer does not state {_fact(fact)}")
    for fact in expect.not_facts:
        if states(outcome.answer, fact, today):
            problems.append(f"the answer states {_fact(fact)}, which it must not")
    if expect.asks is not None:
        problems += _asks(outcome, expect.asks.about)
    problems += _changes(expect.changes, outcome.changes, task.user, workspace, zone)
    return verdict


# --- sources ----------------------------------------------------------------------------


def _source_is(source: Source, ref: ItemRef, zone: ZoneInfo) -> bool:
    if source.service != ref.service or _norm(source.title) != _norm(ref.title):
        return False
    if ref.day is not None and (source.when is None or source.when.astimezone(zone).date() != ref.day):
        return False
    return ref.sender is None or ref.sender.lower() in source.people.lower()


# --- facts ------------------------------------------------------------------------------


def states(answer: str, fact: Fact, today: dt.date) -> bool:
    """Whether the answer states the fact, in any of the usual ways of writing it."""
    text = _norm(answer.replace("\u202f", " ").replace("\u00a0", " "))
    if fact.text is not None:
        return any(_says(text, option) for option in fact.text)
    if fact.count is not None:
        words = [str(fact.count)] + ([_NUMBER_WORDS[fact.count]] if fact.count < len(_NUMBER_WORDS) else [])
        return any(_counted(text, word) for word in words)
    if fact.date is not None:
        return any(re.search(pattern, text) for pattern in _date_patterns(fact.date, today))
    assert fact.time is not None
    return any(re.search(pattern, text) for pattern in _time_patterns(fact.time))


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?"
)


#: Words before a number that make it a rank, not a count ("the 5 most relevant").
_RANKING = frozenset({"the", "top", "first", "last", "latest", "newest", "oldest", "next", "these", "those"})
#: Words before a number that state it as the count ("the total is 3", "count: 3").
_STATING = frozenset({"is", "are", "was", "were", "total", "total:", "count:", "of"})
#: Words after a number that make it a measure, not a count.
_MEASURES = re.compile(r"(?:minutes?|mins?|hours?|hrs?|h|gbp|eur|usd|k|m|%|percent|am|pm|a\.m\.|p\.m\.)\b")


def _counted(text: str, word: str) -> bool:
    """`word` stated as a count of something: followed by what is counted ("3 emails",
    "three starred messages") or stated outright ("the total is 3"); not a citation
    ("[3]"), a date ("3 Nov", "Nov 3", "3/11"), a time ("3pm", "3:00"), a measure
    ("30 minutes") or a rank of what is shown ("the 5 most relevant", "top 5")."""
    for match in re.finditer(rf"(?<![\w.:/\[-]){re.escape(word)}(?![\w:/\]]|\.\d)", text):
        before = text[: match.start()].split()[-1:]
        after = text[match.end() :].lstrip(" ,")
        if before and (re.fullmatch(_MONTH, before[0]) or before[0] in _RANKING):
            continue
        if re.match(rf"{_MONTH}(?!\w)|(?:most|newest|latest|oldest)\b", after) or _MEASURES.match(after):
            continue
        if re.match(r"[a-z]", after) or (before and before[0] in _STATING):
            return True
    return False


def _date_patterns(day: dt.date, today: dt.date) -> list[str]:
    month = _MONTHS[day.month - 1]
    month_re = rf"{month[:3]}(?:{month[3:]})?\.?"
    number = rf"0?{day.day}(?:st|nd|rd|th)?"
    patterns = [
        rf"\b{number}\s+(?:of\s+)?{month_re}(?![a-z])",
        rf"\b{month_re}\s+{number}\b",
        rf"\b{day.isoformat()}\b",
        rf"\b0?{day.day}/0?{day.month}(?:/(?:20)?{day.year % 100})?\b",
    ]
    if day == today:
        patterns.append(r"\btoday\b")
    if day == today + dt.timedelta(days=1):
        patterns.append(r"\btomorrow\b")
    if day == today - dt.timedelta(days=1):
        patterns.append(r"\byesterday\b")
    return patterns


def _time_patterns(moment: dt.time) -> list[str]:
    hour12 = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    minutes = f"{moment.minute:02d}"
    patterns = [rf"(?<![\d:]){moment.hour:02d}[:.h]{minutes}(?!\d)", rf"(?<![\d:]){moment.hour}[:.h]{minutes}(?!\d)"]
    patterns.append(
        rf"(?<![\d:]){hour12}(?::{minutes})?\s*{suffix[0]}\.?m\.?(?![a-z])"
        if moment.minute == 0
        else rf"(?<![\d:]){hour12}:{minutes}\s*{suffix[0]}\.?m\.?(?![a-z])"
    )
    if moment == dt.time(12, 0):
        patterns.append(r"\bnoon\b|\bmidday\b")
    return patterns


# --- questions back ---------------------------------------------------------------------


def _asks(outcome: Outcome, about: list[str]) -> list[str]:
    question = outcome.question
    if question is None:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", outcome.answer.strip()) if s.endswith("?")]
        question = " ".join(sentences) or None
    if question is None:
        return ["it did not ask back"]
    if about and not any(_says(question, word) for word in about):
        return [f"it asked {question!r}, not about {' / '.join(about)}"]
    return []


# --- changes ----------------------------------------------------------------------------


def _changes(
    expected: list[Change], actual: list[ItemChange], user: str, workspace: Workspace, zone: ZoneInfo
) -> list[str]:
    """Every expected change among the user's item changes, and no other change."""
    # Drive files are one store shared by every account (no owner on the change): a file's
    # change is judged whatever account holds it; mail and events are the user's own.
    left = [
        change
        for change in actual
        if change.kind in JUDGED_KINDS
        and change.owner.split("/")[0] in ((user, "") if change.kind == "file" else (user,))
    ]
    problems: list[str] = []
    trashes = [want for want in expected if isinstance(want, Trashed)]
    if trashes:  # one set of trashed messages: the union of every scope and item named
        union = Trashed(type="trashed", items=[ref for want in trashes for ref in want.items])
        scopes = [want.scope for want in trashes if want.scope is not None]
        used, problem = _trashed(union, scopes, left, user, workspace, zone)
        problems += [problem] if problem else []
        left = [change for change in left if change not in used]
    for want in (want for want in expected if not isinstance(want, Trashed)):
        used, problem = _match(want, left, user, workspace, zone)
        if problem:
            problems.append(problem)
        left = [change for change in left if change not in used]
    problems += [f"also changed: {_describe(change)}" for change in left]
    return problems


def _match(
    want: Change, changes: list[ItemChange], user: str, workspace: Workspace, zone: ZoneInfo
) -> tuple[list[ItemChange], str | None]:
    """The changes that satisfy `want` (and so are used up), or a problem saying why none does."""
    candidates = [c for c in changes if _kind_of(want) == c.kind]
    reasons: list[str] = []
    for change in candidates:
        reason = _check(want, change, user, workspace, zone)
        if reason is None:
            # A draft is a draft item pointing at a message labelled DRAFT: both are its.
            drafts = [c for c in changes if c.kind == "draft" and (c.after or {}).get("messageId") == change.id]
            return [change, *drafts], None
        reasons.append(reason)
    detail = f" ({'; '.join(dict.fromkeys(reasons))})" if reasons else ""
    return [], f"missing: {_want(want)}{detail}"


def _kind_of(want: Change) -> str:
    if isinstance(want, Sent):
        return "message"
    if isinstance(want, EventCreated | EventChanged | EventCancelled):
        return "event"
    return "file"


def _check(want: Change, change: ItemChange, user: str, workspace: Workspace, zone: ZoneInfo) -> str | None:
    """None when `change` is what `want` describes, else the first reason it is not."""
    if isinstance(want, Sent):
        return _check_sent(want, change, user, workspace, zone)
    if isinstance(want, EventCreated):
        return _check_created(want, change, workspace, zone)
    if isinstance(want, EventChanged):
        return _check_moved(want, change, zone)
    if isinstance(want, EventCancelled):
        return _check_cancelled(want, change, zone)
    assert isinstance(want, FileChanged)
    return _check_file(want, change)


def _check_sent(want: Sent, change: ItemChange, user: str, workspace: Workspace, zone: ZoneInfo) -> str | None:
    if change.before is not None or change.after is None:
        return "not a new message"
    message = change.after
    labels = message.get("labelIds", [])
    if want.type == "sent" and ("SENT" not in labels or "DRAFT" in labels):
        return "not sent"
    if want.type == "draft" and "DRAFT" not in labels:
        return "not a draft"
    index = message.get("index", {})
    to, cc = _emails(index.get("to", "")), _emails(index.get("cc", ""))
    if to != {e.lower() for e in want.to}:
        return f"to {sorted(to)}"
    if cc != {e.lower() for e in want.cc}:
        return f"cc {sorted(cc)}"
    subject = str(index.get("subject", ""))
    if want.subject_exact is not None and subject.strip() != want.subject_exact:
        return f"subject {subject!r}"
    if missing := [word for word in want.subject if _norm(word) not in _norm(subject)]:
        return f"subject {subject!r} lacks {missing}"
    body = str(index.get("text", ""))
    if missing := [phrase for phrase in want.body if _norm(phrase) not in _norm(body)]:
        return f"body lacks {missing}"
    if want.reply_to is not None:
        threads = {m.get("threadId") for m in workspace.messages(user) if _message_is(m, want.reply_to, zone)}
        if not threads:
            return f"(the task's reply_to {_ref(want.reply_to)} is not in the workspace)"
        if message.get("threadId") not in threads:
            return "not in the thread replied to"
    if want.forward_of is not None:
        originals = [m for m in workspace.messages(user) if _message_is(m, want.forward_of, zone)]
        if not originals:
            return f"(the task's forward_of {_ref(want.forward_of)} is not in the workspace)"
        carried = _norm(subject + " " + body)
        if not any(_norm(str(m.get("index", {}).get("subject", ""))) in carried for m in originals):
            return "does not carry the forwarded message"
    return None


def _trashed(
    want: Trashed,
    scopes: list[MessageScope],
    changes: list[ItemChange],
    user: str,
    workspace: Workspace,
    zone: ZoneInfo,
) -> tuple[list[ItemChange], str | None]:
    mailbox = [m for m in workspace.messages(user) if "TRASH" not in m.get("labelIds", [])]
    wanted = {m["id"] for m in mailbox if any(_message_is(m, ref, zone) for ref in want.items)}
    wanted |= {m["id"] for m in mailbox if any(_in_scope(m, scope, zone) for scope in scopes)}
    trashed = [c for c in changes if c.kind == "message" and _was_trashed(c)]
    got = {c.id for c in trashed}
    used = [c for c in trashed if c.id in wanted]
    if got == wanted and wanted:
        return used, None
    missing, extra = len(wanted - got), len(got - wanted)
    return used, f"trashed {len(got)} messages, {missing} of the {len(wanted)} intended missing, {extra} others"


def _was_trashed(change: ItemChange) -> bool:
    before = change.before or {}
    return "TRASH" not in before.get("labelIds", []) and (
        change.after is None or "TRASH" in change.after.get("labelIds", [])
    )


def _in_scope(message: dict[str, Any], scope: MessageScope, zone: ZoneInfo) -> bool:
    index = message.get("index", {})
    if scope.sender is not None and scope.sender.lower() not in str(index.get("from", "")).lower():
        return False
    if scope.subject is not None and _norm(scope.subject) not in _norm(str(index.get("subject", ""))):
        return False
    day = _message_day(message, zone)
    return not (scope.after is not None and day < scope.after) and not (
        scope.before is not None and day >= scope.before
    )


def _message_is(message: dict[str, Any], ref: ItemRef, zone: ZoneInfo) -> bool:
    index = message.get("index", {})
    if _norm(str(index.get("subject", ""))) != _norm(ref.title):
        return False
    if ref.day is not None and _message_day(message, zone) != ref.day:
        return False
    return ref.sender is None or ref.sender.lower() in str(index.get("from", "")).lower()


def _message_day(message: dict[str, Any], zone: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(int(message.get("internalDate", 0)) / 1000, zone).date()


def _check_created(want: EventCreated, change: ItemChange, workspace: Workspace, zone: ZoneInfo) -> str | None:
    if change.before is not None or change.after is None:
        return "not a new event"
    event = change.after.get("event", change.after)
    if event.get("status") == "cancelled" or event.get("recurringEventId"):
        return "not a new event"
    summary = str(event.get("summary", ""))
    if want.summary_exact is not None and summary.strip() != want.summary_exact:
        return f"title {summary!r}"
    if missing := [word for word in want.summary if _norm(word) not in _norm(summary)]:
        return f"title {summary!r} lacks {missing}"
    if want.all_day_on is not None:
        if event.get("start", {}).get("date") != want.all_day_on.isoformat():
            return f"not all day on {want.all_day_on}"
    else:
        start, end = _span(event, zone)
        if start is None or end is None:
            return "no start and end"
        if want.start is not None and start != _local(want.start, zone):
            return f"starts {start:%a %d %b %H:%M}"
        if want.start_after is not None and start < _local(want.start_after, zone):
            return f"starts {start:%a %d %b %H:%M}, before the window"
        if want.start_before is not None and start > _local(want.start_before, zone):
            return f"starts {start:%a %d %b %H:%M}, after the window"
        if want.duration_minutes is not None and (end - start) != dt.timedelta(minutes=want.duration_minutes):
            return f"lasts {int((end - start).total_seconds() // 60)} minutes"
        if busy := [email for email in want.free if workspace.busy(email, start, end)]:
            return f"{', '.join(busy)} busy then"
    attendees = {a.get("email", "").lower() for a in event.get("attendees", [])} - {
        str(event.get("organizer", {}).get("email", "")).lower()
    }
    if attendees != {e.lower() for e in want.attendees}:
        return f"attendees {sorted(attendees)}"
    location = str(event.get("location", ""))
    if missing := [word for word in want.location if _norm(word) not in _norm(location)]:
        return f"place {location!r}"
    rule = " ".join(event.get("recurrence", []))
    if missing := [part for part in want.recurrence if part.upper() not in rule.upper()]:
        return f"recurrence {rule!r} lacks {missing}"
    return None


def _occurrence_is(event: dict[str, Any], ref: ItemRef, zone: ZoneInfo) -> bool:
    """The event (or the occurrence it overrides) is the one `ref` names."""
    if _norm(str(event.get("summary", ""))) != _norm(ref.title):
        return False
    if ref.day is None:
        return True
    original = event.get("originalStartTime") or event.get("start", {})
    moment = _moment(original, zone)
    return moment is not None and moment.date() == ref.day


def _check_moved(want: EventChanged, change: ItemChange, zone: ZoneInfo) -> str | None:
    if change.after is None:
        return "removed"
    before = (change.before or {}).get("event")
    after = change.after.get("event", change.after)
    # An existing event is named by what it was; a new override by the occurrence it replaces.
    if not _occurrence_is(before if before is not None else after, want.event, zone):
        return "another event"
    if after.get("status") == "cancelled":
        return "cancelled, not changed"
    start, end = _span(after, zone)
    if start is None or end is None:
        return "no start and end"
    if want.start is not None and start != _local(want.start, zone):
        return f"starts {start:%a %d %b %H:%M}"
    if want.duration_minutes is not None and end - start != dt.timedelta(minutes=want.duration_minutes):
        return f"lasts {int((end - start).total_seconds() // 60)} minutes"
    if want.summary_exact is not None and str(after.get("summary", "")).strip() != want.summary_exact:
        return f"title {after.get('summary')!r}"
    attendees = {a.get("email", "").lower() for a in after.get("attendees", [])}
    if missing := [e for e in want.attendees_added if e.lower() not in attendees]:
        return f"{missing} not invited"
    if kept := [e for e in want.attendees_removed if e.lower() in attendees]:
        return f"{kept} still invited"
    return None


def _check_cancelled(want: EventCancelled, change: ItemChange, zone: ZoneInfo) -> str | None:
    if change.after is None:
        return "removed outright"  # the sandbox keeps cancelled events as tombstones
    after = change.after.get("event", change.after)
    before = (change.before or {}).get("event")
    is_series = bool(after.get("recurrence")) and _norm(str(after.get("summary", ""))) == _norm(want.event.title)
    if want.scope == "following":
        # The series ends before the named occurrence, keeping the ones before it.
        until = re.search(r"UNTIL=(\d{8})(T\d{6}Z?)?", " ".join(after.get("recurrence", [])))
        if not is_series or until is None or want.event.day is None or after.get("status") == "cancelled":
            return "the series was not ended there"
        last = dt.datetime.strptime(until.group(1), "%Y%m%d").date()
        kept_earlier = last >= want.event.day - dt.timedelta(days=31)
        # UNTIL is inclusive (RFC 5545): a timed UNTIL on the day itself ends the series
        # before that day's occurrence when it falls before the occurrence's start.
        ends_before = last < want.event.day or (
            last == want.event.day
            and until.group(2) is not None
            and _before_occurrence(until.group(0), after, want, zone)
        )
        return None if ends_before and kept_earlier else f"the series now ends {last}"
    if after.get("status") != "cancelled" or (before is not None and before.get("status") == "cancelled"):
        return "not cancelled"
    if want.scope == "all":
        return None if is_series else "not the whole series"
    return None if not after.get("recurrence") and _occurrence_is(after, want.event, zone) else "another occurrence"


def _before_occurrence(until: str, event: dict[str, Any], want: EventCancelled, zone: ZoneInfo) -> bool:
    """Whether a timed UNTIL ("UNTIL=20261119T135959Z") falls before the series' occurrence
    on the wanted day (its start time of day, on that day, in the series' zone, else `zone`)."""
    stamp = dt.datetime.strptime(until.removeprefix("UNTIL=").rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    start = event.get("start") or {}
    if "dateTime" not in start or want.event.day is None:
        return False
    first = dt.datetime.fromisoformat(str(start["dateTime"]).replace("Z", "+00:00"))
    local = first.astimezone(ZoneInfo(start["timeZone"]) if start.get("timeZone") else zone)
    occurrence = dt.datetime.combine(want.event.day, local.time(), local.tzinfo)
    return stamp < occurrence


def _check_file(want: FileChanged, change: ItemChange) -> str | None:
    before = (change.before or {}).get("file")
    after = (change.after or {}).get("file")
    if before is None or after is None:
        return "not an existing file changed"
    if _norm(str(before.get("name", ""))) != _norm(want.file.title):
        return "another file"
    if want.type == "file_renamed":
        return None if after.get("name") == want.name else f"named {after.get('name')!r}"
    if want.type == "file_trashed":
        return None if after.get("trashed") and not before.get("trashed") else "not trashed"
    roles_before = _roles(before)
    roles_after = _roles(after)
    email = (want.email or "").lower()
    if want.type == "file_unshared":
        return None if email in roles_before and email not in roles_after else "still shared"
    if roles_after.get(email) != want.role:
        return f"{email} has {roles_after.get(email) or 'no access'}"
    others = {k: v for k, v in roles_after.items() if k != email} != {
        k: v for k, v in roles_before.items() if k != email
    }
    return "others' access changed too" if others else None


def _roles(file: dict[str, Any]) -> dict[str, str]:
    return {
        str(p.get("emailAddress", "")).lower(): str(p.get("role"))
        for p in file.get("permissions", [])
        if p.get("emailAddress")
    }


# --- small helpers ----------------------------------------------------------------------


def _span(event: dict[str, Any], zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    return _moment(event.get("start", {}), zone), _moment(event.get("end", {}), zone)


def _moment(when: dict[str, Any], zone: ZoneInfo) -> dt.datetime | None:
    if "dateTime" in when:
        return dt.datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00")).astimezone(zone)
    if "date" in when:
        return dt.datetime.combine(dt.date.fromisoformat(when["date"]), dt.time(), zone)
    return None


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _says(text: str, words: str) -> bool:
    """`words` in `text` as whole words: "Sarah Chen" is not in "Sarah Cheng", nor "Tom" in "tomorrow"."""
    wanted = _norm(words)
    # "sarah.chen@" stands for any of her addresses: what follows the "@" is the domain.
    after = "" if wanted.endswith("@") else r"(?!\w)"
    return re.search(rf"(?<!\w){re.escape(wanted)}{after}", _norm(text)) is not None


def _emails(header: str) -> set[str]:
    return {match.lower() for match in _EMAIL.findall(header)}


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def _ref(ref: ItemRef) -> str:
    extra = "".join(f" {part}" for part in (ref.day and f"on {ref.day}", ref.sender and f"from {ref.sender}") if part)
    return f"{ref.service} {ref.title!r}{extra}"


def _fact(fact: Fact) -> str:
    if fact.text is not None:
        return " / ".join(repr(option) for option in fact.text)
    return str(fact.count if fact.count is not None else fact.date or fact.time)


def _want(want: Change) -> str:
    return want.model_dump_json(exclude_defaults=True)


def _describe(change: ItemChange) -> str:
    item = change.after or change.before or {}
    inner = item.get("event") or item.get("file") or item.get("message") or item
    title = inner.get("summary") or inner.get("name") or inner.get("index", {}).get("subject") or change.id
    state = "added" if change.before is None else "removed" if change.after is None else "modified"
    return f"{change.kind} {title!r} {state}"

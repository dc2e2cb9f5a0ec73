"""The offline path into the request frame: no language model.

    frame, slots = FrameReader(local_understanding(settings)).read(text, context)

The trained classifier and tagger (`local.py`) say which service, which group of
operations and which spans are people, dates and names; they stay one signal among
these. The readers of the words fill the rest of the frame:
- `quantities`: durations, shifts, "same time", order and count ("my next 1:1", "the 5
  newest"), "all", picks from the previous answer, what is asked, series, mail flags;
- `wording`: quoted text, a message's subject and body, an event's title or new name;
- `roles`: each person's part (from, to, cc, with).

A request naming two services in two clauses ("emails about the budget from Sarah and my
meetings with her next week") becomes a target and an `also` selection, each read from
its own clause, a pronoun in the second standing for the people of the first.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Literal
from zoneinfo import available_timezones

from rapidfuzz.distance import DamerauLevenshtein

from assistant.understanding import listing, quantities, scheduling, wording
from assistant.understanding.context import ConversationContext
from assistant.understanding.frame import (
    Act,
    Condition,
    EventSpec,
    Frame,
    ItemKind,
    Message,
    OutOfReach,
    PersonRef,
    Refinement,
    Role,
    Selection,
    Share,
    ShareAccess,
    ShareRole,
)
from assistant.understanding.local import SERVICE_CUES, LocalUnderstanding
from assistant.understanding.people import DEPARTMENTS, with_possessives
from assistant.understanding.roles import person_roles
from assistant.understanding.schema import EVERYONE, IntentDraft, Service
from assistant.understanding.when import TimeSplit, split_times, time_phrases

#: The draft's operation as the frame's act.
_ACTS: dict[str, Act] = {
    "search": "find",
    "read": "read",
    "send": "send",
    "draft": "draft",
    "reply": "reply",
    "forward": "forward",
    "create": "create",
    "update": "change",
    "delete": "delete",
    "share": "share",
}
_FREE_TIME = re.compile(
    r"\b(?:when am i|when are (?:we|\w+ and i)|am i)\b.*\b(?:free|available)\b|\bfree (?:slots?|time|hours?)\b"
    r"|\b(?:first|next|earliest) free\b|\bwhen (?:are|is) .* (?:all )?free\b|\bavailability\b"
)
_PREPARE = re.compile(
    r"\b(?:prep(?:are)?|brief|get me ready|ready for)\b.*\b(?:meeting|mtg|call|1:1|one-on-one)\b"
    r"|\b(?:next|upcoming)\s+(?:meeting|mtg|call)\b.*\b(?:prep|brief|ready|pull together|need|know)\b"
)
#: Getting ready for a named event: "prepare me for the roadmap review with Priya".
_PREPARE_FOR = re.compile(
    r"^(?:(?:please|pls|can you|could you)\s+)*(?:prep(?:are)?|get)\s+me\s+(?:ready\s+)?for\s+(?P<what>.+)$"
)
#: A catch-up on a subject, across mail, files and meetings: "catch me up on Atlas",
#: "what's the latest on Beacon", "where's Beacon at", "what do I need to know before X".
_BRIEFING = re.compile(
    r"\b(?:catch\s+me\s+up\s+on|catch\s+up\s+on|fill\s+me\s+in\s+on|brief\s+me\s+(?:on|about|for)"
    r"|update\s+me\s+on|(?:what'?s|whats)\s+the\s+latest\s+(?:on|with)|the\s+latest\s+on|status\s+of"
    r"|what\s+do\s+i\s+need\s+to\s+know\s+(?:before|about|for)|(?:where'?s|wheres|where\s+is)\s+(?P<at>.+?)\s+at)"
    r"\s*(?P<what>.*)$"
)
#: A look at a stretch of the calendar: "what does next week look like?", "summarise my week".
_AGENDA = re.compile(
    r"\b(?:look(?:s|ing)?\s+like|look(?:s|ing)?|summari[sz]e|sumarise|sumarize|summary\s+of|walk\s+me\s+through"
    r"|what'?s\s+on|whats\s+on|agenda|schedule)\b"
)
#: Kinds of item by the words that name them.
_KINDS: tuple[tuple[re.Pattern[str], ItemKind], ...] = (
    (re.compile(r"\bpdfs?\b"), "pdf"),
    (re.compile(r"\b(?:spreadsheets?|sheets?|excel|xlsx|csv)\b"), "spreadsheet"),
    (re.compile(r"\b(?:slides?|decks?|dek|presentations?|powerpoints?|pptx)\b"), "presentation"),
    (re.compile(r"\b(?:google docs?|word (?:docs?|documents?|files?)|docx)\b"), "document"),
    (re.compile(r"\b(?:images?|photos?|pictures?|screenshots?)\b"), "image"),
    (re.compile(r"\bnewslett?ers?\b"), "newsletter"),
    (re.compile(r"\binvoi?ces?\b"), "invoice"),
    (re.compile(r"\b(?:flights?|bookings?|reservations?|hotels?|trains?|trips?|tickets?)\b"), "booking"),
)
_REPLY_ALL = re.compile(
    r"\breply(?:ing)?[ -](?:to )?(?:all|everyone)\b|\b(?:reply|replying|respond|answer)\s+to\s+everyone\s+on\b"
)
_RENAME = re.compile(r"\b(?:rename|call it|retitle)\b|\bchange\s+the\s+(?:title|name)\s+of\b")
#: A verb that renames, typed as people type it ("renmae", "renaming").
_RENAMING = re.compile(r"\b(?:re-?nam(?:e|ed|ing)|renmae|retitle)\b|\bchange\s+the\s+(?:title|name)\s+of\b")
_ALL_DAY = re.compile(r"\ball[ -]day\b")
_RECURRENCE = re.compile(
    r"\bevery (?:other |second )?(?:day|week|weekday|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\bevery (?:2|two) weeks\b"
    r"|\b(?:weekly|fortnightly|biweekly|bi-weekly|daily|monthly|recurring)\b"
    r"|\b(?:on )?(?:mondays|tuesdays|wednesdays|thursdays|fridays)\b"
)
#: Zones by the names people use: a city of the zone database ("London time", "New York
#: time") or an abbreviation.
_CITIES = sorted(
    {zone.rsplit("/", 1)[-1].replace("_", " ").lower() for zone in available_timezones() if "/" in zone}, key=len
)
_ZONE = re.compile(
    rf"\b({'|'.join(re.escape(city) for city in reversed(_CITIES))}) time\b"
    r"|\b(utc|gmt|cet|cest|bst|est|edt|pst|pdt|uk time|us eastern|pacific time|eastern time|central time)\b"
)
#: One spelling for the one-on-one meeting, as calendars title it.
_ONE_ON_ONE = re.compile(r"\b(?:one[ -]on[ -]one|1[ -]on[ -]1|1:1|1-1)s?\b")
_EDIT = re.compile(r"\b(?:edit|editor|editing|edits|write|writer|modify|make changes|full access)\b")
_COMMENT = re.compile(r"\bcomm?ent")
#: A role refused ("not edit it", "doesn't need to edit"): not the role given.
_NOT_ROLE = re.compile(r"(?:\bnot|n't|\bnever|\bno longer|\bwithout)\s+(?:\w+\s+){0,3}?(?:edit\w*|comment\w*|write)\b")
#: Taking someone's access away ("stop sharing it with Tom", "take Sarah off the sheet").
_REVOKE = re.compile(
    r"\b(?:stop sharing|unshare|un-share|no longer share)\b"
    r"|\b(?:remove|revoke|take away|cut off)\s+(?:\w+(?: \w+)?'s\s+|his |her |their )?(?:access|permissions?)\b"
    r"|\b(?:take|remove|kick)\s+\w+(?: \w+)?\s+(?:off|out of|from)\s+(?=.*\b(?:sheets?|spreadsheets?|docs?|documents?"
    r"|files?|decks?|slides?|pdfs?|folders?|prd|one-?pagers?)\b)"
)
#: Changing someone's access to exactly a role, a downgrade included.
_SET_ACCESS = re.compile(
    r"\bchange (?:\w+(?: \w+)?'s |his |her |their )?(?:access|permissions?|role)\b|\bdowngrade\b"
    r"|\bonly (?:be able to |)(?:view|veiw|see|read|comment)\b"
    r"|\bmake \w+(?: \w+)? (?:a |an )?(?:view(?:er|-only| only)|read[- ]only|commenter)\b"
)
_UNLESS_MEETING = re.compile(
    r"\b(?:unless|if (?:we|\w+ and i) (?:don't|do not|haven't))\b.*\b(?:meet|meeting|something|already)\b"
)
_IF_FREE = re.compile(
    r"\bif (?:i(?:'m| am)? (?:have nothing|free)|i(?:'ve| have)? (?:got )?nothing|.* (?:is|are) (?:free|empty|clear))\b"
    r"|\bif (?:there's |there is )?nothing(?:'s| is)? (?:booked|on|scheduled|planned|in (?:my|the) calendar)\b"
    r"|\bif (?:i'm|i am) (?:not busy|available)\b"
)
_NARROW = re.compile(r"^(?:ok |okay |now )?(?:only|just)\b|\bnarrow\b|\bkeep (?:just|only)\b|\bonly (?:show|the)\b")
_NEXT_PAGE = re.compile(
    r"^(?:(?:and|ok|okay|now|then|could you|can you|please|pls)\s+)*(?:show|sho|list|give|see|get)?(?:\s+me)?"
    r"\s*(?:(?:a few|some|a couple|\d+|a bit|any)\s+)?more\b|\bnext page\b|\b(?:the )?next (?:ones|\d+|few)\b"
    r"|\b(?:a few|some|\d+) more\b|\bthe rest\b|\bkeep going\b"
)
#: A step from the previous answer's item to the one before or after it in the same run:
#: "and the one before that?", "the 1 befor that", "and when do I come back?".
_EARLIER = re.compile(
    r"\b(?:one|1|email|meeting|event|update|time|them)?\s*(?:before|befor|prior to|preceding)\s+(?:that|this|it|then)\b"
)
_LATER = re.compile(
    r"(?<!day )(?<!week )(?<!month )(?<!year )"
    r"\b(?:one|1|email|meeting|event|update|time)?\s*(?:after|aftr)\s+(?:that|this|it)\b(?!\s+\w)"
    r"|\b(?:come|coming|fly|flying|get|getting|go|going|head|heading)\s+(?:back|home)\b|\breturn(?:ing)?\s+(?:flight|trip|leg)\b"
)
_OTHER_ONE = re.compile(r"\bthe other (?:one|email|event|file|meeting)\b")
_PRONOUNS = re.compile(r"\b(?:her|him|them)\b")
#: A change to an event that exists: a move by a duration, "same time", a resize of an
#: event named by its day ("Thursday's 1:1") or by "the"/"my".
_CHANGES_EXISTING = re.compile(
    r"\b(?:earlier|later|same time|push(?:ed)? back|bring (?:it )?forward|extend|shorten|longer|shorter)\b"
    r"|\bmake (?:the|my|our|\w+'s) .+ (?:an? |\d+ ?)(?:hour|hr|min)"
)
#: A resize said with a verb the classifier does not know: "cut the roadmap review to an hour".
_RESIZE = re.compile(
    r"\b(?:cut|trim|reduce|lengthen|stretch)\b.+\b(?:to|by)\s+(?:an?\s+|half\s+an?\s+|\d+\s*)(?:hour|hr|h\b|min)"
)
_TELL = re.compile(
    r"^(?:please |can you |could you )?"
    r"(?:tell|let (?!me\b|us\b)\w+(?: \w+){0,3} know|inform|notify|message) (?!me\b|us\b|about\b|all\b)"
)
#: The verbs that open a request to change something, and their acts; a verb typed one
#: letter off ("delte", "cancle", "mvoe") still counts.
_LEADING_VERBS: dict[str, Act] = {
    "delete": "delete",
    "trash": "delete",
    "cancel": "delete",
    "remove": "delete",
    "move": "change",
    "reschedule": "change",
    "forward": "forward",
    "reply": "reply",
    "answer": "reply",
    "respond": "reply",
    "share": "share",
    "fwd": "forward",
    "unshare": "share",
    "rename": "change",
    "email": "send",
    "send": "send",
    "draft": "draft",
    "book": "create",
    "schedule": "create",
}
_OPENING = re.compile(
    r"^(?:(?:hi|hey|hello|please|pls|can you|could you|would you mind|do you mind|would you|kindly)[,!]?\s+)*([a-z]+)"
)
#: Things that come by mail: deleting them is trashing mail ("delete the CloudNest invoices").
_MAIL_KINDS = re.compile(
    r"\b(?:e-?mails?|mails?|invoi?ces?|newslett?ers?|receipts?|reciepts?|messages?|inbox|notificat?i?ons?"
    r"|promos?|promotions?|promotional)\b"
)
_DRIVE_WORDS = re.compile(
    r"\b(?:sheets?|spreadsheets?|docs?|documents?|files?|decks?|slides?|pdfs?|folders?|one-?pagers?)\b"
)
_NXT = re.compile(r"\bnxt\b", re.IGNORECASE)


def _all_of_them(lowered: str, count: int | None) -> bool:
    """A delete of a place cleared or of things named in the plural, no number said."""
    return bool(_CLEAR.search(lowered)) or (count is None and bool(_PLURAL.search(lowered)))


#: Things named in the plural.
_PLURAL = re.compile(
    r"\b(?:e-?mails|mails|messages|invoi?ces|receipts|reciepts|notifications|notificatons|newslett?ers|updates"
    r"|alerts|promos|promotions|reminders|meetings|events|files|ones|bookings)\b"
)
#: Clearing out a place: everything in it ("clear my calendar", "wipe my inbox").
_CLEAR = re.compile(r"\b(?:clear|wipe|empty|purge)\b|\beverything in\b")
#: A condition opening the request: "if I've nothing on Friday afternoon, ...".
_LEADING_CONDITION = re.compile(r"^(?:(?:could you|can you|please)\s+)?(?:if|unless|only if)\b[^,]*,\s*", re.IGNORECASE)
#: Items named by their own name: "an email called 'X'", "with the subject 'X'".
_NAMED_AS = re.compile(
    r"\b(?:called|titled|named|entitled|subject(?:\s+line)?(?:\s+of)?)\s*:?\s*(?=['\"\u201c\u2018])", re.I
)
#: A request that opens by addressing someone: a message to send.
_MESSAGE_OPENER = re.compile(
    r"^(?:(?:hi|hey|ok|okay|please|pls|can you|could you|would you(?: mind)?|kindly)[,!]?\s+)*"
    r"(?:e-?mail|emial|emal|emali|write\s+to|message|tell(?!\s+(?:me|us|about)\b)|let\s+(?!me\b|us\b)\w+(?:\s+\w+){0,3}\s+know"
    r"|send\s+(?!me\b)\w+(?:\s+\w+)?\s+(?:a|an)\s+(?:quick\s+|short\s+)?(?:note|e-?mail|mail|message|line))\s+(?!me\b)"
)
#: Words naming an event, for a reply that answers a meeting rather than mail.
_EVENT_WORDS = re.compile(r"\b(?:meeting|invite|invitation|event|call|calendar|1:1|standup|review)\b")
#: Verbs that do something, for telling a list of things apart from a request to act.
_DOING = re.compile(r"\b(?:book|schedule|add|create|set up|arrange|invite|move|cancel|delete|remove|share|let)\b")
#: A file's link as what a message carries: "the link to the roadmap deck", "the deck link".
_LINK = re.compile(
    r"\b(?:links?|url)\s+(?:to|for|of)\b|\b(?:deck|doc|document|sheet|spreadsheet|slides|file|model|pdf)\s+links?\b"
)
_REPLY_WORDS = re.compile(r"\b(?:reply|replies|respond|response|answer|re:)\b")
_FORWARD_WORDS = re.compile(r"(?<!look )(?<!looking )(?<!looks )\b(?:forward|fwd|fw|pass on|pass along)\b")
_GET_RID = re.compile(
    r"\b(?:get rid of|clear out|purge|erase|throw away|throw out)\b"
    r"|\btake\b.{0,40}\b(?:out of|off)\s+(?:my|the)\s+(?:calendar|calender|diary|inbox)\b"
)
_TO_TRASH = re.compile(r"\b(?:to|in|into) the (?:trash|bin|rubbish)\b|\b(?:bin|trash) (?:every|all|them|it)\b|^bin\b")
#: A verb that sends: "email" and "mail" only where a request opens with them.
_SENDING = re.compile(
    r"\b(?:send|write|compose|start|open|message|tell|drop|shoot|publish|respond|reply|forward|new)\b"
    r"|^(?:\w+\s+)?(?:(?:please|pls|can you|could you|hey|i want to|i would like to)\s+)*(?:e-?mail|mail)\b"
)
_DRAFTING = re.compile(r"\bdraft(?:ing|ed)?\b|\b(?:don't|do not|not) send\b|\bi'll send it myself\b")
_CREATE_VERB = re.compile(
    r"\b(?:book|schedule|add|put|create|set up|arrange|block|invite|organi[sz]e|plan|remind|i have)\b"
)
#: Words that lead a tagged title without being part of it ("my next 1:1", "tomorrow's standup").
_LEADING = re.compile(
    r"^(?:(?:my|our|the|a|an|this|that|next|last|latest|upcoming|first|\w+day's|tomorrow's|today's|tonight's"
    r"|weekly|daily|monthly|fortnightly|recurring|regular)\s+)+"
)
#: Where a request's second clause starts: "..., and my meetings with her next week".
_CLAUSE = re.compile(r"\s*(?:,\s*)?(?:\band also\b|\band\b|\+|\balso\b|\bplus\b|\bas well as\b)\s+")


class FrameReader:
    """The offline reader: the trained models' draft, completed by the readers of the words."""

    def __init__(self, local: LocalUnderstanding) -> None:
        self._local = local

    def read(self, text: str, context: ConversationContext | None = None) -> tuple[Frame, dict[str, list[str]]]:
        """The frame of `text` and the tagger's spans (for `concierge eval intent`)."""
        text = _possessives_outside_quotes(text)
        previous = (context.last_search or context.last_frame) if context is not None else None
        if (condition := scheduling.they_are_free(text)) is not None:
            # "if Sarah's free at 3 on Friday, set up 30 minutes with her": the booking, on
            # the condition that she (and the user) are free then.
            draft = self._local.understand(condition.booking, context)
            booked = frame_from(draft, condition.booking, None)
            return scheduling.on_condition(booked, condition), draft.slot_values()
        said = scheduling.free_time_words(text)
        if said.said and not said.question:
            # "book an hour with Daniel next week when we're both free": read without the
            # clause saying whose time counts (it is no title), as the booking it is.
            booking = scheduling.as_booking(said.rest)
            draft = self._local.understand(booking, context)
            return scheduling.scheduled(frame_from(draft, booking, None), said, text), draft.slot_values()
        draft = self._local.understand(text, context)
        frame = frame_from(draft, text, previous)
        if said.said:
            frame = scheduling.scheduled(frame, said, text)
        last = context.last_frame if context is not None else None
        if last is not None and (named := _title_answered(last, frame, text)) is not None:
            return named, draft.slot_values()
        return frame, draft.slot_values()


#: How an answer to "what should I call it?" may start: "call it ...", "it's for ...".
_TITLE_LEAD = re.compile(
    r"^\s*(?:(?:let'?s\s+|please\s+)?(?:call|name|title)\s+it\s*:?|it'?s\s+(?:for|about|called)?|it\s+is\s+(?:for|about)?"
    r"|(?:the\s+)?(?:title|name)\s+is|for|about)\s*",
    re.IGNORECASE,
)


def _title_answered(last: Frame, frame: Frame, text: str) -> Frame | None:
    """The previous request, named, when it was a new event with no name (the answer
    asked what to call it) and this message only names it: "Q1 planning", "call it the
    pricing sync". A message that asks or does something else is read as itself."""
    if last.act != "create" or last.event is None or last.event.title or last.target.title or last.target.topic:
        return None
    said = frame.target
    if frame.act not in ("find", "read") or said.people or said.time or _named_services(text) or len(text.split()) > 8:
        return None
    title = _TITLE_LEAD.sub("", text).strip().strip("\"'\u201c\u201d\u2018\u2019.!")
    title = re.sub(r"^(?:the|a|an)\s+(?=\S)", "", title, flags=re.IGNORECASE)  # "call it the Q1 review"
    if not title or "?" in title:
        return None
    title = title[:1].upper() + title[1:]
    return last.model_copy(update={"event": last.event.model_copy(update={"title": title}), "clarification": None})


def _possessives_outside_quotes(text: str) -> str:
    """`text` with names' possessives spelt out ("daniels emial" is "daniel's emial"),
    except inside quotes: what a message says stays as written."""
    pieces, start = [], 0
    for quoted in wording.quoted_spans(text):
        pieces += [with_possessives(text[start : quoted.start]), text[quoted.start : quoted.end]]
        start = quoted.end
    return "".join([*pieces, with_possessives(text[start:])])


def frame_from(draft: IntentDraft, text: str, previous: Frame | None = None) -> Frame:
    """The frame of `text`, from the models' draft of it and its words; a follow-up that
    narrows or continues the `previous` request is that request, changed."""
    frame = _fresh_frame(draft, text)
    if previous is None:
        return frame
    lowered = text.lower()
    if _NARROW.search(lowered) and not frame.target.picks:
        return _narrowed(previous, frame)
    if _NEXT_PAGE.search(lowered) and _says_nothing_new(frame):
        target = previous.target.model_copy(update={"previous": False, "picks": []})
        return previous.model_copy(update={"target": target, "refine": Refinement(kind="next_page")})
    if frame.ask not in ("list", "count") and _says_nothing_new(frame, _ASKED_OF_IT):
        # "who's coming?", "where is it?", "how much was it?": about the item just shown.
        return frame.model_copy(update={"target": frame.target.model_copy(update={"previous": True, "topic": None})})
    named = _MONTH_OR_DAY.search(lowered)
    when = frame.target.time or (named.group(1) if named else None)
    possessive = named is not None and named.group(0) != named.group(1)  # "septembers", "september's"
    if when and (_ONE_OF_THEM.search(lowered) or possessive) and not frame.target.picks:
        # "how much was the September one?": the previous answer's item of that time.
        target = frame.target.model_copy(update={"previous": True, "time": when, "topic": None})
        return frame.model_copy(update={"target": target})
    if _MINE_TOO.search(lowered):
        # "include my replies too": the previous mail from them, and the user's to them.
        people = [p.model_copy(update={"role": "with"}) if p.role == "from" else p for p in previous.target.people]
        target = previous.target.model_copy(update={"people": people, "sent_by_me": False})
        return previous.model_copy(update={"target": target, "refine": Refinement(kind="widen")})
    if (step := _RELATIVE_IN_TEXT.search(lowered)) is not None and previous.target.time:
        # "what about the week after?": the previous request, a week on from its time.
        said = frame.target.model_copy(update={"time": f"the {step.group(1)} {step.group(2)}", "topic": None})
        return _continued(previous, frame.model_copy(update={"target": said}), _named_services(text))
    if _EARLIER.search(lowered) or _LATER.search(lowered):
        return _stepped(previous, frame, "earlier" if _EARLIER.search(lowered) else "later")
    if (frame.refine is not None and frame.refine.kind == "widen") or _WHAT_ABOUT.search(lowered):
        return _continued(previous, frame, _named_services(text))
    return frame


def _named_services(text: str, *, but: Service | None = None) -> list[Service]:
    """The services the words name ("in my calendar", "emails"), but `but`."""
    lowered = text.lower()
    return [service for service, cue in SERVICE_CUES.items() if service != but and cue.search(lowered)]


#: Words of a look at the calendar that name nothing in it.
_AGENDA_WORDS = frozenset(
    "look looks looking like summarise summarize sumarise summary week walk through agenda schedule whats what's on "
    "day days matter matters important".split()
)


def _an_agenda(target: Selection, lowered: str) -> bool:
    """A look at a stretch of the calendar: a time (or "my week") and no subject."""
    said = [word for word in (target.topic or "").lower().split() if word not in _AGENDA_WORDS]
    stretch = target.time or re.search(r"\bmy week\b|\bthe week\b", lowered)
    return bool(stretch) and not said and not target.title and not target.people and bool(_AGENDA.search(lowered))


def _briefing(lowered: str, text: str) -> Frame | None:
    """ "catch me up on Atlas": the subject's recent mail, files and meetings, side by side."""
    match = _BRIEFING.search(lowered)
    if match is None:
        return None
    said = (match.group("at") or match.group("what") or "").strip(" ?.!,")
    said = re.sub(r"^(?:(?:the|my|our|project|where|how|what)\s+)+", "", said)
    said = re.sub(r"(?:\s+(?:please|pls|now|stands?|is|are|at|going|doing))+$", "", said)
    if not said or len(said) > 60:
        return None
    topic = _as_written(said, text)
    # "what do I need to know before the Q4 review": an event first; "catch me up on Atlas": the mail.
    order: list[Service] = (
        ["calendar", "gmail", "drive"] if re.search(r"\bneed to know\b", lowered) else ["gmail", "drive", "calendar"]
    )
    target = Selection(service=order[0], topic=topic)
    also = [Selection(service=service, topic=topic) for service in order[1:]]
    return Frame(act="find", ask="list", services=order, target=target, also=also)


def _fresh_frame(draft: IntentDraft, text: str) -> Frame:
    lowered = _respelt(text.lower())
    if not _PREPARE.search(lowered) and (briefing := _briefing(lowered, text)) is not None:
        return briefing  # ("brief me on my next call" prepares for it)
    draft = _cleaned(draft, text)
    act = _act(draft, lowered)
    guests = _guest_change(text, _mentions(draft, text))
    if guests is not None:  # "add Hannah to the Beacon kickoff", "take Daniel off the roadmap review"
        act = "change"
        draft = draft.model_copy(update={"services": ["calendar"]})
    if act == "delete" and _DRIVE_WORDS.search(lowered) and not _MAIL_KINDS.search(lowered):
        draft = draft.model_copy(update={"services": ["drive", *(s for s in draft.services if s != "drive")]})
    # Kinds of mail, and mail's own states ("yesterday's unread count"), are mail.
    mail_kinds = (_MAIL_KINDS.search(lowered) or quantities.mail_flags(text).unread) and not _named_services(
        text, but="gmail"
    )
    if (act == "delete" and (_TO_TRASH.search(lowered) or mail_kinds)) or (act in ("find", "read") and mail_kinds):
        draft = draft.model_copy(update={"services": ["gmail", *(s for s in draft.services if s != "gmail")]})
    ask = quantities.ask_kind(text)
    asked_only = _only_asks(ask, lowered) and act in ("find", "create", "change", "read", "send", "draft")
    if asked_only:
        # "Could you remind me when my flight leaves?", "the press release draft: who's it
        # from?", "brightwave call - when + with who": a question makes nothing.
        act = "find"
    if act in ("find", "read") and (place := _IN_SERVICE.search(lowered)) is not None:
        # "what was modified in Drive on Tuesday?": the place said is where to look first.
        named: Service = _IN_SERVICE_NAMES[place.group(1)]
        draft = draft.model_copy(update={"services": [named, *(s for s in draft.services if s != named)]})
    if act == "find" and (_SENDER_ASKED.search(lowered) or _SAID_IN_MAIL.search(lowered)):
        # "who sent over the draft press release?": whoever sends something sends mail.
        draft = draft.model_copy(update={"services": ["gmail", *(s for s in draft.services if s != "gmail")]})
    if act in ("send", "find", "create") and _DRAFTING.search(lowered) and not asked_only:
        act = "draft"  # "would you mind drafting an email", "prepare a draft (don't send it yet)"
    # "draft a reply to Tom's budget email": a reply, kept as a draft.
    drafted_reply = act == "draft" and _REPLY_WORDS.search(_without_quotes(text).lower()) is not None
    if drafted_reply:
        act = "reply"
    if act == "send" and not draft.people and not _SENDING.search(lowered):
        act = "find"  # "istanbul flight - booking email": no verb sends anything
    unquoted = _without_quotes(text).lower()
    linked = act in ("send", "share", "draft", "forward") and _LINK.search(unquoted) is not None
    if linked:
        act = "draft" if act == "draft" else "send"  # "send Daniel the link to the deck": a message
        draft = draft.model_copy(update={"services": ["gmail", "drive"]})
    verbless = _leading_verb(lowered) is None and not _SENDING.search(lowered) and not _DOING.search(lowered)
    # (A list the classifier took for a message or a new event: "Lena Fischer: her offer emails and ...".)
    parts = listing.listed_parts(text) if act in ("find", "read") or (verbless and act in ("send", "create")) else []
    if parts:
        # "Lena Fischer: her offer emails and her first day in my calendar": a look in each
        # service the parts name, whatever act the classifier saw in the words.
        act = act if act in ("find", "read") else "find"
        draft = draft.model_copy(update={"services": list(dict.fromkeys(part.service for part in parts))})
    question = re.match(r"^(?:who|who's|whos|is|does|do|has|have|can|are)\b", lowered)
    if act == "share" and question:
        act, ask = "find", "access"  # "who can edit the roadmap?", "does anyone else have edit rights?"
    if ask == "who" and act == "find" and (_DRIVE_WORDS.search(lowered) or "drive" in draft.services[:1]):
        ask = "access"  # "who's on the Q4 Financial Review sheet?": people of a file are who has access
    if act in ("reply", "forward") and "gmail" not in draft.services and not _EVENT_WORDS.search(lowered):
        # "Answer Sarah Chen's newest message": mail, whatever the classifier saw.
        draft = draft.model_copy(update={"services": ["gmail", *draft.services]})
    services = _services(act, ask, list(draft.services) or ["gmail"])
    writes_message = act in ("send", "draft", "reply", "forward")
    # What a message says is not what selects the mail it answers: "reply to Sarah's email
    # saying I'll look tonight" selects no mail from tonight.
    body = (wording.message_content(text).body or "") if writes_message else ""
    # Nor is a rename's new name: "rename the itinerary to Istanbul 2-5 Dec" selects no date.
    renamed, new_name = wording.rename_parts(text) if act == "change" else (None, None)
    selecting = text.replace(body or new_name or "\x00", " ")
    # Nor is why: "share the sheet with Priya so she can read it before Tuesday" selects
    # no sheet from before Tuesday.
    purpose = _PURPOSE.search(selecting)
    times = split_times(selecting[: purpose.start()] if purpose else selecting, act)
    if new_name:  # "rename the call tomorrow to '...'": tomorrow says which call, not when it moves
        times = TimeSplit(selects=" ".join(filter(None, [times.selects, times.new])) or None)
    draft = draft.model_copy(update={"when": times.selects, "new_time": times.new})
    mentions = [_with_surname(m, text) for m in _mentions(draft, text if writes_message else "")]
    addressed = _addressed(selecting) if writes_message else {}
    if addressed:
        # Names right after a sending verb or a cc are people, whatever the tagger saw:
        # "emial daniel, subject ...", "Write to Mehmet at Anadolu", "cc Hannah".
        known = {m.lower() for m in mentions}
        mentions = [*mentions, *(name for name in addressed if name.lower() not in known)]
    people = person_roles(text, mentions)
    people = [
        p.model_copy(update={"role": addressed[p.name]}) if p.role in ("any", "with") and p.name in addressed else p
        for p in people
    ]
    if linked:
        # "share the link to the one-pager with Tom by email": whoever gets the link receives the email.
        people = [p.model_copy(update={"role": "to"}) if p.role in ("with", "any") else p for p in people]
    lookup = act in ("find", "read", "free_time", "prepare")
    checked: list[PersonRef] = []
    clauses = _clauses(text, services) if lookup and len(services) > 1 and not parts else []
    if parts:
        target, *also = _listed_selections(parts, draft, act)
    elif clauses:
        target = _selection(clauses[0][1], clauses[0][0], draft, act)
        also = [_selection(clause, service, draft, act, earlier=target.people) for service, clause in clauses[1:]]
        target, also = _shared_topic(target, also)
    else:
        service = "drive" if linked else _target_service(act, services, lowered)
        # The file whose link is sent is looked up as a lookup would.
        target = _selection(selecting, service, draft, "find" if linked else act, people=people)
        also = []
        if target.service == "drive" and act == "change":
            services = ["drive", *(s for s in services if s != "drive")]
    if lookup and target.service == "calendar" and _an_agenda(target, lowered):
        # "what does next week look like?", "summarise my week": every event of it, in order.
        week = "this week" if re.search(r"\bmy week\b|\bthe week\b|\bthis week\b", lowered) else None
        target = target.model_copy(
            update={"order": "earliest", "every": True, "topic": None, "time": target.time or week, "count": None}
        )
    if ask == "when" and target.service == "calendar" and target.order == "relevance" and not target.time:
        # "when do I fly to Istanbul?" is the coming one; "when did we meet?" the last one.
        past = re.search(r"\b(?:did|was|were|had)\b", lowered)
        target = target.model_copy(update={"order": "latest" if past else "next", "count": target.count or 1})
    if ask == "access":
        # "is the one-pager shared with Daniel?": Daniel is who to check, not whose files;
        # "can I edit it?", "what access do I have?": the user is.
        checked = [p for p in target.people if p.role != "from"]
        if not checked and _MY_ACCESS.search(lowered):
            checked = [PersonRef(name="me")]
        target = target.model_copy(
            update={"people": [p for p in target.people if p.role == "from"], "service": "drive"}
        )
        services = ["drive", *(s for s in services if s != "drive")]
        people = [p for p in people if p not in checked]
    frame = Frame(
        act=act,
        ask=ask,
        services=services,
        target=target,
        also=also,
        message=_message(text, people, link=linked, draft=drafted_reply)
        if act in ("send", "draft", "reply", "forward")
        else None,
        event=_event(text, draft, people, act) if act in ("create", "change") else None,
        rename=new_name or (_new_title(text) if act == "change" and _RENAME.search(lowered) else None),
        share=_share(lowered, people)
        if act == "share"
        else Share(people=[p.name for p in checked])
        if ask == "access" and checked
        else None,
        refine=_refinement(lowered, draft),
        condition=_condition(lowered, draft, people),
        out_of_reach=_out_of_reach(lowered),
        # A rename said in full leaves nothing for the classifier's question to settle.
        clarification=None
        if new_name
        or parts
        or _said_plainly(draft, lowered)
        or (asked_only and _unsure_of(draft, "operation"))
        or (mail_kinds and _unsure_of(draft, "service"))
        else draft.clarification,
        confidence=draft.confidence,
    )
    named_as = _NAMED_AS.search(text)
    if named_as and act not in ("send", "draft", "create", "reply", "forward") and not renamed:
        # "delete every email called 'invoice reminder'": the items' own name, as written.
        quoted = next((q.text for q in wording.quoted_spans(text) if q.start >= named_as.end() - 1), None)
        if quoted:
            frame.target = frame.target.model_copy(update={"title": quoted, "topic": None})
    if renamed and not time_phrases(renamed):
        # "rename 'Beacon PRD' to ...": the item is what the words before "to" name.
        said = _kinds_outside(selecting.lower(), renamed.lower())
        kinds = [kind for pattern, kind in _KINDS if pattern.search(said)]
        frame.target = frame.target.model_copy(update={"title": renamed, "topic": None, "kinds": kinds})
    if new_name:
        frame.target.people = [p for p in frame.target.people if p.name.lower() not in new_name.lower()]
    if act == "delete" and "booking" in frame.target.kinds:
        frame.target = _a_booking_or_its_entries(frame.target, lowered)
    addressed_only = frame.message is not None and all(p.name in frame.message.to for p in frame.target.people)
    if act == "reply" and frame.message is not None and frame.message.to and addressed_only:
        # "reply to Daniel saying ok": Daniel's latest email is answered (the reply goes to him).
        if not frame.target.previous and not frame.target.picks:
            whose = [PersonRef(name=name, role="from") for name in frame.message.to]
            order = frame.target.order if frame.target.order != "relevance" else "latest"
            frame.target = frame.target.model_copy(update={"people": whose, "order": order, "count": 1})
            frame.message = frame.message.model_copy(update={"to": []})
    if guests is not None:
        who, event_words, removing = guests
        # Only who comes or goes changes: "next Thursday" names the event, it is no new time.
        frame.event = EventSpec(attendees=[] if removing else who, uninvited=who if removing else [])
        frame.target = _selection(event_words, "calendar", draft, "change")
        if not frame.target.title and frame.target.topic:  # what they join is named by its title
            frame.target = frame.target.model_copy(update={"title": frame.target.topic, "topic": None})
        frame.target.people = [p for p in frame.target.people if p.name.lower() not in " ".join(who).lower()]
        frame.clarification = None  # (the classifier's "Drive or calendar?" is settled)
    if act == "delete" and frame.target.service == "calendar" and _ENDS_A_SERIES.search(lowered):
        # "end the recurring 1:1 with Daniel", "stop our weekly one-on-ones": from now on.
        frame.target = frame.target.model_copy(update={"series": "following"})
    if frame.target.series != "one" and frame.target.service == "calendar" and act in ("delete", "change"):
        # "cancel all the future ones": the series from its next occurrence, not each one found.
        frame.target = frame.target.model_copy(update={"every": False, "order": "next", "count": 1})
    if frame.target.title and frame.target.topic and frame.target.title.lower() in frame.target.topic.lower():
        frame.target = frame.target.model_copy(update={"topic": None})  # the name said, and more words
    if frame.event is not None and frame.condition is not None and frame.condition.kind == "free":
        # "if I've nothing on between 1 and 5 on Tuesday, block it": the time the condition names.
        event = frame.event.model_copy(
            update={
                "start": frame.event.start or frame.condition.time,
                "duration_minutes": frame.event.duration_minutes or _range_minutes(frame.condition.time or ""),
            }
        )
        frame = frame.model_copy(update={"event": event})
    shared = _shared_items(text) if act == "share" and frame.share and frame.share.access != "revoke" else []
    if len(shared) > 1:
        # "share the Beacon PRD and the interview synthesis with Hannah": each file, the same way.
        frame.target, *frame.also = [_selection(words, "drive", draft, act) for words in shared]
    clash = _clash(text) if act in ("find", "read", "change", "delete") else None
    done_if = _ACT_AFTER_CLASH.search(lowered) if clash is not None else None
    if clash is not None and act in ("find", "read") and done_if:
        # "check whether next week's 1:1 overlaps another meeting and, if it does, cancel it"
        act = frame.act = "delete" if done_if.group(0) in _CANCELLING else "change"
    if clash is not None and act in ("change", "delete"):
        # "cancel tomorrow's standup if it clashes with the Q4 review": the event acted on is
        # the one the request names outside the condition, checked against the other.
        target_words, other_words = clash
        other = _selection(other_words, "calendar", draft, "find") if other_words else None
        frame.target = _selection(target_words, "calendar", draft, act)
        frame.condition = Condition(kind="overlaps", other=other)
        frame.services = ["calendar"]
        if frame.clarification is not None and frame.clarification.kind in ("operation", "service"):
            frame.clarification = None  # the act and the calendar are said
    return _assign_people(frame, people)


#: What to do to an event if it clashes: the verb said after the condition.
_CANCELLING = frozenset({"cancel", "delete", "remove", "drop", "bin"})
_CLASH_ACTS = "|".join([*_CANCELLING, "move", "push", "shift", "reschedule"])
_ACT_AFTER_CLASH = re.compile(rf"\b(?:{_CLASH_ACTS})\b")
#: Two events at once: "clashes with", "overlaps", "conflicts with", "clashes w".
_CLASH = re.compile(r"\b(?:clash(?:es)?|overlaps?|conflicts?)\b(?:\s+(?:with|w/?)(?=\s))?", re.IGNORECASE)
#: Where a condition starts: "if ...", "check whether ...".
_IF = re.compile(r"\b(?:if|whether)\b", re.IGNORECASE)
#: Where the event after the clash ends: a comma, a question mark, "and (if ...)", the act.
_CLASH_END = re.compile(rf"[,?.;]|\s+and\b|\s+(?=(?:then|{_CLASH_ACTS})\b)", re.IGNORECASE)
#: The other side of a clash that names no event: any other one.
_ANY_EVENT = re.compile(
    r"^(?:anything|something|another\s+(?:meeting|event|thing)|(?:any\s+)?other\s+(?:meetings?|events?)|"
    r"anything\s+else|my\s+calendar)$",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^(?:it|that|this|they|them|the\s+meeting|that\s+meeting)$", re.IGNORECASE)


def _sought_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[\w:]+", text.lower()) if not _not_sought(word)}


def _clash(text: str) -> tuple[str, str | None] | None:
    """The words naming the event acted on and those naming the event it must clash with
    (None: any other event), when the request is conditional on a clash.

    "cancel tomorrow's standup if it clashes with the Q4 review": the standup, the Q4 review.
    "if the roadmap review overlaps next week's design review, move the design review to
    Thursday at 12": the design review (the side the rest of the request names), the
    roadmap review. "if next wks daniel 1:1 clashes w something cancel it": the 1:1, any.
    """
    match = _CLASH.search(text)
    opening = [found for found in _IF.finditer(text, 0, match.start())] if match else []
    if match is None or not opening:
        return None
    left = text[opening[-1].end() : match.start()].strip(" ,")
    end = _CLASH_END.search(text, match.end())
    right = text[match.end() : end.start() if end else len(text)].strip(" ,")
    rest = (text[: opening[-1].start()] + " " + text[end.start() if end else len(text) :]).strip()
    if not right or _PRONOUN.fullmatch(right):
        return None  # "if anything clashes with it": which event is acted on, the rest says
    if _PRONOUN.fullmatch(left):  # "cancel tomorrow's standup if it clashes with ...": the rest names it
        target, other = rest, right
    else:
        said = _sought_words(rest)
        named_right = len(said & _sought_words(right)) > len(said & _sought_words(left))
        target, other = (right, left) if named_right else (left, right)
    return target, None if _ANY_EVENT.fullmatch(other) else other


#: The files a share names: after the verb or the access, before whom or how.
_SHARED = re.compile(
    r"\b(?:share|sharing|access\s+to|comment\s+on|edit|view|see)\s+(?:both\s+)?(?P<items>.+?)"
    r"(?=\s+(?:with|w/?)\s+\w|\s+as\s+(?:a|an)\b|\s*[,?.!]|\s+(?:please|pls)\b|$)",
    re.IGNORECASE,
)
_JOINED_ITEMS = re.compile(r"\s+(?:and|\+|&)\s+(?=(?:the|my|our|his|her|their|that|this)\s)", re.IGNORECASE)


def _shared_items(text: str) -> list[str]:
    """The words naming each file a share names, when it names several: "the Beacon PRD
    and the interview synthesis" is two; "the P&L" or one name is one."""
    match = _SHARED.search(_without_quotes(text) if not wording.quoted_spans(text) else text)
    if match is None:
        return []
    parts = [part.strip() for part in _JOINED_ITEMS.split(match.group("items")) if part.strip()]
    return parts if len(parts) > 1 else []


#: How often an event recurs, said before its name ("the weekly design review").
_RECURRENCE_WORDS = frozenset("weekly daily monthly fortnightly recurring regular".split())
#: A purpose clause: what follows says why, not which items or when.
_PURPOSE = re.compile(r"\bso\s+(?:that\s+)?(?:she|he|they|we|i|you|it|everyone|the\s+team)\b", re.IGNORECASE)
#: Ending a recurring event: "end the recurring 1:1", "stop our weekly one-on-ones".
_ENDS_A_SERIES = re.compile(
    r"\b(?:end|stop|discontinue|drop|dropping|kill)\b.*\b(?:recurring|weekly|daily|monthly|fortnightly|regular|series)\b"
    r"|\b(?:end|stop|discontinue|drop)\s+(?:our|my|the)\s+\w+\s+(?:one-on-ones|1:1s|syncs|standups|meetings)\b"
)


#: A range of hours: "between 1 and 5", "from 3pm until 4:30pm", "3 to 4:30", "3-4pm".
_RANGE = re.compile(
    r"(?:\b(?:between|from)\s+)?\b(\d{1,2})(?:[:.](\d\d))?\s?(am|pm)?\s*(?:\band\b|\bto\b|\btill\b|\buntil\b|-|\u2013)\s*"
    r"(\d{1,2})(?:[:.](\d\d))?\s?(am|pm)?\b(?!\s*(?:st|nd|rd|th|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|days?|weeks?))"
)


#: Someone else's account: "Sarah Chen's inbox", "log in to Daniel's account".
_OTHER_ACCOUNT = re.compile(
    r"\b(?!my\b|our\b)\w+(?:\s\w+)?(?:'s|s|\u2019s)\s+(?:inbox|inbx|mailbox|mailbx|e-?mail account"
    r"|account(?!\s+(?:manager|executive|team|rep|plan))|calendar account|password|gmail|drive account)\b"
    r"|\b(?:log|sign)\s*(?:in|into|on)\s+(?:to\s+)?(?!my\b)\w+"
)
#: Sending as someone else: "from Sarah Chen's account", "as Sarah Chen", "from her address".
_SEND_AS = re.compile(
    r"\bfrom\s+(?!my\b)\w+(?:\s\w+)?(?:'s|s|\u2019s)\s+(?:account|address|e-?mail|gmail)\b(?!\s+(?:manager|team|rep))"
    r"|\bfrom\s+(?:her|his|their)\s+(?:account|address)\b|\bon\s+behalf\s+of\b|\bpretend(?:ing)?\s+to\s+be\b"
    r"|\b(?:e-?mail|send|write|reply)\b.*\bas\s+(?!a\b|an\b|the\b|soon\b|well\b|if\b|usual\b|i\b|me\b)[a-z]+\s+[a-z]+\b(?=,|\s+from)"
)


#: The calendar named as where things are taken from: "remove the flights from my calendar".
_FROM_CALENDAR = re.compile(
    r"\b(?:from|in|out of|off|on)\s+(?:my|the)\s+(?:calendar|calender|diary|cal)\b"
    r"|\b(?:calendar|calender)\s+(?:entry|entries|events?)\b|\bflight events?\b|\b(?:the|its|their) entries\b"
)


#: Someone added to an existing event: "add Hannah to the Beacon kickoff", "invite hannah
#: to beacon kick off", "could you invite Hannah Lee to the kickoff next Thursday as well?".
_INVITED_TO = re.compile(
    r"^(?:(?:please|pls|can you|could you|would you|kindly)\s+)*(?:please\s+)?(?:add|invite)\s+"
    r"(?P<who>[\w.'\u2019-]+(?:(?:\s+|,\s*|\s+and\s+)[\w.'\u2019-]+){0,4}?)\s+(?:to|on|onto|into)\s+(?P<event>.+)$",
    re.IGNORECASE,
)
#: Someone taken off one: "take Daniel off the roadmap review", "remove Daniel from the
#: guest list of the roadmap 2027 review", "uninvite Tom from Friday's sync".
_TAKEN_OFF = re.compile(
    r"^(?:(?:please|pls|can you|could you|would you|kindly)\s+)*(?:please\s+)?"
    r"(?:remove|take|drop|uninvite|kick)\s+(?P<who>[\w.'\u2019-]+(?:(?:\s+|,\s*|\s+and\s+)[\w.'\u2019-]+){0,4}?)"
    r"\s+(?:off|from|out of)\s+"
    r"(?:the\s+(?:guest\s*list|invite|invitation|attendees?|invitees?)\s+(?:of|for|to)\s+)?(?P<event>.+)$",
    re.IGNORECASE,
)
#: What a guest is never added to or taken off: a place, a file, a list of mail.
_NOT_AN_EVENT = re.compile(
    r"^(?:my|the|our)\s+(?:calendar|calender|diary|inbox|list|cc|email|thread)\b|\b(?:sheet|spreadsheet|doc|docs|document"
    r"|file|folder|deck|slides|pdf|drive|mailing list|distribution list|thread|email|chat|channel|group)\b"
)


#: What someone is invited to that does not exist yet: "lunch tomorrow", "a call", "dinner".
_A_NEW_GATHERING = re.compile(r"(?:an?\s+)?(?:lunch|dinner|drinks|coffee|breakfast|brunch|call|chat|meeting)\b")


def _guest_change(text: str, mentions: list[str]) -> tuple[list[str], str, bool] | None:
    """(who, the words naming the event, whether they are taken off) when the request adds
    someone to an existing event or takes them off one; None otherwise. What they join
    is named with a determiner or a day ("the Beacon kickoff", "tomorrow's standup",
    "beacon kick off" after "invite"); who is someone the request names as a person
    (`mentions`), never a thing ("add a session to the agenda", "add focus time to Friday")."""
    said = _without_quotes(text).strip().rstrip("?.! ")
    for pattern, removing in ((_INVITED_TO, False), (_TAKEN_OFF, True)):
        match = pattern.match(said)
        if match is None:
            continue
        who, event = match.group("who"), match.group("event")
        event = re.sub(r"\s+(?:as well|too|also|please|pls|thanks)$", "", event, flags=re.IGNORECASE)
        named = {word for mention in mentions for word in mention.lower().split()}
        people = [name.strip() for name in re.split(r",\s*(?:and\s+)?|\s+and\s+", who) if name.strip()]
        if not all(_looks_like_person(name) and name.split()[0].lower() in named for name in people):
            return None  # "add focus time to Friday": no one is called that
        if _NOT_AN_EVENT.search(event.lower()) or wording.quoted_spans(text):
            return None
        if not removing and (_A_NEW_GATHERING.match(event.lower()) or re.search(r"\bat\s+\d|\d\s*(?:am|pm)\b", event)):
            return None  # "invite Sarah Chen to lunch tomorrow at 1": a new event, not a guest for one
        return people, event, removing
    return None


def _a_booking_or_its_entries(target: Selection, lowered: str) -> Selection:
    """ "cancel my Turkish Airlines flight" is the booking, confirmed in the mail (only the
    airline can cancel it); "remove both flights from my calendar" is its calendar entries,
    all of them when named in the plural; "delete the booking emails", "trash the Uber trip
    receipts" are mail."""
    if _MAIL_KINDS.search(lowered) or _TO_TRASH.search(lowered):
        return target.model_copy(update={"kinds": [k for k in target.kinds if k != "booking"], "service": "gmail"})
    if _FROM_CALENDAR.search(lowered):
        plural = bool(re.search(r"\b(?:flights|both|legs|entries|events|all)\b", lowered))
        return target.model_copy(update={"service": "calendar", "every": target.every or plural})
    return target.model_copy(update={"service": "gmail"})


#: What a question asks for, beside a list: the answer is a fact about items.
_FACT_ASKS = ("when", "who", "where", "count", "amount")
#: "remind me when ...", "remind me who ...": a question, not a reminder to make.
_REMIND_ASK = re.compile(r"\bremind me (?:of )?(?=(?:when|who|whom|what|where|which|how)\b)")


#: "who sent ...", "who's it from", "sent me over": a sender asked about is a sender of mail.
#: A service said as the place to look: "in Drive", "in my calendar", "in my inbox".
_IN_SERVICE = re.compile(r"\b(?:in|on|from)\s+(?:my\s+|the\s+|google\s+)?(drive|calendar|inbox|gmail)\b")
_IN_SERVICE_NAMES: dict[str, Service] = {"drive": "drive", "calendar": "calendar", "inbox": "gmail", "gmail": "gmail"}
#: What someone said, or a figure or decision: asked of mail, where people say things
#: ("what did Hannah ask me about the Beacon name?", "what was the Atlas NPS after one month?").
_SAID_IN_MAIL = re.compile(
    r"\bwhat\s+did\s+[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?\s+(?:ask|say|tell|write|want|need|mention|suggest|propose"
    r"|reply|answer|think|decide|agree)\b"
    r"|\bwhat(?:\s+(?:was|is|were|are)|'s|’s)\s+(?:the|our|my)\s+(?:[\w-]+\s+){0,3}?(?:nps|score|figure|total|amount|price"
    r"|cost|rate|revenue|fee|decision|verdict|outcome|result)\b"
)
_SENDER_ASKED = re.compile(
    r"\bwho\s+(?:sent|emailed|mailed|wrote|replied|answered|a?pp?roved|signed\s+off|agreed)\b"
    r"|\bwho(?:'s|s|\s+is)?\s+it\s+from\b|\bsent\s+(?:me|us)?\s*over\b|\b(?:anyone|somebody|someone)\s+approve"
)


def _unsure_of(draft: IntentDraft, kind: str) -> bool:
    """Whether the classifier asks about `kind` ("operation", "service")."""
    return draft.clarification is not None and draft.clarification.kind == kind


def _only_asks(ask: str, lowered: str) -> bool:
    """Whether the request only asks a fact ("count my one-on-ones with Priya", "when does
    Lena start?"): no verb leads it and no verb says to make anything; nouns such as
    "draft" or "call" make nothing."""
    if ask not in _FACT_ASKS:
        return False
    if _leading_verb(lowered) is not None:
        return False  # "tell Daniel when the standup starts", "draft a reply asking who's coming"
    return not _CREATE_VERB.search(_REMIND_ASK.sub("", lowered))


def _out_of_reach(lowered: str) -> OutOfReach | None:
    if _SEND_AS.search(lowered):
        return "send_as_other"
    if _OTHER_ACCOUNT.search(lowered):
        return "other_account"
    return None


def _said_plainly(draft: IntentDraft, lowered: str) -> bool:
    """Whether the words settle what the classifier would ask about: a share or an
    unshare said in so many words is a Drive write, whatever else it could be."""
    unsure = draft.clarification is not None and draft.clarification.kind in ("service", "operation")
    return unsure and bool(_REVOKE.search(lowered) or _GRANTING.search(lowered) or _LINK.search(lowered))


def _range_minutes(phrase: str) -> int | None:
    """The length of a range of hours ("between 1 and 5": 240), working hours assumed."""
    match = _RANGE.search(phrase.lower())
    if not match:
        return None

    def minutes(hour: str, minute: str | None, meridiem: str | None) -> int:
        value = int(hour) % 12 + (12 if meridiem == "pm" or (meridiem is None and 1 <= int(hour) <= 7) else 0)
        return value * 60 + int(minute or 0)

    start = minutes(match.group(1), match.group(2), match.group(3) or match.group(6))
    end = minutes(match.group(4), match.group(5), match.group(6))
    return end - start if end > start else None


def _act(draft: IntentDraft, lowered: str) -> Act:
    operation = draft.operations[0] if draft.operations else "search"
    if _PREPARE.search(lowered) or _PREPARE_FOR.search(lowered):
        return "prepare"
    if operation in ("search", "read") and _FREE_TIME.search(lowered):
        return "free_time"
    act = _ACTS.get(operation, "find")
    if _TO_TRASH.search(lowered) or _GET_RID.search(lowered):
        return "delete"  # "move every email Tom Becker has sent me to the trash", "get rid of ..."
    said_how = (act == "reply" and _REPLY_WORDS.search(lowered)) or (
        act == "forward" and _FORWARD_WORDS.search(lowered)
    )
    if _MESSAGE_OPENER.search(lowered) and act != "draft" and not said_how:
        # "email Marco, cc Hannah, subject ...: 'please share the Figma link'": a message,
        # whatever its words would do ("share", "add a session").
        return "send"
    if _REVOKE.search(lowered):
        return "share"  # "remove Sarah's access to the customer list": a share taken back
    if act != "share" and _GRANTING.search(lowered):
        return "share"  # "priya should be able to comment on the beacon prd"
    if _RENAMING.search(lowered):
        return "change"  # "renmae headcount plan 2027 to ...", "would you mind renaming ..."
    if act in ("find", "read", "change") and _ENDS_A_SERIES.search(lowered):
        return "delete"  # "end the recurring 1:1 with Daniel": no more of it
    typed = _leading_verb(lowered)
    if typed == "draft" and act not in ("draft", "reply"):
        return "draft"  # "draft the product update to all of northwind, subject '... kicks off'"
    if typed in ("reply", "forward") and act not in ("draft", "reply", "forward"):
        return typed  # "reply all to Mehmet's agenda: 'could we move ...'": what the quote says is not done
    opening = _OPENING.match(lowered)
    slipped = opening is not None and opening.group(1) not in _LEADING_VERBS  # "emial", not "send me a reminder"
    if typed in ("delete", "change") and act == "create" and not _CREATE_VERB.search(lowered):
        return typed  # "cancel tomorrow's standup if it clashes with ...": nothing to make
    if typed is not None and (act in ("find", "read") or (act == "create" and slipped and typed in ("send", "reply"))):
        return typed  # "delte all the emails from tom becker", "emial sarah ...": the classifier missed the verb
    if act in ("find", "create") and draft.people and _TELL.search(lowered):
        return "send"  # "tell Daniel I'll be late", "let Sarah know the numbers are in"
    if act in ("find", "create") and quantities.shift_minutes(lowered) is not None:
        return "change"  # "standup tmrw 15 min earlier pls", "bring tomorrow's standup forward"
    if act in ("create", "find") and _RESIZE.search(lowered) and not _CREATE_VERB.search(lowered):
        return "change"  # "cut the roadmap review to an hour"
    if act == "create" and _CHANGES_EXISTING.search(lowered):
        return "change"  # "make the standup 15 minutes earlier", "make Thursday's 1:1 an hour"
    if (
        act == "create"
        and not _CREATE_VERB.search(lowered)
        and quantities.selection_order(lowered).order != "relevance"
    ):
        return "find"  # "next meeting with Sarah Chen" looks one up
    return act


#: The nouns that name a place, spelt right when typed one slip off ("emials", "calender").
_PLACE_NOUNS = ("emails", "email", "messages", "meetings", "calendar", "documents", "files", "events")


def _respelt(lowered: str) -> str:
    def fixed(match: re.Match[str]) -> str:
        word = match.group(0)
        if (
            len(word) < 5
            or word in _PLACE_NOUNS
            or f"{word}s" in _PLACE_NOUNS
            or word.removesuffix("s") in _PLACE_NOUNS
        ):
            return word  # a noun of the list itself, singular or plural
        near = [noun for noun in _PLACE_NOUNS if DamerauLevenshtein.distance(word, noun) == 1]
        return near[0] if near else word

    return re.sub(r"[a-z]+", fixed, lowered)


def _leading_verb(lowered: str) -> Act | None:
    """The act of the verb the request opens with, allowing one slip (an edit or a swap)."""
    opening = _OPENING.match(lowered)
    word = opening.group(1) if opening else ""
    if word.endswith("ing") and len(word) > 6:  # "would you mind sharing": the verb is "share"
        stem = word[:-3]
        word = next((verb for verb in _LEADING_VERBS if verb in (stem, f"{stem}e", stem[:-1])), word)
    if len(word) < 4:
        return _LEADING_VERBS.get(word)  # "fwd it to daniel": a short verb as it is, no slips
    for verb, act in _LEADING_VERBS.items():
        if word == verb:
            return act
        inflected = word.startswith(verb) or word.removesuffix("s") == verb
        if len(verb) >= 5 and not inflected and DamerauLevenshtein.distance(word, verb) == 1:
            return act
        if len(word) == len(verb) == 4 and word != verb and sorted(word) == sorted(verb) and _one_swap(word, verb):
            return act  # "mvoe", "sned": two letters swapped
    return None


def _one_swap(word: str, verb: str) -> bool:
    """Whether `word` is `verb` with two neighbouring letters swapped."""
    differ = [i for i in range(len(word)) if word[i] != verb[i]]
    return len(differ) == 2 and differ[1] == differ[0] + 1


def _services(act: Act, ask: str, services: list[Service]) -> list[Service]:
    """The services the act and the question need first: a message is mail, who has access
    is a question about files."""
    needed: Service | None = (
        "gmail" if act in ("send", "draft") else "drive" if ask == "access" or act == "share" else None
    )
    if needed is None:
        return services
    return [needed, *(service for service in services if service != needed)][: max(1, len(services))]


def _target_service(act: Act, services: list[Service], lowered: str) -> Service:
    if act in ("reply", "forward", "send", "draft"):
        return "gmail" if "gmail" in services else services[0]
    if act == "change" and _DRIVE_WORDS.search(lowered):
        return "drive"  # "rename the itinerary doc to ...": a file's name changes
    if act in ("change", "create", "free_time", "prepare"):
        return "calendar"
    if act == "share":
        return "drive"
    return services[0]


#: Words that say how items are ordered, not what they are about ("the most recently
#: updated spreadsheet", "my nxt flight").
_ORDER_WORDS = frozenset(
    "recently recent updated changed edited modified worked latest newest last most nxt next previous earliest "
    "oldest soonest".split()
)


def _without_order_words(topic: str | None) -> str | None:
    if topic is None:
        return None
    kept = [word for word in topic.split() if word.lower() not in _ORDER_WORDS]
    return " ".join(kept) or None


def _kinds_outside(lowered: str, title: str | None) -> str:
    """The request's words that may name kinds of item: all but the item's own name, whose
    last word still may ("the Atlas pricing sheet")."""
    if not title:
        return lowered
    inside = title.lower()
    return lowered.replace(inside, " " + inside.rsplit(" ", 1)[-1] + " ") if inside in lowered else lowered


_ADDRESSING = re.compile(
    r"(?:^|[,.;:!?]\s*|\b(?:please|pls|can you|could you|would you|and)\s+)"
    # "send an email to Mehmet", "draft a quick note to Emma": the message, then whom it is to.
    r"(?:(?:send|write|compose|draft|shoot|drop)\s+(?:an?\s+|the\s+)?(?:quick\s+|short\s+|brief\s+)?"
    r"(?:e-?mails?|emial|mail|message|msg|note|line|reply|response)\s+to"
    r"|e-?mail|emial|emal|emali|mail|message|msg|ping|write\s+to|write|send|tell|let|notify|inform|remind|cc:?"
    r"|draft\s+to|draft|reply\s+to|respond\s+to|answer|copying|copy\s+in|cc'?ing)\s+"
    # "to my sister Olivia": whom, by their relation and name.
    r"(?:my\s+(?:sister|brother|mum|mom|mother|dad|father|wife|husband|partner|friend|colleague|boss|manager"
    r"|cousin|aunt|uncle|son|daughter)\s+)?"
    r"(?P<name>[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)",
    re.IGNORECASE,
)
_IN_COPY = re.compile(r"\b(?:with\s+)?(?P<name>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s+(?:in\s+(?:cc|copy)|copied)\b")
#: Words after a sending verb that are not a name: "send an email", "tell them that", "email me".
_NOT_A_NAME = frozenset(
    "a an the my our your his her their this that these those it them him me us everyone everybody all subject subj "
    "sbj saying say that about with to and know at in text body titled re please pls i ill i'll i'm we back a note "
    "reply email mail message note quick short new draft up out cc so from of subjet subjct sbject subect".split()
)


def _addressed(text: str) -> dict[str, Role]:
    """Names said right after a sending verb ("email Lena Fischer, cc Marco", "let emma
    know", "Send Marco Bianchi a note") or marked as copied ("Hannah Lee in cc"), each
    with its part in the message."""
    names: dict[str, Role] = {}
    for match in [*_ADDRESSING.finditer(text), *_IN_COPY.finditer(text)]:
        words = match.group("name").split()
        while words and words[-1].lower() in _NOT_A_NAME:
            words.pop()
        name = " ".join(words)
        if not words or words[0].lower() in _NOT_A_NAME or not _looks_like_person(name):
            continue
        if re.search(r"['\u2019]s?$", name):
            continue  # "reply to Daniel's email": whose email, not a recipient
        copied = match.re is _IN_COPY or re.search(
            r"\b(?:cc:?|copying|copy\s+in|cc'?ing)\s+$", text[: match.start("name")].lower()
        )
        names.setdefault(name, "cc" if copied else "to")
    return names


def _mentions(draft: IntentDraft, text: str = "") -> list[str]:
    """The people the models found; not words of a message's body ("thanks for the numbers")."""
    addresses = [slot.text for slot in draft.slots if slot.type == "email_address"]
    quoted = [span.text.lower() for span in wording.quoted_spans(text)] if text else []
    body = (wording.message_content(text).body or "").lower() if text else ""
    before_body = text.lower().split(body, 1)[0] if body else text.lower()
    inside_quotes = {m for m in draft.people if any(m.lower() in span for span in quoted)}
    return list(
        dict.fromkeys(
            _with_surname(m, text)
            for m in [*draft.people, *addresses]
            if (not body or m.lower() in before_body or "@" in m) and m not in inside_quotes
        )
    )


def _with_surname(mention: str, text: str) -> str:
    """A first name the tagger took without the capitalised surname after it: "invite
    Sarah Chen to lunch" names Sarah Chen, not any Sarah."""
    if " " in mention or "@" in mention or not text:
        return mention
    after = re.search(rf"\b{re.escape(mention)}\s+([A-Z][a-z\u00c0-\u024f'-]+)\b", text)
    surname = after.group(1).lower() if after else ""
    if after is None or surname in _NOT_A_SURNAME or surname.startswith("i'") or _MONTH_OR_DAY.fullmatch(surname):
        return mention
    surname = re.sub(r"['\u2019]s?$", "", after.group(1))  # "Kestrel Digital's" is Kestrel Digital
    return f"{mention} {surname}"


#: Capitalised words that follow a name without being its surname.
_NOT_A_SURNAME = frozenset("i and or to from with at on in for about re cc the a an".split())


def _selection(
    text: str,
    service: Service,
    draft: IntentDraft,
    act: Act,
    *,
    people: list[PersonRef] | None = None,
    earlier: list[PersonRef] | None = None,
) -> Selection:
    """The items one clause of the request selects, in `service`."""
    lookup = act in ("find", "read", "free_time", "prepare")
    lowered = text.lower()
    named = people if people is not None else person_roles(text, [m for m in _mentions(draft) if m.lower() in lowered])
    if not named and earlier and _PRONOUNS.search(lowered):
        named = [
            PersonRef(name=person.name, role="with" if service == "calendar" else person.role) for person in earlier
        ]
    # A reply or forward names the mail it answers in the words left ("Sarah's Q4 review email").
    untimed = _REPLY_ALL.sub(" ", _NXT.sub("next", text).lower())  # "reply all" selects one email, not all
    for phrase in time_phrases(text):
        untimed = untimed.replace(phrase.text.lower(), " ")  # "next week" is a time, not "the next one"
    cue = quantities.selection_order(untimed)
    flags = quantities.mail_flags(text, lookup=lookup) if service == "gmail" else quantities.MailFlags()
    title = _as_written(_in(draft.event_title, lowered) or _in(draft.file_name, lowered), text)
    topic = _as_written(draft.topic, text) if draft.topic and draft.topic.lower() in lowered else None
    if service == "calendar" and act in ("change", "delete"):
        # The event a change or a cancellation names ("the dinner for Olivia's birthday").
        existing = wording.existing_event_title(text)
        title = (_LEADING.sub("", existing) or existing) if existing else title
    if title and all(_not_sought(word) for word in re.findall(r"[\w'-]+", title.lower())):
        title = None  # "what meetings do I have": no meeting is called "meetings"
    if title and lookup:
        title = _with_words_before(title, text, named)  # "my dentist appointment", not "appointment"
    quoted = next((q.text for q in wording.quoted_spans(text) if title and _overlaps(q.text, title)), None)
    if quoted:
        title = quoted  # "share the 'Q4 Financial Review - Product' spreadsheet": the name as quoted
    if service == "calendar" and _ONE_ON_ONE.search(lowered):
        title = "1:1"  # the kind of meeting, however written ("one-on-one", "1:1 w priya")
    if title:
        # A name inside the item's own name is not whose it is: "the dinner for Olivia's birthday".
        named = [person for person in named if person.name.lower() not in title.lower()]
    # Kinds are named outside the item's name, or as its last word ("the pricing sheet"):
    # "Proposal: CSV export" is not a spreadsheet.
    kinds_said = _kinds_outside(lowered, title)
    topic = topic or (None if title else _leftover(text, named) if act not in _WRITES_NEW else _kind_words(lowered))
    return Selection(
        service=service,
        kinds=[kind for pattern, kind in _KINDS if pattern.search(kinds_said)],
        title=title,
        topic=_without_order_words(topic),
        people=named,
        time=draft.when if people is not None else _phrases_in(text),
        order=cue.order,
        count=cue.count,
        # Deleting things named in the plural is deleting all of them ("delete the CloudNest
        # invoices from before September"); the card shows how many first.
        every=cue.every
        or (
            act == "delete" and (bool(_CLEAR.search(lowered)) or (cue.count is None and bool(_PLURAL.search(lowered))))
        ),
        # "every promotional email from easyJet": Gmail's Promotions category.
        labels=["CATEGORY_PROMOTIONS"] if service == "gmail" and _PROMOTIONAL.search(lowered) else [],
        unread=flags.unread,
        starred=flags.starred,
        has_attachment=flags.has_attachment,
        sent_by_me=flags.sent_by_me,
        received=flags.received,
        picks=quantities.picks(text) or [ordinal for ordinal in draft.item_ordinals],
        previous=draft.refers_to_previous,
        series=quantities.series_scope(text),
    )


def _overlaps(quoted: str, title: str) -> bool:
    """Whether a quoted name and a tagged title are the same name, one cut or run on."""
    a, b = quoted.lower().strip(" '\""), title.lower().strip(" '\"")
    return bool(a and b) and (a in b or b in a)


def _with_words_before(title: str, text: str, people: list[PersonRef]) -> str:
    """`title` with the words of what is sought right before it in `text` that the tagger
    left out: "when's my dentist appointment" seeks the "dentist appointment". Names and
    words that only say how to look ("my", "next", "when's") end it."""
    start = text.lower().find(title.lower())
    if start < 0:
        return title
    names = {word.lower() for person in people for word in person.name.split()}
    before = re.findall(r"[\w'-]+", text[:start])
    taken = 0
    for word in reversed(before):
        lowered = word.lower()
        if _not_sought(lowered) or lowered in names or not word.isalpha() or lowered.endswith("'s"):
            break
        if lowered in _RECURRENCE_WORDS:
            break  # "the weekly design review" is the design review
        taken += 1
    if not taken:
        return title
    return " ".join([*before[len(before) - taken :], title])


def _cleaned(draft: IntentDraft, text: str) -> IntentDraft:
    """The draft's spans as the user wrote them: the tagger's tokens ("1 : 1", "call ,")
    found back in the text, edge punctuation and leading determiners dropped, and only
    names that look like names."""
    # "Sarah's Q4": the tagger ran a name into what she owns; "Lena Fischer, cc Marco" and
    # "priya subjet" into what follows it.
    people = [_written(piece, text) for name in draft.people for piece in _name_pieces(name)]
    # Someone who writes "Emma Walsh" writes names with capitals: their lower-case word
    # after an article ("before it goes on the careers page") is a thing, not a person.
    cased = any(name and name[0].isupper() and "@" not in name for name in people)
    if cased:
        people = [_in_capitals(name) if name else name for name in people]
    known = " ".join(name.lower() for name in people if name)
    people += [name for name in _senders_said(_without_quotes(text)) if name.lower() not in known]
    return draft.model_copy(
        update={
            "people": [
                name
                for name in people
                if name
                and _looks_like_person(name)
                and not (cased and name == name.lower() and _after_article(name, text))
                and not _a_destination(name, text)
            ],
            "event_title": _title(draft.event_title, text),
            "file_name": _title(draft.file_name, text),
            "topic": _written(draft.topic, text),
            "place": _written(draft.place, text),
        }
    )


_EDGE = " ,.;:!?-\"'"
#: Words that end a name the tagger ran on: "priya subjet", "Lena Fischer, cc Marco".
_AFTER_NAME = re.compile(
    r"\s*(?:,|;|[?!]|\.\s|\bcc\b|\bsubj\w*|\bsbj\w*|\bbody\b|\bmessage\b|\bsaying\b|\btext\b|\band\b|\+|&(?!\s*co\b)"
    r"|\b(?:should|shoud|shld|can|could|would|needs?|wants?|com+ents?|edit\w*|view\w*|veiw|access|acc?ess?|only)\b)\s*"
)


#: Travel before a name makes it a place: "when do I fly to Istanbul?", "my trip to Paris".
_TRAVEL_TO = re.compile(
    r"\b(?:fly|flying|flight|flights|travel\w*|trip|go|going|head\w*|train|drive|driving|return\w*|back)"
    r"\s+(?:back\s+)?(?:to|from|into|in)\s+$",
    re.IGNORECASE,
)


def _a_destination(name: str, text: str) -> bool:
    start = text.find(name)
    return start > 0 and _TRAVEL_TO.search(text[:start]) is not None


def _after_article(name: str, text: str) -> bool:
    """Whether an article or a demonstrative stands in the two words before `name`."""
    start = text.find(name)
    before = text[:start].lower().split()[-2:] if start >= 0 else []
    return any(word in ("the", "a", "an", "this", "that", "these", "those") for word in before)


def _name_pieces(name: str) -> list[str]:
    """The names in one tagged span, without what the tagger ran into them."""
    sentence = re.split(r"[?!]|\.\s", name)[0]  # "Turkish Airlines? Keep ...": the sentence ends the name
    owner = re.sub(r"['\u2019]s$", "", sentence.split("'s ")[0].split("\u2019s ")[0].strip())  # "Kestrel Digital's"
    owner = re.split(r"\s+(?:re|about|regarding)\b", owner)[0]  # "daniel re xmas": what follows is a subject
    pieces = [_BEFORE_NAME.sub("", piece.strip(_EDGE)) for piece in _AFTER_NAME.split(owner)]
    return [kept for piece in pieces if (kept := _without_trailing_times(piece))]


#: Words that end no name: "Sarah from (finance)", "Tom at (Kestrel)".
_NOT_NAME_ENDS = frozenset({"from", "at", "in", "of", "on", "with"})


def _without_trailing_times(name: str) -> str:
    """A name without the time words (or a preposition) the tagger ran into its end:
    "daniel tmrw", "sarah fri", "daniel next wk", "Sarah from" are Daniel and Sarah (a
    capitalised word stays: "Sarah Friday")."""
    words = name.split()
    while len(words) > 1 and words[-1].islower() and words[-1].strip(".,") in scheduling.TIME_WORDS | _NOT_NAME_ENDS:
        words.pop()
    return " ".join(words)


#: Words the tagger runs into the front of a name: "both Daniel", "copying Daniel".
_BEFORE_NAME = re.compile(r"^(?:(?:both|either|copying|cc'?ing|cc|and|also)\s+)+", re.IGNORECASE)


#: A capitalised name whose mail is meant, in the words around it: "Mehmet's email with the
#: agenda", "the agenda that Mehmet sent". The tagger knows common names, not every one.
_SENDER_SAID = re.compile(
    r"\b(?P<owner>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)['\u2019]s\s+(?:(?:latest|last|recent|new|newest)\s+)?"
    r"(?:e-?mails?|mails?|messages?|notes?|repl(?:y|ies))\b"
    r"|\b(?:that|which|what)\s+(?P<sender>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)\s+(?:sent|emailed|forwarded|wrote)\b"
)


def _senders_said(text: str) -> list[str]:
    names = [match.group("owner") or match.group("sender") for match in _SENDER_SAID.finditer(text)]
    return [name for name in names if _looks_like_person(name) and not _not_sought(name.lower())]


def _in_capitals(name: str) -> str:
    """A capitalised name without the lower-case words the tagger ran on after it: "Lena
    Fischer accepted" is "Lena Fischer" (for someone who writes names with capitals)."""
    words = name.split()
    if not words or not words[0][:1].isupper():
        return name
    kept = list(itertools.takewhile(lambda word: not word[:1].islower(), words))
    return " ".join(kept) or name


def _written(span: str | None, text: str) -> str | None:
    """`span` (the tagger's tokens) as it stands in `text`, or as given when not found."""
    if not span:
        return None
    tokens = [re.escape(token) for token in span.split()]
    found = re.search(r"\s*".join(tokens), text, re.IGNORECASE) if tokens else None
    written = (found.group(0) if found else span).strip(_EDGE)
    return written or None


#: Where a tagged title ran past its sentence: "the pricing model spreadsheet, please? Sales ...".
_TITLE_END = re.compile(r"(?:,\s*(?:please|pls|thanks)\b|[?!]|\.\s).*$", re.IGNORECASE | re.DOTALL)


def _title(span: str | None, text: str) -> str | None:
    written = _written(span, text)
    if written is None:
        return None
    return _LEADING.sub("", _TITLE_END.sub("", written)).strip(_EDGE) or None


#: Parts of a company: "Sarah from finance" is a Sarah, and finance is no one.


_TO_EVERYONE = re.compile(
    r"\b(?:to|with)\s+(?:everyone|everybody|all|all staff|the (?:whole |entire )?(?:company|team|org|organisation"
    r"|organization|staff))\b",
    re.IGNORECASE,
)
_FROM_DEPARTMENT = re.compile(
    rf"\b(?:from|in|on) (?:the )?(?:{'|'.join(sorted(DEPARTMENTS))})(?: team)?\b", re.IGNORECASE
)


def _looks_like_person(name: str) -> bool:
    """A name ("Sarah Chen", "priya") or an address; not "the product analyst process"."""
    if "@" in name:
        return True
    if name.lower() in DEPARTMENTS or any(char.isdigit() for char in name):
        return False  # "finance", "vendor contracts 2027": no one's name
    if _MONTH_OR_DAY.fullmatch(name.lower()) or name.lower().rstrip("s") in ("today", "tomorrow", "tonight"):
        return False  # "Tuesdays at 4pm": when, not who
    if any(phrase.start == 0 and phrase.end > 3 for phrase in time_phrases(f"in {name.split()[0]}")):
        return False  # "octobr pls": a month typed one slip off
    if name.lower() in ("called", "named", "titled", "saying", "subject", "about", "in", "on", "at", "to", "of", "me"):
        return False
    if name.lower() in scheduling.TIME_WORDS:
        return False  # "next wk, 1h": when, not who
    if name.lower() in ("everyone", "everybody", "anyone", "anybody", "all", "both", "them", "someone"):
        return False  # "reply to everyone on Mehmet's email": whom, but nobody's name
    words = name.split()
    return 0 < len(words) <= 4 and words[0].lower() not in {"the", "a", "an", "my", "our", "this", "that"}


def _shared_topic(target: Selection, also: list[Selection]) -> tuple[Selection, list[Selection]]:
    """ "files and emails about Beacon": a clause that names nothing to look for takes the
    topic another clause names."""
    named = next((s.topic or s.title for s in [target, *also] if s.topic or s.title), None)
    if named is None:
        return target, also

    def completed(selection: Selection) -> Selection:
        bare = not (selection.topic or selection.title or selection.people or selection.time)
        return selection.model_copy(update={"topic": named}) if bare else selection

    return completed(target), [completed(selection) for selection in also]


def _listed_selections(parts: list[listing.Part], draft: IntentDraft, act: Act) -> list[Selection]:
    """One selection per service the listed parts name (its parts' words joined), each
    about the subject too: "the Greenleaf incident: emails, the report and any meetings"
    looks for Greenleaf incident mail, a Greenleaf incident report and Greenleaf incident
    meetings. Names in the subject are words of it, not whose items: the mail about Lena
    Fischer's offer is not all from her."""
    joined: dict[Service, str] = {}
    for part in parts:
        joined[part.service] = f"{joined[part.service]} and {part.words}" if part.service in joined else part.words
    about = _leftover(parts[0].subject, []) if parts[0].subject else None
    selections: list[Selection] = []
    for service, words in joined.items():
        earlier = selections[0].people if selections else None  # "... and my meetings with her"
        selection = _selection(words, service, draft, act, earlier=earlier)
        if about:
            topic = " ".join(dict.fromkeys(f"{about} {selection.topic or ''}".split()))
            selection = selection.model_copy(update={"topic": topic})
        selections.append(selection)
    target, also = _shared_topic(selections[0], selections[1:])
    return [target, *also]


def _clauses(text: str, services: list[Service]) -> list[tuple[Service, str]]:
    """The request cut where a clause about another service begins, each with its service;
    none when it does not cut that way (one clause names several services)."""
    parts = [part for part in _CLAUSE.split(text) if part.strip()]
    clauses: list[tuple[Service, str]] = []
    for part in parts:
        named = [s for s in services if SERVICE_CUES[s].search(part.lower())]
        if named and (not clauses or named[0] != clauses[-1][0]):
            clauses.append((named[0], part))
        elif clauses:
            clauses[-1] = (clauses[-1][0], f"{clauses[-1][1]} and {part}")
        else:
            clauses.append((services[0], part))
    return clauses if len(clauses) > 1 else []


def _in(span: str | None, lowered: str) -> str | None:
    """`span` when this clause holds it."""
    return span if span and span.lower() in lowered else None


#: Acts whose target is not what they write: its own words say what it is.
_WRITES_NEW: frozenset[Act] = frozenset({"send", "draft", "create", "free_time"})
#: Kinds that no filter selects: the word naming them is what to search for ("my most
#: recent invoice", "the Product Notes newsletter", "my flight").
_SEARCHED_KINDS = re.compile(
    r"\b(?:invoi?ces?|newslett?ers?|flights?|bookings?|reservations?|hotels?|trains?|tickets?|receipts?)\b"
)
#: Words that say how to look, not what for: they never help a search.
_NOT_SOUGHT = frozenset(
    """a an the my our your his her their me i we you us it its this that these those of for to from with by in on at
    about and or any all some please pls could would can you find show list give get tell look search pull up me
    what whats what's when whens where who whos which how many much is are was were do does did have has had be
    there anything something stuff things thing email emails mail mails message messages inbox calendar events event
    meetings meeting drive files file docs doc document documents latest newest recent most last next first
    upcoming earliest oldest ones one just only again also too now new unread read opened starred star stared
    attachment attachments attached sent received wrote spreadsheet spreadsheets sheet sheets excel pdf pdfs slides
    slide deck decks presentation presentations image images photo photos picture pictures screenshot screenshots
    haven't havent not reply respond answer forward fwd send draft write saying say says delete cancel trash remove
    move push share book schedule clear wipe empty everything gmail google mailbox single fresh start
    shared access acess edit editor edits rights view viewer comment commenter min mins minute minutes hour hours hr
    hrs earlier later sooner back forward quarter half mind fine take off stop sharing unshare let allow able
    meet met meeting emailed mailed texted she he they him them attending attend attends invited where involved
    i've ive i'm rid every received got gotten sent i'd like want fresh single prep prepare ready brief
    anyone besides else able should needs need check whether gather bring together collect related both entry
    entries seeing link links url thanks thank lot kindly appreciate cheers replying forwarding count counts
    number total tally still remind leave leaves depart departs departing joining coming going speaking
    talking over date far busy written since came times taking organised organized organiser
    organizer time copying dated older newer than bin issue issues course actual never out promotional promotions promo
    promos wat wot wut wats whats previous prior been""".split()
)


@lru_cache(maxsize=4096)  # a pure function of the word; the distances cost 0.15 ms a request
def _not_sought(word: str) -> bool:
    """A word that only says how to look, or one typed a slip off such a word ("delet")."""
    if word in _NOT_SOUGHT:
        return True
    return len(word) >= 5 and any(
        len(stop) >= 5 and DamerauLevenshtein.distance(word, stop) <= 1 for stop in _NOT_SOUGHT
    )


def _kind_words(lowered: str) -> str | None:
    return " ".join(match.group(0) for match in _SEARCHED_KINDS.finditer(lowered)) or None


#: Verbs that are nouns after a word that is sought: "the customer list", "the sign-up form".
_NOUNS_TOO = frozenset({"list", "review", "update", "plan", "schedule", "draft", "share", "book", "move"})


def _a_noun_after_a_word(words: list[str], index: int) -> bool:
    word = words[index].lower()
    return word in _NOUNS_TOO and index > 0 and not _not_sought(words[index - 1].lower())


#: Words people split that titles write as one: "beacon kick off" is the Beacon kickoff.
_COMPOUNDS = re.compile(r"\b(kick)\s+(off)\b|\b(stand)\s+(up)\b", re.IGNORECASE)
#: Shorthand people type for words items spell out.
_SHORTHAND = {"appt": "appointment", "appts": "appointments", "mtg": "meeting", "mtgs": "meetings", "xmas": "Christmas"}


def _leftover(text: str, people: list[PersonRef]) -> str | None:
    """When nothing names what is sought, the request's own content words (less names,
    time phrases and the words that only say how to look) are what to search for: "the
    Beacon requirements document" searches "Beacon requirements"."""
    blanked = re.sub(r"\S+@\S+", " ", text)  # an address is whom, never what about
    blanked = _REMARK.sub(" ", blanked)  # "..., not the booking ones", "? Keep my booking emails"
    blanked = _PROMOTIONAL.sub(" ", blanked)  # "marketing emails": a kind of mail, not what about
    blanked = _COMPOUNDS.sub(lambda m: "".join(g for g in m.groups() if g), blanked)  # "kick off": "kickoff"
    blanked = _FROM_DEPARTMENT.sub(" ", blanked)  # "Sarah from finance": which Sarah, not what about
    blanked = _TO_EVERYONE.sub(" ", blanked)  # "the update I sent to everyone": to whom, not what about
    for phrase in time_phrases(text):
        blanked = blanked.replace(phrase.text, " ")
    names = {word.lower() for person in people for word in person.name.split()}
    every = re.findall(r"[\w'-]+", blanked)
    words = [
        w
        for i, w in enumerate(every)
        if (not _not_sought(w.lower()) or _a_noun_after_a_word(every, i)) and w.lower() not in names
    ]
    words = [w for w in words if (len(w) > 2 or any(c.isdigit() for c in w)) and not w.lower().endswith("'s")]
    # Travel said as a verb is searched as calendars and airlines title it: "when do I fly".
    words = ["flight" if w.lower() in ("fly", "flying", "flew", "flights") else w for w in words]
    # Shorthand is searched as items spell it: "dentist appt" finds "Appointment confirmed".
    words = [_SHORTHAND.get(w.lower(), w) for w in words]
    return " ".join(dict.fromkeys(words)) or None


#: Mail that Gmail files under Promotions, as people call it.
_PROMOTIONAL = re.compile(
    r"\b(?:promotional|promotions|promos?)\b|\bmarketing\s+(?=(?:e-?mails?|mails?|messages?|newsletters?)\b)",
    re.IGNORECASE,
)
#: A remark after the request, or what it leaves out: not what is sought.
_REMARK = re.compile(
    r"(?:[?!.]\s+|,\s*(?:but\s+)?)(?:keep|leave|except|not|i\s+never|i\s+don't|don't|do\s+not|thanks|thank\s+you|"
    r"cheers)\b[^?!.]*",
    re.IGNORECASE,
)


def _phrases_in(text: str) -> str | None:
    """The date and time phrases of one clause, joined."""
    return " ".join(phrase.text for phrase in time_phrases(text)) or None


def _as_written(span: str | None, text: str) -> str | None:
    """`span` with the capitals the user typed, if the request contains it."""
    if not span:
        return None
    start = text.lower().find(span.lower())
    return text[start : start + len(span)] if start >= 0 else span


def _without_quotes(text: str) -> str:
    """`text` with its quoted passages blanked: what a message says is not what to do."""
    for quoted in wording.quoted_spans(text):
        text = text.replace(quoted.text, " ")
    return text


def _fullest(names: list[str]) -> list[str]:
    """Names, less any that is part of a fuller one said too ("tom" beside "tom becker")."""
    return [
        name for name in names if not any(other != name and name.lower() in other.lower().split() for other in names)
    ]


#: The whole organisation as recipients: "everyone at Northwind", "the whole company".
_EVERYONE = re.compile(
    r"\b(?:everyone|everybody|all)\s+(?:at|in)\s+(?P<org>[A-Z][\w-]+)"
    r"|\b(?:the\s+)?(?:whole|entire)\s+(?:company|compnay|comapny|org|organi[sz]ation)\b|\ball\s+staff\b"
    r"|\ball\s+of\s+(?!(?:my|the|them|us|it|these|those|your|his|her|our|their)\b)[a-z][\w-]*\b(?!['’])",
)


def _everyone_in(text: str) -> list[str]:
    """ "email everyone at Northwind": the organisation's all-staff address, as a name the
    contacts resolve ("everyone" in the meaning's terms)."""
    match = _EVERYONE.search(_without_quotes(text))
    return [EVERYONE] if match else []


def _message(text: str, people: list[PersonRef], *, link: bool = False, draft: bool = False) -> Message:
    content = wording.message_content(text)
    return Message(
        link=link,
        draft=draft,
        to=_fullest([p.name for p in people if p.role == "to"]) or _everyone_in(text),
        cc=_fullest([p.name for p in people if p.role == "cc"]),
        subject=content.subject,
        body=content.body,
        quoted=content.quoted,
        reply_all=bool(_REPLY_ALL.search(text.lower())),
    )


def _new_title(text: str) -> str | None:
    """The new event's title; "block it for focus" is named by its purpose."""
    title = wording.event_title(_LEADING_CONDITION.sub("", text))
    for phrase in time_phrases(title or ""):  # "atlas pricing chat mon 11.30": the time is no part of it
        title = (title or "").replace(phrase.text, " ")
    title = " ".join((title or "").split()).strip(" ,-") or None
    nameless = title is None or bool(re.match(r"(?:it|this|that|them)\b(?!\S)", title.lower()))
    if nameless or re.fullmatch(r"[\d\s:.apm-]+", title or ""):
        # "find half an hour tomorrow and book a Beacon budget check with them": the title
        # comes with the second verb.
        for later in _LATER_BOOKING.finditer(text):
            if (named := wording.event_title(text[later.start("verb") :])) and not _pronoun_only(named):
                return named
        # "block it for focus", "block 3 to 4:30 on Tuesday for Hiring plan review", "30
        # minutes with Sarah about the forecast": named by its purpose or subject; "for me,
        # Sarah and Daniel to go over the budget" by what it is to do.
        purposes = (
            r"\b(?:for|as|about|re|regarding|on\s+the(?!\s+(?:\d|first|last|next|morning|afternoon|evening)))\s+"
            r"(?:a |an |the )?(?P<what>[^,.;!?]+)"
        )
        for purpose in re.finditer(purposes, text, re.IGNORECASE):
            said = purpose.group("what")
            for phrase in time_phrases(said):
                said = said.replace(phrase.text, " ")
            said = re.sub(r"\s+(?:please|pls|thanks)\b.*$", "", " ".join(said.split()), flags=re.IGNORECASE)
            if said and said.split()[0].lower() not in ("me", "us", "him", "her", "them", "everyone"):
                return said[:1].upper() + said[1:]
        return wording.purpose_title(text)
    return title


#: A second verb that books the time found: "... and book a Beacon budget check with them".
_LATER_BOOKING = re.compile(r"\band\s+(?:then\s+)?(?P<verb>book|schedule|put\s+in|set\s+up|add|call\s+it|name\s+it)\b")


def _pronoun_only(title: str) -> bool:
    return bool(re.fullmatch(r"(?:it|this|that|them|one)(?:\s+in)?", title.lower()))


def _event(text: str, draft: IntentDraft, people: list[PersonRef], act: Act) -> EventSpec:
    lowered = text.lower()
    zone = _ZONE.search(lowered)
    return EventSpec(
        title=_new_title(text) if act == "create" else None,
        start=draft.new_time,
        keep_time=quantities.keeps_time(text),
        # "block 3 to 4:30 on Tuesday": a new event lasts the range of hours it is given.
        duration_minutes=quantities.duration_minutes(text)
        or (_range_minutes(draft.new_time or "") if act == "create" else None),
        shift_minutes=quantities.shift_minutes(text),
        all_day=bool(_ALL_DAY.search(lowered)),
        attendees=_fullest([p.name for p in people if p.role in ("with", "to", "cc", "any")])
        if act == "create"
        else [],
        location=draft.place if draft.place and not time_phrases(draft.place) else None,
        zone=(zone.group(1) or zone.group(2)) if zone else None,
        recurrence=" ".join(m.group(0) for m in _RECURRENCE.finditer(lowered)) or None,
    )


#: An access question about the user's own access.
_MY_ACCESS = re.compile(
    r"^(?:\w+\s+){0,3}?(?:can|could|do|am|have|may)\s+i\b|\b(?:do|have)\s+i\s+(?:have|got)\b"
    r"|\bmy\s+(?:access|acc?ess?|permissions?|rights|role)\b|\bi(?:'m| am)\s+(?:able|allowed)\b"
    r"|\b(?:access|permissions?|rights)\s+(?:do\s+)?i\s+have\b"
)
#: Whose access it is: "Tom Becker's access", "Daniel's permissions".
_WHOSE_ACCESS = re.compile(r"^(.+?)(?:'s|\u2019s)\s+(?:access|acc?ess?|permissions?|role|rights)\b")
#: Access given to someone, in the words people use ("let Priya comment on the PRD",
#: "priya should be able to comment on it", "give emma edit access to the JD").
_GRANTING = re.compile(
    r"\b(?:let|allow)\s+\w+(?:\s+\w+)?\s+(?:view|veiw|see|read|com+ent|edit)\b"
    r"|\b(?:should|shoud|needs? to|has to|must)\s+(?:be able to|can)\s+(?:view|veiw|see|read|com+ent|edit)\b"
    r"|\bgive\s+\w+(?:\s+\w+)?\s+(?:view|veiw|read|com+ent|comment|edit|editor|write)?\s*(?:access|acc?ess?|rights)\b"
)


def _share(lowered: str, people: list[PersonRef]) -> Share:
    said = _NOT_ROLE.sub(" ", lowered)
    role: ShareRole = "writer" if _EDIT.search(said) else "commenter" if _COMMENT.search(said) else "reader"
    access: ShareAccess = "revoke" if _REVOKE.search(lowered) else "set" if _SET_ACCESS.search(lowered) else "grant"
    sharers = [
        p.name
        for p in people
        if p.role != "from" or access == "revoke" or _WHOSE_ACCESS.match(lowered[lowered.find(p.name.lower()) :])
    ]
    return Share(people=sharers, role=role, access=access)


def _refinement(lowered: str, draft: IntentDraft) -> Refinement | None:
    if not draft.refers_to_previous:
        return None
    if _OTHER_ONE.search(lowered):
        return Refinement(kind="other_one")
    if _NEXT_PAGE.search(lowered):
        return Refinement(kind="next_page")
    if _NARROW.search(lowered):
        return Refinement(kind="narrow")
    if draft.item_ordinals or quantities.picks(lowered):
        return Refinement(kind="pick")
    return Refinement(kind="widen")


def _condition(lowered: str, draft: IntentDraft, people: list[PersonRef]) -> Condition | None:
    if _UNLESS_MEETING.search(lowered):
        met = [p.name for p in people if p.role in ("with", "any", "to")]
        return Condition(kind="no_meeting_with", people=met, time=draft.new_time or draft.when or _phrases_in(lowered))
    if _IF_FREE.search(lowered):
        return Condition(kind="free", time=_phrases_in(lowered) or draft.when or draft.new_time)
    return None


def _narrowed(previous: Frame, new: Frame) -> Frame:
    """ "only the ones about the forecast": the previous request's items that also match
    what this one adds (a topic, people, a time, flags), in the same service: the previous
    selection with the additions, run again (all its matches, not only those shown)."""
    before, added = previous.target, new.target
    target = before.model_copy(
        update={
            "topic": added.topic or added.title or before.topic,
            "people": before.people + [p for p in added.people if p.name not in {q.name for q in before.people}],
            "time": added.time or before.time,
            "unread": before.unread or added.unread,
            "starred": before.starred or added.starred,
            "has_attachment": before.has_attachment or added.has_attachment,
            "kinds": list(dict.fromkeys(before.kinds + added.kinds)),
            "picks": [],
            "previous": False,  # not the items shown: the selection that found them, narrowed
        }
    )
    return previous.model_copy(update={"target": target, "also": [], "refine": Refinement(kind="narrow")})


#: Words of a question about an item already shown: "who's coming?", "when does it start?".
_ASKED_OF_IT = frozenset(
    "coming going attending invited joining there start starts starting begin begins end ends finish finishes held "
    "happening located take takes place cost costs due say says said".split()
)


def _says_nothing_new(frame: Frame, also: frozenset[str] = frozenset()) -> bool:
    """Whether a follow-up names nothing of its own to look for ("show me a few more")."""
    target = frame.target
    filler = {
        "few",
        "couple",
        "bit",
        "rest",
        "more",
        "after",
        "those",
        "them",
        "ones",
        "results",
        "list",
        "show",
        "sho",
    }
    filler |= {"page", "next", "give", "see", "get", "keep", "going"}
    said = {word for word in (target.topic or "").lower().split() if word not in filler and word not in also}
    return not (said or target.title or target.people or target.time)


def _stepped(previous: Frame, new: Frame, kind: Literal["earlier", "later"]) -> Frame:
    """ "and the one before that?": the previous request's item before (or after) the one
    it found, the nearest one; asked as this request asks ("when was it?")."""
    target = previous.target.model_copy(
        update={"order": "latest" if kind == "earlier" else "next", "count": 1, "every": False, "time": None}
    )
    ask = new.ask if new.ask != "list" else previous.ask
    target.previous, target.picks = False, []
    return previous.model_copy(update={"target": target, "also": [], "ask": ask, "refine": Refinement(kind=kind)})


#: One of the previous answer's items, named by its time: "the September one", "the one
#: from Tuesday", "that one on the 3rd".
_MONTH_OR_DAY = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'?s)?\b"
)
_ONE_OF_THEM = re.compile(r"\bthe\s+(?:[\w']+\s+){0,2}?ones?\b|\b(?:that|this)\s+one\b")
#: The user's own side of the previous answer's exchanges, added to it.
_MINE_TOO = re.compile(
    r"\b(?:include|add|with|plus|and|show)\b.*\bmy\s+(?:own\s+)?(?:replies|replys|repiles|answers|responses|emails|messages)\b"
    r"|\b(?:the ones|what|those|emails|replies)\s+i\s+(?:sent|wrote|replied)\b.*\b(?:too|as well|also)\b"
    r"|\b(?:include|add)\b.*\b(?:replies|answers)\s+i\s+sent\b"
)
#: "what about ...?", "wat about last month", "and in Drive?": the previous request, changed.
_WHAT_ABOUT = re.compile(r"^(?:and |n |so |ok |okay )?(?:what|wat|wht|whta|how|hw) (?:about|abt|bout)\b")
#: A time said from the previous request's: "the week after (that)", "the month before".
_RELATIVE_IN_TEXT = re.compile(
    r"\bthe (day|week|month|year) (after|before)\b(?!\s+(?:next|this|last|tomorrow|today|yesterday|\w+day)\b)"
)
_RELATIVE_STEP = re.compile(r"^(?:the\s+)?(day|week|month|year)\s+(after|before)(?:\s+that)?$", re.IGNORECASE)


def _relative_time(said: str | None, before: str | None) -> str | None:
    """ "the week after" said of "next week": "the week after next week" (the resolver
    reads it from the earlier phrase); any other phrase as it is."""
    if said and before and (step := _RELATIVE_STEP.match(said.strip())):
        return f"the {step.group(1).lower()} {step.group(2).lower()} {before}"
    return said


def _continued(previous: Frame, new: Frame, named: list[Service]) -> Frame:
    """ "what about last month?", "and Drive?": the previous request with what this one says
    instead (a service it names, a time, people, a topic); everything else as it was."""
    before, said = previous.target, new.target
    service = named[0] if named else before.service
    # A person named again keeps their part ("emails from Sarah" ... "what about last month?").
    known = {person.name.lower(): person for person in before.people}
    people = [known.get(person.name.lower(), person) for person in said.people]
    target = before.model_copy(
        update={
            "service": service,
            "time": _relative_time(said.time, before.time) or before.time,
            "people": people or before.people,
            "topic": said.topic or before.topic,
            "title": said.title if service != before.service else (said.title or before.title),
            "previous": False,
        }
    )
    services = named if named else previous.services
    return previous.model_copy(
        update={"target": target, "services": services, "also": [], "refine": Refinement(kind="widen")}
    )


def _assign_people(frame: Frame, people: list[PersonRef]) -> Frame:
    """In a write, the people the content names (recipients, attendees, sharers) are the
    content's, not the target's: "forward the invoice to Tom" selects no mail of Tom's."""
    taken: set[str] = set()
    if frame.message is not None:
        taken |= {*frame.message.to, *frame.message.cc}
    if frame.event is not None and frame.act in ("create", "change"):
        taken |= {*frame.event.attendees, *frame.event.uninvited}
    if frame.share is not None:
        taken |= set(frame.share.people)
    if taken:
        said = {word for name in taken for word in name.lower().split()}
        frame.target.people = [p for p in frame.target.people if p.name not in taken and p.name.lower() not in said]
    return frame

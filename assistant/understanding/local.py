"""Offline understanding: no language model, the default without an API key and the
last link of the fallback chain.

The trained classifier picks a service and a group of operations, the trained CRF tags
people, dates, times, event names and file names, and the rules here choose the exact
operation from the verbs, find the topic and the body to write, split cross-service
requests into steps, and resolve follow-ups against the conversation context.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.understanding.classifier import IntentClassifier, Prediction, minilm_embedder
from assistant.understanding.context import ConversationContext
from assistant.understanding.features import normalise, tokenize
from assistant.understanding.frame import Act, Frame
from assistant.understanding.labels import GROUP_OPERATIONS, split_label
from assistant.understanding.people import recover_people
from assistant.understanding.schema import (
    SERVICES,
    Clarification,
    DraftStep,
    IntentDraft,
    Operation,
    Service,
)
from assistant.understanding.tagger import SlotTagger, spans_from_tags

if TYPE_CHECKING:
    from assistant.core.settings import Settings

SERVICE_CUES: dict[Service, re.Pattern[str]] = {
    "gmail": re.compile(r"\b(e-?mails?|mails?|inbox|gmail|messages?|emailed|replied|newsletters?|threads?)\b"),
    "calendar": re.compile(r"\b(calendar|meetings?|events?|appointments?|schedule|agenda|invites?|busy|free)\b"),
    "drive": re.compile(
        r"\b(drive|docs?|documents?|files?|spreadsheets?|sheets?|slides?|decks?|pdfs?|folders?|presentations?)\b"
    ),
}
OPERATION_CUES: list[tuple[Operation, re.Pattern[str]]] = [
    # "draft a reply" is a draft: drafting is checked first.
    ("draft", re.compile(r"\b(draft|prepare|compose)\b")),
    ("reply", re.compile(r"\b(reply|respond|answer|write back)\b")),
    ("forward", re.compile(r"\b(forward|fwd|pass (it|this|that) on)\b")),
    (
        "update",
        re.compile(r"\b(move|reschedule|postpone|push|shift|change|update|rename|extend|delay|bring forward)\b"),
    ),
    ("read", re.compile(r"\b(read|open|summari[sz]e|what does .* say)\b")),
]
#: A frame's act as the models' operation, for a follow-up that continues it.
OPERATION_OF_ACT: dict[Act, Operation] = {
    "find": "search",
    "read": "read",
    "free_time": "search",
    "prepare": "search",
    "send": "send",
    "draft": "draft",
    "reply": "reply",
    "forward": "forward",
    "create": "create",
    "change": "update",
    "delete": "delete",
    "share": "share",
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
    "latest": -1,
}
# "the second one", "the first email", "the last one"; not "the latest emails" (a filter).
_ORDINAL_REFERENCE = re.compile(
    rf"\b(?:the )?({'|'.join(ORDINALS)}) ones?\b"
    rf"|\bthe ({'|'.join(k for k, v in ORDINALS.items() if v > 0)}) (?:email|message|event|meeting|file|doc|item)\b"
)
# "move it", "forward that to tom", "delete this"; not "this week".
_PRONOUN_REFERENCE = re.compile(r"\b(it|them|those|these)\b|\b(that|this)(?= (?:to|with|for|please|now)\b|\W*$)")
_VERB = re.compile(
    r"\b(send|email|mail|write|share|cancel|delete|remove|trash|schedule|book|add|create|set|remind|"
    r"invite|move|find|search|show|list|open|read|give|forward|reply|draft|tell|when|who|where)\b"
)
_FILLER = {
    "the",
    "a",
    "an",
    "my",
    "me",
    "for",
    "of",
    "any",
    "anything",
    "some",
    "stuff",
    "things",
    "thing",
    "what",
    "about",
    "and",
    "from",
    "to",
    "with",
    "new",
    "is",
    "there",
    "please",
    "i",
    "have",
    "on",
}
_EVENT_RELATIVE = re.compile(r"\b(?:before|until|after) (?:my|the|our) [a-z]+(?: (?:to|with|in) [a-z]+)?")
_ASKED_IF_DONE = re.compile(
    r"^(did|have|has) \w+ (add|added|put|schedul\w*|book\w*|set|creat\w*)\b"
    r"|\b(been|was|were) (added|scheduled|booked|set up|created|put)\b"
)
_LOOKUP_START = re.compile(
    r"^(please |can you |could you )?(search|find|look (up|for)|show|list|pull up|bring up|check)\b"
)
_POSSESSED_MAIL = re.compile(r"\bmy (?:[a-z]+ )?(?:e-?mails?|mails?|messages?)\b")
_WRITE_VERB = re.compile(r"\b(send|write|draft|compose|reply|respond|forward)\b")
_REBOOK = re.compile(r"\b(reschedule|rebook|move|push|postpone)\b")
_COMPOSE_START = re.compile(r"(please |can you |could you )?(e-?mail|mail|forward|reply|respond|write to)\b")
_QUESTION = re.compile(r"^(what|what's|when|where|who|who's|which|how|is|are|am|do|does|did|any|has|have|can i)\b")
_SEND_DRAFT = re.compile(r"^(ok |yes |please )?send( (it|the draft|that))?( now)?\W*$")
_CONTINUATION = re.compile(r"^(and|what about|how about|same (for|with)|also|now)\b")
_TOPIC = re.compile(
    r"\b(?:about|regarding|re|concerning|mentioning|on the subject of|titled|called|named|with subject)\s+"
    r"(?:the |my |our )?(.+?)(?=\s+(?:from|to|with|by|on|in|at|for|since|before|after|and|next|last|this|"
    r"today|tomorrow|yesterday)\b|$)"
)
_BODY = re.compile(
    r"\b(?:saying|that says|to say|and say|say|telling (?:him|her|them)|tell (?:him|her|them)|asking|that)\s+(.+)$"
)
_SUBJECT = re.compile(r"\bsubject(?: line)?\s+(.+?)(?=\s+(?:saying|and|to)\b|$)")
# Below this probability, or with two services this close, the request is ambiguous.
CONFIDENT = 0.55
# A vague request ("what's on tomorrow") is still clear when the classifier is this sure.
SURE = 0.9
CLOSE_MARGIN = 0.15
GROUP_NAMES = {"query": "find", "compose": "write", "write": "add or change", "delete": "delete", "share": "share"}
SERVICE_NAMES = {"gmail": "email", "calendar": "calendar", "drive": "Drive"}


@dataclass(frozen=True)
class Reading:
    """The classifier's and the tagger's view of one request."""

    text: str
    tokens: list[str]
    prediction: Prediction
    slots: dict[str, list[str]]


def choose_operation(group: str, text: str) -> Operation:
    """The operation inside a classifier group that the verbs ask for."""
    members = GROUP_OPERATIONS[group]
    for operation, cue in OPERATION_CUES:
        if operation in members and cue.search(text):
            return operation
    return members[0]


def adjust_group(group: str, text: str) -> str:
    """Corrections from sentence structure that bag-of-words features cannot see."""
    if group == "write" and _ASKED_IF_DONE.search(text):
        return "query"  # "did you add ... to my calendar?" asks to look
    if group == "compose" and _LOOKUP_START.match(text):
        return "query"  # "find ...", "search ..." never writes a message
    if group == "compose" and _names_own_mail(text):
        return "query"
    if group == "delete" and _REBOOK.search(text):
        return "write"  # "cancel it and reschedule for thursday" moves the event
    return group


def _names_own_mail(text: str) -> bool:
    """ "my last email to Tom", "my emails to Sarah": mail the user has, to look up (nobody
    writes "my email"), unless a verb asks to write ("send my email to Tom again")."""
    return bool(_POSSESSED_MAIL.search(text)) and not _WRITE_VERB.search(text) and not _COMPOSE_START.match(text)


def _asks_for_anything(text: str) -> bool:
    """Whether a verb of the request says what to do ("add", "move", "find", "when")."""
    return bool(_VERB.search(text)) or any(cue.search(text) for _, cue in OPERATION_CUES)


def _mentioned_services(text: str) -> list[Service]:
    """Services named in the text, in the order they are first named.

    A cue word that only modifies another service's noun ("the meeting notes doc", "the
    agenda doc") counts as naming the noun's service, not its own.
    """
    positions: dict[Service, int] = {}
    for service in SERVICES:
        for match in SERVICE_CUES[service].finditer(text):
            next_words = text[match.end() :].split()[:2]
            others = [SERVICE_CUES[o] for o in SERVICES if o != service]
            listed = bool(next_words) and next_words[0] in ("and", "&", "+", "or", ",")  # "files and emails"
            if listed or not any(cue.fullmatch(word) for cue in others for word in next_words):
                positions[service] = match.start()
                break
    return sorted(positions, key=positions.__getitem__)


def _group_for(service: Service, group: str) -> str:
    """The nearest group that exists for a service (only Gmail composes, only Drive shares)."""
    if service == "drive" and group == "compose":
        return "share"
    if service != "drive" and group == "share":
        return "compose" if service == "gmail" else "write"
    if service == "gmail" and group == "write":
        return "compose"
    if service == "drive" and group == "write":
        return "query"
    return group


def _unsure(reading: Reading) -> bool:
    (_, p_top), (_, p_second) = reading.prediction.ranked[:2]
    return p_top < CONFIDENT or p_top - p_second < CLOSE_MARGIN


def _top_two(reading: Reading) -> tuple[tuple[Service, str], tuple[Service, str]]:
    return split_label(reading.prediction.ranked[0][0]), split_label(reading.prediction.ranked[1][0])


@dataclass(frozen=True)
class Settled:
    service: Service
    group: str
    also_search: list[Service]
    #: False when the classifier is unsure between readings only the user can choose.
    certain: bool


def settle(reading: Reading) -> Settled:
    """The classifier's reading, settled when it is unsure between two readings that need
    no question: two places to look (look in both), a question that could also be a
    change ("what's the cancellation fee for my flight": a question looks things up), or
    the user's own mail that could also be a message to write ("my emails to Sarah")."""
    (service, group), (second_service, second_group) = _top_two(reading)
    if not _unsure(reading):
        return Settled(service, group, [], certain=True)
    if group == second_group == "query" and second_service != service:
        return Settled(service, group, [second_service], certain=True)
    if {group, second_group} == {"query", "compose"} and service == second_service and _names_own_mail(reading.text):
        return Settled(service, "query", [], certain=True)
    if "query" in (group, second_group) and group != second_group and _QUESTION.match(reading.text):
        if group == "query":
            return Settled(service, group, [], certain=True)
        return Settled(second_service, second_group, [], certain=True)
    return Settled(service, group, [], certain=False)


def _is_vague(reading: Reading) -> bool:
    """No service named, no verb, at most two words that are not about time: 'sarah'."""
    text = reading.text
    if _mentioned_services(text) or _asks_for_anything(text):
        return False
    timed = {w for phrase in _time_phrases(reading.slots, text) for w in phrase.split()}
    content = [t for t in reading.tokens if t not in _FILLER and t not in timed and t.isalnum()]
    return len(content) <= 2


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _time_phrases(slots: dict[str, list[str]], text: str) -> list[str]:
    """Date, time and part-of-day spans in the order they appear in the text, and
    phrases relative to an event ("before my flight")."""
    spans = [v for key in ("date", "time", "timeofday") for v in slots.get(key, [])]
    spans += [m.group(0) for m in _EVENT_RELATIVE.finditer(text)]
    return sorted(spans, key=lambda span: text.find(span))


def _split_when(group: str, operation: Operation, phrases: list[str], text: str) -> tuple[str | None, str | None]:
    """(when, new_time): which phrases select items and which give a new event time."""
    if not phrases:
        return None, None
    if group == "write" and operation == "update":
        moved_to = re.search(r"\b(to|for|until|till)\b", text)
        after = [p for p in phrases if moved_to and text.find(p) > moved_to.start()]
        before = [p for p in phrases if p not in after]
        return (" ".join(before) or None), (" ".join(after or phrases))
    if group == "write":
        return None, " ".join(phrases)
    return " ".join(phrases), None


# Words the tagger sometimes marks as a person in speech-like text ("my meetings with her").
_NOT_PEOPLE = {
    "i",
    "me",
    "my",
    "mine",
    "you",
    "your",
    "he",
    "him",
    "his",
    "she",
    "her",
    "hers",
    "we",
    "us",
    "our",
    "they",
    "them",
    "their",
}


def _people(slots: dict[str, list[str]]) -> list[str]:
    names = [re.sub(r"'s$", "", person) for person in slots.get("person", [])]
    return [name for name in names if name.lower().strip() not in _NOT_PEOPLE]


class LocalUnderstanding:
    def __init__(self, classifier: IntentClassifier, tagger: SlotTagger) -> None:
        self._classifier = classifier
        self._tagger = tagger

    def read(self, text: str) -> Reading:
        normalised = normalise(text)
        tokens = tokenize(normalised)
        tags = recover_people(tokens, self._tagger.tag(tokens), self._tagger.common_words)
        return Reading(normalised, tokens, self._classifier.predict(normalised), spans_from_tags(tokens, tags))

    def understand(self, text: str, context: ConversationContext | None = None) -> IntentDraft:
        reading = self.read(text)
        context = context or ConversationContext()
        previous = context.last_search or context.last_frame
        if previous is not None and self._is_continuation(reading):
            return self._continue(reading, previous)
        return self._fresh(reading, context)

    # -- a request on its own (possibly pointing at items of the previous answer) ----------

    def _fresh(self, reading: Reading, context: ConversationContext) -> IntentDraft:
        text, slots = reading.text, reading.slots
        settled = settle(reading)
        service, group = settled.service, adjust_group(settled.group, text)
        if group == "write" and not (
            _asks_for_anything(text) or _mentioned_services(text) or _time_phrases(slots, text)
        ):
            group = "query"  # "client that might churn": no verb, no time, no calendar: nothing to add
        ordinals = [ORDINALS[m.group(1) or m.group(2)] for m in _ORDINAL_REFERENCE.finditer(text)]
        pointing = bool(ordinals) or bool(_PRONOUN_REFERENCE.search(text))
        items = context.last_items
        refers = pointing and bool(items or context.last_actions)
        if refers and items and not _mentioned_services(text):
            service = items[0].service
            group = _group_for(service, group)
        if refers and not ordinals and items:
            ordinals = [1]
        if _SEND_DRAFT.match(text):
            service, group = "gmail", "compose"
        mentioned = _mentioned_services(text)
        # "my meetings with sarah and her emails": the service named first leads.
        if len(mentioned) > 1 and not refers and mentioned[0] != service:
            service = mentioned[0]
            group = "compose" if service == "gmail" and _COMPOSE_START.match(text) else _group_for(service, group)
        operation = choose_operation(group, text)
        services = list(dict.fromkeys([service, *mentioned, *(settled.also_search if group == "query" else [])]))
        when, new_time = _split_when(group, operation, _time_phrases(slots, text), text)
        people = _people(slots)
        draft = IntentDraft(
            services=services,
            operations=[operation],
            steps=self._steps(services, operation, text),
            people=people,
            when=when,
            new_time=new_time,
            topic=self._topic(text, group),
            subject=_first(_SUBJECT.findall(text)),
            event_title=_first(slots.get("event_name", [])),
            file_name=_first(slots.get("file_name", [])),
            body=self._body(text, group),
            place=_first(slots.get("place_name", [])),
            item_ordinals=ordinals if refers else [],
            refers_to_previous=refers,
            confidence=round(reading.prediction.probability, 3),
            clarification=None if refers else self._clarification(reading, pointing, settled.certain),
            slots=IntentDraft.slots_from(slots),
        )
        draft.operations = list(dict.fromkeys([operation, *(step.operation for step in draft.steps)]))
        return draft

    def _steps(self, services: list[Service], operation: Operation, text: str) -> list[DraftStep]:
        primary = services[0]
        # "email sarah the q3 report": find the file first, then write the email with it.
        if primary == "gmail" and operation in GROUP_OPERATIONS["compose"] and "drive" in services:
            return [
                DraftStep(service="drive", operation="search", description="find the file", depends_on=[]),
                DraftStep(service="gmail", operation=operation, description="write the email with it", depends_on=[0]),
            ]
        if primary == "drive" and operation == "share" and not re.search(r"\b(it|that|this|these)\b", text):
            return [
                DraftStep(service="drive", operation="search", description="find the file", depends_on=[]),
                DraftStep(service="drive", operation="share", description="share it", depends_on=[0]),
            ]
        steps = [DraftStep(service=primary, operation=operation, description=f"{operation} {primary}", depends_on=[])]
        for other in services[1:]:
            steps.append(DraftStep(service=other, operation="search", description=f"search {other}", depends_on=[]))
        return steps

    @staticmethod
    def _topic(text: str, group: str) -> str | None:
        if group == "compose":
            return None
        match = _TOPIC.search(text)
        return match.group(1).strip(" ?!.,") or None if match else None

    @staticmethod
    def _body(text: str, group: str) -> str | None:
        if group != "compose":
            return None
        match = _BODY.search(text)
        return match.group(1).strip() if match else None

    @staticmethod
    def _clarification(reading: Reading, dangling_reference: bool, certain: bool) -> Clarification | None:
        if dangling_reference and len(reading.tokens) <= 4:
            return Clarification(
                kind="item",
                question="Which item do you mean? I have nothing from earlier in this conversation to refer to.",
                options=[],
            )
        if (_is_vague(reading) and reading.prediction.probability < SURE) or (
            LocalUnderstanding._is_continuation(reading) and not _mentioned_services(reading.text)
        ):
            services = [split_label(label)[0] for label, _ in reading.prediction.ranked]
            options = [SERVICE_NAMES[s] for s in dict.fromkeys(services)]
            return Clarification(
                kind="service", question="Where should I look: your " + ", your ".join(options) + "?", options=options
            )
        if certain:
            return None
        (top_service, top_group), (second_service, second_group) = _top_two(reading)
        if top_service != second_service and not _mentioned_services(reading.text):
            options = [SERVICE_NAMES[top_service], SERVICE_NAMES[second_service]]
            return Clarification(
                kind="service", question=f"Should I look in your {options[0]} or your {options[1]}?", options=options
            )
        if top_service == second_service and top_group != second_group:
            options = [GROUP_NAMES[top_group], GROUP_NAMES[second_group]]
            return Clarification(
                kind="operation", question=f"Do you want me to {options[0]} or {options[1]}?", options=options
            )
        return None

    # -- a continuation of the previous request ------------------------------------------

    @staticmethod
    def _is_continuation(reading: Reading) -> bool:
        """'and Drive?', 'what about last month?': short, starting with a continuation."""
        return bool(_CONTINUATION.search(reading.text)) and len(reading.tokens) <= 8

    def _continue(self, reading: Reading, previous: Frame) -> IntentDraft:
        """The previous request with what this turn changes: services, time or people."""
        text, slots = reading.text, reading.slots
        target = previous.target
        mentioned = _mentioned_services(text)
        services = mentioned or previous.services or ["gmail"]
        operations: list[Operation] = [OPERATION_OF_ACT.get(previous.act, "search")] if not mentioned else ["search"]
        phrases = _time_phrases(slots, text)
        people = _people(slots) or [p.name for p in target.people]
        return IntentDraft(
            services=services,
            operations=operations,
            steps=[
                DraftStep(service=s, operation=operations[0], description=f"{operations[0]} {s}", depends_on=[])
                for s in services
            ],
            people=people,
            when=" ".join(phrases) or target.time,
            new_time=None,
            topic=self._topic(_CONTINUATION.sub("", text), "query") or target.topic,
            subject=previous.message.subject if previous.message else None,
            event_title=_first(slots.get("event_name", [])) or (target.title if target.service == "calendar" else None),
            file_name=_first(slots.get("file_name", [])) or (target.title if target.service == "drive" else None),
            body=None,
            place=previous.event.location if previous.event else None,
            item_ordinals=[],
            refers_to_previous=True,
            confidence=round(max(reading.prediction.probability, previous.confidence), 3),
            clarification=None,
            slots=IntentDraft.slots_from(slots),
        )


_instance: LocalUnderstanding | None = None
_instance_lock = threading.Lock()


def local_understanding(settings: Settings) -> LocalUnderstanding:
    """The process's offline understanding, loaded once (about a second: the embedding model)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = LocalUnderstanding(IntentClassifier(minilm_embedder(settings)), SlotTagger())
        return _instance

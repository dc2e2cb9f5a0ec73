"""What the request says should be written: quoted text, a message's subject and body, an event's title.

Pure functions over the request's words (no I/O, no models) for the offline reader to
fill `Message.subject`, `Message.body`, `Message.quoted` and `EventSpec.title` of the
frame, and to name the existing event a change points at. What they return is a slice of
the request with its case, never spell-corrected; the changes are that an unquoted new
event title gets a capital first letter when its first word is all lower case, "w/" reads
"with", and an invited activity gets " with <people>" ("Lunch with Sarah Chen").

`quoted_spans`
    Text between quote marks: "", '', “”, ‘’, «» (a straight or curly double quote may
    close either). A single quote opens only at the start or after a space, colon,
    opening bracket, dash or slash, before a non-space; it closes only after a non-space,
    before the end, a space or punctuation. So the apostrophes of "Sarah's", "I'll",
    "don't", "Q4's", "the 90s'" never count, and the elisions '90s, 'til, 'em, 'cause,
    'bout, 'n' never open. A quote that opens and never closes runs to the end of the text
    when a content cue introduces it ("saying", "subject", "text:", "called", "rename ...
    to", a colon...), else it is ignored.

`message_content`
    A message's subject and body, from, in this order:
    - quotes, by the words just before each: subject cues ("with the subject (line)",
      "subj", "titled", "re:", "the subject should be"), body cues ("saying", "say",
      "that says", "that reads", "writing", "with the message/text/body", ", body",
      "tell her", "let him know", "reply ... with", a colon or dash); a quote with no cue
      that ends the request after a name ("email Tom 'running late'") is the body;
    - labels without quotes: "Subject: X. Message: Y", "- subject: X - text: Y",
      "with the subject X saying Y", "titled X", "re: X"; an unquoted subject ends at a
      comma, a sentence end, " - " or the next body cue;
    - reported speech: "tell Sarah (that) ...", "let Sarah from finance know ...",
      "email Sarah that ...", "... letting her know that ...", "... and say ...";
    - a gist after a gerund ("inviting her to ...", "asking for ...", "thanking him ..."),
      kept with the gerund;
    - whatever follows a colon ("Answer Sarah's newest message: ...").
    The earliest cue wins, so cue words later on are words of the body; a subject cue after
    the body has begun counts only after a break (", subject X", "with the subject X").
    Cue words tolerate one slip (a letter dropped, doubled or two swapped: "subjet",
    "sbject", "sayin", "mesage", "lettin", "emial"). `quoted` is true when the body is
    given word for word (in quotes, after a label or a colon), false for reported speech
    and gists. An unquoted body loses a trailing "please"/"thanks", "and cc X", the
    request's final full stop (and its question mark when the request asks "could you
    ..."); a quoted one is kept verbatim. A subject cue right after an existing message
    ("forward the email with the subject X", "Sarah's email titled X", "the thread re:
    X") describes that message and is not the new subject.

`event_title`
    The name of an event to create, or the new name in a rename. Quoted text after
    "called", "titled", "named", "call it", "rename ... to", "change the name ... to"
    wins; then their unquoted forms; then a quote anywhere not after with/for/to; then the
    words between the verb (with politeness, article, duration and leading time phrases)
    and the first time, duration, "on my calendar", "at ...", punctuation, people or
    purpose phrase ("book a 90-minute Design Crit on Thursday at 1pm" is "Design Crit").
    Politeness covers "would you mind", "could you (possibly/please)", "can u", "I'd like
    you to", "is it possible to", "as discussed", a greeting ("Hi Daniel,"), with one slip
    in could/would/please ("cuold", "plese"); a gerund is the verb only after "mind" or
    "how about" ("would you mind adding lunch with Sarah" is "Lunch with Sarah", but "book
    the planning meeting" keeps "Planning"). A single activity word keeps its people
    ("lunch with Sarah" is "Lunch with Sarah"); longer names drop them ("a Beacon budget
    check with Sarah" is "Beacon budget check"). "invite <people> to/for X" and "send
    <people> an invite/invitation for/to X" (also "send an invite to <people> for X")
    name X, and a single activity word gets the people when they are given by capitalised
    names ("invite Sarah Chen to lunch" is "Lunch with Sarah Chen", "invite him to lunch"
    is "Lunch"); "send an invite to Sarah" names nothing. After the time, "as X" names it
    ("block out the whole of this Friday as a focus day" is "Focus day"). After only time
    or a bare word, "for X" names the purpose ("block Friday afternoon for focus" is
    "Focus") unless X reads as people; after a bare word, "about X" names the topic; after
    a bare word and its people or after only time, an infinitive names it ("schedule time
    with Lena to review the PRD" is "Review the PRD"), while "lunch with Sarah to celebrate"
    stays "Lunch with Sarah". Bare words ("event", "time", "slot", "something", "meeting"
    without people) name nothing: None.

`existing_event_title`
    The name of an event that a change or cancel request points at, to search for it, as
    written (case kept, never capitalised). It follows the first change verb (move, mvoe,
    push (back), bring forward, shift, reschedule, postpone, cancel, cancle, call off,
    delete, remove, drop, skip, decline, rename, change, extend, make ...; "would you mind
    cancelling"), or the event after "add/invite/remove <people> to/from <the X>". Leading
    determiners and possessives (the, my, our, his, this, next, all (of), every,
    tomorrow's, Monday's, this week's), times ("3pm", "the 9:30", "10 o'clock"), durations
    ("30-minute"), "occurrences of" and "the time/location of" are skipped; the name ends
    at a time, a shift ("fifteen minutes earlier", "back", "by 30 min"), a destination or
    place ("to Friday", "from ... to", "on", "at", "in"), "with <people>" (dropped: "renewal
    call with Brightwave" is "renewal call"), "'s time", "for me", a clause ("I have",
    "is", "that") or punctuation; "for X" inside stays ("dinner for Olivia's birthday"). A
    quote right there is the name ("cancel the 'Budget sync' meeting"), as is "called X"
    after a bare word. Only generic words ("meeting", "call", "event", "zoom call", "my
    3pm", "the second one", "the whole series", "afternoon") give None. When the object is
    "it"/"this", a topic that opens the request with a determiner is the name ("the
    standup tomorrow - can you make it 15 minutes earlier?" is "standup"). It does not
    check that the request is about calendar events ("delete the old roadmap doc" gives
    "old roadmap doc").

Not handled (known):
    - a plural possessive inside single quotes ("saying 'the designers' feedback is in'"
      closes at "designers'"), and quotes nested in the same kind of quote;
    - reported requests are not rewritten: "tell Tom to send me the deck" gives
      "to send me the deck"; "ask Tom whether ..." and "email Tom to ask if ..." give no
      body; nor does reported speech with no cue ("email Sarah the deploy is green");
    - "saying that works for me" reads "that" as a conjunction ("works for me");
    - unquoted subjects with a comma ("subject: Q3, Q4 plans" gives "Q3");
    - "tell <someone> <clause>" needs the clause to start within seven words with a word
      like I/I'll/we/the/it/that/to, or after a comma;
    - event titles: "for X" where X is a capitalised purpose reads as people ("block
      Friday for Q3 Planning" gives None); words before the first "on"/"at" are cut
      ("a talk on AI safety on Friday" gives "Talk on AI safety", but "a talk at the
      summit" gives "Talk"); "rename" without "to"/"as" ("rename the standup Daily sync")
      gives None; a rename's first " to " is taken as the separator; an infinitive after an
      invited activity stays ("invite Sarah for lunch to celebrate" gives "Lunch to
      celebrate"); people typed in lower case are not added to an invited activity ("invite
      sarah to lunch" gives "Lunch"); "block Friday as" (nothing after "as") gives "As";
    - existing events: "to"/"on"/"at" inside a name are cut ("cancel my trip to Paris"
      gives "trip", "the talk on AI safety" gives "talk"); a topic before the verb needs a
      determiner ("Brightwave renewal call: cancel it" gives None); a rename without "to"
      runs into the new name ("rename the standup Daily sync" gives "standup Daily sync");
      a time word that is part of the name is skipped ("the Friday standup" gives
      "standup"); verbs with two slips ("resceduale") are not read; "drop Sarah a note"
      reads "drop" as a change verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Quoted:
    """Text between quote marks: `text` is the inside, `start`/`end` include the marks."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class MessageContent:
    """What a message should say; `quoted` when the body is given word for word."""

    subject: str | None = None
    body: str | None = None
    quoted: bool = False


def _loose(word: str) -> str:
    """A pattern for `word` and its one-slip typos: a letter dropped, doubled, or two neighbours swapped."""
    variants = {word}
    for i in range(len(word)):
        variants.add(word[:i] + word[i + 1 :])
        variants.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            variants.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return "(?:" + "|".join(sorted(variants, key=lambda v: (-len(v), v))) + ")"


# --- Quote marks ---------------------------------------------------------------------

# Each opening mark and the marks that may close it.
_CLOSERS = {'"': '"”“', "“": '”"“', "„": '“”"', "«": "»", "'": "'’", "‘": "’'"}
_SINGLE = "'‘’"
_BEFORE_SINGLE_OPEN = ':([{-–—"“«/'
_AFTER_SINGLE_CLOSE = ".,;:!?)]}-–—…\"”»'’"
_CUE_REACH = 120  # how far before an unclosed quote its content cue may start
_ELISION = re.compile(r"['‘](?:(?:\d0s|\d\ds|em|til|cause|bout)\b|n['’](?!\w))", re.IGNORECASE)

# --- Cue words -------------------------------------------------------------------------

_MESSAGE_WORD = rf"(?:{_loose('message')}|text|txt|body|msg|content)"
_SUBJECT_CUE = (
    rf"(?:\b(?:(?:with|and)\s+)?(?:the\s+|a\s+)?(?:{_loose('subject')}|subj)\b(?:\s+line)?(?!\s+of\b)"
    r"(?:\s+(?:as|is|being|should\s+be|will\s+be)\b)?"
    r"|\b(?:en)?titled\b|\bwith\s+(?:the\s+|a\s+)?title\b|\bre\s*:)"
)
_SAY = rf"\b(?:(?:and|to|that|which)\s+)?(?:says|say|{_loose('saying')})\b(?:\s+that\b)?"
_AUDIENCE = r"(?:him|her|them|me|us|everyone|everybody|all|the\s+(?:team|group))"
_TELL = rf"\b(?:tell|{_loose('telling')}|inform|informing)\s+{_AUDIENCE}\b(?:\s+that\b)?"
_LET_KNOW = rf"\b(?:let|{_loose('letting')})\s+{_AUDIENCE}\s+know\b(?:\s+that\b)?"
_WRITTEN = (
    r"\b(?:(?:that|which)\s+)?(?:reads|reading)\b|\bwriting\b(?!\s+(?:to|back|an?|up|it)\b)"
    rf"|\bwith\s+(?:the\s+|a\s+)?(?:{_MESSAGE_WORD}|words)\b"
    r"(?!\s+(?:saying|says|that|which|telling|letting|reading|reads)\b)"
)
_LABEL = rf"\b{_MESSAGE_WORD}\s*(?::|[-–—]\s)"
# "…, body 'X'", "and the message 'X'": a body named by its noun after a break.
_NOUN_LABEL = rf"(?:^|[,.;:]|\band|\bwith)\s*(?:the\s+|a\s+)?(?:{_MESSAGE_WORD}|words)"
_GIST = (
    r"\b(?:inviting|asking|reminding|thanking|confirming|requesting|apologi[sz]ing|congratulating|welcoming"
    r"|proposing|suggesting|announcing|introducing|declining|accepting|sharing|explaining|updating"
    r"|following\s+up|checking\s+in)\b"
)
_COMPOSE = (
    rf"\b(?:{_loose('email')}|e-mail|mail|message|text|ping|write|reply|respond|answer|tell|inform|notify|drop|send"
    r"|shoot|draft)\b"
)
_TITLE_CUE = (
    r"(?:\b(?:called|titled|entitled|named|title|name)\b|\b(?:call|name|title)\s+it\b"
    r"|\b(?:rename|retitle)\b.*\b(?:to|as)\b|\b(?:change|update|set)\b.*\b(?:name|title)\b.*\b(?:to|as)\b)"
)

_SUBJECT_LEAD = re.compile(rf"{_SUBJECT_CUE}\s*[:\-–—,]?\s*$", re.IGNORECASE)
_BODY_LEAD = re.compile(
    rf"(?:{_SAY}|{_TELL}|{_LET_KNOW}|\bknow(?:\s+that)?|{_WRITTEN}|{_LABEL}|{_NOUN_LABEL})\s*[:\-–—,]?\s*$|[:\-–—]\s*$",
    re.IGNORECASE,
)
_REPLY_WITH_LEAD = re.compile(r"\b(?:reply|respond|answer|write\s+back)\b(?:\s+\S+){0,6}?\s+with\s*$", re.IGNORECASE)
_WITH_LEAD = re.compile(r"\bwith\s*$", re.IGNORECASE)
_TITLE_LEAD = re.compile(rf"{_TITLE_CUE}\s*[:\-–—,]?\s*$", re.IGNORECASE)
_CONTENT_CUE = re.compile(
    rf"{_SUBJECT_LEAD.pattern}|{_BODY_LEAD.pattern}|{_REPLY_WITH_LEAD.pattern}|{_TITLE_LEAD.pattern}", re.IGNORECASE
)
# Words after which a quote names an existing item, not the text to write.
_NOT_BODY_LEAD = re.compile(
    r"(?:\b(?:about|regarding|re|on|from|to|the|a|an|my|our|called|named|titled|of|in|for|forward|fwd|find|"
    r"open|read|search|attach|attaching)|['’]s)\s*$",
    re.IGNORECASE,
)
# A noun phrase naming a message that exists: "the email", "Sarah Chen's last email".
_EXISTING = re.compile(
    r"(?:\b(?:the|that|this|these|those|his|her|their|its|your|my|our)|\w['’]s)\s+(?:(?!(?:an?|new)\b)[\w'’-]+\s+){0,3}?"
    r"(?:e-?mails?|mails?|messages?|threads?|notes?|invites?|invitations?|conversations?|replies|reply|drafts?)"
    r"\s*,?\s*$",
    re.IGNORECASE,
)
# After a quote: nothing left but punctuation and thanks.
_TAIL = re.compile(r"(?:[\s,.;:!?)]|please|pls|thanks|thank\s+you|thx|ty|cheers)*", re.IGNORECASE)

# --- Message values --------------------------------------------------------------------

_SUBJECT_VALUE = re.compile(
    rf"(?P<cue>{_SUBJECT_CUE})\s*[:\-–—]?\s*(?P<value>[^\s'\"“‘«\x00].*?)"
    rf"(?=\s*[-–—]\s|[.!?;,](?:\s|$)|\s+(?:and\s+)?(?:{_SAY}|{_TELL}|{_LET_KNOW}|{_WRITTEN}|{_LABEL}|{_GIST})|\s*$)",
    re.IGNORECASE,
)
# Where an unquoted body stops: a subject label or a cc after it.
_BODY_END = re.compile(
    rf"(?:[,.;]|\s[-–—]|\s+and|\s+with(?:\s+the|\s+a)?)\s+(?:the\s+)?(?:{_loose('subject')}|subj)\b"
    r"|[,.;]?\s+(?:and\s+)?b?cc\b.*$|[,.;]?\s+and\s+send\s+it(?:\s+now)?\b",
    re.IGNORECASE,
)
_POLITE_END = re.compile(
    r"[,;]?\s*\b(?:please|pls|plz|thanks|thank\s+you|thank\s+u|thx|ty|cheers)(?:\s+(?:so|very)\s+much)?[\s.!?]*$",
    re.IGNORECASE,
)
# Before a subject cue inside a body: a break that ends the body ("saying hi, subject X").
_BREAK = re.compile(r"(?:[,.;:]|\s[-–—]|\band)\s*$", re.IGNORECASE)
_WITH = re.compile(r"with\b", re.IGNORECASE)
_ASKING = re.compile(r"^\W*(?:please\s+)?(?:could|can|would|will)\s+(?:you|u)\b", re.IGNORECASE)
# Cues that introduce an unquoted body, with whether the body is then word for word.
_BODY_CUES: list[tuple[re.Pattern[str], bool]] = [
    (re.compile(rf"{_LABEL}\s*", re.IGNORECASE), True),
    (re.compile(rf"(?:{_SAY}|{_TELL}|{_LET_KNOW})\s*:?\s*", re.IGNORECASE), False),
    (re.compile(rf"(?:{_WRITTEN})\s*:?\s*", re.IGNORECASE), True),
    (re.compile(r"\blet\s+(?:\S+\s+){1,5}?know\b(?:\s+that\b)?\s*", re.IGNORECASE), False),
    (
        re.compile(r"\b(?:reply|respond|answer|write\s+back)\b(?:\s+\S+){0,5}?\s+with\s+(?!the\s+subj)", re.IGNORECASE),
        False,
    ),
    (re.compile(r":\s+"), True),
]
_TELL_VERB = re.compile(r"\b(?:tell|inform|notify)\s+", re.IGNORECASE)
_THAT = re.compile(r"(?<!\bso )(?<!\bnow )\bthat\s+", re.IGNORECASE)
_GIST_START = re.compile(_GIST, re.IGNORECASE)
_COMPOSE_VERB = re.compile(_COMPOSE, re.IGNORECASE)
# Words that start the reported clause after "tell <someone>".
_CLAUSE_START = frozenset(
    "that to i i'll i'm i've i'd ill im ive we we'll we're we've weve the it it's its our my you you're youre your"
    " he she they there this these those everything nothing no yes thanks thank sorry congrats congratulations"
    " happy hi hello hey a an not how what when where why if whether ok okay sounds let's lets can could will"
    " good great all".split()
)
_RECIPIENT_LINKS = frozenset({"from", "in", "at", "of", "on", "with"})  # "Sarah from the finance team"
_MAX_RECIPIENT_WORDS = 6

# --- Event titles ----------------------------------------------------------------------

_DAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)days?|tues|weds|thurs)\b"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)\b"
)
_CLOCK = r"\d{1,2}(?::\d{2})?\s*[ap]\.?m\b\.?|\d{1,2}:\d{2}\b"
_TIME = (
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow|weekdays|weekends|noon|midnight|eod|asap)\b"
    rf"|\b(?:this|next|coming|every|each)\s+(?:week(?:end)?|month|year|morning|afternoon|evening|day|{_DAY})"
    rf"|\b{_DAY}"
    r"|\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b"
    rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
    r"|\b\d{1,2}(?::\d{2})?\s*[-–]\s*\d{1,2}(?::\d{2})?\s*[ap]\.?m\b"
    rf"|\b(?:at|from|around|by|between|until|till|starting)\s+(?:{_CLOCK}|\d)|@\s*\d|{_CLOCK}"
    r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
    r"|\bin\s+(?:an?|\d+|one|two|three|a\s+few|a\s+couple\s+of)\s+(?:minutes?|hours?|days?|weeks?|months?)\b"
)
_AMOUNT = r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|half\s+an?|half|a\s+quarter|quarter|couple\s+of|few)"
_DURATION = (
    rf"\b{_AMOUNT}\s*-?\s*(?:minutes?|mins?|hours?|hrs?|h|m)\b(?:\s*-?\s*long\b)?"
    r"|\bhalf-?hour\b|\bhour-long\b|\ball[- ]day\b|\b(?:an?\s+)?hour\s+and\s+a\s+half\b"
)
_CALENDAR = (
    r"\b(?:to|on|in|into|onto)\s+(?:my|the|our|his|her|their|\w+['’]s)\s+(?:calendar|calender|cal|diary|schedule)\b"
)
_EVENT_STOP = re.compile(
    rf"(?P<people>(?-i:\bwith\b|\bw/|\bw\b(?=\s+\w)))|(?P<purpose>(?-i:\bfor\b))|(?P<topic>\b(?:about|regarding|re:?)\s)"
    rf"|(?P<end>{_TIME}|{_DURATION}|{_CALENDAR}|\bat\b|[,;!?()]|\.(?:\s|$)|\s[-–—]\s|\b(?:please|pls|thanks|instead)\b"
    r"|\b(?:and|&)\s+(?:invite|send|add|email|tell|let|remind|notify|make|set|put|book|cc)\b|$)",
    re.IGNORECASE,
)
# "... with Lena to review the PRD": an infinitive that says what the time is for.
_TO_PURPOSE = re.compile(
    r"(?<![\w-])(?i:to|in\s+order\s+to|so\s+(?:we|i)\s+can)\s+"
    r"(?!(?i:my|the|our|your|his|her|their|its|this|that|a|an|me|us|him|them|it|everyone|everybody|all|calendar|cal"
    r"|diary|schedule|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half)\b)"
    rf"(?!(?i:{_TIME}))(?=[a-z])"
)
# Politeness before the verb: "would you mind", "could you please", "I'd like you to".
# A gerund after "would you mind" / "how about" is the verb ("mind adding lunch with Sarah").
_GERUND = (
    r"(?:adding|putting|booking|scheduling|setting\s+up|creating|arranging|organi[sz]ing|planning"
    r"|blocking(?:\s+(?:off|out))?|holding|reserving|making|pencill?ing(?:\s+in)?|finding|sending|throwing|hosting)"
)
# Politeness before the verb: "would you mind", "could you please", "I'd like you to".
_POLITE_OPENING = re.compile(
    rf"(?:{_loose('please')}|pls|plz|kindly|(?:can|{_loose('could')}|{_loose('would')}|will)\s+(?:you|u|yuo|yo)"
    rf"|be\s+able\s+to|possibly|(?:do\s+you\s+)?mind(?:\s+{_GERUND})?|(?:how|what)\s+about\s+{_GERUND}"
    r"|as\s+(?:discussed|agreed|mentioned|promised|planned|requested)"
    r"|would\s+it\s+be\s+possible\s+to|is\s+it\s+possible\s+to|(?:hi|hey|hello|dear)(?:\s+(?-i:[A-Z])[\w'’-]*)?(?=\s*[,!])"
    r"|hey|ok|okay"
    r"|i\s+(?:need|want)(?:\s+you)?\s+to|i['’]?d\s+like(?:\s+you)?\s+to|i\s+would\s+like(?:\s+you)?\s+to|let['’]?s"
    r"|help\s+me|go\s+ahead\s+and|also)\b[\s,!]*",
    re.IGNORECASE,
)
_EVENT_OPENING = [
    _POLITE_OPENING,
    re.compile(
        r"(?:book|schedule|shedule|schedual|add|put|create|set\s+up|setup|set|arrange|organi[sz]e|plan"
        r"|block(?:\s+(?:off|out))?|hold|reserve|make|pencil(?:\s+in)?|find|throw|host|new"
        rf"|(?:{_loose('block')}|{_loose('schedule')}|{_loose('create')}|{_loose('reserve')})(?:\s+(?:off|out))?)\b\s*",
        re.IGNORECASE,
    ),
    # "the whole of this Friday", "the entire afternoon", "a full day on Friday"
    re.compile(
        r"(?:(?:whole|entire|full|rest)\s+(?:of\s+)?|all\s+of\s+)(?=(?:the\s+|this\s+|next\s+|my\s+)?"
        rf"(?:day|morning|afternoon|evening|week|today|tomorrow|{_DAY}|\d))",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:(?:whole|entire|full|half)[- ])?(?:day|morning|afternoon|evening)\b"
        rf"(?=\s+(?:on|this|next|tomorrow|today|as|for|of|{_DAY})|\s*$)\s*(?:of\s+)?",
        re.IGNORECASE,
    ),
    # "block an hour tomorrow to prepare the talk": after the time, the infinitive is the name.
    re.compile(rf"(?<=\s){_TO_PURPOSE.pattern}"),
    # "block Friday as a focus day": after the time, "as" introduces the name.
    re.compile(
        r"(?<=\s)as\s+(?!(?:discussed|agreed|mentioned|requested|promised|planned|usual|always|per|well|soon)\b)",
        re.IGNORECASE,
    ),
    re.compile(rf"(?:{_DURATION})(?:\s+of\b)?[\s,]*", re.IGNORECASE),  # "2 hours of focus time"
    re.compile(r"(?:me|us|in|a|an|the|my|our|some|another|new)\b\s*", re.IGNORECASE),
    re.compile(r"(?:event|meeting|appointment|title|name)\s*:\s*", re.IGNORECASE),
    re.compile(
        rf"(?:(?:on|at|from|this|next|in|during|by|for|to|until|till)\s+)?(?:{_TIME})(?:\s+(?:morning|afternoon|evening|night)\b)?[\s,]*",
        re.IGNORECASE,
    ),
    re.compile(r"(?:some\s+)?time\b(?=\s+(?:for|with|to)\b|\s*$)\s*", re.IGNORECASE),
    re.compile(rf"for\s+(?=(?:an?\s+)?(?:{_DURATION}|{_TIME}))", re.IGNORECASE),
]
_ARTICLE = re.compile(r"(?:a|an|the|my|our|some)\s+", re.IGNORECASE)
_TRAILING_LINK = re.compile(
    r"(?:\s+(?:on|at|from|this|next|coming|by|for|in|around|starting|every|each|until|till|before|after|to|and|as"
    r"|with|the|of|a|an|daily|weekly|biweekly|monthly)|\s*[-–—,:;&])+\s*$",
    re.IGNORECASE,
)
_QUOTES_AND_EDGES = " ,.;:!?'\"\u201c\u201d\u2018\u2019"
_NAMED = re.compile(r"\b(?:called|titled|entitled|named)\s+(?P<rest>[^\s'\"“‘«].*)$", re.IGNORECASE)
_RENAME = re.compile(
    r"\b(?:rename|retitle|re-name)\b(?:.*?\s(?:to|as|into)\s+|\s+(?:it|this|that)\s+)(?P<rest>.+)$"
    r"|\b(?:change|update|set)\b.*?\b(?:name|title)\s+(?:of\s+.*?\s+)?(?:to|as)\s+(?P<rest2>.+)$"
    r"|\b(?:call|name|title)\s+it\s+(?P<rest3>.+)$",
    re.IGNORECASE,
)
_RENAME_VERB = re.compile(r"\b(?:rename|retitle|re-name)\b", re.IGNORECASE)
_RENAME_STOP = re.compile(
    rf"{_TIME}|{_DURATION}|[,;!?()]|\.(?:\s|$)|\s[-–—]\s|\b(?:please|pls|thanks|instead)\b|$", re.IGNORECASE
)
# Words that name no particular event.
_NAMELESS = frozenset(
    "event events meeting meetings appointment slot slots time something entry block invite invitation booking"
    " reservation hold placeholder space room gap window opening".split()
)
_PEOPLE_WORDS = frozenset({"and", "me", "us", "him", "her", "them", "the", "team"})
_LONE = frozenset({"meeting"})  # nameless alone, a name with its people ("Meeting with Sarah")
# "invite <people> to/for <X>": X names the event.
_INVITE_VERB = re.compile(
    rf"(?:{_loose('invite')}|inviting)\s+(?P<people>[^,.;:!?]+?)\s+(?:to|for)\s+(?!(?:my|the|our)\s+(?:calendar|cal|diary)\b)",
    re.IGNORECASE,
)
# "send <people> an invitation/invite ...": what follows the noun says for what.
_SEND_INVITE = re.compile(
    r"(?:send|sending|shoot|e-?mail)(?:\s+out)?\s+(?:(?P<people>[^,.;:!?]+?)\s+)??(?:(?:an?|the|some)\s+)?"
    rf"(?:calendar\s+|meeting\s+)?(?:{_loose('invitation')}|{_loose('invite')})s?\b\s*",
    re.IGNORECASE,
)
_SEND_INVITE_FOR = re.compile(r"(?:for|about|re:?)\s+|[:\-–—]\s*", re.IGNORECASE)
_SEND_INVITE_TO = re.compile(r"to\s+", re.IGNORECASE)
_TIME_OR_DURATION = re.compile(f"{_TIME}|{_DURATION}", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"^|[.!?;,]\s+")
_CLAUSE_END = re.compile(r"[,.;:!?](?:\s|$)|$")
_FOR_WORD = re.compile(r"\s+for\s+", re.IGNORECASE)
_PRONOUN = re.compile(r"(?:it|this|that|them|these|those)\b(?!['’])", re.IGNORECASE)
# "invite Sarah to join us for lunch": the joining is not the name.
_JOIN = re.compile(r"(?:join|attend|come(?:\s+along)?)\s+(?:(?:us|me)\s+)?(?:(?:for|at|to)\s+)?", re.IGNORECASE)


# --- Quotes ----------------------------------------------------------------------------


def quoted_spans(text: str) -> list[Quoted]:
    """Every quoted text in `text`, left to right; see the module docstring for the rules."""
    spans: list[Quoted] = []
    unclosed: set[str] = set()  # marks with no closer left in the rest of the text
    i = 0
    while i < len(text):
        if not _opens(text, i):
            i += 1
            continue
        close = None if text[i] in unclosed else _closing(text, i)
        if close is not None:
            if text[i + 1 : close].strip():
                spans.append(Quoted(text[i + 1 : close], i, close + 1))
            i = close + 1
            continue
        unclosed.add(text[i])
        if _CONTENT_CUE.search(text, max(0, i - _CUE_REACH), i):
            spans.append(Quoted(text[i + 1 :].rstrip(), i, len(text)))
            break
        i += 1
    return spans


def _opens(text: str, i: int) -> bool:
    mark = text[i]
    if mark not in _CLOSERS or i + 1 >= len(text) or text[i + 1].isspace():
        return False
    if mark not in _SINGLE:
        return True
    before = text[i - 1] if i else " "
    return (before.isspace() or before in _BEFORE_SINGLE_OPEN) and not _ELISION.match(text, i)


def _closing(text: str, i: int) -> int | None:
    for j in range(i + 1, len(text)):
        if text[j] in _CLOSERS[text[i]] and _closes(text, j):
            return j
    return None


def _closes(text: str, j: int) -> bool:
    if text[j] not in _SINGLE:
        return True
    after = text[j + 1] if j + 1 < len(text) else ""
    return not text[j - 1].isspace() and (not after or after.isspace() or after in _AFTER_SINGLE_CLOSE)


def _mask(text: str, spans: list[Quoted]) -> str:
    """`text` with the inside of each quote blanked out (same length), so cue words in quotes are not seen."""
    masked = text
    for span in spans:
        inside = span.start + 1
        masked = masked[:inside] + "\x00" * len(span.text) + masked[inside + len(span.text) :]
    return masked


def _blank(masked: str, start: int, end: int) -> str:
    return masked[:start] + "\x00" * (end - start) + masked[end:]


# --- Messages --------------------------------------------------------------------------


def message_content(text: str) -> MessageContent:
    """The subject and body a request to send, draft, reply or forward says the message should have."""
    spans = quoted_spans(text)
    masked = _mask(text, spans)
    subject = body = None
    subject_at = len(text)  # where the subject's cue starts: an unquoted body ends there
    body_from = min((position for (position, _), _, _ in _body_starts(masked)), default=len(text))
    for span in spans:
        role, cue_start = _quote_role(text, span)
        if role != "body" and cue_start < span.start:  # a cue naming the subject or an existing message
            if _inside_body(masked, cue_start, body_from):
                continue
            masked = _blank(masked, cue_start, span.end)
        if role == "subject" and subject is None:
            subject, subject_at = span.text, cue_start
        elif role == "body" and body is None:
            body = span.text
    if subject is None:
        subject, masked, subject_at = _unquoted_subject(text, masked, subject_at, body_from)
    if body is not None:
        return MessageContent(subject, body, True)
    body, verbatim = _unquoted_body(text, masked, subject_at)
    return MessageContent(subject, body, verbatim and body is not None)


def _quote_role(text: str, span: Quoted) -> tuple[str | None, int]:
    """Whether a quote is the subject, the body or neither, from the words just before it, and where its cue starts."""
    reach = max(0, span.start - _CUE_REACH)
    cue = _SUBJECT_LEAD.search(text, reach, span.start)
    if cue:
        return (None if _EXISTING.search(text, reach, cue.start()) else "subject"), cue.start()
    cue = _REPLY_WITH_LEAD.search(text, reach, span.start) or _BODY_LEAD.search(text, reach, span.start)
    if cue:
        return "body", cue.start()
    cue = _WITH_LEAD.search(text, reach, span.start)
    if cue:
        return (None if _EXISTING.search(text, reach, cue.start()) else "body"), cue.start()
    at_end = _TAIL.fullmatch(text, span.end) is not None
    ends_a_lead = not _NOT_BODY_LEAD.search(text, reach, span.start) and not _EXISTING.search(text, reach, span.start)
    if at_end and text[: span.start].strip() and ends_a_lead:
        return "body", span.start
    return None, span.start


def _inside_body(masked: str, position: int, body_from: int) -> bool:
    """Whether a cue at `position` is words of a body that started before it ("saying the subject is wrong")."""
    return body_from < position and not _BREAK.search(masked[:position]) and not _WITH.match(masked, position)


def _unquoted_subject(text: str, masked: str, subject_at: int, body_from: int) -> tuple[str | None, str, int]:
    """An unquoted subject after its cue, `masked` with every subject cue and value blanked, and where it starts."""
    subject = None
    for match in _SUBJECT_VALUE.finditer(masked):
        if _inside_body(masked, match.start(), body_from):
            continue
        existing = _EXISTING.search(masked[: match.start()])
        value = _tidy(text[match.start("value") : match.end("value")])
        masked = _blank(masked, match.start(), match.end())
        if not existing and value and subject is None:
            subject, subject_at = value, match.start()
    return subject, masked, subject_at


def _unquoted_body(text: str, masked: str, subject_at: int) -> tuple[str | None, bool]:
    """The body after the earliest cue that introduces one, and whether it is word for word."""
    found = _body_starts(masked)
    if not found:
        return None, False
    _, start, verbatim = min(found, key=lambda item: item[0])
    end = subject_at if subject_at > start else len(text)
    stop = _BODY_END.search(masked, start, end)
    if stop:
        end = stop.start()
    body = _tidy(text[start:end], question=bool(_ASKING.match(text)))
    return (body or None), verbatim


def _body_starts(masked: str) -> list[tuple[tuple[int, int], int, bool]]:
    """Candidate body starts: ((cue position, priority), where the body starts, word for word)."""
    found: list[tuple[tuple[int, int], int, bool]] = []
    for priority, (cue, verbatim) in enumerate(_BODY_CUES):
        for match in cue.finditer(masked):
            if masked[match.end() :].strip():
                found.append(((match.start(), priority), match.end(), verbatim))
                break
    rank = len(_BODY_CUES)
    told = _told(masked)
    if told is not None:
        found.append(((told[0], rank), told[1], False))
    for match in _THAT.finditer(masked):
        lead = masked[: match.start()]
        if _COMPOSE_VERB.search(lead) and not _EXISTING.search(lead):
            found.append(((match.start(), rank + 1), match.end(), False))
            break
    for match in _GIST_START.finditer(masked):
        if _COMPOSE_VERB.search(masked[: match.start()]):
            found.append(((match.start(), rank + 2), match.start(), False))
            break
    return found


def _told(masked: str) -> tuple[int, int] | None:
    """For "tell <someone> <clause>": where the verb is and where the clause starts."""
    verb = _TELL_VERB.search(masked)
    if verb is None:
        return None
    words = list(re.finditer(r"\S+", masked[verb.end() :]))
    previous = ""
    for index, word in enumerate(words[: _MAX_RECIPIENT_WORDS + 1]):
        token = word.group().lower().replace("’", "'").strip(",;:")
        if index and token in _CLAUSE_START and previous not in _RECIPIENT_LINKS:
            offset = word.end() if token == "that" else word.start()
            return verb.start(), verb.end() + offset
        if word.group().endswith((",", ":")) and index + 1 < len(words):
            return verb.start(), verb.end() + words[index + 1].start()
        previous = token
    return None


def _tidy(value: str, question: bool = False) -> str:
    """`value` without surrounding space, a trailing "please"/"thanks" and the request's final stop."""
    value = value.strip()
    while True:
        shorter = value.rstrip(" .!" + ("?" if question else ""))
        polite = _POLITE_END.sub("", shorter).rstrip(" ,;:")
        if polite:
            shorter = polite
        if not shorter or shorter == value:
            return shorter or value
        value = shorter


# --- Renames ---------------------------------------------------------------------------

_RENAME_PARTS = re.compile(
    r"\b(?:re-?nam(?:e|ed|ing)|renmae|retitle|change\s+the\s+(?:title|name)\s+of)\s+(?P<old>.*?)"
    r"\s+(?:to|as|into|->|\u2192|=>)\s*:?\s+(?P<new>\S.*)$",
    re.IGNORECASE,
)
#: Where a new name written without quotes ends: a polite close or the end of the sentence.
_NEW_NAME_END = re.compile(
    r"\s*(?:,\s*(?:please|pls|thanks|thank you)\b|[!?]|\.(?:\s|$)|\s+(?:please|pls|thanks)\b)|$", re.IGNORECASE
)
_ITEM_WORDS = re.compile(
    r"^(?:(?:the|my|our|this|that)\s+)+|\s+(?:document|doc|file|spreadsheet|sheet|deck|presentation|slides|pdf"
    r"|event|meeting|invite)$",
    re.IGNORECASE,
)


def rename_parts(text: str) -> tuple[str | None, str | None]:
    """A rename's item as named and its new name, as written: "rename 'Beacon PRD' to
    'Beacon PRD v1'" gives ("Beacon PRD", "Beacon PRD v1"); "renaming my Istanbul trip
    itinerary document to Istanbul 2-5 Dec - itinerary, please" gives ("Istanbul trip
    itinerary", "Istanbul 2-5 Dec - itinerary"). A new name in quotes is taken whole;
    without quotes it runs to the end of the sentence (dashes, dates and numbers are part
    of it). The item is None when it is a pronoun ("rename it to ...")."""
    match = _RENAME_PARTS.search(text)
    if match is None:
        return None, None
    spans = quoted_spans(text)
    new = next((span.text for span in spans if span.start == match.start("new")), None)
    if new is None:
        rest = text[match.start("new") :]
        new = rest[: _NEW_NAME_END.search(rest).start()].strip(_QUOTES_AND_EDGES)  # type: ignore[union-attr]
    old_start, old_end = match.span("old")
    old = next((span.text for span in spans if old_start <= span.start and span.end <= old_end), None)
    if old is None:
        old = _ITEM_WORDS.sub("", match.group("old").strip(_QUOTES_AND_EDGES)).strip(_QUOTES_AND_EDGES)
    if not old or _PRONOUN.fullmatch(old):
        old = None
    return old, new or None


# --- Events ----------------------------------------------------------------------------


def event_title(text: str) -> str | None:
    """The title of an event to create, or the new name in a rename; None when the words name nothing."""
    spans = quoted_spans(text)
    for span in spans:
        if _TITLE_LEAD.search(text[: span.start]):
            return span.text
    renamed = _RENAME.search(text)
    if renamed:
        start = next(renamed.start(g) for g in ("rest", "rest2", "rest3") if renamed.group(g) is not None)
        quoted = [span.text for span in spans if span.start == start]
        return quoted[0] if quoted else _value_until(text, start, _RENAME_STOP)
    if _RENAME_VERB.search(text):
        return None  # a rename whose new name is not marked by "to"/"as"
    named = _NAMED.search(text)
    if named:
        return _value_until(text, named.start("rest"), _EVENT_STOP)
    for span in spans:
        if not re.search(r"(?:\bwith|\bw/|\bfor|\bto)\s*$", text[: span.start], re.IGNORECASE):
            return span.text
    invited = _invited(text)
    if invited is not None:
        start, people = invited
        start = _after_join(text, start)
        if _PRONOUN.match(text, start):
            return _title_from_words(text)  # "..., invite Tom to it"
        title = _title_from_words(text, start)
        if title and people and " " not in title and title.lower() not in _NAMELESS and _named(people):
            return f"{title} with {people}"
        return title
    return _title_from_words(text)


def _invited(text: str) -> tuple[int, str | None] | None:
    """For "invite <people> to X" and "send <people> an invitation for X": where X starts, and the people."""
    for clause in _CLAUSE_BREAK.finditer(text):
        position = _skip_polite(text, clause.end())
        invite = _INVITE_VERB.match(text, position)
        if invite and _plain_people(invite.group("people")):
            return invite.end(), invite.group("people").strip()
        send = _SEND_INVITE.match(text, position)
        if send is None or (send.group("people") and not _plain_people(send.group("people"))):
            continue
        people = send.group("people")
        purpose = _SEND_INVITE_FOR.match(text, send.end())
        if purpose:
            return purpose.end(), people
        to = _SEND_INVITE_TO.match(text, send.end())
        if to:  # "an invite to lunch", or "an invite to Sarah for lunch"
            end = _CLAUSE_END.search(text, to.end())
            then_for = _FOR_WORD.search(text, to.end(), end.start() if end else len(text))
            if then_for and _plain_people(text[to.end() : then_for.start()]):
                return then_for.end(), text[to.end() : then_for.start()]
            named = _phrase(text, to.end())
            if named and _names_people(named):
                return len(text), None  # "send an invite to Sarah": the people, not the event
            return to.end(), people
        return send.end(), people  # "send Sarah an invite tomorrow at 1 for lunch"
    return None


def _skip_polite(text: str, position: int) -> int:
    while match := _POLITE_OPENING.match(text, position):
        if match.end() == position:
            break
        position = match.end()
    return position


def _after_join(text: str, position: int) -> int:
    match = _JOIN.match(text, position)
    return match.end() if match else position


def _plain_people(value: str) -> bool:
    """Whether a phrase between "invite" and "to" can be people: a few words, no time or duration."""
    words = value.split()
    return 0 < len(words) <= 6 and not _TIME_OR_DURATION.search(value)


def _named(people: str) -> bool:
    """Whether people are given by name ("Sarah Chen", "Sarah and Tom"), not "the team" or "him"."""
    words = [word for word in re.split(r"[\s,&]+", people) if word and word.lower() != "and"]
    return bool(words) and all(word[:1].isupper() for word in words)


def _to_purpose(text: str, start: int) -> str | None:
    """What an infinitive after `start` says the time is for: "... to review the PRD" is "review the PRD"."""
    match = _TO_PURPOSE.search(text, start)
    if match is None:
        return None
    # "to prep for the Q4 review": a "for" inside the purpose is part of it.
    stop, after, kind = _next_stop(text, match.end())
    while kind == "purpose" and after < len(text):
        stop, after, kind = _next_stop(text, after)
    value = _TRAILING_LINK.sub("", text[match.end() : stop]).strip()
    return value or None


def purpose_title(text: str) -> str | None:
    """A title from what the time is for: "... to go over the 2027 budget" is "Go over the
    2027 budget"."""
    aim = _to_purpose(text, 0)
    return _capitalised(aim) if aim else None


def _value_until(text: str, start: int, stop: re.Pattern[str]) -> str | None:
    end = stop.search(text, start)
    value = _TRAILING_LINK.sub("", text[start : end.start() if end else len(text)]).strip()
    return _capitalised(value) if value else None


def _title_from_words(text: str, start: int = 0) -> str | None:
    """The words between the verb, its article and duration, and the first time/people/place phrase."""
    start = _skip_opening(text, start)
    stop, after, kind = _next_stop(text, start)
    head = _TRAILING_LINK.sub("", text[start:stop]).strip()
    if kind == "people" and (not head or head.lower() in _NAMELESS):
        aim = _to_purpose(text, after)  # "time with Lena to review the PRD"
        if aim:
            return _capitalised(aim)
    if kind == "purpose" and (not head or head.lower() in _NAMELESS):
        purpose = _phrase(text, _skip_opening(text, after))
        return None if purpose is None or _names_people(purpose) else _capitalised(purpose)
    if kind == "topic" and (not head or head.lower() in _NAMELESS):
        topic = _phrase(text, _after_article(text, after))
        return _capitalised(topic) if topic else None
    if not head:
        aim = _to_purpose(text, start)  # "block an hour tomorrow to prepare the talk"
        return _capitalised(aim) if aim else None
    if kind == "people" and len(head.split()) == 1 and head.lower() not in _NAMELESS - _LONE:
        people = _phrase(text, after, with_people=True)
        if people:
            return _capitalised(f"{head} with {people}")
    return None if head.lower() in _NAMELESS else _capitalised(head)


def _skip_opening(text: str, start: int = 0) -> int:
    """The position after leading politeness, the verb, articles, durations and time phrases."""
    position = start + len(text[start:]) - len(text[start:].lstrip())
    moved = True
    while moved:
        moved = False
        for pattern in _EVENT_OPENING:
            match = pattern.match(text, position)
            if match and match.end() > position:
                position, moved = match.end(), True
    return position


def _after_article(text: str, position: int) -> int:
    match = _ARTICLE.match(text, position)
    return match.end() if match else position


def _next_stop(text: str, position: int) -> tuple[int, int, str | None]:
    """Where the next time, duration, people, purpose, topic or punctuation phrase starts and ends, and its kind."""
    match = _EVENT_STOP.search(text, position)
    return (match.start(), match.end(), match.lastgroup) if match else (len(text), len(text), None)


def _phrase(text: str, start: int, with_people: bool = False) -> str | None:
    """The words from `start` to the next stop; when `with_people`, "with"/"for" inside do not stop it."""
    stop, after, kind = _next_stop(text, start)
    while with_people and kind in ("people", "purpose") and after < len(text):
        stop, after, kind = _next_stop(text, after)
    if with_people and (aim := _TO_PURPOSE.search(text, start, stop)):
        stop = aim.start()  # "lunch with Sarah to celebrate" keeps "Sarah"
    value = _TRAILING_LINK.sub("", text[start:stop]).strip()
    return value or None


def _names_people(value: str) -> bool:
    """Whether a phrase reads as people ("Sarah", "me and Tom", "the team"), not a purpose."""
    words = [word for word in re.split(r"[\s,&]+", value) if word and word.lower() not in _PEOPLE_WORDS]
    return all(word[0].isupper() for word in words)


def _capitalised(value: str) -> str:
    """`value` with "w/" read as "with" and a capital first letter when its first word is all lower case."""
    value = re.sub(r"\bw/\s*", "with ", value).strip()
    first = value.split(" ", 1)[0]
    return value[0].upper() + value[1:] if first[:1].isalpha() and first == first.lower() else value


# --- Existing events -------------------------------------------------------------------

_CHANGE_VERB = re.compile(
    rf"(?<![\w'’-])(?:{_loose('reschedule')}|resched|rebook|re-schedule|{_loose('postpone')}|postponing|delay(?:ing)?"
    rf"|{_loose('move')}|moving|push(?:ing)?|pull(?:ing)?|shift(?:ing)?|bump(?:ing)?|bring(?:ing)?|{_loose('cancel')}"
    rf"|cancell?ing|call(?:ing)?\s+off|{_loose('delete')}|deleting|{_loose('remove')}|removing|drop(?:ping)?|scrap"
    rf"|kill|clear|skip|decline|{_loose('rename')}|renaming|retitle|change|changing|update|updating|edit|modify"
    r"|adjust|amend|extend(?:ing)?|shorten(?:ing)?|lengthen|trim|cut|make|making|swap|switch)"
    r"(?:\s+(?:back|forward|up|ahead|out|off|over))?\b(?!\s+sure\b)\s*",
    re.IGNORECASE,
)
# "add Tom to the standup", "remove Sarah from tomorrow's 1:1": the event comes after the people.
_ATTENDEE_CHANGE = re.compile(
    r"(?<![\w'’-])(?:add(?:ing)?|invit(?:e|ing)|remov(?:e|ing)|drop|take|uninvite|kick)\s+(?:[^,.;:!?\s]+\s+){1,5}?"
    rf"(?:to|from|into|onto|off(?:\s+of)?|on)\s+(?=(?:the|my|our|this|next|today|tonight|tomorrow|{_DAY}|\w+['’]s)\b)"
    r"(?!(?:the|my|our)\s+(?:calendar|cal|diary|schedule)\b)",
    re.IGNORECASE,
)
_TIME_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_EXISTING_LEAD = re.compile(
    r"(?:(?:the|teh|my|our|his|her|their|your|its|this|that|these|those|next|nxt|upcoming|coming|all(?:\s+of)?|both"
    r"|every|each|an?|whole|entire|future|remaining|recurring)\s+"
    r"|(?:occurrences?|instances?|series|recurrences?)\s+(?:of\s+)?(?=\S)"
    r"|\d{1,2}(?::\d{2})?\s*[-–]\s*\d{1,2}(?::\d{2})?\s+"
    rf"|(?:(?:this|next|last)\s+)?(?:today|tonight|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow|yesterday|week|month"
    rf"|{_DAY}{_TIME_OF_DAY}|morning|afternoon|evening)['’]?s\s+"
    rf"|(?:(?:at|on|from|this|next|for)\s+)?(?:{_TIME}){_TIME_OF_DAY}\s*|\d{{1,2}}\s*o['’]?clock\s*|(?:{_DURATION})\s*"
    r"|(?:time|date|day|location|room|title|name|length|duration|start(?:\s+time)?|end(?:\s+time)?|venue|place)"
    r"\s+(?:of|for|on)\s+)",
    re.IGNORECASE,
)
_SHIFT = (
    r"\b(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty[- ]five"
    r"|forty|fifty|sixty|ninety|half\s+an?|(?:a\s+)?quarter\s+of\s+an|(?:a\s+)?couple\s+of|(?:a\s+)?few)"
    r"\s*-?\s*(?:minutes?|mins?|hours?|hrs?|h|m|days?|weeks?)\b"
)
_EXISTING_STOP = re.compile(
    rf"{_TIME}|{_DURATION}|{_SHIFT}|[,;!?()\"“”«»]|[.:](?:\s|$)|\s[-–—]\s|\bw/"
    r"|['’]s\s+(?:time|date|day|location|room|title|name|length|duration|start|end|venue)\b"
    r"|(?<![\w'’-])(?:to|from|until|till|into|onto|on|at|in|by|with|and|&|but|so|because|since|as|if|instead|please"
    r"|pls|plz|thanks|thank|earlier|later|sooner|back|forward|ahead|up|over|short|shorter|longer|that|which|who|i|we"
    r"|you|he|she|they|is|was|are|were|has|had|unless|then|again|altogether|entirely|completely|called|named|titled"
    r"|going|only|just|onwards?"
    r"|for\s+(?:me|us|now|good|today|tonight|tomorrow))(?![\w'’-])"
    r"|$",
    re.IGNORECASE,
)
_TRAILING_ENTRY = re.compile(r"\s+(?:calendar\s+)?(?:invites?|invitations?|events?|entry|entries)$", re.IGNORECASE)
_CALLED = re.compile(r"\s*,?\s*(?:called|named|titled)\s+", re.IGNORECASE)
_TOPIC_FIRST = re.compile(
    r"\W*(?:(?:about|re:?|regarding|so|ok|okay|hey|hi|also)\b[\s,]*)*"
    rf"(?=(?:the|my|our|today|tonight|tomorrow|this|next|{_DAY})\b)",
    re.IGNORECASE,
)
# Words that name no particular event ("my 3pm meeting", "the call", "everything tomorrow").
_GENERIC = frozenset(
    "meeting meetings event events call calls appointment appointments appt thing things one ones session sessions"
    " slot slots block blocks invite invites invitation invitations booking bookings entry entries calendar cal"
    " schedule diary day days morning afternoon evening night week hold holds reservation everything anything"
    " something all stuff plans item items quick short video phone zoom online virtual it this that them"
    " occurrence occurrences instance instances series recurrence whole future first second third fourth fifth last"
    " latest next previous other hour hours minute minutes min mins email emails message messages draft drafts".split()
)


def existing_event_title(text: str) -> str | None:
    """The name of an event a change or cancel request points at, as written; None when the words name none."""
    spans = quoted_spans(text)
    for verb_end, verb_start in _objects(text, spans):
        name = _existing_name(text, verb_end, spans)
        if name is None and _PRONOUN.match(text, verb_end):  # "the standup tomorrow, can you move it"
            lead = _TOPIC_FIRST.match(text)
            if lead and lead.end() < verb_start:
                name = _existing_name(text, lead.end(), spans, verb_start)
        if name is not None:
            return name
    return None


def _objects(text: str, spans: list[Quoted]) -> list[tuple[int, int]]:
    """Where the object of each change verb starts, and where its verb starts, left to right."""
    found: dict[int, int] = {}  # an attendee change wins over the bare verb at the same place
    for pattern in (_ATTENDEE_CHANGE, _CHANGE_VERB):
        for match in pattern.finditer(text):
            if not any(span.start <= match.start() < span.end for span in spans):
                found.setdefault(match.start(), match.end())
    return [(end, start) for start, end in sorted(found.items())]


def _existing_name(text: str, start: int, spans: list[Quoted], limit: int | None = None) -> str | None:
    """The event named from `start`: determiners, times and durations skipped, up to the next stop."""
    first = position = start + len(text[start:]) - len(text[start:].lstrip())
    if _PRONOUN.match(text, first) and not _EXISTING_LEAD.match(text, first):
        return None  # "move it", "rename it Offsite": the event is named elsewhere
    while (lead := _EXISTING_LEAD.match(text, position)) and lead.end() > position:
        position = lead.end()
    for span in spans:
        if span.start == position:
            return span.text
    limit = len(text) if limit is None else limit
    stop = _EXISTING_STOP.search(text, position, limit)
    end = stop.start() if stop else limit
    value = _TRAILING_LINK.sub("", text[position:end]).strip(" '\"‘’“”")
    value = _TRAILING_ENTRY.sub("", value) or value  # "the standup invite" is the standup
    words = re.findall(r"[^\s]+", value.lower())
    if words and not all(word in _GENERIC for word in words):
        return value
    called = _CALLED.match(text, end)
    if called:  # "the meeting called 'Budget sync'"
        quoted = [span.text for span in spans if span.start == called.end()]
        return quoted[0] if quoted else _existing_name(text, called.end(), spans)
    return None

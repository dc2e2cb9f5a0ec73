"""Each person's part in a request, from the words around their name.

    person_roles("unread emails from Sarah Chen and Tom", ["Sarah Chen", "Tom"])
    -> [PersonRef(name="Sarah Chen", role="from"), PersonRef(name="Tom", role="from")]

The word before a name says its part: "from"/"by" and a possessive ("Sarah's latest")
the sender (an event's organizer, a file's owner); "to", "for" and the verbs that address
someone ("email Daniel", "tell Sarah", "invite Priya") a recipient; "cc", "copy" and
"copied in" a copy; "with", "w", "w/" someone taking part. A name joined by "and" or a
comma takes the part of the name before it ("to Priya and Daniel"). Anything else is
`any`. Names are found by the tagger and the resolver; this only reads their context.
"""

from __future__ import annotations

import re

from assistant.understanding.frame import PersonRef, Role

#: The word (or two) right before a name, and the part it gives the name.
_CUES: tuple[tuple[re.Pattern[str], Role], ...] = (
    # "the number of Priya 1:1s", "all of Tom's": a quantity's "of", not a sender's.
    (re.compile(r"\b(?:number|count|total|list|lots|none|any|all|most|some|each|many|how many)\s+of\s*$"), "any"),
    (re.compile(r"\b(?:from|by|of)\s*$"), "from"),
    (re.compile(r"\b(?:cc|cc'd|ccing|copy|copying|bcc)\s*:?\s*$"), "cc"),
    (re.compile(r"\b(?:with|w|w/|along with|between)\s*$"), "with"),
    (
        re.compile(
            r"\b(?:to|for|email|e-mail|mail|message|text|tell|ask|ping|notify|invite|inviting|remind|"
            r"send|sending|write|drop|let|answer|reply to|respond to|forward(?: it)? to)\s*:?\s*$"
        ),
        "to",
    ),
)
#: Between a name and the one before it: "Priya and Daniel", "Priya, Daniel", "Priya + Daniel".
_JOINED = re.compile(r"^\s*(?:,|\+|&|and|,\s*and)\s*$")
#: Words that may stand between the cue and the name: "to my colleague Priya", "email the Sarah".
_BETWEEN = re.compile(r"\s*(?:my|our|the|a|an|both|colleague|friend|mr\.?|mrs\.?|ms\.?|dr\.?)\s*$")


def person_roles(text: str, mentions: list[str]) -> list[PersonRef]:
    """The people `mentions` names (as written in `text`), each with its part."""
    lowered = text.lower()
    found: list[tuple[int, int, str]] = []
    for mention in dict.fromkeys(mentions):
        match = re.search(rf"(?<![\w@.]){re.escape(mention.lower())}(?![\w@]|\.\w)", lowered)
        if match:
            found.append((match.start(), match.end(), mention))
    found.sort()
    people: list[PersonRef] = []
    previous_end: int | None = None
    for start, end, mention in found:
        role = _role(lowered[:start], lowered[end:])
        if role == "any" and people and previous_end is not None and _JOINED.match(lowered[previous_end:start]):
            role = people[-1].role
        people.append(PersonRef(name=mention, role=role))
        previous_end = end
    # Names the text does not contain as written (the tagger's spelling) keep no part.
    people += [PersonRef(name=m, role="any") for m in dict.fromkeys(mentions) if m not in {p.name for p in people}]
    return people


def _role(before: str, after: str) -> Role:
    if re.match(r"^(?:'s|’s|s')\b", after):
        return "from"  # "Sarah's latest email", "Tom's files"
    if re.match(r"^\s*(?:copied|cc'd|in copy|on copy|in cc|on cc)\b", after):
        return "cc"  # "with Marco copied in"
    if re.search(r"\b(?:did|does|has)\s*$", before.lower()) and re.match(
        r"^\s*(?:ask|say|tell|write|send|email|mention|want|need|suggest|propose|reply|answer|decide|agree)\b", after
    ):
        return "from"  # "what did Hannah ask me about the Beacon name?"
    if re.match(
        # ("Mehmet from Anadolu Retail has sent me": which Mehmet may stand between.)
        r"^\s*(?:(?:from|at|of)\s+[\w&' -]{1,40}?\s+)?(?:has |have |had )?"
        r"(?:sent|emailed|e-mailed|mailed|written|wrote|forwarded|shared|accepted|"
        r"declined|replied|confirmed|approved|signed|agreed|asked|offered|proposed)\b",
        after,
    ):
        return "from"  # "the most recent email Sarah Chen has sent me", "the email where Lena accepted"
    if re.match(r"^\s*(?:send|email|e-mail|mail|write|forward|share|text|message)\s+(?:me|us)\b", after):
        return "from"  # "what did Hannah Lee email me this week?"
    window = before[-40:]
    while (shorter := _BETWEEN.sub("", window)) != window:
        window = shorter
    for cue, role in _CUES:
        if cue.search(window):
            return role
    return "any"

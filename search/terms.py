"""From what people type to a full-text query that does not demand every word.

"find my emails about the budget review" -> `'budget' | 'review'`: the words that only say
what to do or where to look ("find", "emails", "my") are dropped, the rest are OR-ed so
that a message matching most of them still ranks, and PostgreSQL's `english` configuration
stems each one (and drops ordinary stop words) when the query is parsed.
"""

from __future__ import annotations

import re

# PostgreSQL's `english` stop words (tsearch_data/english.stop, the Snowball list): the
# database would ignore them anyway; dropping them here keeps `terms` honest.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against
    between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don
    should now
    """.split()
)
# Words that carry the request, not the topic: PostgreSQL would keep and match them.
REQUEST_WORDS = frozenset(
    """
    find search show list get give fetch look looking pull bring open display tell need want
    see check lookup please pls can could would will
    anything something everything stuff thing things related regarding concerning mention
    mentions mentioning mentioned sent received latest recent recently
    """.split()
)
# Words naming the kind of item: every mail is a message, so "emails about X" in a query
# vector pulls towards mail about email. Event and file words are different: "dentist
# appointment" is about an appointment, and the vector keeps them.
MAIL_WORDS = frozenset(
    "email emails mail mails message messages inbox thread threads conversation conversations".split()
)
KIND_WORDS = frozenset(
    """
    file files document documents doc docs drive folder
    calendar event events meeting meetings appointment appointments invite invites invitation
    invitations schedule
    """.split()
)
INTENT_WORDS = REQUEST_WORDS | MAIL_WORDS | KIND_WORDS

# Words that only place a request in time. When the caller turned them into a date
# filter ("meetings next week" -> after/before), they say nothing about the topic.
TIME_WORDS = frozenset(
    """
    today tonight tomorrow yesterday day days week weeks weekend month months year years
    quarter last next past previous upcoming coming ago earlier later soon morning afternoon
    evening monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december
    """.split()
)

_WORD = re.compile(r"[\w][\w'.@+-]*[\w]|[\w]", re.UNICODE)


def meaningful_terms(text: str, *, dated: bool = False) -> list[str]:
    """The topic words of a request, lower-cased, in order, without repeats; `dated`: the
    request's time words became a date filter, so they go too."""
    ignored = INTENT_WORDS | STOP_WORDS | (TIME_WORDS if dated else frozenset())
    terms: list[str] = []
    for match in _WORD.finditer(text.lower()):
        for word in _split_dotted(match.group()):
            if word not in ignored and word not in terms:
                terms.append(word)
    return terms


def topic_text(text: str, *, dated: bool = False) -> str:
    """The request without the words that only say what to do, that it is mail, or (when
    `dated`) when: what the query vector should be about. "emails about the budget" ->
    "about the budget": with "emails" in it, MiniLM ranks messages about emails first.
    Stop words stay, so a phrase keeps its sense ("not renewing"); the text as typed when
    nothing is left."""
    ignored = REQUEST_WORDS | MAIL_WORDS | (TIME_WORDS if dated else frozenset())
    kept = [match.group() for match in _WORD.finditer(text) if match.group().lower() not in ignored]
    return " ".join(kept) if any(word.lower() not in STOP_WORDS for word in kept) else text


def _split_dotted(token: str) -> list[str]:
    """An address stays whole; "W.Bush" or "v2.1" is several words."""
    token = token.strip("'.-")
    if "@" in token:
        return [token]
    return [part.strip("'-") for part in token.split(".") if part.strip("'-")]


def or_query(terms: list[str]) -> str:
    """A `to_tsquery` input matching any of the terms; every term is quoted, so no input
    can inject tsquery operators."""
    return " | ".join("'" + term.replace("'", "''").replace("\\", "") + "'" for term in terms)

"""Names the CRF tagger misses, recovered from how requests address people.

The tagger learned names from MASSIVE's annotations; a name it never saw, in lower case,
is often tagged as nothing or folded into an event ("call with anna"). Three patterns of
English recover most of them, each only for a word that looks like a name (a common
given name, or a word the training data never used outside names):

- after a verb of addressing: "send email to enalen", "tell gbaby", "email my friend rohit";
- after a person, joined by "and": "with chris kimberly and aaronson";
- after "with" (or "w") inside an event: "call with anna" -> event "call", person "anna".

And a name never ends on "&": "Harvest & Co" is one name, not "Harvest &".
"""

from __future__ import annotations

import re

from assistant.understanding.features import first_names, lexical_class

ADDRESSING = {
    "email",
    "e-mail",
    "mail",
    "message",
    "text",
    "write",
    "reply",
    "respond",
    "forward",
    "send",
    "cc",
    "invite",
    "tell",
    "ask",
    "ping",
    "remind",
    "notify",
}
# Words that may stand between the verb and the name: "send an email to my friend rohit".
BETWEEN = {
    "an",
    "a",
    "the",
    "email",
    "e-mail",
    "mail",
    "message",
    "note",
    "to",
    "my",
    "friend",
    "back",
    "colleague",
    "buddy",
    "mr",
    "mrs",
    "ms",
    "dr",
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
}

#: Teams of an organisation, as people name them: "Sarah from finance".
DEPARTMENTS = frozenset(
    "finance sales marketing engineering design legal hr product ops operations support it accounts accounting "
    "payroll leadership management procurement security recruiting".split()
)


def looks_like_name(token: str, common_words: frozenset[str]) -> bool:
    bare = token.removesuffix("'s")
    if not bare.isalpha() or lexical_class(bare) != "-":
        return False
    return bare in first_names() or bare not in common_words


def recover_people(tokens: list[str], tags: list[str], common_words: frozenset[str]) -> list[str]:
    """`tags` with the names these patterns find tagged B-person (new list)."""
    tags = list(tags)
    for index, token in enumerate(tokens):
        if token in ADDRESSING:
            following = index + 1
            while following < len(tokens) and tokens[following] in BETWEEN:
                following += 1
            if following < len(tokens) and tags[following] == "O" and looks_like_name(tokens[following], common_words):
                tags[following] = "B-person"
        elif token == "and" and 0 < index < len(tokens) - 1 and tags[index - 1].endswith("-person"):
            if tags[index + 1] == "O" and looks_like_name(tokens[index + 1], common_words):
                tags[index + 1] = "B-person"
        elif token == "&" and 0 < index < len(tokens) - 1 and tags[index - 1].endswith("-person"):
            tags[index] = "I-person"
            if tags[index + 1] == "O":
                tags[index + 1] = "I-person"
        elif token in ("with", "w") and tags[index].startswith("I-") and index + 1 < len(tokens):
            inside = tags[index]
            if tags[index + 1] == inside and looks_like_name(tokens[index + 1], common_words):
                tags[index], tags[index + 1] = "O", "B-person"
                rest = index + 2
                while rest < len(tokens) and tags[rest] == inside:
                    tags[rest] = "I-person"
                    rest += 1
    return tags


#: What a name's possessive is followed by: "sarah chens lastest mail", "emmas cv email".
_OWNED = re.compile(
    r"(?:latest|lastest|last|newest|recent|most|first|next|e-?mails?|emials?|mails?|messages?|msgs?|replies|reply"
    r"|invoices?|cvs?|files?|docs?|agenda|agneda|notes?|meeting|invite|offer|acceptance|update|thread|email"
    r"|slides|decks?|sheets?|reports?|contracts?|calendar|message)\b",
    re.IGNORECASE,
)
#: Everyday words whose last letter is an "s" after something that is also a given name.
_ENDS_IN_S = frozenset(
    "this does goes less miss boss plus thus news always perhaps across unless besides towards whereas mars bills"
    " marks franks jacks pats deans rays roses joys hopes grants sets lets gets bets nets kits vans dots tess".split()
)
_DETERMINERS = frozenset("the a an these those my your our their his her its some any all".split())
_NOT_OWNED = frozenset(
    "by from and or to for in on at of the a an with that this due are is were was be been and but as if than".split()
)
_WORD_S = re.compile(r"\b([A-Za-z]{3,}s)\b(?!['\u2019])")


def with_possessives(text: str) -> str:
    """`text` with the apostrophe hurried typists leave out of a name's possessive:
    "reply to daniels emial" is Daniel's, "sarah chens lastest mail" is Sarah Chen's.
    A word is a possessive when, less its "s", it is a given name and is not one itself
    ("thomas" stays), or when it follows a given name and comes before what is owned."""
    names = first_names()

    def fixed(match: re.Match[str]) -> str:
        word = match.group(1)
        stem, lowered = word[:-1], word.lower()
        if lowered in names or lowered in _ENDS_IN_S or lowered.endswith("ous"):
            return word  # ("previous", "various": no one's)
        before = text[: match.start()].split()
        after = text[match.end() :].lstrip()
        following = re.match(r"[A-Za-z]+", after)
        if stem.lower() in names:
            # "daniels emial", not "pay the bills by friday" or "marks and spencer".
            determined = bool(before) and before[-1].lower() in _DETERMINERS
            owned = following is not None and following.group(0).lower() not in _NOT_OWNED
            return f"{stem}'s" if owned and not determined else word
        if before and before[-1].lower() in names and _OWNED.match(after):
            return f"{stem}'s"  # a surname's
        return word

    return _WORD_S.sub(fixed, text)

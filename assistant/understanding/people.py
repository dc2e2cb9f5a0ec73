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

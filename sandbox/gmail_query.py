"""Gmail's search syntax (`q`), as people type it.

Supported: free words and "quoted phrases" (subject, body, addresses, attachment names),
`from:` `to:` `cc:` `bcc:` `subject:` `label:` `in:` `is:` (unread, read, starred,
important), `has:attachment`, `filename:`, `after:` / `before:` (YYYY/MM/DD or epoch
seconds), `newer_than:` / `older_than:` (Nd, Nm, Ny), `larger:` / `smaller:`,
`-term` negation, `OR` (binding tighter than the implicit AND, as in Gmail),
`category:` (primary, social, promotions, updates, forums), `{a b}` (any of) and
parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.errors import bad_request


@dataclass(frozen=True)
class Searchable:
    """A message as search sees it."""

    sender: str
    to: str
    cc: str
    bcc: str
    subject: str
    text: str
    filenames: tuple[str, ...]
    labels: frozenset[str]  # label ids and lower-cased label names
    internal_date_ms: int
    size: int

    def everything(self) -> str:
        return " ".join((self.sender, self.to, self.cc, self.subject, self.text, *self.filenames)).lower()


Predicate = Callable[[Searchable], bool]


def _any_of(predicates: list[Predicate]) -> Predicate:
    """`{a b c}`: any of them holds."""
    return lambda item: any(predicate(item) for predicate in predicates)


TOKEN = re.compile(r'\s*(-?\w[\w.]*:(?:"[^"]*"|\([^)]*\)|[^\s(){}"]+)|-?"[^"]*"|[(){}]|-|OR\b|[^\s(){}"]+)')
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def _contains_words(haystack: str, needle: str) -> bool:
    """Whole-word (prefix-free) match, as Gmail does: `sara` does not match `sarah`."""
    needle = needle.lower().strip()
    if not needle:
        return True
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", haystack.lower()) is not None


def _parse_date(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    for pattern in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise bad_request(f"Invalid date in query: {value}")


def _parse_age(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not match:
        raise bad_request(f"Invalid relative date in query: {value}")
    days = {"d": 1, "m": 30, "y": 365}[match.group(2)] * int(match.group(1))
    return timedelta(days=days)


def _parse_size(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmM]?)", value)
    if not match:
        raise bad_request(f"Invalid size in query: {value}")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def _operator(name: str, value: str, now: datetime) -> Predicate:
    value = value.strip('"')
    if value.startswith("(") and value.endswith(")"):
        alternatives = [v for v in value[1:-1].split() if v != "OR"]
        parts = [_operator(name, v, now) for v in alternatives]
        return lambda m: any(p(m) for p in parts)
    low = value.lower()
    fields: dict[str, Callable[[Searchable], str]] = {
        "from": lambda m: m.sender,
        "to": lambda m: f"{m.to} {m.cc} {m.bcc}",
        "cc": lambda m: m.cc,
        "bcc": lambda m: m.bcc,
        "subject": lambda m: m.subject,
    }
    if name in fields:
        getter = fields[name]
        return lambda m: _contains_words(getter(m), value)
    if name == "category":
        if low == "primary":  # Gmail's primary tab: no other category
            others = {"CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS"}
            return lambda m: not others & m.labels
        category = "CATEGORY_" + value.upper()
        return lambda m: category in m.labels
    if name in ("label", "in"):
        if low == "anywhere":
            return lambda m: True
        wanted = {low, low.replace("-", " "), low.upper()}
        return lambda m: bool(wanted & m.labels)
    if name == "is":
        flags: dict[str, Predicate] = {
            "unread": lambda m: "UNREAD" in m.labels,
            "read": lambda m: "UNREAD" not in m.labels,
            "starred": lambda m: "STARRED" in m.labels,
            "important": lambda m: "IMPORTANT" in m.labels,
        }
        if low not in flags:
            raise bad_request(f"Unsupported search operator is:{value}")
        return flags[low]
    if name == "has":
        if low != "attachment":
            raise bad_request(f"Unsupported search operator has:{value}")
        return lambda m: bool(m.filenames)
    if name == "filename":
        return lambda m: any(low in f.lower() for f in m.filenames)
    if name in ("after", "before", "newer_than", "older_than"):
        moment = _parse_date(value) if name in ("after", "before") else now - _parse_age(value)
        boundary = int(moment.timestamp() * 1000)
        if name in ("after", "newer_than"):
            return lambda m: m.internal_date_ms >= boundary
        return lambda m: m.internal_date_ms < boundary
    if name in ("larger", "smaller"):
        size = _parse_size(value)
        return (lambda m: m.size > size) if name == "larger" else (lambda m: m.size < size)
    # An unknown "word:thing" is searched as text, as Gmail does.
    return lambda m: _contains_words(m.everything(), f"{name}:{value}")


class _Parser:
    def __init__(self, query: str, now: datetime) -> None:
        self.tokens = [t for t in TOKEN.findall(query) if t.strip()]
        self.position = 0
        self.now = now

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def conjunction(self, closing: str | None) -> Predicate:
        parts: list[Predicate] = []
        while (token := self.peek()) is not None and token != closing:
            parts.append(self.disjunction(closing))
        return lambda m: all(p(m) for p in parts)

    def disjunction(self, closing: str | None) -> Predicate:
        parts = [self.unary(closing)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.unary(closing))
        return parts[0] if len(parts) == 1 else (lambda m: any(p(m) for p in parts))

    def unary(self, closing: str | None) -> Predicate:
        token = self.take()
        if token == "-":
            inner = self.unary(closing)
            return lambda m: not inner(m)
        if token in ("(", "{"):
            end = ")" if token == "(" else "}"
            if token == "(":
                inner = self.conjunction(end)
            else:
                alternatives: list[Predicate] = []
                while self.peek() not in (end, None):
                    alternatives.append(self.unary(end))
                inner = _any_of(alternatives)
            if self.peek() == end:
                self.take()
            return inner
        if token in (")", "}", "OR"):
            return lambda m: True  # stray punctuation is ignored, as Gmail does
        if token.startswith("-") and len(token) > 1:
            inner = self.term(token[1:])
            return lambda m: not inner(m)
        return self.term(token)

    def term(self, token: str) -> Predicate:
        if token.startswith('"'):
            phrase = token.strip('"')
            return lambda m: _contains_words(m.everything(), phrase)
        name, colon, value = token.partition(":")
        if colon and value and re.fullmatch(r"[a-z_]+", name.lower()):
            return _operator(name.lower(), value, self.now)
        return lambda m: _contains_words(m.everything(), token)


def compile_query(query: str, now: datetime) -> Predicate:
    """A predicate over `Searchable` messages for a Gmail `q` string."""
    parser = _Parser(query, now)
    return parser.conjunction(None)

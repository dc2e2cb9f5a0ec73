"""Drive's `q` search language, the subset people and sync code use.

Clauses: `name contains|=|!= 'x'`, `fullText contains 'x'`, `mimeType =|!=|contains 'x'`,
`trashed = true|false`, `starred = true|false`, `modifiedTime|createdTime <|<=|=|>=|> 'RFC3339'`,
`'x' in owners|writers|readers|parents`, `sharedWithMe`; combined with `and`, `or`,
`not` and parentheses. Anything else is a 400, as Google answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandbox.errors import ApiError

Predicate = Callable[[dict[str, Any], str], bool]  # (file view, searching account)

TOKEN = re.compile(r"\s*('(?:[^'\\]|\\.)*'|!=|<=|>=|[=<>()]|[A-Za-z]+)")
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def invalid(query: str) -> ApiError:
    return ApiError(400, f"Invalid Value: {query}", "invalid")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens: list[str] = []
        position = 0
        while position < len(query):
            match = TOKEN.match(query, position)
            if match is None:
                if query[position:].strip():
                    raise invalid(query)
                break
            self.tokens.append(match.group(1))
            position = match.end()
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        if self.index >= len(self.tokens):
            raise invalid(self.query)
        self.index += 1
        return self.tokens[self.index - 1]

    def string(self) -> str:
        token = self.take()
        if not token.startswith("'"):
            raise invalid(self.query)
        return re.sub(r"\\(.)", r"\1", token[1:-1])

    def joined(self, word: str, operand: Callable[[], Predicate], combine: Callable[[Any], bool]) -> Predicate:
        """Operands separated by `word` (`or` / `and`), combined with `any` / `all`."""
        parts = [operand()]
        while (self.peek() or "").lower() == word:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda f, a: combine(p(f, a) for p in parts))

    def expression(self) -> Predicate:
        return self.joined("or", self.conjunction, any)

    def conjunction(self) -> Predicate:
        return self.joined("and", self.negation, all)

    def negation(self) -> Predicate:
        token = self.peek()
        if token is not None and token.lower() == "not":
            self.take()
            inner = self.negation()
            return lambda f, a: not inner(f, a)
        if token == "(":
            self.take()
            inner = self.expression()
            if self.take() != ")":
                raise invalid(self.query)
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        token = self.take()
        if token.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", token[1:-1])
            if self.take().lower() != "in":
                raise invalid(self.query)
            collection = self.take()
            roles = {
                "owners": ("owner",),
                "writers": ("owner", "writer"),
                "readers": ("owner", "writer", "commenter", "reader"),
            }
            if collection == "parents":
                return lambda f, a: value in f.get("parents", [])
            if collection not in roles:
                raise invalid(self.query)
            wanted = roles[collection]
            return lambda f, a: any(
                p.get("emailAddress", "").lower() == value.lower() and p["role"] in wanted
                for p in f.get("permissions", [])
            )
        if token == "sharedWithMe":
            return lambda f, a: all(o["emailAddress"] != a for o in f["owners"])
        operator = self.take()
        if token in ("trashed", "starred"):
            literal = self.take().lower()
            if operator not in ("=", "!=") or literal not in ("true", "false"):
                raise invalid(self.query)
            compare = COMPARISONS[operator]
            return lambda f, a: compare(bool(f.get(token)), literal == "true")
        value = self.string()
        if token in ("modifiedTime", "createdTime"):
            if operator not in COMPARISONS:
                raise invalid(self.query)
            try:
                boundary = _time(value)
            except ValueError as exc:
                raise invalid(self.query) from exc
            compare = COMPARISONS[operator]
            return lambda f, a: compare(_time(f[token]), boundary)
        if token in ("name", "mimeType"):
            if operator == "contains":
                if token == "name":
                    # Drive matches name prefixes of words: 'bud' finds "Budget 2026.xlsx".
                    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(value), re.IGNORECASE)
                    return lambda f, a: pattern.search(f["name"]) is not None
                return lambda f, a: value.lower() in f[token].lower()
            if operator not in ("=", "!="):
                raise invalid(self.query)
            compare = COMPARISONS[operator]
            return lambda f, a: compare(f[token], value)
        if token == "fullText" and operator == "contains":
            words = value.lower().split()
            return lambda f, a: all(w in f["_text"] for w in words)
        raise invalid(self.query)


def compile_query(query: str) -> Predicate:
    parser = _Parser(query)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise invalid(query)
    return predicate

"""Cleaning text before it is indexed, and the short previews shown in results."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*>)+[ \t]?", re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_RUNS_OF_SPACE = re.compile(r"[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")

PREVIEW_CHARS = 280


def clean_text(text: str) -> str:
    """Text as people read it: NFC, no invisible characters, no quote markers, tidy spacing.

    Quoted replies keep their words (an answer often only makes sense with the question it
    quotes); only the `>` markers go, because they are noise to both indexes.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    text = _QUOTE_PREFIX.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _RUNS_OF_SPACE.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The first `limit` characters on one line, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + "…"

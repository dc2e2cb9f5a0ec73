"""RFC 822 messages: building them from fixture data, and reading them as Gmail does.

Gmail stores the raw message; `messages.get` shows it as a `payload` tree of parts
(`partId`, `mimeType`, `filename`, `headers`, `body` with base64url `data` or an
`attachmentId`), and search sees headers, text bodies (HTML reduced to text) and
attachment file names.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Any

# compat32 is the stdlib's fast path (about 25x faster to parse than policy.default),
# which keeps loading thousands of messages well inside the time budget.
PARSER = BytesParser(policy=policy.compat32)


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime_type: str
    data: bytes


@dataclass
class Draft:
    """The parts of an email to build."""

    sender: str
    to: list[str]
    subject: str
    date: datetime
    text: str | None = None
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _addresses(values: list[str]) -> str:
    """Addresses, non-ASCII display names encoded as RFC 2047 words."""
    if all(value.isascii() for value in values):
        return ", ".join(values)
    return ", ".join(formataddr((name, address), charset="utf-8") for name, address in getaddresses(values))


def _leaf(content_type: str, data: bytes, extra: str = "") -> str:
    """One MIME leaf: 7bit when it can be, else base64 (76-character lines)."""
    lines = data.split(b"\n")
    if data.isascii() and all(len(line) < 990 for line in lines) and b"\r" not in data:
        encoding, body = "7bit", data.decode("ascii")
    else:
        encoding, body = "base64", base64.encodebytes(data).decode("ascii")
    return f"Content-Type: {content_type}\nContent-Transfer-Encoding: {encoding}\n{extra}\n{body}"


def _text_leaf(text: str, subtype: str) -> str:
    charset = "us-ascii" if text.isascii() else "utf-8"
    return _leaf(f'text/{subtype}; charset="{charset}"', text.encode("utf-8"))


def _multipart(subtype: str, boundary: str, parts: list[str]) -> str:
    inner = "".join(f"--{boundary}\n{part}\n" for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{inner}--{boundary}--\n'


def build_message(draft: Draft) -> bytes:
    """A real MIME message: text and/or HTML (multipart/alternative), plus attachments.

    Written directly rather than through `email.generator`, which is about 20 times
    slower; the boundaries derive from the Message-ID, so a message always builds to
    the same bytes.
    """
    message_id = draft.message_id or make_msgid(domain="sandbox.local")
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    if draft.text is not None and draft.html is not None:
        body = _multipart(
            "alternative", f"alt_{seed}", [_text_leaf(draft.text, "plain"), _text_leaf(draft.html, "html")]
        )
    elif draft.html is not None:
        body = _text_leaf(draft.html, "html")
    else:
        body = _text_leaf(draft.text or "", "plain")
    if draft.attachments:
        parts = [body]
        for attachment in draft.attachments:
            name = attachment.filename.replace('"', "")
            disposition = f'Content-Disposition: attachment; filename="{_header(name)}"\n'
            parts.append(_leaf(f'{attachment.mime_type}; name="{_header(name)}"', attachment.data, disposition))
        body = _multipart("mixed", f"mixed_{seed}", parts)
    headers = [f"From: {_addresses([draft.sender])}", f"To: {_addresses(draft.to)}"]
    if draft.cc:
        headers.append(f"Cc: {_addresses(draft.cc)}")
    if draft.bcc:
        headers.append(f"Bcc: {_addresses(draft.bcc)}")
    headers += [
        f"Subject: {_header(draft.subject)}",
        f"Date: {format_datetime(draft.date)}",
        f"Message-ID: {message_id}",
    ]
    if draft.in_reply_to:
        headers.append(f"In-Reply-To: {draft.in_reply_to}")
    if draft.references:
        headers.append(f"References: {' '.join(draft.references)}")
    headers += [f"{name}: {_header(value)}" for name, value in draft.extra_headers.items()]
    headers.append("MIME-Version: 1.0")
    return ("\n".join(headers) + "\n" + body).replace("\n", "\r\n").encode("ascii")


def parse(raw: bytes) -> Message:
    return PARSER.parsebytes(raw)


def decoded(value: Any) -> str:
    """A header value with RFC 2047 encoded words decoded."""
    text = str(value)
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, ValueError):
        return text


def part_text(part: Message) -> str:
    data = part.get_payload(decode=True) or b""
    assert isinstance(data, bytes)
    return data.decode(part.get_content_charset() or "utf-8", errors="replace")


def b64url(data: bytes) -> str:
    """base64url with padding, as Gmail writes `data` and `raw` (clients decode it as is)."""
    return base64.urlsafe_b64encode(data).decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def attachment_id(message_id: str, part_id: str) -> str:
    return b64url(f"{message_id}/{part_id}".encode())


def _is_attachment(part: Message) -> bool:
    return part.get_filename() is not None or part.get_content_disposition() == "attachment"


def _walk(part: Message, part_id: str) -> list[tuple[str, Message]]:
    found = [(part_id, part)]
    if part.is_multipart():
        for index, child in enumerate(part.get_payload()):
            child_id = f"{part_id}.{index}" if part_id else str(index)
            found.extend(_walk(child, child_id))
    return found


def part_by_id(raw: bytes, part_id: str) -> Message | None:
    for found_id, part in _walk(parse(raw), ""):
        if found_id == part_id:
            return part
    return None


def payload(raw: bytes, message_id: str) -> dict[str, Any]:
    """Gmail's `payload` tree of a message."""

    def build(part: Message, part_id: str) -> dict[str, Any]:
        headers = [{"name": k, "value": decoded(v)} for k, v in part.items()]
        node: dict[str, Any] = {
            "partId": part_id,
            "mimeType": part.get_content_type(),
            "filename": part.get_filename() or "",
            "headers": headers,
        }
        if part.is_multipart():
            node["body"] = {"size": 0}
            node["parts"] = [
                build(child, f"{part_id}.{i}" if part_id else str(i)) for i, child in enumerate(part.get_payload())
            ]
        else:
            data = part.get_payload(decode=True) or b""
            if _is_attachment(part):
                node["body"] = {"attachmentId": attachment_id(message_id, part_id), "size": len(data)}
            else:
                node["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
        return node

    return build(parse(raw), "")


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>|</h\d>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()


@dataclass(frozen=True)
class Summary:
    """What search and listings need from a message."""

    headers: dict[str, str]
    text: str
    filenames: list[str]

    @property
    def snippet(self) -> str:
        return re.sub(r"\s+", " ", self.text).strip()[:200]


def summarize(raw: bytes) -> Summary:
    message = parse(raw)
    plain: list[str] = []
    markup: list[str] = []
    filenames: list[str] = []
    for _, part in _walk(message, ""):
        if part.is_multipart():
            continue
        if _is_attachment(part):
            filenames.append(part.get_filename() or "")
        elif part.get_content_type() == "text/plain":
            plain.append(part_text(part))
        elif part.get_content_type() == "text/html":
            markup.append(part_text(part))
    # Google shows the text part of an alternative, and the HTML reduced to text without one.
    text = "\n".join(plain) if plain else "\n".join(html_to_text(m) for m in markup)
    headers = {k.lower(): decoded(v) for k, v in message.items()}
    return Summary(headers, text, filenames)


def addresses(value: str) -> list[str]:
    """The bare, lower-cased addresses in a header value."""
    return [address.lower() for _, address in getaddresses([decoded(value)]) if address]

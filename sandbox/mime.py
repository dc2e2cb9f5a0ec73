"""RFC 822 messages: building them from fixture data, and reading them as Gmail does.

Gmail stores the raw message; `messages.get` shows it as a `payload` tree of parts
(`partId`, `mimeType`, `filename`, `headers`, `body` with base64url `data` or an
`attachmentId`), and search sees headers, text bodies (HTML reduced to text) and
attachment file names.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from datetime import datetime
from typing import Any

PARSER = BytesParser(policy=policy.default)


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


def build_message(draft: Draft) -> bytes:
    """A real MIME message: text and/or HTML (multipart/alternative), plus attachments."""
    message = EmailMessage()
    message["From"] = draft.sender
    message["To"] = ", ".join(draft.to)
    if draft.cc:
        message["Cc"] = ", ".join(draft.cc)
    if draft.bcc:
        message["Bcc"] = ", ".join(draft.bcc)
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(draft.date)
    message["Message-ID"] = draft.message_id or make_msgid(domain="sandbox.local")
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = " ".join(draft.references)
    for name, value in draft.extra_headers.items():
        message[name] = value
    if draft.text is not None:
        message.set_content(draft.text)
        if draft.html is not None:
            message.add_alternative(draft.html, subtype="html")
    elif draft.html is not None:
        message.set_content(draft.html, subtype="html")
    else:
        message.set_content("")
    for attachment in draft.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message.as_bytes()


def parse(raw: bytes) -> EmailMessage:
    message = PARSER.parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


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
        headers = [{"name": k, "value": str(v)} for k, v in part.items()]
        node: dict[str, Any] = {
            "partId": part_id,
            "mimeType": part.get_content_type(),
            "filename": part.get_filename() or "",
            "headers": headers,
        }
        if part.is_multipart():
            node["body"] = {"size": 0}
            node["parts"] = [
                build(child, f"{part_id}.{i}" if part_id else str(i))
                for i, child in enumerate(part.get_payload())
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
            plain.append(str(part.get_content()))
        elif part.get_content_type() == "text/html":
            markup.append(str(part.get_content()))
    # Google shows the text part of an alternative, and the HTML reduced to text without one.
    text = "\n".join(plain) if plain else "\n".join(html_to_text(m) for m in markup)
    headers = {k.lower(): str(v) for k, v in message.items()}
    return Summary(headers, text, filenames)


def addresses(value: str) -> list[str]:
    """The bare, lower-cased addresses in a header value."""
    return [address.lower() for _, address in getaddresses([value]) if address]

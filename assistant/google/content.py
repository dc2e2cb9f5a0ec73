"""Searchable text out of what Google returns: Gmail MIME trees, HTML, PDF, DOCX.

Pure functions, no I/O: the sync jobs fetch, these read. Nothing is silently dropped:
text/plain wins over its HTML alternative, an HTML-only message is rendered to text,
and attachments we can read (PDF, DOCX, text) are extracted; the others keep their name.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

from assistant.core.items import EmailItem, Person
from assistant.core.text import clean_text

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
READABLE_TYPES = {"application/pdf", DOCX, "text/plain", "text/csv", "text/markdown", "text/html"}
READABLE_EXTENSIONS = (".pdf", ".docx", ".txt", ".csv", ".md")


@dataclass(frozen=True)
class AttachmentRef:
    filename: str
    mime_type: str
    size: int
    attachment_id: str | None
    inline_data: bytes | None = None  # small attachments arrive inline in `body.data`

    @property
    def readable(self) -> bool:
        """Can `extract_document_text` read it?"""
        return self.mime_type.lower() in READABLE_TYPES or self.filename.lower().endswith(READABLE_EXTENSIONS)


def decode_base64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body, keeping the layout of tables and lists."""
    from inscriptis import get_text  # deferred: 12 ms at the chat app's start, which seldom needs it

    return clean_text(get_text(html)) if html.strip() else ""


def parse_people(header_value: str) -> list[Person]:
    return [
        Person(email=address.strip().lower(), name=name.strip().strip('"'))
        for name, address in getaddresses([header_value])
        if address and "@" in address
    ]


def parse_gmail_message(message: dict[str, Any]) -> tuple[EmailItem, list[AttachmentRef]]:
    """A `users.messages.get(format="full")` resource as a cache item, and its attachments.

    The item's `attachment_text` is empty: reading attachments needs more calls, and the
    caller adds their text with `dataclasses.replace`.
    """
    payload = message.get("payload", {})
    headers = {h["name"].lower(): h["value"] for h in payload.get("headers", [])}
    plain: list[str] = []
    html: list[str] = []
    attachments: list[AttachmentRef] = []
    _walk(payload, plain, html, attachments)
    body = clean_text("\n\n".join(plain)) if plain else html_to_text("\n".join(html))
    senders = parse_people(headers.get("from", ""))
    labels = tuple(message.get("labelIds", []))
    item = EmailItem(
        message_id=message["id"],
        thread_id=message.get("threadId", message["id"]),
        subject=headers.get("subject", "").strip(),
        sender=senders[0] if senders else Person(email=""),
        internal_date=datetime.fromtimestamp(int(message.get("internalDate", "0")) / 1000, UTC),
        body_text=body,
        to=tuple(parse_people(headers.get("to", ""))),
        cc=tuple(parse_people(headers.get("cc", ""))),
        labels=labels,
        snippet=message.get("snippet", ""),
        is_unread="UNREAD" in labels,
        attachment_names=tuple(a.filename for a in attachments),
        history_id=int(message["historyId"]) if message.get("historyId") else None,
        rfc822_message_id=headers.get("message-id"),
        size_estimate=message.get("sizeEstimate"),
    )
    return item, attachments


def _walk(part: dict[str, Any], plain: list[str], html: list[str], attachments: list[AttachmentRef]) -> None:
    mime_type = part.get("mimeType", "")
    body = part.get("body", {})
    filename = part.get("filename") or ""
    if filename or body.get("attachmentId"):
        attachments.append(
            AttachmentRef(
                filename=filename or "attachment",
                mime_type=mime_type,
                size=int(body.get("size", 0)),
                attachment_id=body.get("attachmentId"),
                inline_data=decode_base64url(body["data"]) if body.get("data") else None,
            )
        )
        return
    if mime_type.startswith("multipart/"):
        children = part.get("parts", [])
        if mime_type == "multipart/alternative":
            # Alternatives say the same thing: read the plain one when there is one.
            preferred = [c for c in children if c.get("mimeType") == "text/plain"]
            children = preferred or children
        for child in children:
            _walk(child, plain, html, attachments)
        return
    if body.get("data") is None:
        return
    text = decode_base64url(body["data"]).decode(_charset(part), errors="replace")
    if mime_type == "text/plain":
        plain.append(text)
    elif mime_type == "text/html":
        html.append(text)


def _charset(part: dict[str, Any]) -> str:
    for header in part.get("headers", []):
        if header["name"].lower() == "content-type":
            match = re.search(r'charset="?([\w-]+)"?', header["value"], re.IGNORECASE)
            if match:
                return match.group(1)
    return "utf-8"


def extract_document_text(data: bytes, mime_type: str, filename: str = "") -> str:
    """Text of a PDF, DOCX, HTML or text file; "" for what we cannot read.

    A corrupt file is logged and skipped: one bad attachment must not fail a sync.
    """
    kind = mime_type.lower()
    name = filename.lower()
    try:
        if kind == "application/pdf" or name.endswith(".pdf"):
            return _pdf_text(data)
        if kind == DOCX or name.endswith(".docx"):
            return _docx_text(data)
        if kind == "text/html":
            return html_to_text(data.decode("utf-8", errors="replace"))
        if kind.startswith("text/") or name.endswith((".txt", ".csv", ".md")):
            return clean_text(data.decode("utf-8-sig", errors="replace"))
    except Exception as error:  # third-party parsers raise anything on a broken file
        log.warning(
            "could not read attachment",
            extra={"mime_type": mime_type, "file_name": filename, "error": type(error).__name__},
        )
    return ""


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader  # deferred: 64 ms at import, for every app and sync process; few read a PDF

    reader = PdfReader(io.BytesIO(data))
    return clean_text("\n\n".join(page.extract_text() or "" for page in reader.pages))


def _docx_text(data: bytes) -> str:
    import docx  # deferred: 34 ms at import, for every app and sync process; few read a DOCX

    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    return clean_text("\n".join(paragraphs))

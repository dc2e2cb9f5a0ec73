"""Real document files for attachments and Drive: PDF (fpdf2), DOCX (python-docx), text, CSV.

A document spec is `{"format": "pdf"|"docx"|"text"|"csv", "title": str, "body": str}`
(CSV takes `"rows": [[...], ...]` instead of a body). Text extractors read the PDFs and
DOCX files this writes, which is what makes attachments searchable downstream.
"""

from __future__ import annotations

import csv
import io
from typing import Any

MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain",
    "csv": "text/csv",
}

# The core PDF fonts cover Latin-1 only; keep text readable rather than failing.
_PDF_REPLACEMENTS = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u20ac": "EUR ",
        "\u0131": "i",
        "\u015f": "s",
        "\u011f": "g",
        "\u0130": "I",
        "\u015e": "S",
    }
)


def pdf_bytes(title: str, body: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title.translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1"))
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(0, 8, pdf.title or "")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    text = body.translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def docx_bytes(title: str, body: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for paragraph in body.split("\n\n"):
        document.add_paragraph(paragraph.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def render(spec: dict[str, Any]) -> tuple[bytes, str]:
    """A document's bytes and MIME type."""
    kind = spec.get("format", "text")
    title = str(spec.get("title", ""))
    body = str(spec.get("body", ""))
    if kind == "pdf":
        return pdf_bytes(title, body), MIME_TYPES[kind]
    if kind == "docx":
        return docx_bytes(title, body), MIME_TYPES[kind]
    if kind == "csv":
        return csv_text(spec.get("rows", [])).encode(), MIME_TYPES[kind]
    if kind == "text":
        return body.encode(), MIME_TYPES[kind]
    raise ValueError(f"unknown document format {kind!r}; use one of {sorted(MIME_TYPES)}")

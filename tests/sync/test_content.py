"""Searchable text out of Gmail payloads, HTML, PDF and DOCX."""

from __future__ import annotations

import base64
import io

from assistant.google.content import extract_document_text, html_to_text, parse_gmail_message


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_plain_alternative_wins_and_attachments_are_listed() -> None:
    message = {
        "id": "m1",
        "threadId": "t1",
        "historyId": "1234",
        "internalDate": "1764000000000",
        "labelIds": ["INBOX", "UNREAD"],
        "snippet": "Numbers attached",
        "payload": {
            "mimeType": "multipart/mixed",
            "headers": [
                {"name": "From", "value": '"Chen, Sarah" <Sarah.Chen@Acme.example>'},
                {"name": "To", "value": "Ada <ada@acme.example>, bob@acme.example"},
                {"name": "Subject", "value": "Q4 Financial Review"},
                {"name": "Message-ID", "value": "<abc@acme.example>"},
            ],
            "parts": [
                {
                    "mimeType": "multipart/alternative",
                    "parts": [
                        {"mimeType": "text/plain", "body": {"data": b64("Plain numbers.")}},
                        {"mimeType": "text/html", "body": {"data": b64("<p>HTML numbers.</p>")}},
                    ],
                },
                {
                    "mimeType": "application/pdf",
                    "filename": "q4.pdf",
                    "body": {"attachmentId": "att-1", "size": 2048},
                },
            ],
        },
    }
    parsed, attachments = parse_gmail_message(message)
    assert parsed.body_text == "Plain numbers."
    assert parsed.sender.email == "sarah.chen@acme.example" and parsed.sender.name == "Chen, Sarah"
    assert [p.email for p in parsed.to] == ["ada@acme.example", "bob@acme.example"]
    assert parsed.subject == "Q4 Financial Review"
    assert parsed.history_id == 1234 and parsed.labels == ("INBOX", "UNREAD") and parsed.is_unread
    assert parsed.internal_date.year == 2025
    assert [(a.filename, a.attachment_id, a.readable) for a in attachments] == [("q4.pdf", "att-1", True)]
    assert parsed.attachment_names == ("q4.pdf",)


def test_an_html_only_message_becomes_readable_text() -> None:
    html = (
        "<html><body><h1>Your booking</h1><table><tr><td>PNR</td><td>TK7XQ2</td></tr>"
        "<tr><td>Flight</td><td>TK 1980 IST-LHR</td></tr></table>"
        "<script>track()</script><ul><li>Fare: Flex</li></ul></body></html>"
    )
    parsed, _ = parse_gmail_message(
        {
            "id": "m2",
            "internalDate": "0",
            "payload": {"mimeType": "text/html", "headers": [], "body": {"data": b64(html)}},
        }
    )
    assert "TK7XQ2" in parsed.body_text and "TK 1980 IST-LHR" in parsed.body_text
    assert "Fare: Flex" in parsed.body_text
    assert "<td>" not in parsed.body_text and "track()" not in parsed.body_text


def test_pdf_and_docx_attachments_are_read() -> None:
    import docx
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Invoice 2291 from Northwind Logistics, total 4,250.00 EUR")
    pdf_bytes = bytes(pdf.output())
    assert "Invoice 2291" in extract_document_text(pdf_bytes, "application/pdf", "inv.pdf")

    document = docx.Document()
    document.add_paragraph("Launch plan for Project Atlas")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Owner"
    table.rows[0].cells[1].text = "Priya"
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_document_text(
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "plan.docx",
    )
    assert "Project Atlas" in text and "Owner | Priya" in text


def test_a_broken_attachment_is_skipped_not_fatal() -> None:
    assert extract_document_text(b"%PDF-1.7 not really", "application/pdf", "broken.pdf") == ""
    assert extract_document_text(b"\x00\x01", "image/png", "photo.png") == ""


def test_html_to_text() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p>Hello&nbsp;<b>there</b></p>") == "Hello there"

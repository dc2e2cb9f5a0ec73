"""Drive v3 through google-api-python-client."""

from __future__ import annotations

import io
import uuid
import zipfile

import httpx
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from tests.sandbox.conftest import ALEX, OMAR, SARAH, Services

FIELDS = "nextPageToken,files(id,name,mimeType,modifiedTime,owners(emailAddress),trashed)"


def names(drive, q: str | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    files = drive.files().list(q=q, fields=FIELDS, pageSize=1000).execute()["files"]
    return {f["name"] for f in files}


def file_id(drive, name: str) -> str:  # type: ignore[no-untyped-def]
    files = drive.files().list(q=f"name = '{name}'", fields="files(id)").execute()["files"]
    assert len(files) == 1, files
    return str(files[0]["id"])


def test_list_sees_own_and_shared_files_only(alex: Services) -> None:
    found = names(alex.drive)
    assert {"Launch plan", "Q4 numbers", "Invoice INV-1042.pdf", "Offsite agenda.docx"} <= found
    assert "Omar private notes" not in found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name contains 'invoice'", {"Invoice INV-1042.pdf"}),
        ("fullText contains 'general availability'", {"Launch plan"}),
        ("mimeType = 'application/vnd.google-apps.spreadsheet'", {"Q4 numbers"}),
        ("mimeType = 'application/pdf' and trashed = false", {"Invoice INV-1042.pdf"}),
        ("modifiedTime > '2026-03-05T00:00:00Z' and name contains 'agenda'", {"Offsite agenda.docx"}),
        (f"'{SARAH}' in owners", {"Q4 numbers"}),
        ("sharedWithMe and not name contains 'zzz'", {"Q4 numbers"}),
        ("(name contains 'launch' or name contains 'numbers') and trashed = false", {"Launch plan", "Q4 numbers"}),
    ],
)
def test_query_subset(alex: Services, query: str, expected: set[str]) -> None:
    assert names(alex.drive, query) == expected


def test_bad_query_is_400(alex: Services) -> None:
    with pytest.raises(HttpError) as raised:
        alex.drive.files().list(q="name has 'x'").execute()
    assert raised.value.status_code == 400


def test_get_with_fields_and_defaults(alex: Services) -> None:
    target = file_id(alex.drive, "Invoice INV-1042.pdf")
    default = alex.drive.files().get(fileId=target).execute()
    assert set(default) == {"kind", "id", "name", "mimeType"}
    chosen = alex.drive.files().get(fileId=target, fields="id,size,owners(emailAddress,me),webViewLink").execute()
    assert chosen["owners"] == [{"emailAddress": ALEX, "me": True}]
    assert int(chosen["size"]) > 100 and chosen["webViewLink"].startswith("https://drive.google.com/file/d/")


def test_downloads_and_exports(alex: Services) -> None:
    pdf = alex.drive.files().get_media(fileId=file_id(alex.drive, "Invoice INV-1042.pdf")).execute()
    assert pdf.startswith(b"%PDF-")
    docx = alex.drive.files().get_media(fileId=file_id(alex.drive, "Offsite agenda.docx")).execute()
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert b"hiring plan" in archive.read("word/document.xml")
    doc = file_id(alex.drive, "Launch plan")
    text = alex.drive.files().export(fileId=doc, mimeType="text/plain").execute()
    assert text.decode("utf-8-sig").startswith("Atlas launch plan.")
    sheet = alex.drive.files().export(fileId=file_id(alex.drive, "Q4 numbers"), mimeType="text/csv").execute()
    assert sheet.decode().splitlines()[1] == "Marketing,1000000,1120000"
    with pytest.raises(HttpError) as raised:
        alex.drive.files().get_media(fileId=doc).execute()
    assert raised.value.status_code == 403 and raised.value.error_details[0]["reason"] == "fileNotDownloadable"
    with pytest.raises(HttpError) as raised:
        alex.drive.files().export(fileId=doc, mimeType="image/png").execute()
    assert raised.value.status_code == 400


def test_other_accounts_files_are_404(connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    private = file_id(omar.drive, "Omar private notes")
    alex = connect(ALEX)
    with pytest.raises(HttpError) as raised:
        alex.drive.files().get(fileId=private).execute()
    assert raised.value.status_code == 404


def test_uploads_multipart_and_resumable(alex: Services) -> None:
    name = f"notes-{uuid.uuid4().hex[:6]}.txt"
    simple = MediaInMemoryUpload(b"Dinner with the Acme team", mimetype="text/plain")
    created = (
        alex.drive.files().create(body={"name": name}, media_body=simple, fields="id,name,mimeType,size").execute()
    )
    assert created["mimeType"] == "text/plain" and created["size"] == "25"
    assert alex.drive.files().get_media(fileId=created["id"]).execute() == b"Dinner with the Acme team"
    assert name in names(alex.drive, "fullText contains 'acme team'")

    big = bytes(range(256)) * 2048  # 512 KiB in two 256 KiB chunks
    resumable = MediaInMemoryUpload(big, mimetype="application/octet-stream", chunksize=256 * 1024, resumable=True)
    request = alex.drive.files().create(body={"name": "blob.bin"}, media_body=resumable, fields="id,size")
    response = None
    progress = []
    while response is None:
        status, response = request.next_chunk()
        if status:
            progress.append(status.resumable_progress)
    assert progress == [256 * 1024]
    assert response["size"] == str(len(big))
    assert alex.drive.files().get_media(fileId=response["id"]).execute() == big


def test_changes_report_edits_trash_and_removal(alex: Services, control: httpx.Client) -> None:
    start = alex.drive.changes().getStartPageToken().execute()["startPageToken"]
    agenda = file_id(alex.drive, "Offsite agenda.docx")
    alex.drive.files().update(fileId=agenda, body={"trashed": True}).execute()
    made = control.post(
        f"/accounts/{ALEX}/files", json={"name": "Scratch", "type": "document", "body": "temporary"}
    ).json()
    assert control.request("DELETE", f"/accounts/{ALEX}/files/{made['id']}").status_code == 204
    answer = (
        alex.drive.changes()
        .list(pageToken=start, fields="newStartPageToken,nextPageToken,changes(fileId,removed,file(name,trashed))")
        .execute()
    )
    changes = {c["fileId"]: c for c in answer["changes"]}
    assert changes[agenda]["file"]["trashed"] is True and changes[agenda]["removed"] is False
    assert changes[made["id"]]["removed"] is True and "file" not in changes[made["id"]]
    assert alex.drive.changes().list(pageToken=answer["newStartPageToken"]).execute()["changes"] == []
    assert "Offsite agenda.docx" not in names(alex.drive, "trashed = false")
    assert "Offsite agenda.docx" in names(alex.drive, "trashed = true")


def test_permissions_share_notify_and_change_visibility(alex: Services, sarah: Services, connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    invoice = file_id(alex.drive, "Invoice INV-1042.pdf")
    before = alex.drive.permissions().list(fileId=invoice).execute()["permissions"]
    assert [p["role"] for p in before] == ["owner"]
    omar_start = omar.drive.changes().getStartPageToken().execute()["startPageToken"]
    created = (
        alex.drive.permissions()
        .create(
            fileId=invoice,
            sendNotificationEmail=True,
            emailMessage="For the records",
            body={"type": "user", "role": "reader", "emailAddress": OMAR},
        )
        .execute()
    )
    assert created["role"] == "reader" and created["emailAddress"] == OMAR
    assert "Invoice INV-1042.pdf" in names(omar.drive, "sharedWithMe")
    changes = omar.drive.changes().list(pageToken=omar_start).execute()["changes"]
    assert invoice in [c["fileId"] for c in changes]
    shared_mail = (
        omar.gmail.users()
        .messages()
        .list(userId="me", q='subject:"Invoice INV-1042.pdf" from:drive-shares-dm-noreply@google.com')
        .execute()
    )
    assert shared_mail["resultSizeEstimate"] == 1
    # no notification when asked not to
    alex.drive.permissions().create(
        fileId=invoice, sendNotificationEmail=False, body={"type": "user", "role": "reader", "emailAddress": SARAH}
    ).execute()
    quiet = sarah.gmail.users().messages().list(userId="me", q='subject:"Invoice INV-1042.pdf"').execute()
    assert quiet["resultSizeEstimate"] == 0
    with pytest.raises(HttpError) as raised:  # a reader cannot share on
        omar.drive.permissions().create(fileId=invoice, body={"type": "anyone", "role": "reader"}).execute()
    assert raised.value.status_code == 403


def test_permissions_delete_unshares_but_never_the_owner(alex: Services, connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    plan = file_id(alex.drive, "Launch plan")
    created = (
        alex.drive.permissions()
        .create(fileId=plan, sendNotificationEmail=False, body={"type": "user", "role": "reader", "emailAddress": OMAR})
        .execute()
    )
    assert "Launch plan" in names(omar.drive, "sharedWithMe")
    alex.drive.permissions().delete(fileId=plan, permissionId=created["id"]).execute()
    holders = [p.get("emailAddress") for p in alex.drive.permissions().list(fileId=plan).execute()["permissions"]]
    assert OMAR not in holders
    assert "Launch plan" not in names(omar.drive, "sharedWithMe")
    with pytest.raises(HttpError) as gone:
        alex.drive.permissions().delete(fileId=plan, permissionId=created["id"]).execute()
    assert gone.value.status_code == 404
    owner = next(p for p in alex.drive.permissions().list(fileId=plan).execute()["permissions"] if p["role"] == "owner")
    with pytest.raises(HttpError) as refused:
        alex.drive.permissions().delete(fileId=plan, permissionId=owner["id"]).execute()
    assert refused.value.status_code == 403


def test_batch_of_drive_gets(alex: Services) -> None:
    files = alex.drive.files().list(fields="files(id,name)", pageSize=3).execute()["files"]
    got: dict[str, str] = {}
    batch = alex.drive.new_batch_http_request(
        callback=lambda rid, response, error: got.__setitem__(rid, response["name"])
    )
    for index, file in enumerate(files):
        batch.add(alex.drive.files().get(fileId=file["id"], fields="name"), request_id=str(index))
    batch.execute()
    assert [got[str(i)] for i in range(len(files))] == [f["name"] for f in files]


def test_about_names_the_user(alex: Services) -> None:
    about = alex.drive.about().get(fields="user(emailAddress,displayName),storageQuota(usage)").execute()
    assert about["user"] == {"emailAddress": ALEX, "displayName": "Alex Morgan"}
    assert int(about["storageQuota"]["usage"]) > 0

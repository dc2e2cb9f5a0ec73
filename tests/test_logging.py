"""Logs: one JSON object per line off a terminal, and no secrets in them."""

import io
import json
import logging

from assistant.core.logs import configure_logging, redact
from assistant.core.settings import Settings


def _log_to_buffer(settings: Settings) -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    return buffer


def test_json_lines_with_extra_fields(tmp_path) -> None:
    buffer = _log_to_buffer(Settings(data_dir=tmp_path))
    logging.getLogger("concierge.test").info("sync finished", extra={"items": 12, "service": "gmail"})
    entry = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert entry["event"] == "sync finished"
    assert entry["level"] == "info"
    assert entry["items"] == 12 and entry["service"] == "gmail"


def test_configured_secrets_and_credentials_never_reach_the_log(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, openai_api_key="configured-openai-key-123456")
    buffer = _log_to_buffer(settings)
    log = logging.getLogger("concierge.test")
    log.warning("calling with key %s", "configured-openai-key-123456")
    log.info("token response", extra={"body": '{"access_token": "ya29.abcdefghijkl", "expires_in": 3599}'})
    log.info("header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    log.info("refresh with 1//0gAbCdEfGhIjKlMnOp and connect postgresql://app:hunter2secret@db/x")
    try:
        raise RuntimeError("refresh_token=1//0gSecretInTraceback failed")
    except RuntimeError:
        log.exception("refresh failed")
    output = buffer.getvalue()
    for secret in (
        "configured-openai-key-123456",
        "ya29.abcdefghijkl",
        "eyJhbGciOiJIUzI1NiJ9",
        "1//0gAbCdEfGhIjKlMnOp",
        "hunter2secret",
        "1//0gSecretInTraceback",
    ):
        assert secret not in output
    assert output.count("[REDACTED]") >= 6
    assert 'expires_in\\": 3599' in output  # ordinary values are left alone


def test_redact_keeps_ordinary_text() -> None:
    assert redact("status code: 200, 14 messages synced") == "status code: 200, 14 messages synced"

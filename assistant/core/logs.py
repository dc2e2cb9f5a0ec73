"""Structured logging: one JSON object per line when not on a terminal, text when on one.

Every record passes through `RedactSecrets`, which masks the configured secrets and
anything shaped like a credential (bearer tokens, OAuth tokens and codes, API keys,
passwords in URLs), whichever library logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from assistant.core.settings import Settings

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

MASK = "[REDACTED]"

# (pattern, replacement): the replacement keeps the label and drops the credential.
_CREDENTIAL_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)((?:access_token|refresh_token|id_token|client_secret|code|api[_-]?key|password)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]{6,}"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), MASK),  # Google access tokens
    (re.compile(r"\b1//[A-Za-z0-9._-]{10,}"), MASK),  # Google refresh tokens
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{10,}"), MASK),  # OpenAI / Anthropic keys
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"), r"\1" + MASK + r"\2"),  # URL passwords
]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with the given secrets and anything credential-shaped masked."""
    for secret in secrets:
        if len(secret) >= 6:
            text = text.replace(secret, MASK)
    for pattern, replacement in _CREDENTIAL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS:
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Install one handler on the root logger, replacing any earlier configuration."""
    stream = stream or sys.stderr
    use_json = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    handler.addFilter(RedactSecrets(settings.secret_values()))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Libraries that log every subprocess and request at INFO.
    for noisy in ("pgserver", "alembic", "httpx", "googleapiclient.discovery_cache"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

"""Encryption at rest for OAuth tokens: AES-256-GCM with a key from the settings.

Stored form: one version byte, a 12-byte random nonce, then the ciphertext with its
16-byte tag. The column name is bound in as associated data, so a ciphertext copied into
another column (an access token pasted over a refresh token) fails to decrypt.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from assistant.core.settings import Settings

_VERSION = b"\x01"
_NONCE_BYTES = 12
KEY_FILE_NAME = "token-encryption.key"


class TokenDecryptionError(Exception):
    """A stored token could not be decrypted (wrong key, or tampered data)."""


class TokenCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the token encryption key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return _VERSION + nonce + sealed

    def decrypt(self, stored: bytes, *, context: str) -> str:
        if not stored or stored[:1] != _VERSION:
            raise TokenDecryptionError("unknown token format")
        nonce, sealed = stored[1 : 1 + _NONCE_BYTES], stored[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, context.encode()).decode("utf-8")
        except Exception as exc:  # cryptography raises InvalidTag without a message
            raise TokenDecryptionError("token could not be decrypted with this key") from exc


def load_key(settings: Settings) -> bytes:
    """The configured key, or for the embedded default one generated into the data dir."""
    if settings.token_encryption_key is not None:
        return _decode_key(settings.token_encryption_key.get_secret_value())
    return _decode_key(secret_file(settings.data_dir / KEY_FILE_NAME, generate_key))


def generate_key() -> str:
    """A new key in the form the settings expect (base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise ValueError("the token encryption key is not valid base64") from exc
    if len(key) != 32:
        raise ValueError("the token encryption key must decode to 32 bytes")
    return key


def secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in `path`, created with `make()` on first use (mode 0600).

    Written aside, then linked into place: processes starting at once end up with one
    secret, and nobody reads a half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_text().strip()

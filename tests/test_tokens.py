"""OAuth tokens are encrypted at rest and round-trip through the model."""

import base64

import pytest
from sqlalchemy import select

from assistant.core.crypto import TokenCipher, TokenDecryptionError, generate_key
from assistant.core.db import create_engine, session_factory
from assistant.core.models import GoogleAccount, User
from tests.support import connect

REFRESH = "1//0gRefreshTokenForAda-abcdefghijklmnop"
ACCESS = "ya29.AccessTokenForAda-qrstuvwxyz0123456789"


async def test_tokens_are_unreadable_in_the_table_and_round_trip(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            user = User(email="ada@example.com")
            session.add(user)
            await session.flush()
            session.add(
                GoogleAccount(user_id=user.id, email="ada@example.com", access_token=ACCESS, refresh_token=REFRESH)
            )
            await session.commit()

        conn = await connect(database_url)
        try:
            raw = await conn.fetchrow("SELECT access_token, refresh_token FROM google_accounts")
            as_text = await conn.fetchval("SELECT row_to_json(g)::text FROM google_accounts g")
        finally:
            await conn.close()
        for stored, plain in ((raw["access_token"], ACCESS), (raw["refresh_token"], REFRESH)):
            assert isinstance(stored, bytes)
            assert plain.encode() not in stored
            assert base64.b64encode(plain.encode()) not in stored
        assert "RefreshTokenForAda" not in as_text and "AccessTokenForAda" not in as_text

        async with sessions() as session:
            account = (await session.execute(select(GoogleAccount))).scalar_one()
            assert account.refresh_token == REFRESH
            assert account.access_token == ACCESS
    finally:
        await engine.dispose()


def test_each_encryption_uses_a_fresh_nonce() -> None:
    cipher = TokenCipher(base64.urlsafe_b64decode(generate_key()))
    first = cipher.encrypt(REFRESH, context="c")
    second = cipher.encrypt(REFRESH, context="c")
    assert first != second
    assert cipher.decrypt(first, context="c") == cipher.decrypt(second, context="c") == REFRESH


def test_a_token_cannot_be_read_with_another_key_or_in_another_column() -> None:
    cipher = TokenCipher(base64.urlsafe_b64decode(generate_key()))
    other = TokenCipher(base64.urlsafe_b64decode(generate_key()))
    stored = cipher.encrypt(REFRESH, context="google_accounts.refresh_token")
    with pytest.raises(TokenDecryptionError):
        other.decrypt(stored, context="google_accounts.refresh_token")
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(stored, context="google_accounts.access_token")
    tampered = stored[:-1] + bytes([stored[-1] ^ 1])
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(tampered, context="google_accounts.refresh_token")


def test_a_key_is_generated_once_into_the_data_directory(tmp_path, monkeypatch) -> None:
    from assistant.core.crypto import KEY_FILE_NAME, load_key
    from assistant.core.settings import Settings

    settings = Settings(data_dir=tmp_path)
    first = load_key(settings)
    assert load_key(settings) == first and len(first) == 32
    assert (tmp_path / KEY_FILE_NAME).stat().st_mode & 0o777 == 0o600

    configured = generate_key()
    assert load_key(Settings(data_dir=tmp_path, token_encryption_key=configured)) == (
        base64.urlsafe_b64decode(configured)
    )
    with pytest.raises(ValueError):
        load_key(Settings(data_dir=tmp_path, token_encryption_key="c2hvcnQ="))

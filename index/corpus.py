"""Read a folder of articles into Documents, skipping unusable files with a reason."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from index.articles import parse_article
from index.dates import parse_full_date
from index.language import detect_language
from index.models import Document, Skipped

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")
SIDECAR_NAME = "metadata.toml"
_SIDECAR_FIELDS = {"title", "date", "url"}


class CorpusError(Exception):
    """The corpus cannot be used at all; the message says why and what to do."""


@dataclass
class Overrides:
    title: str | None = None
    date: date | None = None
    url: str | None = None


@dataclass
class CorpusLoad:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _parse_override_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_full_date(value)
    return None


def _valid_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlparse(value)
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
            elif key == "url" and _valid_url(value):
                item.url = str(value)
            else:
                warnings.append(f"{SIDECAR_NAME}: [{source}] invalid {key} {value!r}; ignored")
        overrides[source] = item
    return overrides


def _article_files(corpus_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in corpus_dir.rglob("*")
        if path.suffix.lower() in ARTICLE_SUFFIXES and not any(part.startswith(".") for part in path.parts)
    )


def load_document(path: Path, source: str, max_bytes: int, override: Overrides | None) -> Document | Skipped:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Skipped(source, f"too large ({size:,} bytes, limit {max_bytes:,}; see MAX_FILE_BYTES)")
        data = path.read_bytes()
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    if not data.strip():
        return Skipped(source, "empty file")
    if b"\x00" in data:
        return Skipped(source, "binary file, not text")
    text = _decode(data)
    if text is None:
        return Skipped(source, "not UTF-8 or cp1252 text")
    parsed = parse_article(text, markdown=path.suffix.lower() == ".md")
    if not parsed.paragraphs:
        return Skipped(source, "no article text after cleaning")
    override = override or Overrides()
    return Document(
        id=hashlib.sha1(source.encode()).hexdigest()[:12],
        source=source,
        title=override.title or parsed.title,
        date=override.date or parsed.date,
        lang=detect_language(parsed.text, default="en"),
        text=parsed.text,
        sha256=hashlib.sha256(data).hexdigest(),
        url=override.url,
    )


def load_corpus(corpus_dir: Path, max_bytes: int, on_file: Callable[[int, int], None] | None = None) -> CorpusLoad:
    """Every article of `corpus_dir`; `on_file(done, total)` hears of each file read."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set CORPUS_DIR or pass --corpus")
    result = CorpusLoad()
    overrides = read_sidecar(corpus_dir, result.warnings)
    files = _article_files(corpus_dir)
    sources = {path.relative_to(corpus_dir).as_posix() for path in files}
    for name in sorted(set(overrides) - sources):
        result.warnings.append(f"{SIDECAR_NAME}: no article named {name!r}; entry ignored")
    for done, path in enumerate(files, start=1):
        source = path.relative_to(corpus_dir).as_posix()
        loaded = load_document(path, source, max_bytes, overrides.get(source))
        if isinstance(loaded, Skipped):
            log.warning("skipped %s: %s", loaded.source, loaded.reason)
            result.skipped.append(loaded)
        else:
            result.documents.append(loaded)
        if on_file is not None:
            on_file(done, len(files))
    if not result.documents:
        why = f"{len(result.skipped)} file(s) skipped" if result.skipped else "no .txt or .md files"
        raise CorpusError(f"no usable article in {corpus_dir} ({why}); add .txt or .md articles there")
    return result

"""Read a folder of articles into Documents, skipping unusable files with a reason."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.ingest.article_dates import file_name_date
from index.ingest.readers import READERS, Unreadable, read_file
from index.ingest.sidecar import SIDECAR_NAME, CorpusError, Overrides, is_article_place, read_sidecar
from index.models import Document, Skipped
from index.settings import DEFAULT_LIMITS, ReadLimits
from index.text.language import detect_language

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = tuple(READERS)


@dataclass
class CorpusLoad:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file of the folder but hidden ones and the metadata file, in the order a build reads
    them (sharded builds split them before reading any); the unsupported are reported."""
    return sorted(
        path
        for path in corpus_dir.rglob("*")
        # A folder named like an article is reported too, rather than silently passed over.
        if (path.is_file() or path.suffix.lower() in READERS) and is_article_place(path.relative_to(corpus_dir))
    )


def load_document(
    path: Path, source: str, max_bytes: int, override: Overrides | None, limits: ReadLimits = DEFAULT_LIMITS
) -> Document | Skipped:
    if path.suffix.lower() not in READERS:
        return Skipped(source, f"unsupported file type {path.suffix.lower() or '(no extension)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Skipped(source, f"too large ({size:,} bytes, limit {max_bytes:,}; see MAX_FILE_BYTES)")
        data = path.read_bytes()
    except OSError as error:
        return Skipped(source, f"unreadable ({error.strerror or error})")
    if not data.strip():
        return Skipped(source, "empty file")
    try:
        read = read_file(data, path.name, limits)
    except Unreadable as error:
        return Skipped(source, str(error))
    if not read.paragraphs:
        return Skipped(source, "no article text after cleaning")
    override = override or Overrides()
    # Sources of a date, most trusted first; a date deep in the text is an event, never used.
    candidates = (
        (override.date, SIDECAR_NAME),
        (read.date, read.date_source),
        (file_name_date(path.name), "file name"),
        (read.byline, "byline"),
    )
    found, found_source = next(((day, where) for day, where in candidates if day is not None), (None, None))
    return Document(
        id=hashlib.sha1(source.encode()).hexdigest()[:12],
        source=source,
        title=override.title or read.title,
        date=found.day if found else None,
        lang=detect_language(read.text, default="en"),
        text=read.text,
        sha256=hashlib.sha256(data).hexdigest(),
        url=override.url or read.url,
        date_precision=found.precision if found else None,
        date_source=found_source,
    )


def load_corpus(
    corpus_dir: Path,
    max_bytes: int,
    on_file: Callable[[int, int], None] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> CorpusLoad:
    """Every article of `corpus_dir`; `on_file(done, total)` hears of each file read; a file over
    `limits` is skipped with the limit and its measure."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set CORPUS_DIR or pass --corpus")
    result = CorpusLoad()
    overrides = read_sidecar(corpus_dir, result.warnings)
    files = corpus_files(corpus_dir)
    sources = {path.relative_to(corpus_dir).as_posix() for path in files}
    for name in sorted(set(overrides) - sources):
        result.warnings.append(f"{SIDECAR_NAME}: no article named {name!r}; entry ignored")
    for done, path in enumerate(files, start=1):
        source = path.relative_to(corpus_dir).as_posix()
        loaded = load_document(path, source, max_bytes, overrides.get(source), limits)
        if isinstance(loaded, Skipped):
            log.warning("skipped %s: %s", loaded.source, loaded.reason)
            result.skipped.append(loaded)
        else:
            result.documents.append(loaded)
        if on_file is not None:
            on_file(done, len(files))
    if not result.documents:
        why = f"{len(result.skipped)} file(s) skipped" if result.skipped else "no files"
        kinds = ", ".join(ARTICLE_SUFFIXES)
        raise CorpusError(f"no usable article in {corpus_dir} ({why}); add articles there ({kinds})")
    return result

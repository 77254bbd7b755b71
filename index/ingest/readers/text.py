"""Plain text and Markdown articles."""

from __future__ import annotations

from index.ingest.readers.record import ReadArticle, Unreadable, check_chars, from_text
from index.settings import DEFAULT_LIMITS, ReadLimits


def decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    if b"\x00" in data:
        raise Unreadable("binary file, not text")
    raw = decode(data)
    if raw is None:
        raise Unreadable("not UTF-8 or cp1252 text")
    check_chars(len(raw), limits.article_chars)
    return from_text(raw, markdown=name.lower().endswith(".md"))

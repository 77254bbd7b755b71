"""One reader per file format; each turns a file's bytes into a `ReadArticle`, within `ReadLimits`."""

from __future__ import annotations

from pathlib import PurePath
from typing import Protocol

from index.ingest.readers import docx, html, pdf, text
from index.ingest.readers.record import ReadArticle, TooLarge, Unreadable
from index.settings import DEFAULT_LIMITS, ReadLimits


class Reader(Protocol):
    def __call__(self, data: bytes, name: str, limits: ReadLimits = ...) -> ReadArticle: ...


READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".md": text.read,
    ".html": html.read,
    ".htm": html.read,
    ".pdf": pdf.read,
    ".docx": docx.read,
}


def read_file(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    """The article in a file's bytes, read by its suffix's reader; `Unreadable` (or `TooLarge`) says why not.

    For any caller that has the bytes before they are saved (an upload): refused here, nothing is kept.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix not in READERS:
        raise Unreadable(f"unsupported file type {suffix or '(no extension)'}")
    return READERS[suffix](data, name, limits)


__all__ = ["READERS", "ReadArticle", "ReadLimits", "Reader", "TooLarge", "Unreadable", "read_file"]

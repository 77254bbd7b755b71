"""One reader per file format; each turns a file's bytes into a `ReadArticle`."""

from __future__ import annotations

from collections.abc import Callable

from index.ingest.readers import docx, html, pdf, text
from index.ingest.readers.record import ReadArticle, Unreadable

Reader = Callable[[bytes, str], ReadArticle]

READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".md": text.read,
    ".html": html.read,
    ".htm": html.read,
    ".pdf": pdf.read,
    ".docx": docx.read,
}

__all__ = ["READERS", "ReadArticle", "Reader", "Unreadable"]

"""PDF files: the text layer page by page (pypdf), the title from the document's metadata.

The PDF's CreationDate is when the file was made (often the day it was exported), not when the
article was published, so it is not used as the article's date.

What a PDF unpacks to is bounded three ways: its pages (the count it declares, then the pages it
really has), each stream's inflated size (pypdf's own limits, lowered to MAX_UNPACKED_BYTES), and
the characters extracted, read page by page and stopped at MAX_ARTICLE_CHARS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO

from pypdf import PdfReader, apply_configuration, get_configuration
from pypdf.errors import LimitReachedError

from index.ingest.readers.record import ReadArticle, TooLarge, Unreadable, check_chars, figure, from_text
from index.settings import DEFAULT_LIMITS, ReadLimits

# pypdf's limits on what one stream inflates to; its defaults are 75 MB each.
_STREAM_LIMITS = (
    "maximum_declared_stream_length",
    "array_based_stream_maximum_output_length",
    "zlib_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "brotli_maximum_output_length",
    "jbig2_maximum_output_length",
    "image_maximum_buffer_size",
)


def _configuration(limits: ReadLimits) -> dict[str, object]:
    default = get_configuration()
    lowered: dict[str, object] = {
        field: min(getattr(default, field), limits.unpacked_bytes) for field in _STREAM_LIMITS
    }
    # The page tree walked before any page is counted: a small file can list one page a million
    # times. Its inner nodes are fewer than its pages.
    lowered["page_tree_maximum_entries"] = min(default.page_tree_maximum_entries, 2 * limits.pdf_pages + 16)
    # Only text is read: no outside program is ever run on a picture inside the file.
    lowered["jbig2dec_binary"] = None
    return lowered


def _declared_pages(reader: PdfReader) -> int | None:
    count = reader.root_object["/Pages"].get("/Count")  # type: ignore[union-attr]
    return count if isinstance(count, int) else None


def _pages_text(reader: PdfReader, limits: ReadLimits) -> list[str]:
    declared = _declared_pages(reader)
    if declared is not None and declared > limits.pdf_pages:
        raise TooLarge("", "MAX_PDF_PAGES", declared, limits.pdf_pages, " pages")
    try:
        pages = len(reader.pages)
    except LimitReachedError as error:
        if "entry limit" not in str(error):
            raise
        # /Count lied: the tree holds more pages than it says, and more than the limit.
        raise TooLarge("", "MAX_PDF_PAGES", limits.pdf_pages + 1, limits.pdf_pages, " pages", at_least=True) from None
    if pages > limits.pdf_pages:
        raise TooLarge("", "MAX_PDF_PAGES", pages, limits.pdf_pages, " pages")
    texts: list[str] = []
    size = 0
    for page in reader.pages:
        texts.append(page.extract_text() or "")
        size += len(texts[-1]) + 2
        check_chars(size, limits.article_chars, at_least=True)
    return texts


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """What pypdf logs while this thread reads a file: a content stream it cannot decompress is logged,
    not raised, and its page reads as empty, which alone would look like a scan without a text layer."""
    handler = _Collect()
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def read(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    try:
        with apply_configuration(**_configuration(limits)), _pypdf_warnings() as damage:
            reader = PdfReader(BytesIO(data))
            if reader.is_encrypted:
                raise Unreadable("encrypted PDF")
            pages = _pages_text(reader, limits)
            title = (reader.metadata.title if reader.metadata else None) or ""
    except Unreadable:
        raise
    except LimitReachedError as error:
        what, bound = str(error).rstrip("."), figure(limits.unpacked_bytes, "MAX_UNPACKED_BYTES")
        raise Unreadable(f"PDF over a limit of its reader: {what} (MAX_UNPACKED_BYTES={bound})") from None
    except Exception as error:
        # A damaged PDF fails inside pypdf with almost any error (KeyError, TypeError, zlib.error...);
        # one file must never stop a build.
        raise Unreadable(f"unreadable PDF ({type(error).__name__}: {error})") from None
    if not any(page.strip() for page in pages):
        if damage:
            raise Unreadable(f"unreadable PDF (damaged content: {damage[0]})")
        raise Unreadable("no text layer (scanned PDF?)")
    return from_text("\n\n".join(pages), title=str(title))

"""Saved web pages: the article's main text (no navigation, comments or footer) and its metadata.

trafilatura finds the main text, title and canonical URL; htmldate reads the publication date
from the page's metadata only (`extensive_search=False`), so a date is never guessed from the text.
"""

from __future__ import annotations

import htmldate
import trafilatura

from index.dates import parse_written_date
from index.readers.record import ReadArticle, Unreadable, from_text
from index.readers.text import decode


def read(data: bytes, name: str) -> ReadArticle:
    page = decode(data)
    if page is None:
        raise Unreadable("not UTF-8 or cp1252 text")
    extracted = trafilatura.bare_extraction(
        page, with_metadata=True, include_comments=False, include_tables=True, deduplicate=True
    )
    if extracted is None or not (extracted.text or "").strip():
        raise Unreadable("no article text found in the page")
    published = htmldate.find_date(page, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
    found = parse_written_date(published) if published else None
    url = extracted.url if extracted.url and extracted.url.startswith(("http://", "https://")) else None
    return from_text(
        extracted.text,
        title=extracted.title or "",
        metadata_date=found,
        metadata_source="html metadata",
        url=url,
    )

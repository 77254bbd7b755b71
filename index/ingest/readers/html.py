"""Saved web pages: the article's main text (no navigation, comments or footer) and its metadata.

trafilatura finds the main text, title and canonical URL; htmldate reads the publication date
from the page's metadata only (`extensive_search=False`), so a date is never guessed from the text.
trafilatura's `deduplicate` is off: it drops paragraphs already seen by the process, so a page read
for the third time (a link sent again after /remove, a syndicated copy in the same folder) came out
empty or cut.

The page is parsed once, as trafilatura parses it, and its depth measured before any extraction:
lxml keeps 256 levels of nesting and silently drops the rest of the page, so a page nested deeper
than MAX_HTML_DEPTH is refused rather than indexed cut. The bytes in are bounded by MAX_FILE_BYTES,
the text out by MAX_ARTICLE_CHARS.
"""

from __future__ import annotations

import contextlib
import re

import htmldate
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from index.ingest.article_dates import parse_written_date
from index.ingest.readers.record import ReadArticle, TooLarge, Unreadable, check_chars, from_text
from index.ingest.readers.text import decode
from index.settings import DEFAULT_LIMITS, ReadLimits

# libxml2's own bound on nesting (without its "huge" option): what lies deeper is dropped.
PARSER_DEPTH = 256
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# What the start of any HTML page holds, whatever a server or a file name claims.
_HTML_MARKERS = (b"<html", b"<body", b"<!doctype html", b"<head", b"<article", b"<title")


def looks_like_html(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in _HTML_MARKERS)


def meta_charset(data: bytes) -> str | None:
    """The charset the page declares itself: `<meta charset>` or its http-equiv form, in the head."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def decode_page(data: bytes) -> str | None:
    """UTF-8 when the bytes are, else the charset the page's own `<meta>` declares, else cp1252
    (a windows-1251 page read as cp1252 is gibberish)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    charset = meta_charset(data)
    if charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return data.decode(charset)
    return decode(data)


def depth(tree: HtmlElement) -> int:
    """How many elements deep the tree nests, the root being 1."""
    level = deepest = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        level += 1 if event == "start" else -1
        deepest = max(deepest, level)
    return deepest


def read(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    page = decode_page(data)
    if page is None:
        raise Unreadable("not UTF-8 or cp1252 text")
    tree = load_html(page)
    if tree is None:
        raise Unreadable("no article text found in the page")
    deepest = depth(tree)
    if deepest > limits.html_depth:
        at_least = deepest >= PARSER_DEPTH
        raise TooLarge("nested", "MAX_HTML_DEPTH", deepest, limits.html_depth, " elements deep", at_least=at_least)
    extracted = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False
    )
    if extracted is None or not (extracted.text or "").strip():
        raise Unreadable("no article text found in the page")
    check_chars(len(extracted.text), limits.article_chars)
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

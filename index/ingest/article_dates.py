"""Article dates as they are written: a day, a month or a year, never more precise than the text.

Read from a header line, a file name, or a byline or dateline before the lede, in French or English.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from datetime import date
from functools import lru_cache

from dateparser.date import DateDataParser

from index.text.dates import LANGUAGES, YEAR, Precision, WrittenDate

_MAX_DATE_WORDS = 6
_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
# Without a month's name, a month is only written as digits joined to the year: "14.02.2025", "02/2025".
_NUMERIC_DATE = re.compile(r"\d{1,4}\s*[./-]\s*\d{1,2}(?:\s*[./-]\s*\d{2,4})?")
_WORDS = re.compile(r"[^\W\d_]+\.?")
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*((?:19|20)\d\d)(?!\d)")
# "Feb. 14" names no year: we never invent one, so a date without its year is no date. Only dates
# written out: dateparser's relative parser read "2025 h" as 2,025 hours before today, and "2000;D"
# (found by tests/ingest/test_fuzz_core.py) as 2,000 days before it.
_WRITTEN = {
    "STRICT_PARSING": False,
    "REQUIRE_PARTS": ["year"],
    "PREFER_DAY_OF_MONTH": "first",
    "PARSERS": ["absolute-time"],
}
_FILE_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])(?:[-_.]?(0[1-9]|[12]\d|3[01]))?(?!\d)")
# Where a byline or dateline writes its date: "le 28 février 2025", "Feb. 14, 2025", "février 2025".
_DATE_IN_TEXT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:\b|(?=T\d))"
    r"|\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d\b"
    r"|\b\d{1,2}(?:er|st|nd|rd|th)?\s+[^\W\d_]{3,}\.?,?\s+(?:19|20)\d\d\b"
    r"|\b[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"
    r"|\b[^\W\d_]{3,}\.?\s+(?:19|20)\d\d\b"
)
# A dateline opens its paragraph; a byline or photo caption is a short paragraph of its own.
_DATELINE_CHARS = 60
_BYLINE_MAX_WORDS = 40
BYLINE_PARAGRAPHS = 3
_LEDE_MIN_WORDS = 20


@lru_cache(maxsize=1)
def _written_parser() -> DateDataParser:
    return DateDataParser(languages=LANGUAGES, settings=_WRITTEN)


def _at_precision(day: date, precision: Precision) -> WrittenDate:
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return WrittenDate(day, precision)


def _from_parts(year: str, month: str | None, day: str | None) -> WrittenDate | None:
    """The date written as these digits, at the precision they give; None for a day that does not exist."""
    try:
        if day:
            return WrittenDate(date(int(year), int(month), int(day)), "day")  # type: ignore[arg-type]
        if month:
            return WrittenDate(date(int(year), int(month), 1), "month")
        return WrittenDate(date(int(year), 1, 1), "year")
    except ValueError:
        return None


def parse_written_date(text: str) -> WrittenDate | None:
    """ "2025-02-28", "2025-02", "2025", "28 février 2025", "February 2025": at the written precision."""
    text = text.strip().strip(",.;:|–—-").strip()
    if not text or not any(ch.isdigit() for ch in text) or len(text.split()) > _MAX_DATE_WORDS:
        return None
    if iso := _ISO_PARTIAL.match(text):
        return _from_parts(*iso.groups())
    if not YEAR.search(text):
        return None  # "Feb. 14": dateparser would read 14 as a year
    if numeric := _DAY_MONTH_YEAR.search(text):
        return _day_first(*numeric.groups())
    if not _NUMERIC_DATE.search(text) and not month_names() & {_folded(word) for word in _WORDS.findall(text)}:
        return None  # "seven 2024", "7 2024": dateparser reads a month into a number
    data = _written_parser().get_date_data(text)
    if data.date_obj is None or data.period not in ("day", "month"):
        return None
    return _at_precision(data.date_obj.date(), data.period)


_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


@lru_cache(maxsize=1)
def month_names() -> frozenset[str]:
    """Month names and abbreviations in the languages dates are read in, as dateparser itself knows them
    ("fév", "févr", "sept"), folded."""
    found = set()
    for lang in LANGUAGES:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang}").info
        found.update(_folded(name) for month in _MONTHS for name in info.get(month, ()))
    return frozenset(found)


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold().strip("."))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _day_first(first: str, second: str, year: str) -> WrittenDate | None:
    """A date written in digits, day first as French and most English outside the United States write it
    ("12/02/2024" is 12 February); month first only when the first number cannot be a month's day order
    ("02/13/2024"). dateparser read "12/02/2024" as 2 December."""
    day, month = (first, second) if int(second) <= 12 else (second, first)
    return _from_parts(year, month, day)


def split_leading_written_date(text: str) -> tuple[WrittenDate, str] | None:
    """A date of any precision that opens `text` (" date 2025-02 Murat ..."), and the text after it."""
    words = text.split()
    for size in range(min(_MAX_DATE_WORDS, len(words)), 0, -1):
        # A written date ends with its day or year: "2025-02 Le Maroc" must not swallow "Le".
        if not any(ch.isdigit() for ch in words[size - 1]):
            continue
        found = parse_written_date(" ".join(words[:size]))
        if found:
            rest = text.strip()
            for word in words[:size]:
                rest = rest[rest.index(word) + len(word) :]
            return found, rest.strip()
    return None


def file_name_date(name: str) -> WrittenDate | None:
    """A date opening or inside a file name: "2025-04-28_rabat.txt", "2025-02_visas.pdf"."""
    match = _FILE_NAME_DATE.search(name)
    if not match:
        return None
    return _from_parts(*match.groups())


def byline_date(paragraphs: list[str]) -> WrittenDate | None:
    """The date of a dateline or byline among the first paragraphs, never an event further down.

    Only the lines up to and including the lede are read. A dateline opens its paragraph ("Le 4
    juillet 2024, Astana..."); a byline or caption is a short paragraph ("..., le 28 février 2025 à
    Rabat"). A date deep in a long lede, or anywhere after it, is an event, not the article's date.
    """
    for paragraph in paragraphs[:BYLINE_PARAGRAPHS]:
        words = len(paragraph.split())
        for match in _DATE_IN_TEXT.finditer(paragraph):
            if words > _BYLINE_MAX_WORDS and match.start() > _DATELINE_CHARS:
                break
            if found := parse_written_date(match.group(0)):
                return found
        if words >= _LEDE_MIN_WORDS:
            break  # the lede: what follows is the story
    return None

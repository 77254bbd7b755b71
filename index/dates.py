"""Date handling: article dates in French or English, and periods named in questions."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import dateparser
from dateparser.date import DateDataParser

LANGUAGES = ["fr", "en"]
_STRICT = {"STRICT_PARSING": True, "PREFER_DAY_OF_MONTH": "first"}
_MAX_DATE_WORDS = 6
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_WORD_BEFORE_YEAR = re.compile(r"([^\W\d_]+\.?)\s+(?=(?:1[89]\d\d|20\d\d)\b)")
_RECENCY = re.compile(
    r"\b(latest|most recent|newest|recent(?:ly)?|last|dernier|derni[eè]re?s?|"
    r"r[ée]cent(?:e|es|s)?|r[ée]cemment|plus r[ée]cent(?:e|es|s)?)\b",
    re.IGNORECASE,
)


def parse_full_date(text: str) -> date | None:
    """A complete day-month-year date written in French or English, or None.

    Only a full date counts: a bare year or month would make us invent a day.
    """
    text = text.strip().strip(",.;:|–—-").strip()
    if not text or not any(ch.isdigit() for ch in text) or len(text.split()) > _MAX_DATE_WORDS:
        return None
    parsed = dateparser.parse(text, languages=LANGUAGES, settings=_STRICT)
    return parsed.date() if parsed else None


def split_leading_date(text: str) -> tuple[date, str] | None:
    """A date that opens `text` (e.g. "2026-03-02 ALMATY – ..."), and the text after it."""
    words = text.split()
    for size in range(min(_MAX_DATE_WORDS, len(words)), 0, -1):
        found = parse_full_date(" ".join(words[:size]))
        if found:
            rest = text.strip()
            for word in words[:size]:
                rest = rest[rest.index(word) + len(word) :]
            return found, rest.strip()
    return None


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    # Where the question names it ("March 2026"), so the rest can be read for its topic.
    phrase: str = field(default="", compare=False)


@lru_cache(maxsize=1)
def _period_parser() -> DateDataParser:
    return DateDataParser(languages=LANGUAGES)


def parse_period(question: str) -> Period | None:
    """The month or year a question names ("in March 2026", "en avril 2025", "in 2024")."""
    year_match = _YEAR.search(question)
    if not year_match:
        return None
    year = int(year_match.group(1))
    word = _WORD_BEFORE_YEAR.search(question[: year_match.end()])
    if word and word.end() == year_match.start():
        data = _period_parser().get_date_data(f"{word.group(1)} {year}")
        if data.date_obj is not None and data.period == "month" and data.date_obj.year == year:
            month = data.date_obj.month
            last_day = calendar.monthrange(year, month)[1]
            phrase = question[word.start() : year_match.end()]
            return Period(date(year, month, 1), date(year, month, last_day), phrase)
    return Period(date(year, 1, 1), date(year, 12, 31), year_match.group(0))


def asks_for_latest(question: str) -> bool:
    return bool(_RECENCY.search(question))

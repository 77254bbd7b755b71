"""The period a question names ("in March 2026", "en avril 2025", "in 2024"), and whether it asks for the latest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from babel import Locale
from dateparser.date import DateDataParser

from index.text.dates import LANGUAGES, YEAR, date_span
from index.text.terms import fold_accents

_WORD_BEFORE_YEAR = re.compile(r"([^\W\d_]+\.?)\s+(?=(?:1[89]\d\d|20\d\d)\b)")
_RECENCY = re.compile(
    r"\b(latest|most recent|newest|recent(?:ly)?|last|dernier|derni[eè]re?s?|"
    r"r[ée]cent(?:e|es|s)?|r[ée]cemment|plus r[ée]cent(?:e|es|s)?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    # Where the question names it ("March 2026"), so the rest can be read for its topic.
    phrase: str = field(default="", compare=False)


@lru_cache(maxsize=1)
def _period_parser() -> DateDataParser:
    return DateDataParser(languages=LANGUAGES, settings={"PARSERS": ["absolute-time"]})


@lru_cache(maxsize=1)
def _month_names() -> tuple[str, ...]:
    return tuple(
        fold_accents(name).lower() for lang in LANGUAGES for name in Locale(lang).months["format"]["wide"].values()
    )


def names_a_month(word: str) -> bool:
    """ "March", "mars", "Sept.", "fevr": a month's name or the start of one (three letters at least).

    dateparser reads number words as months: "during a 2025 visit" was January 2025, "six 2025" June
    (found by tests/ingest/test_fuzz_core.py).
    """
    key = fold_accents(word.rstrip(".")).lower()
    return len(key) >= 3 and any(name.startswith(key) for name in _month_names())


def parse_period(question: str) -> Period | None:
    """The month or year a question names ("in March 2026", "en avril 2025", "in 2024")."""
    year_match = YEAR.search(question)
    if not year_match:
        return None
    year = int(year_match.group(1))
    word = _WORD_BEFORE_YEAR.search(question[: year_match.end()])
    if word and word.end() == year_match.start() and names_a_month(word.group(1)):
        data = _period_parser().get_date_data(f"{word.group(1)} {year}")
        if data.date_obj is not None and data.period == "month" and data.date_obj.year == year:
            phrase = question[word.start() : year_match.end()]
            return Period(*date_span(date(year, data.date_obj.month, 1), "month"), phrase)
    return Period(*date_span(date(year, 1, 1), "year"), year_match.group(0))


def asks_for_latest(question: str) -> bool:
    return bool(_RECENCY.search(question))

"""Dates at the precision they were written (a day, a month or a year): their span and how they are shown."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from babel import dates as babel_dates

# The languages dates are parsed in, articles' and questions' alike.
LANGUAGES = ["fr", "en"]
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")

Precision = Literal["day", "month", "year"]
PRECISIONS: tuple[Precision, ...] = ("day", "month", "year")


@dataclass(frozen=True)
class WrittenDate:
    """A date at the precision it was written; `day` is the first day of the period."""

    day: date
    precision: Precision


def date_span(day: date, precision: Precision | None) -> tuple[date, date]:
    """The first and last day a date covers: a month-precision date spans its month."""
    if precision == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def format_date(day: date, precision: Precision | None, lang: str) -> str:
    """For readers: "2025-02-28", "février 2025" / "February 2025", "2025"."""
    if precision == "month":
        return babel_dates.format_date(day, "LLLL y", locale="fr" if lang == "fr" else "en")
    if precision == "year":
        return str(day.year)
    return day.isoformat()


def date_json(day: date | None, precision: Precision | None) -> str | None:
    """For --json: "2025-02-28", "2025-02" or "2025"."""
    if day is None:
        return None
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if precision == "year":
        return f"{day.year:04d}"
    return day.isoformat()

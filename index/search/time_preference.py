"""Dates in questions as evidence: a named period prefers its articles, "latest" prefers new ones.

A period the question names ("en avril 2025") is a preference, not a filter: it often names an
event the answering article reports later ("the resolution adopted on 31 October 2024", in an
article of April 2025). Only explicit `since`/`until` filter.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from index.models import Chunk
from index.search.fusion import Bonus, Candidate
from index.search.periods import Period
from index.text.dates import date_span


def published_span(chunk: Chunk) -> tuple[date, date] | None:
    """The days an article's date stands for: a month-precision date counts as inside that month."""
    return date_span(chunk.date, chunk.date_precision) if chunk.date else None


def _overlaps(span: tuple[date, date] | None, since: date, until: date) -> bool:
    return span is not None and span[0] <= until and since <= span[1]


def period_bonus(chunks: list[Chunk], period: Period, weight: float) -> Bonus:
    rows = [i for i, c in enumerate(chunks) if _overlaps(published_span(c), period.since, period.until)]
    return Bonus("period", np.array(rows, dtype=np.int64), weight)


def newest_relevant_first(
    candidates: list[Candidate], chunks: list[Chunk], topic_matches: list[int]
) -> list[Candidate]:
    """ "Latest" with a topic: the passages that name most of the topic, newest first, then the rest.

    `topic_matches[i]` counts the question's topic words that candidate i names. What makes a
    passage eligible is what it is about, not its place in a ranking: a pool of the N best
    passages took in newer articles about something else as soon as N outgrew the topic's passages.
    """
    best = max(topic_matches, default=0)
    if best == 0:
        return candidates
    pool = [c for c, matched in zip(candidates, topic_matches, strict=True) if matched == best]
    rest = [c for c, matched in zip(candidates, topic_matches, strict=True) if matched != best]
    return newest_first(pool, chunks, None) + rest


def newest_first(candidates: list[Candidate], chunks: list[Chunk], period: Period | None) -> list[Candidate]:
    """For questions that name no topic, like a news feed: the period's articles, newest first, then the rest.

    Stable, so relevance still orders passages of the same day.
    """
    if period is None:
        return sorted(candidates, key=lambda c: chunks[c.row].date or date.min, reverse=True)
    inside = [c for c in candidates if _overlaps(published_span(chunks[c.row]), period.since, period.until)]
    outside = [c for c in candidates if c not in inside]
    return newest_first(inside, chunks, None) + outside


def within(candidates: list[Candidate], chunks: list[Chunk], since: date, until: date) -> list[Candidate]:
    """Explicit bounds are a filter: articles dated in them first, then undated ones (they may be too)."""
    inside = [c for c in candidates if _overlaps(published_span(chunks[c.row]), since, until)]
    undated = [c for c in candidates if chunks[c.row].date is None]
    return inside + undated

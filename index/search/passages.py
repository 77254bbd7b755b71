"""Overlapping passages of one article merged into one, in the order the ranking gives."""

from __future__ import annotations

from index.models import Chunk
from index.search.fusion import Candidate


def merged_passages(ordered: list[Candidate], chunks: list[Chunk], k: int) -> list[tuple[Candidate, int, int]]:
    """The first `k` passages as (best candidate, merged start, merged end) in their article's text."""
    picked: list[tuple[Candidate, int, int]] = []
    for candidate in ordered:
        chunk = chunks[candidate.row]
        span = (chunk.start, chunk.end)
        overlapping = [
            i
            for i, (c, a, b) in enumerate(picked)
            if chunks[c.row].doc_id == chunk.doc_id and span[0] < b and a < span[1]
        ]
        if not overlapping:
            if len(picked) < k:
                picked.append((candidate, *span))
            continue
        # Merge into the best-ranked overlapping passage, and with it any others this one bridges.
        first = overlapping[0]
        start = min([span[0]] + [picked[i][1] for i in overlapping])
        end = max([span[1]] + [picked[i][2] for i in overlapping])
        picked[first] = (picked[first][0], start, end)
        for i in reversed(overlapping[1:]):
            del picked[i]
    return picked

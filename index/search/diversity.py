"""Keep the top few passages from being pieces of one article when other articles are relevant."""

from __future__ import annotations

from collections import defaultdict

from index.models import Chunk
from index.search.fusion import Candidate

TOP_DIVERSE = 3
MAX_PER_DOC_IN_TOP = 2


def diversified(ordered: list[Candidate], chunks: list[Chunk], min_share: float) -> list[Candidate]:
    """Another article is promoted into the top only when its fused score is `min_share` of the best."""
    top: list[Candidate] = []
    rest = list(ordered)
    per_doc: dict[str, int] = defaultdict(int)
    floor = min_share * ordered[0].fused if ordered else 0.0
    while rest and len(top) < TOP_DIVERSE:
        choice = next(
            (c for c in rest if per_doc[chunks[c.row].doc_id] < MAX_PER_DOC_IN_TOP and c.fused >= floor),
            rest[0],
        )
        per_doc[chunks[choice.row].doc_id] += 1
        top.append(choice)
        rest.remove(choice)
    return top + rest

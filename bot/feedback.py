"""The users' votes (👍 / 👎, counted in `bot/handlers/votes.py`) as eval questions: `citebot feedback export`.

A vote keeps its own copy of the question and of the passages it was given on, so the export
still works after the answer itself expired. The rule: a question with at least one 👍 is
an eval item whose expected document is the file of the top-ranked passage of its 👍 answers;
questions with only 👎 have no known right passage, so they are listed apart for someone to review.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.inline import normalise
from bot.state import Vote
from index.models import Hit

# The answer string of an exported item: a piece of the 👍 passage's best sentence, short enough to
# sit whole inside the same passage when the eval searches again.
ANCHOR_CHARS = 160


def shown_time(at: float) -> str:
    """A vote's time as admins read it, in /feedback and in the export's list of 👎 questions."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Export:
    items: list[dict]  # eval questions, as `citebot eval` reads them
    downvoted: list[dict]  # questions with only 👎 votes, for review
    up: int
    down: int


def anchor(hit: Hit) -> str:
    """A piece of the passage's first highlighted sentence, exactly as it stands in the passage."""
    spans = sorted(hit.highlight_spans)
    piece = hit.text[spans[0][0] : spans[0][1]] if spans else hit.text
    piece = piece.strip()
    if len(piece) > ANCHOR_CHARS:
        cut = piece[:ANCHOR_CHARS]
        piece = cut[: cut.rfind(" ")] if " " in cut else cut
    return piece


def export_votes(votes: list[Vote]) -> Export:
    """The votes grouped by question (as searched), as eval items and a list of 👎-only questions."""
    groups: dict[str, list[Vote]] = defaultdict(list)
    for vote in votes:
        groups[normalise(vote.query)].append(vote)
    items, downvoted = [], []
    for group in groups.values():
        latest = max(group, key=lambda v: v.created)
        ups = [v for v in group if v.vote > 0]
        down = len(group) - len(ups)
        if not ups:
            downvoted.append(
                {
                    "q": latest.query,
                    "lang": latest.lang,
                    "down": down,
                    "shown": [hit.source for hit in latest.passages],
                    "last": shown_time(latest.created),
                }
            )
            continue
        # The top-ranked passage of each 👍 answer; the file most of them agree on, the newest on a tie.
        tops = [min(v.passages, key=lambda h: h.rank) for v in ups]
        counts = Counter(hit.source for hit in tops)
        best = max(zip(ups, tops, strict=True), key=lambda pair: (counts[pair[1].source], pair[0].created))
        vote, top = best
        items.append(
            {
                "id": "fb-" + hashlib.sha1(normalise(vote.query).encode()).hexdigest()[:10],
                "q": vote.query,
                "lang": vote.lang,
                "doc": top.source,
                "any": [anchor(top)],
                "kind": "same" if top.lang == vote.lang else "cross",
            }
        )
    return Export(items, downvoted, sum(v.vote > 0 for v in votes), sum(v.vote < 0 for v in votes))

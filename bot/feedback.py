"""Feedback: 👍 / 👎 on answers, `/feedback` for admins, and the votes as eval questions.

A vote keeps its own copy of the question and of the passages it was given on, so the export
still works after the answer itself expired. The export rule: a question with at least one 👍 is
an eval item whose expected document is the file of the top-ranked passage of its 👍 answers;
questions with only 👎 have no known right passage, so they are listed apart for someone to review.
"""

from __future__ import annotations

import hashlib
import textwrap
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Update

from bot import render
from bot.handlers import STATE, Context, _is_admin, _lang, _reply, page_of, pressed_answer
from bot.inline import normalise
from bot.state import StateStore, Vote
from bot.texts import text
from index.models import Hit

LATEST_DOWN_VOTES = 10
SHOWN_QUESTION_CHARS = 200
# The answer string of an exported item: a piece of the 👍 passage's best sentence, short enough to
# sit whole inside the same passage when the eval searches again.
ANCHOR_CHARS = 160
EMOJI = {1: "👍", -1: "👎"}


async def vote_button(update: Update, context: Context) -> None:
    """A 👍 or 👎 press: one vote per user per answer, the latest press wins."""
    query = update.callback_query
    if query is None:
        return
    found = await pressed_answer(query, context, ("up", "down"))
    if found is None:
        return
    pressed, answer, lang = found
    shown = page_of(answer, pressed.number, context)
    if not shown:
        await query.answer(text("bad_button", lang))
        return
    value = 1 if pressed.action == "up" else -1
    store: StateStore = context.bot_data[STATE]
    before = await store.put_vote(
        Vote(
            key=pressed.key,
            user_id=query.from_user.id,
            vote=value,
            question=answer.question,
            query=answer.query or answer.question,
            lang=answer.lang,
            passages=shown,
            created=time.time(),
        )
    )
    if before is None:
        toast = text("vote_recorded", lang, vote=EMOJI[value])
    elif before == value:
        toast = text("vote_kept", lang, vote=EMOJI[value])
    else:
        toast = text("vote_changed", lang, before=EMOJI[before], vote=EMOJI[value])
    await query.answer(toast)


async def feedback_command(update: Update, context: Context) -> None:
    """Admins: vote counts and the latest questions voted 👎."""
    lang = _lang(update)
    if not _is_admin(update, context):
        await _reply(update, text("admins_only", lang))
        return
    store: StateStore = context.bot_data[STATE]
    counts = await store.vote_counts()
    if counts.up + counts.down == 0:
        await _reply(update, text("feedback_none", lang))
        return
    body = text(
        "feedback", lang, up=counts.up, down=counts.down, answers=counts.answers, export=text("feedback_export", lang)
    )
    down = await store.latest_down_votes(LATEST_DOWN_VOTES)
    if down:
        lines = [
            f"• {_when(at)} — <i>{render.escape(textwrap.shorten(question, SHOWN_QUESTION_CHARS, placeholder='…'))}</i>"
            for question, at in down
        ]
        body += "\n\n" + text("feedback_down_title", lang) + "\n" + "\n".join(lines)
    await _reply(update, body)


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


# Export -----------------------------------------------------------------------------------


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
                    "last": _when(latest.created),
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

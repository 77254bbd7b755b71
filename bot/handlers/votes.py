"""Votes: 👍 / 👎 under an answer (one vote per user per answer, the latest press wins), and
`/feedback`, the counts and the latest questions voted 👎, for admins.

A vote keeps its own copy of the question and of the passages it was given on; `bot/feedback.py`
turns the votes into eval questions (`citebot feedback export`).
"""

from __future__ import annotations

import time
from textwrap import shorten

from telegram import Update

from bot import render
from bot.context import BotContext, language, reply
from bot.feedback import shown_time
from bot.handlers.buttons import page_of, pressed_answer
from bot.state import Vote
from bot.texts import text

LATEST_DOWN_VOTES = 10
SHOWN_QUESTION_CHARS = 200
EMOJI = {1: "👍", -1: "👎"}


async def vote_button(update: Update, context: BotContext) -> None:
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
    before = await context.state.put_vote(
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


async def feedback_command(update: Update, context: BotContext) -> None:
    """Admins: vote counts and the latest questions voted 👎."""
    lang = language(update)
    if not context.is_admin(update):
        await reply(update, text("admins_only", lang))
        return
    store = context.state
    counts = await store.vote_counts()
    if counts.up + counts.down == 0:
        await reply(update, text("feedback_none", lang))
        return
    body = text(
        "feedback", lang, up=counts.up, down=counts.down, answers=counts.answers, export=text("feedback_export", lang)
    )
    down = await store.latest_down_votes(LATEST_DOWN_VOTES)
    if down:
        lines = [
            f"• {shown_time(at)} — <i>{render.escape(shorten(question, SHOWN_QUESTION_CHARS, placeholder='…'))}</i>"
            for question, at in down
        ]
        body += "\n\n" + text("feedback_down_title", lang) + "\n" + "\n".join(lines)
    await reply(update, body)

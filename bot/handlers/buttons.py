"""The buttons under an answer: **More ▸** (the next passages) and **Full text N** (the whole passage).

The votes (👍 / 👎) sit on the same keyboard but are counted in `bot/handlers/votes.py`.
"""

from __future__ import annotations

from collections.abc import Collection

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot import render
from bot.answers import Answer, Button, button_data, parse_button
from bot.context import BotContext
from bot.texts import Lang, pick_language, text
from index.models import Hit


def answer_keyboard(key: str, lang: Lang, first: int, shown: int, total: int) -> InlineKeyboardMarkup:
    """The buttons under the page of answer `key` that shows `shown` of its `total` passages from `first`."""
    full = [
        InlineKeyboardButton(text("full", lang, n=first + i + 1), callback_data=button_data("full", key, first + i))
        for i in range(shown)
    ]
    rows = [full[i : i + 3] for i in range(0, len(full), 3)]
    # The votes name the page's first passage, so a vote records the passages it was given on.
    last = [
        InlineKeyboardButton("👍", callback_data=button_data("up", key, first)),
        InlineKeyboardButton("👎", callback_data=button_data("down", key, first)),
    ]
    if first + shown < total:
        last.append(InlineKeyboardButton(text("more", lang), callback_data=button_data("more", key, first + shown)))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


async def pressed_answer(
    query: CallbackQuery, context: BotContext, actions: Collection[str]
) -> tuple[Button, Answer, Lang] | None:
    """The button pressed, the answer it belongs to and the presser's language; None once the press
    is told why not."""
    lang = pick_language(None, query.from_user.language_code)
    pressed = parse_button(query.data)
    if pressed is None or pressed.action not in actions:
        await query.answer(text("bad_button", lang))
        return None
    answer = await context.state.get_answer(pressed.key)
    if answer is None:
        await query.answer(text("expired", lang))
        return None
    return pressed, answer, lang


def page_of(answer: Answer, first: int, context: BotContext) -> list[Hit]:
    """The passages of the answer's page that starts at passage `first` (as shown with its buttons)."""
    return answer.hits[first : first + context.settings.passages_per_answer]


async def button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    found = await pressed_answer(query, context, ("more", "full"))
    if found is None:
        return
    pressed, answer, lang = found
    if update.effective_chat is None:
        # Pressed under a message sent inline, which has no chat to send passages to: the bot puts no
        # buttons there, so the data was copied from an answer elsewhere (found by tests/bot/test_fuzz_bot.py).
        await query.answer(text("bad_button", lang))
        return
    chat_id = update.effective_chat.id
    if pressed.action == "more":
        page = page_of(answer, pressed.number, context)
        if not page:
            await query.answer(text("no_more", answer.lang))
            return
        await query.answer()
        await context.bot.send_message(
            chat_id,
            render.answer(answer.question, page, answer.lang, pressed.number + 1, answer.period),
            parse_mode=ParseMode.HTML,
            reply_markup=answer_keyboard(pressed.key, answer.lang, pressed.number, len(page), len(answer.hits)),
        )
        return
    if pressed.number >= len(answer.hits):
        await query.answer(text("bad_button", lang))
        return
    await query.answer()
    for part in render.full_text(answer.hits[pressed.number], pressed.number + 1, answer.lang):
        await context.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)

"""Inline mode: `@bot question` in any chat lists the top passages; choosing one posts it, cited.

The searches are shared between users and limited per user in `bot/inline.py`; here each asker gets
the results rendered in their own language, under their own question.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import InlineQueryLimit, InlineQueryResultLimit, ParseMode
from telegram.error import TelegramError

from bot import render
from bot.context import BotContext
from bot.inline import CACHE_SECONDS, RESULTS
from bot.texts import Lang, pick_language, question_language, text
from index.models import Hit, SearchResult
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)

# Shorter queries are still being typed: they get a hint, not a search.
MIN_QUERY_CHARS = 3
# A failure must not stick in Telegram's cache: the user's next keystroke asks again.
NO_CACHE = 0


def _result_id(number: int, hit: Hit) -> str:
    """Unique within one answer (the rank leads) and far below Telegram's 64 bytes."""
    digest = hashlib.blake2s(f"{hit.source}:{hit.start}".encode(), digest_size=8).hexdigest()
    return f"{number}-{digest}"[: InlineQueryResultLimit.MAX_ID_LENGTH]


def _content(body: str) -> InputTextMessageContent:
    return InputTextMessageContent(
        body, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def _article(number: int, hit: Hit, question: str, lang: Lang) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=_result_id(number, hit),
        title=render.dated_title(hit, lang),
        description=render.plain_highlight(hit),
        input_message_content=_content(render.single_passage(question, hit, lang)),
    )


def _notice(kind: str, question: str, lang: Lang, body: str | None = None) -> InlineQueryResultArticle:
    """One result standing for an answer without passages ("nothing", "unavailable")."""
    body = body or text(f"inline_{kind}", lang)
    return InlineQueryResultArticle(
        id=kind,
        title=text(f"inline_{kind}_title", lang),
        description=body,
        input_message_content=_content(f"{render.question_header(question)}\n\n{render.escape(body)}"),
    )


def _nothing(result: SearchResult, question: str, lang: Lang) -> InlineQueryResultArticle:
    """ "Nothing found", naming the names no indexed article mentions, as a private answer does."""
    if result.unknown_names:
        return _notice(
            "nothing", question, lang, text("inline_nothing_named", lang, names=", ".join(result.unknown_names))
        )
    return _notice("nothing", question, lang)


def _hint(lang: Lang, bot: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id="hint",
        title=text("inline_hint_title", lang),
        description=text("inline_hint_description", lang, min=MIN_QUERY_CHARS),
        input_message_content=_content(text("inline_hint_message", lang, bot=render.escape(bot))),
    )


def _button(key: str, lang: Lang) -> InlineQueryResultsButton:
    """Shown above an empty list: says why, and opens a private chat with the bot if pressed."""
    return InlineQueryResultsButton(text=text(key, lang), start_parameter="inline")


async def inline_query(update: Update, context: BotContext) -> None:
    inline = update.inline_query
    if inline is None:
        return
    question = " ".join(inline.query.split())
    # Detected once: the search takes it as is (Telegram caps inline queries far below the limit).
    detected = question_language(question, context.settings.max_question_chars)
    lang = pick_language(detected, inline.from_user.language_code)
    if len(question) < MIN_QUERY_CHARS:
        # Personal: its language follows the user's, which Telegram's shared cache would not.
        hint = _hint(lang, context.bot.username or "bot")
        await inline.answer([hint], cache_time=CACHE_SECONDS, is_personal=True)
        return
    try:
        result = await context.inline_searches.search(context.service, question, inline.from_user.id, detected)
    except IndexUnavailable as error:
        log.warning("inline query received but the index is unavailable: %s", error)
        await inline.answer([_notice("unavailable", question, lang)], cache_time=NO_CACHE, is_personal=False)
        return
    except Exception:
        # Answer first, so the user's list does not spin; the error handler then logs the traceback.
        with contextlib.suppress(TelegramError):
            await inline.answer([], cache_time=NO_CACHE, is_personal=True, button=_button("inline_error", lang))
        raise
    if result is None:
        await inline.answer([], cache_time=NO_CACHE, is_personal=True, button=_button("inline_rate_limited", lang))
        return
    if not result.answered or not result.hits:
        await inline.answer([_nothing(result, question, lang)], cache_time=CACHE_SECONDS, is_personal=False)
        return
    hits = result.hits[: min(RESULTS, InlineQueryLimit.RESULTS)]
    articles = [_article(number, hit, question, lang) for number, hit in enumerate(hits, start=1)]
    await inline.answer(articles, cache_time=CACHE_SECONDS, is_personal=False)

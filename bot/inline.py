"""Inline mode: `@bot question` in any chat lists the top passages; choosing one posts it, cited.

Telegram sends a new inline query as the user types, and many users type the same questions, so
searches are shared: an in-process TTL cache keyed by the normalised query and the published index
holds each search (or the search still running) for CACHE_SECONDS, so a rebuild is seen at the next
query, and Telegram's own cache (`cache_time`) spares even the update. The search result is cached
rather than the rendered results, so the language of the texts (from each query and user) and the
question on top of each message stay the asker's own.

Quota: only searches count, against a per-user inline allowance of SEARCHES_PER_QUESTION times the
question quota (QUESTIONS_PER_MINUTE), kept apart from it: typing one question sends several queries,
and a cached answer costs nothing, so it is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from cachetools import TTLCache
from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import InlineQueryLimit, InlineQueryResultLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import render
from bot.handlers import SERVICE
from bot.quota import MemoryQuota
from bot.service import RetrievalService
from bot.texts import Lang, pick_language, text
from index.models import Hit, SearchResult
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)

# Shorter queries are still being typed: they get a hint, not a search.
MIN_QUERY_CHARS = 3
# Passages listed per query (Telegram allows up to 50 results).
RESULTS = 10
CACHE_SECONDS = 60
CACHE_SIZE = 4096
# A failure must not stick in Telegram's cache: the user's next keystroke asks again.
NO_CACHE = 0
SEARCHES_PER_QUESTION = 3
# Where the shared cache and quota live in `application.bot_data` (set by bot/app.py).
SEARCHES = "inline"

Context = ContextTypes.DEFAULT_TYPE


def normalise(query: str) -> str:
    """The cache key: "What  about QATAR?" and "what about qatar?" are one search."""
    return " ".join(query.split()).casefold()


class InlineSearches:
    """Searches shared by everyone typing the same query within CACHE_SECONDS, and the inline quota."""

    def __init__(self, per_minute: int) -> None:
        self.quota = MemoryQuota(per_minute)
        self._cache: TTLCache[tuple[object, str], asyncio.Task[SearchResult]] = TTLCache(
            maxsize=CACHE_SIZE, ttl=CACHE_SECONDS
        )

    async def search(self, service: RetrievalService, query: str, user_id: int) -> SearchResult | None:
        """The result for `query`, searched once per CACHE_SECONDS; None when `user_id` is over quota."""
        # A rebuild changes the stamp: its first query searches the new index instead of a cached answer.
        key = (service.index_stamp(), normalise(query))
        pending = self._cache.get(key)
        if pending is None:
            if not self.quota.allow(user_id):
                return None
            # The task, not its result, is cached: identical queries arriving mid-search wait for this one.
            pending = asyncio.create_task(asyncio.to_thread(service.search, query, RESULTS))
            self._cache[key] = pending
        try:
            # Shielded: one asker's cancelled update must not cancel the search the others wait for.
            return await asyncio.shield(pending)
        except Exception:
            if self._cache.get(key) is pending:
                del self._cache[key]
            raise


def _searches(context: Context) -> InlineSearches:
    return context.bot_data[SEARCHES]


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


async def inline_query(update: Update, context: Context) -> None:
    inline = update.inline_query
    if inline is None:
        return
    question = " ".join(inline.query.split())
    lang = pick_language(question, inline.from_user.language_code)
    if len(question) < MIN_QUERY_CHARS:
        # Personal: its language follows the user's, which Telegram's shared cache would not.
        hint = _hint(lang, context.bot.username or "bot")
        await inline.answer([hint], cache_time=CACHE_SECONDS, is_personal=True)
        return
    try:
        result = await _searches(context).search(context.bot_data[SERVICE], question, inline.from_user.id)
    except IndexUnavailable:
        log.warning("inline query received but no index is loadable")
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

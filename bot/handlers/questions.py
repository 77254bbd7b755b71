"""Questions: every text of a private chat, what a group addresses to the bot, `/ask`; the other
commands anyone may use (`/start`, `/help`, `/sources`, unknown ones), and messages that are no text.

One question, in order: its language detected once (it picks the reply's language and the search
takes it as is), its length and the asker's quota checked, the question it may follow looked up, the
search run in a worker thread, the answer kept in the state file for its buttons, the answer message
remembered so that a reply to it is a follow-up.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType

from bot import followup, render
from bot.answers import Answer
from bot.context import BotContext, command_argument, from_a_person, language, reply
from bot.entities import entity_texts, utf16_units
from bot.handlers.buttons import answer_keyboard
from bot.state import StateStore
from bot.texts import question_language, text
from index.search.question import DETECT
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)

_MENTIONS = (MessageEntity.MENTION, MessageEntity.TEXT_MENTION)

# Passages kept per question, so More can page through them without searching again.
ANSWER_DEPTH = 12


def without_bot_mentions(message: Message, context: BotContext) -> tuple[str, bool]:
    """The message text with mentions of this bot removed, and whether there was one.

    Entities are read by `bot.entities`, in UTF-16 units as Telegram counts them: one that lies past
    the text's end or cuts an emoji in half marks nothing, so it is no mention of the bot either.
    """
    raw = message.text or ""
    username = f"@{context.bot.username}".lower()
    spans = sorted(
        (start, end)
        for entity, start, end, value in entity_texts(raw, message.entities, _MENTIONS)
        if value.lower() == username or (entity.user is not None and entity.user.id == context.bot.id)
    )
    if not spans:
        return raw, False
    units = utf16_units(raw)
    kept, position = [], 0
    for start, end in spans:
        kept.append(units[2 * position : 2 * start])
        # max: overlapping mentions must not bring back what an earlier, longer one covered.
        position = max(position, end)
    kept.append(units[2 * position :])
    # Every bound is a character boundary (entity_texts saw to it): the pieces decode whole.
    return " ".join(b"".join(kept).decode("utf-16-le", "surrogatepass").split()), True


def replies_to_bot(message: Message, context: BotContext) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id


async def followed_query(state: StateStore, message: Message, question: str) -> str | None:
    """The query `message` may follow: that of the answer it replies to, or of a very recent private one."""
    replied = message.reply_to_message
    if replied is not None:
        return await state.query_of_message(message.chat_id, replied.message_id)
    if message.chat.type != ChatType.PRIVATE or not followup.is_short(question):
        return None
    return await state.last_private_query(message.chat_id)


async def answer_question(update: Update, context: BotContext, question: str) -> None:
    settings = context.settings
    # Read in the first MAX_QUESTION_CHARS characters (before the search took it over, the first 500):
    # a question that long is already too long to be searched.
    detected = question_language(question, settings.max_question_chars)
    lang = language(update, detected)
    question = question.strip()
    if not question:
        await reply(update, text("usage", lang))
        return
    if len(question) > settings.max_question_chars:
        await reply(update, text("too_long", lang, length=len(question), limit=settings.max_question_chars))
        return
    user_id = update.effective_user.id  # type: ignore[union-attr]
    if not await context.state.count_question(user_id, settings.questions_per_minute):
        await reply(update, text("rate_limited", lang, limit=settings.questions_per_minute))
        return
    message = update.effective_message
    previous = await followed_query(context.state, message, question) if message is not None else None
    query, merged = followup.query_for(previous, question)
    # The search reads the question as `question_language` did, unless a follow-up merged it with
    # the earlier one: that query's language is the search's to detect.
    search_lang = DETECT if merged else detected
    # No "typing…" chat action: answers take tens of milliseconds, and under Telegram's flood limits
    # every extra request delays someone else's answer (50 users at once: 3.3 s with it, 2.6 s without).
    try:
        result = await asyncio.to_thread(context.service.search, query, ANSWER_DEPTH, search_lang)
    except IndexUnavailable as error:
        # The reason in one line: no index built, or (INDEX_BACKEND=milvus) a Milvus not answering.
        log.warning("question received but the index is unavailable: %s", error)
        await reply(update, text("unavailable", lang))
        return
    if not result.answered or not result.hits:
        if result.unknown_names:
            names = ", ".join(render.escape(name) for name in result.unknown_names)
            await reply(update, text("nothing_named", lang, names=names))
            return
        await reply(update, text("nothing", lang))
        return
    key = await context.state.put_answer(Answer(question, lang, result.hits, result.period, query if merged else None))
    shown = result.hits[: settings.passages_per_answer]
    sent = await reply(
        update,
        render.answer(
            question,
            shown,
            lang,
            1,
            result.period,
            followed=previous if merged else None,
            unmatched=result.unmatched_names,
        ),
        reply_markup=answer_keyboard(key, lang, 0, len(shown), len(result.hits)),
    )
    if sent is not None:
        # What a follow-up to this answer continues: the question as searched, so subjects chain.
        await context.state.remember_answer_message(
            sent.chat_id, sent.message_id, query, private=sent.chat.type == ChatType.PRIVATE
        )


# Commands --------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    await reply(update, text("start", language(update)))


async def help_command(update: Update, context: BotContext) -> None:
    lang = language(update)
    try:
        rows = await asyncio.to_thread(context.service.sources)
    except IndexUnavailable:
        rows = []
    languages = ", ".join(sorted({row.lang for row in rows})) or "—"
    body = text(
        "help", lang, bot=render.escape(context.bot.username or "bot"), documents=len(rows), languages=languages
    )
    await reply(update, body)


async def sources_command(update: Update, context: BotContext) -> None:
    lang = language(update)
    try:
        rows = await asyncio.to_thread(context.service.sources)
    except IndexUnavailable:
        await reply(update, text("unavailable", lang))
        return
    for part in render.sources([(r.source, r.title, r.date, r.lang, r.date_precision) for r in rows], lang):
        await reply(update, part)


async def ask_command(update: Update, context: BotContext) -> None:
    if not from_a_person(update):
        return
    await answer_question(update, context, command_argument(update.effective_message))  # type: ignore[arg-type]


async def unknown_command(update: Update, context: BotContext) -> None:
    await reply(update, text("usage", language(update)) + "\n/help")


# Messages --------------------------------------------------------------------------------


async def private_text(update: Update, context: BotContext) -> None:
    if not from_a_person(update):
        return
    question, _ = without_bot_mentions(update.effective_message, context)  # type: ignore[arg-type]
    await answer_question(update, context, question)


async def group_text(update: Update, context: BotContext) -> None:
    """In groups only what is addressed to the bot: a mention of it, or a reply to one of its messages."""
    message = update.effective_message
    if message is None or not from_a_person(update):
        return
    question, mentioned = without_bot_mentions(message, context)
    if mentioned or replies_to_bot(message, context):
        await answer_question(update, context, question)


async def private_non_text(update: Update, context: BotContext) -> None:
    if from_a_person(update):
        await reply(update, text("not_text", language(update)))

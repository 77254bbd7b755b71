"""One small async function per kind of update, as in python-telegram-bot's examples.

Shared services live in `application.bot_data` (see `bot.app`); blocking retrieval work runs in
worker threads through `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import followup, render
from bot.answers import Answer, AnswerCache, Button, button_data, parse_button
from bot.quota import QuestionQuota
from bot.service import RetrievalService
from bot.settings import BotSettings
from bot.state import StateStore
from bot.texts import Lang, pick_language, text
from index.models import Hit
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)

SERVICE, ANSWERS, QUOTA, SETTINGS, REBUILDING = "service", "answers", "quota", "settings", "rebuilding"
FOLLOWS, STATE = "follows", "state"
# Passages kept per question, so More can page through them without searching again.
ANSWER_DEPTH = 12

Context = ContextTypes.DEFAULT_TYPE


def _service(context: Context) -> RetrievalService:
    return context.bot_data[SERVICE]


def _settings(context: Context) -> BotSettings:
    return context.bot_data[SETTINGS]


def _lang(update: Update, question: str | None = None) -> Lang:
    user = update.effective_user
    return pick_language(question, user.language_code if user else None)


def _from_a_person(update: Update) -> bool:
    user = update.effective_user
    return user is not None and not user.is_bot


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in _settings(context).admin_ids


def _without_bot_mentions(message: Message, context: Context) -> tuple[str, bool]:
    """The message text with mentions of this bot removed, and whether there was one."""
    raw = message.text or ""
    username = f"@{context.bot.username}".lower()
    spans = [
        (entity.offset, entity.offset + entity.length)
        for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items()
        if value.lower() == username or (entity.user is not None and entity.user.id == context.bot.id)
    ]
    if not spans:
        return raw, False
    # Entity offsets count UTF-16 code units, as Telegram does.
    encoded = raw.encode("utf-16-le")
    kept, position = [], 0
    for start, end in sorted(spans):
        kept.append(encoded[2 * position : 2 * start])
        position = end
    kept.append(encoded[2 * position :])
    return " ".join(b"".join(kept).decode("utf-16-le").split()), True


def _command_argument(message: Message) -> str:
    """What follows `/ask` or `/ask@botname`, line breaks included."""
    raw = message.text or ""
    command = next(iter(message.parse_entities([MessageEntity.BOT_COMMAND]).values()), "")
    return raw[len(command) :].strip() if raw.startswith(command) else raw


def _keyboard(key: str, lang: Lang, first: int, shown: int, total: int) -> InlineKeyboardMarkup:
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


async def _reply(update: Update, body: str, **kwargs: object) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    in_group = message.chat.type != ChatType.PRIVATE
    return await message.reply_text(body, parse_mode=ParseMode.HTML, do_quote=in_group, **kwargs)  # type: ignore[arg-type]


class FollowUps:
    """The question behind each recent answer, in the state file: by answer message (for replies)
    and by private chat (for a short message right after an answer)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def remember(self, message: Message, query: str) -> None:
        await self.store.remember_answer_message(
            message.chat_id, message.message_id, query, private=message.chat.type == ChatType.PRIVATE
        )

    async def previous(self, message: Message, question: str) -> str | None:
        """The question `message` may follow: the answer it replies to, or a very recent private one."""
        replied = message.reply_to_message
        if replied is not None:
            return await self.store.query_of_message(message.chat_id, replied.message_id)
        if message.chat.type != ChatType.PRIVATE or not followup.is_short(question):
            return None
        return await self.store.last_private_query(message.chat_id)


def _follow_ups(context: Context) -> FollowUps:
    return context.bot_data[FOLLOWS]


async def answer_question(update: Update, context: Context, question: str) -> None:
    settings = _settings(context)
    lang = _lang(update, question)
    question = question.strip()
    if not question:
        await _reply(update, text("usage", lang))
        return
    if len(question) > settings.max_question_chars:
        await _reply(update, text("too_long", lang, length=len(question), limit=settings.max_question_chars))
        return
    quota: QuestionQuota = context.bot_data[QUOTA]
    if not await quota.allow(update.effective_user.id):  # type: ignore[union-attr]
        await _reply(update, text("rate_limited", lang, limit=quota.per_minute))
        return
    message = update.effective_message
    previous = await _follow_ups(context).previous(message, question) if message is not None else None
    query, merged = followup.query_for(previous, question)
    # No "typing…" chat action: answers take tens of milliseconds, and under Telegram's flood limits
    # every extra request delays someone else's answer (50 users at once: 3.3 s with it, 2.6 s without).
    try:
        result = await asyncio.to_thread(_service(context).search, query, ANSWER_DEPTH)
    except IndexUnavailable:
        log.warning("question received but no index is loadable")
        await _reply(update, text("unavailable", lang))
        return
    if not result.answered or not result.hits:
        if result.unknown_names:
            names = ", ".join(render.escape(name) for name in result.unknown_names)
            await _reply(update, text("nothing_named", lang, names=names))
            return
        await _reply(update, text("nothing", lang))
        return
    answer = Answer(question, lang, result.hits, result.period, query if merged else None)
    key = await context.bot_data[ANSWERS].put(answer)
    shown = result.hits[: settings.passages_per_answer]
    sent = await _reply(
        update,
        render.answer(question, shown, lang, 1, result.period, followed=previous if merged else None),
        reply_markup=_keyboard(key, lang, 0, len(shown), len(result.hits)),
    )
    if sent is not None:
        # What a follow-up to this answer continues: the question as searched, so subjects chain.
        await _follow_ups(context).remember(sent, query)


# Commands --------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    await _reply(update, text("start", _lang(update)))


async def help_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    try:
        rows = await asyncio.to_thread(_service(context).sources)
    except IndexUnavailable:
        rows = []
    languages = ", ".join(sorted({row.lang for row in rows})) or "—"
    body = text(
        "help", lang, bot=render.escape(context.bot.username or "bot"), documents=len(rows), languages=languages
    )
    await _reply(update, body)


async def sources_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    try:
        rows = await asyncio.to_thread(_service(context).sources)
    except IndexUnavailable:
        await _reply(update, text("unavailable", lang))
        return
    for part in render.sources([(r.source, r.title, r.date, r.lang, r.date_precision) for r in rows], lang):
        await _reply(update, part)


async def ask_command(update: Update, context: Context) -> None:
    if not _from_a_person(update):
        return
    await answer_question(update, context, _command_argument(update.effective_message))  # type: ignore[arg-type]


async def unknown_command(update: Update, context: Context) -> None:
    await _reply(update, text("usage", _lang(update)) + "\n/help")


# Messages --------------------------------------------------------------------------------


async def private_text(update: Update, context: Context) -> None:
    if not _from_a_person(update):
        return
    question, _ = _without_bot_mentions(update.effective_message, context)  # type: ignore[arg-type]
    await answer_question(update, context, question)


async def group_text(update: Update, context: Context) -> None:
    """In groups only what is addressed to the bot: a mention of it, or a reply to one of its messages."""
    message = update.effective_message
    if message is None or not _from_a_person(update):
        return
    question, mentioned = _without_bot_mentions(message, context)
    if mentioned or _replies_to_bot(message, context):
        await answer_question(update, context, question)


def _replies_to_bot(message: Message, context: Context) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id


async def private_non_text(update: Update, context: Context) -> None:
    if _from_a_person(update):
        await _reply(update, text("not_text", _lang(update)))


# Buttons ---------------------------------------------------------------------------------


async def pressed_answer(
    query: CallbackQuery, context: Context, actions: Collection[str]
) -> tuple[Button, Answer, Lang] | None:
    """The button pressed, the answer it belongs to and the presser's language; None once the press
    is told why not."""
    lang = pick_language(None, query.from_user.language_code)
    pressed = parse_button(query.data)
    if pressed is None or pressed.action not in actions:
        await query.answer(text("bad_button", lang))
        return None
    cache: AnswerCache = context.bot_data[ANSWERS]
    answer = await cache.get(pressed.key)
    if answer is None:
        await query.answer(text("expired", lang))
        return None
    return pressed, answer, lang


def page_of(answer: Answer, first: int, context: Context) -> list[Hit]:
    """The passages of the answer's page that starts at passage `first` (as shown with its buttons)."""
    return answer.hits[first : first + _settings(context).passages_per_answer]


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    found = await pressed_answer(query, context, ("more", "full"))
    if found is None:
        return
    pressed, answer, lang = found
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
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
            reply_markup=_keyboard(pressed.key, answer.lang, pressed.number, len(page), len(answer.hits)),
        )
        return
    if pressed.number >= len(answer.hits):
        await query.answer(text("bad_button", lang))
        return
    await query.answer()
    for part in render.full_text(answer.hits[pressed.number], pressed.number + 1, answer.lang):
        await context.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)


# Errors ----------------------------------------------------------------------------------


async def error_handler(update: object, context: Context) -> None:
    """Log the failure with its traceback; tell the user, in their language, that it was on our side."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    message = update.effective_message
    if update.callback_query is None:
        if message is None:
            return
        # In groups, apologise only where the bot was spoken to.
        addressed = (message.text or "").startswith("/") or _without_bot_mentions(message, context)[1]
        if message.chat.type != ChatType.PRIVATE and not (addressed or _replies_to_bot(message, context)):
            return
    lang = _lang(update, message.text if message else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text("error", lang))
        else:
            await context.bot.send_message(update.effective_chat.id, text("error", lang))
    except TelegramError as error:
        log.warning("could not send the apology: %s", error)

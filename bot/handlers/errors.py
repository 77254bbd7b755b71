"""The error handler: any exception a handler lets through is logged with its traceback, and the
user, where the bot was spoken to, is told in their language that the fault is on our side."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import BotContext, language
from bot.handlers.questions import replies_to_bot, without_bot_mentions
from bot.texts import question_language, text

log = logging.getLogger(__name__)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the failure with its traceback; tell the user, in their language, that it was on our side."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    # A press under a message sent inline has no chat, but its query still waits for an answer.
    if update.effective_chat is None and update.callback_query is None:
        return
    message = update.effective_message
    if update.callback_query is None:
        if message is None:
            return
        # In groups, apologise only where the bot was spoken to.
        addressed = (message.text or "").startswith("/") or without_bot_mentions(message, context)[1]
        if message.chat.type != ChatType.PRIVATE and not (addressed or replies_to_bot(message, context)):
            return
    # The message's language, read as a question's, in its first MAX_QUESTION_CHARS characters (the
    # first 500 before the search took the detection over); a button's message is the bot's answer.
    asked = message.text if message else None
    lang = language(update, question_language(asked, context.settings.max_question_chars) if asked else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text("error", lang))
        else:
            await context.bot.send_message(update.effective_chat.id, text("error", lang))
    except TelegramError as error:
        log.warning("could not send the apology: %s", error)

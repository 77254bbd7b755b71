"""The Application, built in one place: handlers, shared services (`bot.context`), rate limits,
start-up steps, and how it runs (polling or webhook)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    Updater,
    filters,
)

from bot.answers import VOTE_PATTERN
from bot.context import CONTEXT_TYPES
from bot.handlers import admin, buttons, corpus_changes, errors, inline, questions, votes
from bot.journal import JournalledProcessor, JournalledQueue, UpdateJournal
from bot.service import RetrievalService
from bot.settings import BotSettings
from bot.texts import COMMANDS

log = logging.getLogger(__name__)

# Retries after a RetryAfter from Telegram, done by python-telegram-bot's rate limiter.
FLOOD_RETRIES = 3
# Only what citebot answers; edits and channel posts would only be ignored (the handlers do, if sent).
UPDATES = ["message", "callback_query", "inline_query"]


class TokenRedactingFormatter(logging.Formatter):
    """Log lines, tracebacks included, with the bot token replaced: it is part of every API URL."""

    def __init__(self, token: str, fmt: str) -> None:
        super().__init__(fmt)
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(self._token, "<token>")


def _state_outages() -> tuple[type[BaseException], ...]:
    """PostgreSQL gone or refusing connections (the pool's timeout included), when psycopg is installed."""
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.OperationalError,)


class ExpectedNetworkErrors(logging.Filter):
    """An unreachable API, a rejected token or an unreachable state database is an operating condition,
    not a bug: one line, no traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._expected = (NetworkError, InvalidToken, *_state_outages())

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, self._expected):
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def configure_logging(token: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(TokenRedactingFormatter(token, "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ExpectedNetworkErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; with the token inside, it is noise at best.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _register_commands(application: Application) -> None:
    """Fill Telegram's command menu; a Bot API that refuses it must not stop the bot."""
    try:
        await application.bot.set_my_commands([BotCommand(*c) for c in COMMANDS["en"]])
        await application.bot.set_my_commands([BotCommand(*c) for c in COMMANDS["fr"]], language_code="fr")
    except TelegramError as error:
        log.warning("setMyCommands failed, the command menu stays as it was: %s", error)


async def _start(application: Application) -> None:
    await application.bot_data.state.open()
    # Before the updater or the webhook server starts: what a killed process left is queued first.
    for body in await application.bot_data.journal.open():
        await application.update_queue.put(Update.de_json(body, application.bot))
    await _register_commands(application)


async def _stop(application: Application) -> None:
    # A replica stopping in the middle of a rebuild frees the claim now, not when its lease expires.
    await application.bot_data.rebuild_claim.release()
    await application.bot_data.state.close()
    await application.bot_data.journal.close()


class ListeningUpdater(Updater):
    """python-telegram-bot's webhook server without its setWebhook call at start (WEBHOOK_REGISTER off).

    Behind a load balancer every replica listens, and one of them registers WEBHOOK_URL: the others
    must not, or each restart would set it again (and a replica with a stale URL or secret would take
    the webhook from the rest).
    """

    __slots__ = ()

    async def _bootstrap(self, *args: object, **kwargs: object) -> None:
        # Updater.start_webhook's only call to Telegram before it listens: setWebhook.
        log.info("WEBHOOK_REGISTER is off: listening without calling setWebhook")


def build_application(settings: BotSettings, service: RetrievalService) -> Application:
    journal = UpdateJournal(settings.state_path.parent)
    application = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Handlers get a BotContext, and bot_data is a BotServices: typed, no string keys.
        .context_types(CONTEXT_TYPES)
        # One slow question (or a rebuild) must not hold up the others; every update is written down
        # from before Telegram is told it arrived until its handlers are done (bot/journal.py).
        .update_queue(JournalledQueue(journal))
        .concurrent_updates(JournalledProcessor(journal))
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .post_init(_start)
        .post_shutdown(_stop)
        .build()
    )
    application.bot_data.fill(settings, service, journal)  # a BotServices, created empty by the builder
    new_message = filters.UpdateType.MESSAGE
    for name, callback in (
        ("start", questions.start),
        ("help", questions.help_command),
        ("sources", questions.sources_command),
        ("ask", questions.ask_command),
        ("reindex", admin.reindex_command),
        ("stats", admin.stats_command),
        ("remove", corpus_changes.remove_command),
        ("feedback", votes.feedback_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=new_message))
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    application.add_handler(MessageHandler(new_message & private & filters.COMMAND, questions.unknown_command))
    # Before private_text: a message that is only a link adds an article (admins), it is no question.
    application.add_handler(
        MessageHandler(new_message & private & filters.Regex(corpus_changes.LINK_MESSAGE), corpus_changes.link_message)
    )
    application.add_handler(
        MessageHandler(new_message & private & filters.TEXT & ~filters.COMMAND, questions.private_text)
    )
    application.add_handler(
        MessageHandler(new_message & groups & filters.TEXT & ~filters.COMMAND, questions.group_text)
    )
    application.add_handler(
        MessageHandler(new_message & private & filters.Document.ALL, corpus_changes.document_message)
    )
    application.add_handler(
        MessageHandler(new_message & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, questions.private_non_text)
    )
    application.add_handler(CallbackQueryHandler(votes.vote_button, pattern=VOTE_PATTERN))
    application.add_handler(CallbackQueryHandler(buttons.button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_error_handler(errors.error_handler)
    return application


def run(settings: BotSettings, service: RetrievalService, webhook: bool) -> None:
    """Serve until interrupted: long polling, or python-telegram-bot's webhook server."""
    application = build_application(settings, service)
    if not webhook:
        application.run_polling(allowed_updates=UPDATES)
        return
    assert settings.webhook_url is not None
    if not settings.webhook_register:
        application.updater = ListeningUpdater(application.bot, application.update_queue)
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlparse(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        allowed_updates=UPDATES,
    )

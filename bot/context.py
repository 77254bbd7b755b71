"""What every handler is given: a typed `context`, the Application's shared services, and the few
helpers all handler families use (replying, the reply's language, who is an admin, a command's text).

As in python-telegram-bot's `examples/contexttypesbot.py`: `build_application` registers
CONTEXT_TYPES, so each handler's `context` is a BotContext (`context.service`, `context.settings`,
`context.state`, `context.inline_searches`, `context.is_admin(update)`) and `context.bot_data` is
the Application's one BotServices.
"""

from __future__ import annotations

from typing import Any, Literal

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.entities import entity_texts
from bot.inline import SEARCHES_PER_QUESTION, InlineSearches
from bot.journal import UpdateJournal
from bot.rebuild import RebuildJob
from bot.rebuild_claim import RebuildClaim
from bot.service import RetrievalService
from bot.settings import BotSettings
from bot.state import StateStore
from bot.texts import Lang, pick_language


class BotServices:
    """The Application's shared services, its `bot_data`. python-telegram-bot creates it without
    arguments; `build_application` fills it (`fill`) before the first update."""

    settings: BotSettings
    service: RetrievalService
    state: StateStore
    journal: UpdateJournal
    # The claim every replica sharing the state sees (`bot/handlers/admin.py` takes and releases it).
    rebuild_claim: RebuildClaim
    inline_searches: InlineSearches

    def __init__(self) -> None:
        # This process's rebuild, if any: "starting" once claimed (`bot/handlers/admin.py` owns this),
        # then its build process.
        self.rebuilding: RebuildJob | Literal["starting"] | None = None

    def fill(self, settings: BotSettings, service: RetrievalService, journal: UpdateJournal) -> None:
        self.settings = settings
        self.service = service
        self.state = StateStore(settings.state_location, pool_size=settings.state_pool_size)
        self.journal = journal
        self.rebuild_claim = RebuildClaim(self.state, settings.rebuild_lease_seconds)
        self.inline_searches = InlineSearches(SEARCHES_PER_QUESTION * settings.questions_per_minute)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotServices]):
    """The `context` of every handler: python-telegram-bot's, with the shared services typed."""

    @property
    def service(self) -> RetrievalService:
        return self.bot_data.service

    @property
    def settings(self) -> BotSettings:
        return self.bot_data.settings

    @property
    def state(self) -> StateStore:
        return self.bot_data.state

    @property
    def inline_searches(self) -> InlineSearches:
        return self.bot_data.inline_searches

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.admin_ids


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotServices)


def language(update: Update, detected: str | None = None) -> Lang:
    """The reply's language: the question's when it is clear (`detected`, from `texts.question_language`),
    else the user's Telegram language, else English."""
    user = update.effective_user
    return pick_language(detected, user.language_code if user else None)


def from_a_person(update: Update) -> bool:
    user = update.effective_user
    return user is not None and not user.is_bot


def command_argument(message: Message) -> str:
    """What follows `/ask` or `/ask@botname`, line breaks included."""
    raw = message.text or ""
    # Read safely (bot/entities.py): a second command entity cutting an emoji made parse_entities raise.
    found = entity_texts(raw, message.entities, (MessageEntity.BOT_COMMAND,))
    command = found[0][3] if found else ""
    return raw[len(command) :].strip() if raw.startswith(command) else raw


async def reply(update: Update, body: str, **kwargs: object) -> Message | None:
    """Answer the update's message in HTML; in a group, quoting it, so the asker sees what is answered."""
    message = update.effective_message
    if message is None:
        return None
    in_group = message.chat.type != ChatType.PRIVATE
    return await message.reply_text(body, parse_mode=ParseMode.HTML, do_quote=in_group, **kwargs)  # type: ignore[arg-type]

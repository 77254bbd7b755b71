"""Before the bot starts: is the Bot API there, does it take the token, does it answer like Telegram?
And does the state store open (`check_state`)?

python-telegram-bot reads getMe's reply into its own types and fails deep inside them when a field is
missing (an emulator or proxy whose getMe omits `is_bot` gave a 60-line traceback). One request made
here first turns each way this can go wrong into one line that says what to check.
"""

from __future__ import annotations

import asyncio

import httpx

from bot.settings import BotSettings
from bot.state import StateStore
from bot.statedb import StateUnavailable

# What python-telegram-bot needs of getMe's `result` to build its User, with the type each must have.
_BOT_FIELDS: dict[str, type | tuple[type, ...]] = {"id": int, "is_bot": bool, "first_name": str, "username": str}
TIMEOUT_SECONDS = 20.0


class StartupError(Exception):
    """The bot cannot start; the message, one line, says why and what to check (never the token)."""


def check_bot_api(settings: BotSettings) -> dict:
    """getMe's `result` when the Bot API at TELEGRAM_API_URL answers it as Telegram does."""
    token = settings.token.get_secret_value()
    where = settings.api_url
    try:
        response = httpx.post(f"{settings.api_url}{token}/getMe", timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        reason = str(error).replace(token, "<token>") or type(error).__name__
        raise StartupError(f"cannot reach the Bot API at {where}: {reason}; check TELEGRAM_API_URL") from None
    if response.status_code in (401, 404):
        raise StartupError("the Bot API rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
    try:
        body = response.json()
    except ValueError:
        raise StartupError(
            f"the Bot API at {where} answered getMe with HTTP {response.status_code} and no JSON; "
            "is TELEGRAM_API_URL a Bot API server?"
        ) from None
    if not isinstance(body, dict) or body.get("ok") is not True:
        description = body.get("description") if isinstance(body, dict) else None
        raise StartupError(
            f"the Bot API at {where} refused getMe (HTTP {response.status_code}: {description or 'no description'})"
        )
    result = body.get("result")
    if not isinstance(result, dict):
        raise StartupError(f"the Bot API at {where} answered getMe without a result; is it a Bot API server?")
    wrong = [name for name, kind in _BOT_FIELDS.items() if not isinstance(result.get(name), kind)]
    if wrong:
        raise StartupError(
            f"the Bot API at {where} answered getMe unlike Telegram: {', '.join(wrong)} missing or of the "
            "wrong type; is TELEGRAM_API_URL a Bot API server (or an emulator that follows it)?"
        )
    if result["is_bot"] is not True:
        raise StartupError("TELEGRAM_BOT_TOKEN belongs to a user account, not a bot; take a bot's from @BotFather")
    return result


def check_state(settings: BotSettings) -> None:
    """The state store opens, migrated to this citebot's schema: a PostgreSQL server that is down or
    refuses the password is said in one line before the model loads, not after."""

    async def open_and_close() -> None:
        state = StateStore(settings.state_location, pool_size=1)
        await state.open()
        await state.close()

    try:
        asyncio.run(open_and_close())
    except StateUnavailable as error:
        raise StartupError(str(error)) from None

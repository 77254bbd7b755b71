"""Answers kept for their buttons: More and Full text refer to them by a short key."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from bot.state import StateStore
from bot.texts import Lang
from index.models import Hit

# Telegram caps callback_data at 64 bytes: "more:<8-char key>:<offset>" stays far below.
_CALLBACK = re.compile(r"^(more|full|up|down):([A-Za-z0-9_-]{8}):(\d{1,3})$")
# The vote buttons' data, for a CallbackQueryHandler of their own.
VOTE_PATTERN = r"^(up|down):"


@dataclass(frozen=True)
class Answer:
    question: str
    lang: Lang
    hits: list[Hit]
    period: tuple[date | None, date | None] | None
    # What was searched, when it differs from the question (a follow-up carries its subject over).
    query: str | None = None


@dataclass(frozen=True)
class Button:
    # "more" (offset of the next passage), "full" (index of the passage), or a vote, "up" or "down"
    # (offset of the first passage on the voted message)
    action: str
    key: str
    number: int


class AnswerCache:
    """Answers by key, kept on disk for a week, so a button outlives a restart (an older one says so)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def put(self, answer: Answer) -> str:
        key = secrets.token_urlsafe(6)  # 8 characters
        await self.store.put_answer(key, answer.question, answer.lang, answer.hits, answer.period, answer.query)
        return key

    async def get(self, key: str) -> Answer | None:
        found = await self.store.get_answer(key)
        if found is None:
            return None
        question, lang, hits, period, query = found
        return Answer(question, lang, hits, period, query)  # type: ignore[arg-type]


def button_data(action: str, key: str, number: int) -> str:
    return f"{action}:{key}:{number}"


def parse_button(data: str | None) -> Button | None:
    match = _CALLBACK.match(data or "")
    return Button(match.group(1), match.group(2), int(match.group(3))) if match else None

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
_CALLBACK = re.compile(r"^(more|full):([A-Za-z0-9_-]{8}):(\d{1,3})$")


@dataclass(frozen=True)
class Answer:
    question: str
    lang: Lang
    hits: list[Hit]
    period: tuple[date | None, date | None] | None


@dataclass(frozen=True)
class Button:
    action: str  # "more" (offset of the next passage) or "full" (index of the passage)
    key: str
    number: int


class AnswerCache:
    """Answers by key, kept on disk for a week, so a button outlives a restart (an older one says so)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def put(self, answer: Answer) -> str:
        key = secrets.token_urlsafe(6)  # 8 characters
        await self.store.put_answer(key, answer.question, answer.lang, answer.hits, answer.period)
        return key

    async def get(self, key: str) -> Answer | None:
        found = await self.store.get_answer(key)
        if found is None:
            return None
        question, lang, hits, period = found
        return Answer(question, lang, hits, period)  # type: ignore[arg-type]


def button_data(action: str, key: str, number: int) -> str:
    return f"{action}:{key}:{number}"


def parse_button(data: str | None) -> Button | None:
    match = _CALLBACK.match(data or "")
    return Button(match.group(1), match.group(2), int(match.group(3))) if match else None

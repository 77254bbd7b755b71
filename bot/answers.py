"""Answers kept for their buttons: More and Full text refer to them by a short key."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from cachetools import TTLCache

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
    """Recent answers by key; old ones expire, so a button may outlive its answer (and says so)."""

    # Each answer holds its passages (a few kB each): 2,000 answers stay within tens of MB.
    def __init__(self, size: int = 2000, seconds: float = 24 * 3600) -> None:
        self._answers: TTLCache[str, Answer] = TTLCache(maxsize=size, ttl=seconds)

    def put(self, answer: Answer) -> str:
        key = secrets.token_urlsafe(6)  # 8 characters
        self._answers[key] = answer
        return key

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)


def button_data(action: str, key: str, number: int) -> str:
    return f"{action}:{key}:{number}"


def parse_button(data: str | None) -> Button | None:
    match = _CALLBACK.match(data or "")
    return Button(match.group(1), match.group(2), int(match.group(3))) if match else None

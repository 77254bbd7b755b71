"""Answers kept for their buttons: More, Full text and the votes refer to them by a short key.

The answers themselves are kept in the state file (`StateStore.put_answer`), for a week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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


def button_data(action: str, key: str, number: int) -> str:
    return f"{action}:{key}:{number}"


def parse_button(data: str | None) -> Button | None:
    match = _CALLBACK.match(data or "")
    return Button(match.group(1), match.group(2), int(match.group(3))) if match else None

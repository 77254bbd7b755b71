"""Entities read in UTF-16 units, as Telegram counts them, and never trusted: `bot.entities` and the
mention removal built on it (`without_bot_mentions`)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from telegram import Chat, Message, MessageEntity, User

from bot.entities import entity_texts
from bot.handlers.questions import without_bot_mentions

BOT = User(4242, "Citebot", True, username="citebot_test_bot")
# without_bot_mentions reads only who the bot is from its context.
CONTEXT = SimpleNamespace(bot=BOT)
MENTION = "@citebot_test_bot"


def message(text: str, *entities: tuple[str, int, int]) -> Message:
    marks = [
        MessageEntity(kind, offset, length, user=BOT if kind == "text_mention" else None)
        for kind, offset, length in entities
    ]
    return Message(
        1, datetime(2026, 1, 1), Chat(-5, "supergroup"), from_user=User(1, "A", False), text=text, entities=marks
    )


def test_offsets_count_utf16_units_as_telegram_does() -> None:
    text = f"😀👍🏽 {MENTION} Qatar?"  # 😀 is 2 units, 👍🏽 is 4: the mention starts at unit 7, code point 4
    found = entity_texts(text, [MessageEntity("mention", 7, len(MENTION))], ["mention"])
    assert [value for *_, value in found] == [MENTION]
    assert without_bot_mentions(message(text, ("mention", 7, len(MENTION))), CONTEXT) == ("😀👍🏽 Qatar?", True)


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (0, 1),  # ends inside 😀 (the fuzzing's example: UnicodeDecodeError in python-telegram-bot's parse_entities)
        (1, 5),  # starts inside it
        (1, 1),  # both halves apart
        (-2, 3),  # a negative offset, which slicing would read from the end
        (3, 0),  # no length
        (3, -2),
        (500, 4),  # wholly past the end
    ],
)
def test_an_entity_that_marks_no_whole_character_is_ignored(offset: int, length: int) -> None:
    text = "😀 hello @x"
    assert entity_texts(text, [MessageEntity("mention", offset, length)], ["mention"]) == []
    assert without_bot_mentions(message(text, ("mention", offset, length)), CONTEXT) == (text, False)


def test_an_entity_past_the_end_is_clamped_to_the_text() -> None:
    text = f"why? {MENTION}"
    entity = ("mention", 5, len(MENTION) + 40)
    assert [value for *_, value in entity_texts(text, [MessageEntity(*entity)], ["mention"])] == [MENTION]
    assert without_bot_mentions(message(text, entity), CONTEXT) == ("why?", True)


def test_a_split_mention_does_not_hide_a_well_formed_one() -> None:
    text = f"😀 {MENTION} Astana"
    assert without_bot_mentions(message(text, ("mention", 0, 1), ("mention", 3, len(MENTION))), CONTEXT) == (
        "😀 Astana",
        True,
    )


def test_overlapping_mentions_remove_the_union() -> None:
    text = f"hey {MENTION} Doha water"
    # A text_mention of the bot over all but "water", and a mention inside it that ends sooner.
    both = message(text, ("text_mention", 0, 4 + len(MENTION) + 5), ("mention", 4, len(MENTION)))
    assert without_bot_mentions(both, CONTEXT) == ("water", True)


def test_a_lone_surrogate_does_not_break_the_reading() -> None:
    text = f"\ud83d {MENTION} x"  # JSON can carry it (\ud83d), UTF-8 cannot
    assert without_bot_mentions(message(text, ("mention", 2, len(MENTION))), CONTEXT) == ("\ud83d x", True)

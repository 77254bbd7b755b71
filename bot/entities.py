"""What a message entity marks, read without trusting it.

Telegram counts entity offsets and lengths in UTF-16 code units (the Bot API's MessageEntity), so an
astral character such as an emoji is two units. python-telegram-bot's `Message.parse_entity` slices
the UTF-16 bytes and decodes them strictly: an entity that starts or ends between the two units of
one character raises UnicodeDecodeError, and a negative offset slices from the end. Telegram itself
never sends such entities, but an update is input: here a malformed one marks nothing instead.
"""

from __future__ import annotations

from collections.abc import Collection

from telegram import MessageEntity

_HIGH = range(0xD800, 0xDC00)
_LOW = range(0xDC00, 0xE000)


def utf16_units(text: str) -> bytes:
    """`text` as UTF-16 code units, two bytes each. surrogatepass: a lone surrogate (JSON can carry one,
    UTF-8 cannot) stays a unit of its own instead of raising."""
    return text.encode("utf-16-le", "surrogatepass")


def _unit(units: bytes, position: int) -> int:
    return int.from_bytes(units[2 * position : 2 * position + 2], "little")


def _splits_a_character(units: bytes, position: int) -> bool:
    """Whether `position` falls between the two units of one character (a surrogate pair)."""
    return 0 < position < len(units) // 2 and _unit(units, position - 1) in _HIGH and _unit(units, position) in _LOW


def entity_span(units: bytes, entity: MessageEntity) -> tuple[int, int] | None:
    """The entity's [start, end) in UTF-16 units of the text `units`, its end clamped to the text's end
    (as slicing does); None when it marks no whole character: a negative offset, no length, past the
    end, or a bound inside a character of two units."""
    start, end = entity.offset, min(entity.offset + entity.length, len(units) // 2)
    if start < 0 or end <= start:
        return None
    if _splits_a_character(units, start) or _splits_a_character(units, end):
        return None
    return start, end


def entity_texts(
    text: str, entities: Collection[MessageEntity], types: Collection[str]
) -> list[tuple[MessageEntity, int, int, str]]:
    """(entity, start, end, the text it marks) for each entity of `types` that marks whole characters of
    `text`, in the order given; the others are left out (see `entity_span`)."""
    units = utf16_units(text)
    out = []
    for entity in entities:
        if entity.type not in types:
            continue
        span = entity_span(units, entity)
        if span is not None:
            start, end = span
            out.append((entity, start, end, units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")))
    return out

"""Telegram HTML for answers: escaped corpus text, bold highlights, citations, within 4096 characters.

Every piece of corpus or user text goes through `escape` after it has been cut to size, so a cut can
never split a tag or an entity; tags come only from this module, always closed in the same string.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date

from bot.texts import Lang, quoted, text
from index.models import Hit
from index.text.dates import Precision, format_date

MAX_MESSAGE = 4096
# Context shown around the highlighted sentences, tried from generous to none until the answer fits.
CONTEXT_STEPS = (280, 160, 80, 0)
ELLIPSIS = "…"


def escape(value: str) -> str:
    return html.escape(value, quote=False)


def telegram_length(value: str) -> int:
    """Telegram counts UTF-16 code units; an emoji counts twice."""
    return len(value.encode("utf-16-le")) // 2


def _cut_end(value: str, limit: int) -> str:
    """At most `limit` characters, ending on a word boundary, with an ellipsis when cut."""
    if len(value) <= limit:
        return value
    if limit <= 1:
        return ELLIPSIS if limit == 1 else ""
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + ELLIPSIS


def _cut_start(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    if limit <= 1:
        return ELLIPSIS if limit == 1 else ""
    cut = value[len(value) - limit + 1 :]
    space = cut.find(" ")
    return ELLIPSIS + (cut[space + 1 :] if 0 <= space < limit // 2 else cut).lstrip()


def _flat(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def shown_date(day: date | None, precision: Precision | None, lang: Lang) -> str:
    """A date as written ("2025-02-28", "février 2025", "2025"), or "date unknown"."""
    return format_date(day, precision, lang) if day else text("date_unknown", lang)


def citation(hit: Hit, lang: Lang) -> str:
    return article_citation(hit.title, hit.source, hit.date, hit.date_precision, hit.url, lang)


def article_citation(
    title: str, source: str, day: date | None, precision: Precision | None, url: str | None, lang: Lang
) -> str:
    """Title · file · date as written · link: how every passage and article is cited."""
    parts = [f"<i>{escape(title)}</i>", f"<code>{escape(source)}</code>", shown_date(day, precision, lang)]
    if url and re.match(r"^https?://", url):
        parts.append(f'<a href="{html.escape(url, quote=True)}">{text("link", lang)}</a>')
    elif url:
        parts.append(escape(url))
    return " · ".join(parts)


def passage(hit: Hit, context: int, highlight_limit: int | None = None) -> str:
    """The passage's best sentences in bold, with up to `context` characters of text either side."""
    spans = sorted(hit.highlight_spans)
    if not spans:
        return escape(_cut_end(_flat(hit.text), highlight_limit or 2 * context or 200))
    text_before, text_after = _flat(hit.text[: spans[0][0]]), _flat(hit.text[spans[-1][1] :])
    if context:
        before, after = _cut_start(text_before, context), _cut_end(text_after, context)
    else:
        # No room for context: an ellipsis still says the passage goes on.
        before, after = (ELLIPSIS if text_before else ""), (ELLIPSIS if text_after else "")
    bold = " ".join(_flat(hit.text[a:b]) for a, b in spans)
    if highlight_limit is not None:
        bold = _cut_end(bold, highlight_limit)
    pieces = [escape(before), f"<b>{escape(bold)}</b>", escape(after)]
    return " ".join(piece for piece in pieces if piece)


def _period_note(period: tuple[date | None, date | None] | None, lang: Lang) -> str:
    if not period:
        return ""
    since, until = period
    return f"<i>{escape(text('period', lang, since=_day(since), until=_day(until)))}</i>"


def _day(day: date | None) -> str:
    return "…" if day is None else day.isoformat()


def answer(
    question: str,
    hits: Sequence[Hit],
    lang: Lang,
    first_rank: int = 1,
    period: tuple[date | None, date | None] | None = None,
    followed: str | None = None,
    unmatched: Sequence[str] = (),
) -> str:
    """One message: the question, then each passage with its citation; never over 4096 characters.

    `followed` is the earlier question a follow-up was searched with, said so the user can tell;
    `unmatched` the names no article writes as such, said before passages that are only the closest.
    """
    header = question_header(question)
    if followed:
        header += "\n" + text("following", lang, question=f"<i>{escape(_cut_end(_flat(followed), 200))}</i>")
    if unmatched:
        header += "\n" + f"<i>{escape(text('unmatched', lang, names=quoted(unmatched, lang)))}</i>"
    note = _period_note(period, lang)
    for context in CONTEXT_STEPS:
        message = _compose(header, note, hits, lang, first_rank, context, None)
        if telegram_length(message) <= MAX_MESSAGE:
            return message
    # Even bare highlights are too long: share what is left between them.
    fixed = telegram_length(_compose(header, note, hits, lang, first_rank, 0, 0))
    share = max(40, (MAX_MESSAGE - fixed) // max(1, len(hits)) - 20)
    while True:
        message = _compose(header, note, hits, lang, first_rank, 0, share)
        if telegram_length(message) <= MAX_MESSAGE or share <= 10:
            return message
        share = int(share * 0.8)


def _compose(
    header: str, note: str, hits: Sequence[Hit], lang: Lang, first_rank: int, context: int, limit: int | None
) -> str:
    blocks = [header] + ([note] if note else [])
    for number, hit in enumerate(hits, start=first_rank):
        blocks.append(f"<b>[{number}]</b> {passage(hit, context, limit)}\n{citation(hit, lang)}")
    return "\n\n".join(blocks)


def full_text(hit: Hit, number: int, lang: Lang) -> list[str]:
    """The whole passage, split across messages at paragraph, sentence or word boundaries."""
    header = f"<b>{escape(text('full_of', lang, n=number))}</b>\n{citation(hit, lang)}\n\n"
    budget = MAX_MESSAGE - telegram_length(header) - 16
    pieces = _split(hit.text.strip(), budget)
    return [(header if i == 0 else "") + escape(piece) for i, piece in enumerate(pieces)]


def _split(value: str, budget: int) -> list[str]:
    """Pieces whose escaped form fits `budget`, cut at the largest boundary that allows it."""
    pieces: list[str] = []
    rest = value
    while telegram_length(escape(rest)) > budget:
        window = rest
        while telegram_length(escape(window)) > budget:
            window = window[: int(len(window) * 0.9)]
        # A sentence keeps its full stop: cut just after it.
        cut = next(
            (at + len(sep) - 1 for sep in ("\n\n", "\n", ". ", " ") if (at := window.rfind(sep)) > len(window) // 3),
            len(window),
        )
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def sources(rows: Sequence[tuple[str, str, date | None, str, Precision | None]], lang: Lang) -> list[str]:
    """The indexed articles, one line each (title, source, date as written, language), split as needed."""
    lines = [
        f"• <b>{escape(_cut_end(title, 200))}</b>\n  <code>{escape(source)}</code> · "
        f"{shown_date(day, precision, lang)} · {escape(language)}"
        for source, title, day, language, precision in rows
    ]
    messages, current = [], text("sources_title", lang, count=len(rows))
    for line in lines:
        if telegram_length(current) + telegram_length(line) + 2 > MAX_MESSAGE:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n\n{line}"
    messages.append(current)
    return messages


# Inline mode -----------------------------------------------------------------------------------


def dated_title(hit: Hit, lang: Lang, limit: int = 120) -> str:
    """Plain text for an inline result's title: the article's title · its date as written."""
    return f"{_cut_end(_flat(hit.title), limit)} · {shown_date(hit.date, hit.date_precision, lang)}"


def plain_highlight(hit: Hit, limit: int = 200) -> str:
    """Plain text for an inline result's description: the answering sentences on one line."""
    return _cut_end(_flat(hit.highlight or hit.text), limit)


def question_header(question: str) -> str:
    return f"🔎 <i>{escape(_cut_end(_flat(question), 300))}</i>"


def single_passage(question: str, hit: Hit, lang: Lang) -> str:
    """One passage posted by inline mode: the question, the passage, its citation; within 4096 characters."""
    head, cite = question_header(question), citation(hit, lang)
    for context in CONTEXT_STEPS:
        message = f"{head}\n\n{passage(hit, context)}\n{cite}"
        if telegram_length(message) <= MAX_MESSAGE:
            return message
    share = MAX_MESSAGE - telegram_length(f"{head}\n\n\n{cite}") - 40
    while True:
        message = f"{head}\n\n{passage(hit, 0, max(10, share))}\n{cite}"
        if telegram_length(message) <= MAX_MESSAGE or share <= 10:
            return message
        share = int(share * 0.8)

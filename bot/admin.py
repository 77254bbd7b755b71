"""Admin commands: rebuilding the index and the figures about it.

Only users listed in ADMIN_IDS may use them; the others get a polite refusal.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode

from bot import render
from bot.handlers import REBUILDING, Context, _is_admin, _lang, _reply, _service
from bot.texts import Lang, text
from index.build import BuildReport
from index.corpus import CorpusError
from index.embedders import EmbedderError
from index.store import BuildInProgress, IndexUnavailable

log = logging.getLogger(__name__)

MAX_SKIPPED_LISTED = 20


async def reindex_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    if not _is_admin(update, context):
        await _reply(update, text("admins_only", lang))
        return
    # The event loop runs one handler step at a time, so this check-and-set cannot race.
    if context.bot_data.get(REBUILDING):
        await _reply(update, text("already_rebuilding", lang))
        return
    context.bot_data[REBUILDING] = True
    try:
        status = await _reply(update, text("rebuilding", lang))
        try:
            report = await asyncio.to_thread(_service(context).rebuild)
        except (BuildInProgress, CorpusError, EmbedderError, IndexUnavailable, OSError) as error:
            log.warning("rebuild failed: %s", error)
            body = render.escape(text("rebuild_failed", lang, reason=str(error)))
        else:
            body = _rebuild_summary(report, lang)
        if status is not None:
            await status.edit_text(body, parse_mode=ParseMode.HTML)
    finally:
        context.bot_data[REBUILDING] = False


def _rebuild_summary(report: BuildReport, lang: Lang) -> str:
    lines = [
        text(
            "rebuilt",
            lang,
            documents=report.documents,
            chunks=report.chunks,
            seconds=report.seconds,
            embedded=report.embedded,
            reused=report.reused,
        )
    ]
    lines += [text("skipped", lang, source=s.source, reason=s.reason) for s in report.skipped[:MAX_SKIPPED_LISTED]]
    if len(report.skipped) > MAX_SKIPPED_LISTED:
        lines.append(text("skipped_more", lang, count=len(report.skipped) - MAX_SKIPPED_LISTED))
    return render.escape("\n".join(lines))[: render.MAX_MESSAGE]


async def stats_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    if not _is_admin(update, context):
        await _reply(update, text("admins_only", lang))
        return
    service = _service(context)
    try:
        stats = await asyncio.to_thread(service.stats)
    except IndexUnavailable:
        await _reply(update, text("unavailable", lang))
        return
    await _reply(
        update,
        text(
            "stats",
            lang,
            documents=stats.documents,
            chunks=stats.chunks,
            model=render.escape(stats.model),
            built=render.escape(stats.built_at),
            answered=service.questions_answered,
        ),
    )

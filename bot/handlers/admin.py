"""Admin commands: `/reindex` (and `/reindex cancel`), `/stats`, and the rebuild every corpus change
ends with.

Only users listed in ADMIN_IDS may use them; the others get a polite refusal. `/reindex` runs the
build in its own process (bot.rebuild) and edits its status message with the progress. One rebuild
at a time, across every replica sharing the state: this module owns the claim, taken by
claim_rebuild and given back by release_rebuild (this process's flag, `context.bot_data.rebuilding`,
and the lease every process sees, `bot.rebuild_claim`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import rebuild, render
from bot.context import BotContext, command_argument, language, reply
from bot.texts import Lang, text
from index.build.pipeline import BuildProgress
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)

MAX_SKIPPED_LISTED = 20


async def reindex_command(update: Update, context: BotContext) -> None:
    lang = language(update)
    if not context.is_admin(update):
        await reply(update, text("admins_only", lang))
        return
    if command_argument(update.effective_message).lower() == "cancel":  # type: ignore[arg-type]
        await _cancel(update, context, lang)
        return
    if not await claim_rebuild(context):
        await reply(update, text("already_rebuilding", lang))
        return
    await rebuild_and_report(update, context, lang)


async def _cancel(update: Update, context: BotContext, lang: Lang) -> None:
    job = context.bot_data.rebuilding
    if isinstance(job, rebuild.RebuildJob):
        job.cancel()
        cancelling = True
    elif job is None:
        # Maybe another replica's: its holder sees the request when it next renews the claim.
        cancelling = await context.bot_data.rebuild_claim.ask_cancel()
    else:  # this process is still writing the corpus: nothing to stop yet
        cancelling = False
    await reply(update, text("cancelling" if cancelling else "nothing_to_cancel", lang))


async def claim_rebuild(context: BotContext) -> bool:
    """Claim the rebuild, for this process and every replica sharing the state; False if one already runs.

    This process's flag is checked and set with no await between them (the event loop runs one
    handler step at a time), so two commands here cannot both go on to ask for the shared claim. The
    caller must then call rebuild_and_report, or release_rebuild if it gives up before.
    """
    services = context.bot_data
    if services.rebuilding is not None:
        return False
    services.rebuilding = "starting"
    try:
        taken = await services.rebuild_claim.take()
    except BaseException:
        services.rebuilding = None
        raise
    if not taken:
        services.rebuilding = None
    return taken


async def release_rebuild(context: BotContext) -> None:
    """The rebuild claimed is over (or was given up): another may start, here or on another replica."""
    try:
        await context.bot_data.rebuild_claim.release()
    finally:
        context.bot_data.rebuilding = None


async def rebuild_and_report(
    update: Update, context: BotContext, lang: Lang, extra: Callable[[], str] | None = None
) -> None:
    """Run the build process (claimed by claim_rebuild), edit its status with progress and summary.

    `extra` gives HTML lines appended to the summary once the new index is loaded (the uploaded
    article's citation, for instance); it runs in a worker thread, as it may read the index.
    """
    try:
        await _rebuild(update, context, lang, extra)
    finally:
        await release_rebuild(context)


async def _rebuild(update: Update, context: BotContext, lang: Lang, extra: Callable[[], str] | None) -> None:
    settings = context.settings
    if not await asyncio.to_thread(rebuild.lock_is_free, settings.index_dir):
        await reply(update, text("build_elsewhere", lang))
        return
    status = await reply(update, text("rebuilding", lang))
    try:
        job = await rebuild.start_build(settings)
    except OSError as error:
        log.warning("could not start the build process: %s", error)
        await _edit(status, render.escape(text("rebuild_failed", lang, reason=str(error))))
        return
    context.bot_data.rebuilding = job
    context.bot_data.rebuild_claim.on_cancel(job.cancel)  # a `/reindex cancel` sent to another replica
    last_edit = time.monotonic()

    async def show(progress: BuildProgress) -> None:
        nonlocal last_edit
        if time.monotonic() - last_edit < settings.progress_edit_seconds:
            return
        last_edit = time.monotonic()
        await _edit(status, render.escape(_progress_line(progress, lang)))

    try:
        outcome = await rebuild.follow(job, show)
    except BaseException:
        # The bot is stopping (or the reader failed): the build must not outlive it unseen.
        await rebuild.stop(job)
        raise
    if outcome.cancelled:
        body = text("rebuild_cancelled", lang)
    elif outcome.report is None:
        log.warning("rebuild failed (exit %s): %s", outcome.returncode, outcome.last_error)
        body = text("rebuild_failed", lang, reason=outcome.last_error)
    else:
        try:
            # Loading takes a while on a big index: a worker thread does it, answers go on meanwhile.
            await asyncio.to_thread(context.service.load)
        except IndexUnavailable as error:
            body = text("rebuild_failed", lang, reason=str(error))
        else:
            summary = render.escape(_rebuild_summary(outcome.report, lang))
            tail = await asyncio.to_thread(extra) if extra is not None else ""
            await _edit(status, f"{summary[: render.MAX_MESSAGE - len(tail) - 2]}\n\n{tail}" if tail else summary)
            return
    await _edit(status, render.escape(body)[: render.MAX_MESSAGE])


async def _edit(status: Message | None, body: str) -> None:
    if status is None:
        return
    try:
        await status.edit_text(body, parse_mode=ParseMode.HTML)
    except TelegramError as error:
        # A progress edit lost to a flood limit or an unchanged text is not worth failing the rebuild.
        log.warning("could not edit the rebuild status: %s", error)


def _progress_line(progress: BuildProgress, lang: Lang) -> str:
    eta = ""
    if progress.stage == "embedding" and 0 < progress.embedded < progress.to_embed:
        left = progress.elapsed * (progress.to_embed - progress.embedded) / progress.embedded
        eta = text("rebuild_eta", lang, seconds=left)
    return text(
        "rebuild_progress",
        lang,
        stage=text(f"stage_{progress.stage}", lang),
        files_read=progress.files_read,
        files_total=progress.files_total,
        embedded=progress.embedded,
        to_embed=progress.to_embed,
        reused=progress.reused,
        elapsed=progress.elapsed,
        eta=eta,
    )


def _rebuild_summary(report: dict, lang: Lang) -> str:
    lines = [
        text(
            "rebuilt",
            lang,
            documents=report["documents"],
            chunks=report["chunks"],
            seconds=report["seconds"],
            embedded=report["embedded"],
            reused=report["reused"],
        )
    ]
    skipped = report.get("skipped", [])
    lines += [text("skipped", lang, source=s["source"], reason=s["reason"]) for s in skipped[:MAX_SKIPPED_LISTED]]
    if len(skipped) > MAX_SKIPPED_LISTED:
        lines.append(text("skipped_more", lang, count=len(skipped) - MAX_SKIPPED_LISTED))
    return "\n".join(lines)


async def stats_command(update: Update, context: BotContext) -> None:
    lang = language(update)
    if not context.is_admin(update):
        await reply(update, text("admins_only", lang))
        return
    service = context.service
    try:
        stats = await asyncio.to_thread(service.stats)
    except IndexUnavailable:
        await reply(update, text("unavailable", lang))
        return
    await reply(
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

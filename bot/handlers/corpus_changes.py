"""Changing the corpus from Telegram (admins): `/remove FILE`, and documents or links sent to the bot.

Each checks what it was sent, has `index/ingest/corpus_changes.py` change CORPUS_DIR (in a worker
thread, nothing written when it refuses), then runs the same background rebuild as /reindex
(`bot/handlers/admin.py`), whose summary names the new article.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import TypeVar

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import render
from bot.context import BotContext, command_argument, from_a_person, language, reply
from bot.handlers.admin import claim_rebuild, rebuild_and_report, release_rebuild
from bot.handlers.questions import private_text
from bot.link_fetch import LinkError, fetch_page
from bot.texts import Lang, text
from index.ingest.corpus_changes import (
    Refused,
    UnsafeName,
    check_unpacked,
    corpus_file,
    known_urls,
    move_to_removed,
    no_file_system_takes,
    page_as_utf8,
    parse_caption,
    read_page,
    safe_upload_name,
    same_url,
    save_link_page,
    write_upload,
)
from index.ingest.readers.record import figure
from index.ingest.sidecar import is_article_place
from index.store.directory import IndexUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# A private message whose first line is nothing but an http(s) URL; any lines after it are a
# caption, as on a document (`title: …`, `date: …`, `url: …`).
LINK_MESSAGE = re.compile(r"\A\s*https?://\S+[ \t]*(?:\r?\n|\Z)", re.IGNORECASE)


async def _say_refused(update: Update, refusal: Refused, lang: Lang) -> None:
    fields = {k: render.escape(str(v)) for k, v in refusal.fields.items() if k != "at_least"}
    if "at_least" in refusal.fields:  # reading stopped at the limit: the whole is larger still
        fields["more"] = text("at_least", lang) if refusal.fields["at_least"] else ""
        for key in ("measured", "limit"):
            fields[key] = figure(refusal.fields[key], refusal.fields["setting"], lang)
    await reply(update, text(refusal.key, lang, **fields))


async def _write_for_rebuild(context: BotContext, write: Callable[[], T]) -> T:
    """Change the corpus (in a thread) holding the rebuild claim that the caller's rebuild_and_report
    then uses; refused, with nothing written, while a rebuild runs. A failed write releases the claim."""
    if not await claim_rebuild(context):
        raise Refused("already_rebuilding")
    try:
        return await asyncio.to_thread(write)
    except BaseException:
        await release_rebuild(context)
        raise


def _citation_line(context: BotContext, name: str, lang: Lang) -> str:
    """The new article as the index now holds it: its citation and passages (blocking: reads the index)."""
    found = context.service.article(name)
    if found is None:
        return text("upload_not_indexed", lang, name=render.escape(name))
    document, chunks = found
    citation = render.article_citation(document.title, name, document.date, document.date_precision, document.url, lang)
    return text("uploaded_as", lang, citation=citation, chunks=chunks)


# /remove ----------------------------------------------------------------------------------


async def remove_command(update: Update, context: BotContext) -> None:
    lang = language(update)
    if not context.is_admin(update):
        await reply(update, text("admins_only", lang))
        return
    name = command_argument(update.effective_message)  # type: ignore[arg-type]
    if not name:
        await reply(update, text("remove_usage", lang))
        return
    corpus_dir = context.settings.corpus_dir
    try:
        path = corpus_file(corpus_dir, name)
    except UnsafeName:
        # A name with control characters is shown escaped: Telegram refuses a message holding NUL.
        shown = name.encode("unicode_escape").decode("ascii")[:80] if no_file_system_takes(name) else name
        await reply(update, text("unsafe_name", lang, name=render.escape(shown)))
        return
    # The metadata file and hidden files are no articles: /sources never lists them.
    if not path.is_file() or not is_article_place(path.relative_to(corpus_dir.resolve())):
        await reply(update, text("no_such_file", lang, name=render.escape(name)))
        return
    try:
        target = await _write_for_rebuild(context, lambda: move_to_removed(corpus_dir, path))
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not move %s aside: %s", path, error)
        await reply(update, text("remove_failed", lang, name=render.escape(name), reason=render.escape(str(error))))
        return
    await reply(update, text("removed", lang, name=render.escape(name), target=render.escape(str(target))))
    await rebuild_and_report(update, context, lang)


# Documents --------------------------------------------------------------------------------


async def document_message(update: Update, context: BotContext) -> None:
    lang = language(update)
    message = update.effective_message
    if message is None or message.document is None:
        return
    if not context.is_admin(update):
        await reply(update, text("upload_admins_only", lang))
        return
    document = message.document
    settings = context.settings
    try:
        name = safe_upload_name(document.file_name or "")
        metadata = parse_caption(message.caption or "")
        if document.file_size is not None and document.file_size > settings.max_file_bytes:
            raise Refused("too_big", name=name, size=document.file_size, limit=settings.max_file_bytes)
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
        if len(data) > settings.max_file_bytes:
            raise Refused("too_big", name=name, size=len(data), limit=settings.max_file_bytes)
        await asyncio.to_thread(check_unpacked, data, name, settings.read_limits())
        await _write_for_rebuild(context, lambda: write_upload(settings.corpus_dir, name, data, metadata))
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not save the upload %r: %s", document.file_name, error)
        await reply(update, text("upload_failed", lang, reason=render.escape(str(error))))
        return
    await reply(update, text("upload_saved", lang, name=render.escape(name)))
    await rebuild_and_report(update, context, lang, lambda: _citation_line(context, name, lang))


# Links ------------------------------------------------------------------------------------


def split_link_message(raw: str) -> tuple[str, str]:
    """The URL on the first line, and the caption lines after it."""
    first, _, rest = raw.strip().partition("\n")
    return first.strip(), rest


def _corpus_urls(context: BotContext) -> dict[str, str]:
    """Each article URL the corpus already holds, with its file (blocking: may load a newer index)."""
    try:
        indexed = context.service.article_urls()
    except IndexUnavailable:  # no index yet: metadata.toml is all there is to compare with
        indexed = []
    return known_urls(context.settings.corpus_dir, indexed)


async def link_message(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    if not from_a_person(update):
        return
    url, caption = split_link_message(message.text)
    if not context.is_admin(update):
        if caption.strip():  # a link with words around it is a question like any other
            await private_text(update, context)
        else:
            await reply(update, text("link_admins_only", language(update)))
        return
    lang = language(update)
    settings = context.settings
    try:
        metadata = parse_caption(caption)
        # A page may take up to LINK_TIMEOUT_SECONDS: "typing…" tells the admin it is being fetched.
        with contextlib.suppress(TelegramError):
            await message.chat.send_action(ChatAction.TYPING)
        try:
            page = await fetch_page(
                url,
                timeout=settings.link_timeout_seconds,
                max_bytes=settings.max_file_bytes,
                allow_private=settings.link_allow_private,
            )
        except LinkError as error:
            raise Refused(
                f"link_{error.kind}",
                url=url,
                detail=error.detail,
                seconds=f"{settings.link_timeout_seconds:g}",
                limit=settings.max_file_bytes,
            ) from None
        data = page_as_utf8(page)
        article = await asyncio.to_thread(read_page, data, page.url, settings.read_limits())
        known = await asyncio.to_thread(_corpus_urls, context)
        for candidate in (url, page.url, article.url, metadata.get("url")):
            if candidate and same_url(candidate) in known:
                raise Refused("link_duplicate", url=candidate, existing=known[same_url(candidate)])
        if "url" not in metadata and not article.url:
            metadata["url"] = page.url  # the page names no canonical URL: keep where it came from
        title = metadata.get("title") or article.title
        name = await _write_for_rebuild(
            context, lambda: save_link_page(settings.corpus_dir, page, data, title, metadata)
        )
    except Refused as refusal:
        await _say_refused(update, refusal, lang)
        return
    except OSError as error:
        log.warning("could not save the page fetched from %s: %s", url, error)
        await reply(update, text("upload_failed", lang, reason=render.escape(str(error))))
        return
    await reply(update, text("link_saved", lang, url=render.escape(page.url), name=render.escape(name)))
    await rebuild_and_report(update, context, lang, lambda: _citation_line(context, name, lang))

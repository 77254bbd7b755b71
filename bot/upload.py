"""Changing the corpus from Telegram: `/remove FILE` and documents sent by an admin.

Both change CORPUS_DIR, then run the same background rebuild as /reindex (bot.admin). Nothing is
ever deleted: a removed file goes to a `removed/` folder beside the corpus, where an admin can take
it back.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from telegram import Update

from bot import render
from bot.admin import claim_rebuild, rebuild_and_report
from bot.handlers import REBUILDING, Context, _command_argument, _is_admin, _lang, _reply, _settings
from bot.texts import text

log = logging.getLogger(__name__)


class UnsafeName(ValueError):
    """A file name that would leave the corpus folder, or name no file in it."""


def corpus_file(corpus_dir: Path, name: str) -> Path:
    """CORPUS_DIR/name, refusing absolute paths, `..` and anything resolving outside the folder."""
    name = name.strip()
    if not name:
        raise UnsafeName("empty")
    pure = PurePosixPath(name)
    if pure.is_absolute() or PureWindowsPath(name).is_absolute() or ".." in pure.parts or "\\" in name:
        raise UnsafeName("outside")
    root = corpus_dir.resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root) or path == root:
        raise UnsafeName("outside")
    return path


def removed_dir(corpus_dir: Path) -> Path:
    return corpus_dir.resolve().parent / "removed"


def _move_to_removed(corpus_dir: Path, path: Path) -> Path:
    target_dir = removed_dir(corpus_dir) / path.relative_to(corpus_dir.resolve()).parent
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():  # an earlier removal of the same name is kept too
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(path, target)
    return target


async def remove_command(update: Update, context: Context) -> None:
    lang = _lang(update)
    if not _is_admin(update, context):
        await _reply(update, text("admins_only", lang))
        return
    name = _command_argument(update.effective_message)  # type: ignore[arg-type]
    if not name:
        await _reply(update, text("remove_usage", lang))
        return
    corpus_dir = _settings(context).corpus_dir
    try:
        path = corpus_file(corpus_dir, name)
    except UnsafeName:
        await _reply(update, text("unsafe_name", lang, name=render.escape(name)))
        return
    if not path.is_file():
        await _reply(update, text("no_such_file", lang, name=render.escape(name)))
        return
    if not claim_rebuild(context):
        await _reply(update, text("already_rebuilding", lang))
        return
    try:
        target = await asyncio.to_thread(_move_to_removed, corpus_dir, path)
    except OSError as error:
        context.bot_data[REBUILDING] = None
        log.warning("could not move %s aside: %s", path, error)
        await _reply(update, text("remove_failed", lang, name=render.escape(name), reason=render.escape(str(error))))
        return
    await _reply(update, text("removed", lang, name=render.escape(name), target=render.escape(str(target))))
    await rebuild_and_report(update, context, lang)

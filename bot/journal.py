"""Updates taken from Telegram and not yet handled, on disk: a bot killed mid-answer answers them after
its restart instead of losing them.

Telegram forgets an update once the bot confirms it (the next getUpdates' offset, or a webhook's
200), and python-telegram-bot confirms what it has queued, not what it has answered: a `kill -9`
lost every update between the two. Here the update is written down before it joins the queue (so
before the confirmation), and crossed out once its handlers are done; at start, what a dead process
left written is handled again. An update whose answer went out just before the kill may be answered
twice: at least once, never lost.

Each running bot holds one journal file under an exclusive lock, the first free of
`<folder>/citebot-journal-<n>.sqlite3`: two replicas on one host each keep their own, and a restarted
bot takes over a slot whose owner died (its lock went with it) and replays what it left.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import IO, Any

import aiosqlite
from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Telegram keeps an unconfirmed update for 24 hours; one older than that would surprise its sender.
MAX_AGE = 24 * 3600.0
# An update that a restart has handed back this often is dropped: it may be what kills the bot.
MAX_ATTEMPTS = 3
_SLOTS = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    update_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    received REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
"""


class UpdateJournal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path: Path | None = None
        self._lock: IO[bytes] | None = None
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> list[dict[str, Any]]:
        """Take a free journal slot; the updates its previous owner took and never finished, oldest first."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for slot in range(_SLOTS):
            path = self.folder / f"citebot-journal-{slot}.sqlite3"
            lock = (self.folder / f".{path.name}.lock").open("ab")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            self.path, self._lock = path, lock
            break
        else:
            raise RuntimeError(f"{_SLOTS} bots already hold a journal in {self.folder}")
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process, the failure this file is for.
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(_SCHEMA)
        await self._db.execute("DELETE FROM pending WHERE received < ?", (time.time() - MAX_AGE,))
        await self._db.execute("UPDATE pending SET attempts = attempts + 1")
        async with self._db.execute("SELECT update_id, body, attempts FROM pending ORDER BY update_id") as cursor:
            rows = await cursor.fetchall()
        left = []
        for update_id, body, attempts in rows:
            if attempts > MAX_ATTEMPTS:
                log.warning(
                    "dropping update %s: handed back %s times, each ending in a restart", update_id, attempts - 1
                )
                await self._db.execute("DELETE FROM pending WHERE update_id = ?", (update_id,))
            else:
                left.append(json.loads(body))
        await self._db.commit()
        if left:
            log.info("%d updates taken before the last stop and never finished: handling them now", len(left))
        return left

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    async def record(self, update: Update) -> None:
        if self._db is None:  # not open: an Application started without its post_init only queues it
            return
        await self._db.execute(
            "INSERT OR IGNORE INTO pending (update_id, body, received) VALUES (?, ?, ?)",
            (update.update_id, json.dumps(update.to_dict(), ensure_ascii=False), time.time()),
        )
        await self._db.commit()

    async def finish(self, update_id: int) -> None:
        if self._db is None:  # closed under a late update at shutdown: it stays, and is handled again
            return
        await self._db.execute("DELETE FROM pending WHERE update_id = ?", (update_id,))
        await self._db.commit()


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class JournalledQueue(asyncio.Queue):
    """The Application's update queue: an update is written down before the updater (or the webhook
    server) queues it, so before Telegram is told it arrived."""

    def __init__(self, journal: UpdateJournal) -> None:
        super().__init__()
        self.journal = journal

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self.journal.record(item)
        await super().put(item)


class JournalledProcessor(BaseUpdateProcessor):
    """Runs each update's handlers as python-telegram-bot's own processor does, then crosses it out."""

    def __init__(self, journal: UpdateJournal, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self.journal = journal

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        except asyncio.CancelledError:
            raise  # stopped half-way: it stays written down, to be handled at the next start
        finally:
            # Handled, or failed and answered by the error handler: either way not to be handled again.
            if isinstance(update, Update) and not _cancelling():
                await self.journal.finish(update.update_id)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

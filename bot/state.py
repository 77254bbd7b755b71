"""The bot's state on disk: answers behind the More / Full text buttons, in one SQLite file.

aiosqlite runs sqlite in its own thread, so the event loop never waits on the disk.
"""

from __future__ import annotations

import json
import time
from dataclasses import fields
from datetime import date
from pathlib import Path

import aiosqlite

from index.models import Hit

WEEK_SECONDS = 7 * 24 * 3600
_PRUNE_EVERY = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    lang TEXT NOT NULL,
    hits TEXT NOT NULL,
    period TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_created ON answers(created);
"""


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def hit_to_row(hit: Hit) -> dict:
    row = {f.name: getattr(hit, f.name) for f in fields(Hit)}
    row["date"] = _iso(hit.date)
    row["highlight_spans"] = [list(span) for span in hit.highlight_spans]
    return row


def hit_from_row(row: dict) -> Hit:
    row = dict(row)
    row["date"] = _day(row["date"])
    row["highlight_spans"] = tuple(tuple(span) for span in row.get("highlight_spans", ()))
    return Hit(**row)


class StateStore:
    """Answers by key, committed one by one (a crash loses at most the answer in flight)."""

    def __init__(self, path: Path, max_age: float = WEEK_SECONDS) -> None:
        self.path = path
        self.max_age = max_age
        self._db: aiosqlite.Connection | None = None
        self._pruned = 0.0

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.executescript(_SCHEMA)
        await self._db.commit()
        await self.prune()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("state store is not open")
        return self._db

    async def prune(self) -> None:
        now = time.time()
        self._pruned = now
        await self.db.execute("DELETE FROM answers WHERE created < ?", (now - self.max_age,))
        await self.db.commit()

    async def put_answer(
        self, key: str, question: str, lang: str, hits: list[Hit], period: tuple[date | None, date | None] | None
    ) -> None:
        if time.time() - self._pruned > _PRUNE_EVERY:
            await self.prune()
        stored_period = json.dumps([_iso(period[0]), _iso(period[1])]) if period else None
        await self.db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
            (key, question, lang, json.dumps([hit_to_row(h) for h in hits]), stored_period, time.time()),
        )
        await self.db.commit()

    async def get_answer(self, key: str) -> tuple[str, str, list[Hit], tuple[date | None, date | None] | None] | None:
        async with self.db.execute(
            "SELECT question, lang, hits, period FROM answers WHERE key = ? AND created >= ?",
            (key, time.time() - self.max_age),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        question, lang, hits, period = row
        days = json.loads(period) if period else None
        return (
            question,
            lang,
            [hit_from_row(h) for h in json.loads(hits)],
            (_day(days[0]), _day(days[1])) if days else None,
        )

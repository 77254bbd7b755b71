"""The bot's state on disk, in one SQLite file: answers behind the buttons, votes, follow-up
context and question quotas.

aiosqlite runs sqlite in its own thread, so the event loop never waits on the disk. Every write is
committed at once: a killed bot loses at most the answer it was giving.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
import zlib
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import aiosqlite

from bot.answers import Answer
from index.models import Hit

WEEK_SECONDS = 7 * 24 * 3600
_PRUNE_EVERY = 3600.0
# The moving window of the per-user question quota.
QUOTA_WINDOW = 60.0
# A short private message this soon after an answer is read as continuing its question.
FOLLOW_UP_SECONDS = 180.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    lang TEXT NOT NULL,
    hits TEXT NOT NULL,
    period TEXT,
    created REAL NOT NULL,
    query TEXT
);
CREATE INDEX IF NOT EXISTS answers_created ON answers(created);
-- Votes keep their own copy of the question and of the passages shown, so they outlive the answer.
CREATE TABLE IF NOT EXISTS votes (
    key TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    lang TEXT NOT NULL,
    passages TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (key, user_id)
);
CREATE INDEX IF NOT EXISTS votes_created ON votes(created);
-- The query behind each answer message, so a reply to it is a follow-up.
CREATE TABLE IF NOT EXISTS follow_ups (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    query TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX IF NOT EXISTS follow_ups_created ON follow_ups(created);
-- The last answer in each private chat, so a short message right after it is a follow-up.
CREATE TABLE IF NOT EXISTS last_private (
    chat_id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    created REAL NOT NULL
);
-- One row per question asked, kept for the quota's moving window.
CREATE TABLE IF NOT EXISTS questions (
    user_id INTEGER NOT NULL,
    asked REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_user ON questions(user_id, asked);
"""


@dataclass(frozen=True)
class Vote:
    key: str
    user_id: int
    vote: int  # 1 for 👍, -1 for 👎
    question: str  # as the user wrote it
    query: str  # as it was searched (a follow-up carries its earlier question's subject)
    lang: str
    passages: list[Hit]  # the passages shown with the buttons, their ranks as shown
    created: float


@dataclass(frozen=True)
class VoteCounts:
    up: int
    down: int
    answers: int


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


class StateStore:
    """The state file: each method is one short transaction, committed before it returns."""

    def __init__(self, path: Path, max_age: float = WEEK_SECONDS) -> None:
        self.path = path
        self.max_age = max_age
        self._db: aiosqlite.Connection | None = None
        self._pruned = 0.0

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL survives a killed process (only a power cut may lose the last commits)
        # and spares a disk flush per answer.
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(_SCHEMA)
        async with self._db.execute("PRAGMA table_info(answers)") as cursor:
            columns = {row[1] for row in await cursor.fetchall()}
        if "query" not in columns:  # a state file written before follow-ups were stored
            await self._db.execute("ALTER TABLE answers ADD COLUMN query TEXT")
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
        """Forget expired answers, follow-up context and quota rows; votes are kept."""
        now = time.time()
        self._pruned = now
        await self.db.execute("DELETE FROM answers WHERE created < ?", (now - self.max_age,))
        await self.db.execute("DELETE FROM follow_ups WHERE created < ?", (now - self.max_age,))
        await self.db.execute("DELETE FROM last_private WHERE created < ?", (now - FOLLOW_UP_SECONDS,))
        await self.db.execute("DELETE FROM questions WHERE asked < ?", (now - QUOTA_WINDOW,))
        await self.db.commit()

    async def _prune_now_and_then(self) -> None:
        if time.time() - self._pruned > _PRUNE_EVERY:
            await self.prune()

    # Answers ------------------------------------------------------------------------------

    async def put_answer(self, answer: Answer) -> str:
        """Keep `answer` for its buttons; the new key they name it by."""
        await self._prune_now_and_then()
        key = secrets.token_urlsafe(6)  # 8 characters
        period = answer.period
        stored_period = json.dumps([_iso(period[0]), _iso(period[1])]) if period else None
        await self.db.execute(
            "INSERT OR REPLACE INTO answers (key, question, lang, hits, period, created, query)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, answer.question, answer.lang, _hits_json(answer.hits), stored_period, time.time(), answer.query),
        )
        await self.db.commit()
        return key

    async def get_answer(self, key: str) -> Answer | None:
        """The answer kept under `key`; None once it expired (or for a key never given)."""
        async with self.db.execute(
            "SELECT question, lang, hits, period, query FROM answers WHERE key = ? AND created >= ?",
            (key, time.time() - self.max_age),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        question, lang, hits, period, query = row
        days = json.loads(period) if period else None
        period_days = (_day(days[0]), _day(days[1])) if days else None
        return Answer(question, lang, _hits_from_json(hits), period_days, query)  # type: ignore[arg-type]

    # Votes --------------------------------------------------------------------------------

    async def put_vote(self, vote: Vote) -> int | None:
        """Record `vote` (replacing the user's earlier vote on that answer); the earlier vote, if any."""
        async with self.db.execute(
            "SELECT vote FROM votes WHERE key = ? AND user_id = ?", (vote.key, vote.user_id)
        ) as cursor:
            row = await cursor.fetchone()
        await self.db.execute(
            "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                vote.key,
                vote.user_id,
                vote.vote,
                vote.question,
                vote.query,
                vote.lang,
                _hits_json(vote.passages),
                vote.created,
            ),
        )
        await self.db.commit()
        return row[0] if row else None

    async def vote_counts(self) -> VoteCounts:
        async with self.db.execute(
            "SELECT coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0), count(DISTINCT key) FROM votes"
        ) as cursor:
            up, down, answers = await cursor.fetchone()  # type: ignore[misc]
        return VoteCounts(up, down, answers)

    async def latest_down_votes(self, limit: int) -> list[tuple[str, float]]:
        """The questions of the latest 👎 answers, newest first, one line per answer."""
        async with self.db.execute(
            "SELECT question, max(created) AS at FROM votes WHERE vote < 0 GROUP BY key ORDER BY at DESC LIMIT ?",
            (limit,),
        ) as cursor:
            return [(question, at) for question, at in await cursor.fetchall()]

    # Follow-up context --------------------------------------------------------------------

    async def remember_answer_message(self, chat_id: int, message_id: int, query: str, private: bool) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT OR REPLACE INTO follow_ups VALUES (?, ?, ?, ?)", (chat_id, message_id, query, now)
        )
        if private:
            await self.db.execute("INSERT OR REPLACE INTO last_private VALUES (?, ?, ?)", (chat_id, query, now))
        await self.db.commit()

    async def query_of_message(self, chat_id: int, message_id: int) -> str | None:
        async with self.db.execute(
            "SELECT query FROM follow_ups WHERE chat_id = ? AND message_id = ? AND created >= ?",
            (chat_id, message_id, time.time() - self.max_age),
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def last_private_query(self, chat_id: int, within: float = FOLLOW_UP_SECONDS) -> str | None:
        async with self.db.execute(
            "SELECT query FROM last_private WHERE chat_id = ? AND created >= ?", (chat_id, time.time() - within)
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    # Quota --------------------------------------------------------------------------------

    async def count_question(self, user_id: int, limit: int, window: float = QUOTA_WINDOW) -> bool:
        """Count one question for `user_id` unless the window already holds `limit`; whether it was counted.

        One statement checks and inserts, so two questions of one user at the same moment cannot both
        slip under the limit.
        """
        now = time.time()
        cursor = await self.db.execute(
            "INSERT INTO questions SELECT ?, ?"
            " WHERE (SELECT count(*) FROM questions WHERE user_id = ? AND asked > ?) < ?",
            (user_id, now, user_id, now - window, limit),
        )
        counted = cursor.rowcount == 1
        await cursor.close()
        await self.db.commit()
        return counted


def _hits_json(hits: list[Hit]) -> bytes:
    """The hits as stored: JSON, deflated. Twelve passages with their text are ~21 KB of JSON and
    ~6 KB deflated (0.5 ms): the answers behind a week of buttons are most of the state file."""
    return zlib.compress(json.dumps([h.to_row() for h in hits], ensure_ascii=False).encode("utf-8"))


def _hits_from_json(stored: bytes | str) -> list[Hit]:
    # Text: a state file written before the hits were deflated.
    text = stored if isinstance(stored, str) else zlib.decompress(stored).decode("utf-8")
    return [Hit.from_row(h) for h in json.loads(text)]


def read_votes(path: Path) -> list[Vote]:
    """Every vote in the state file at `path`, oldest first (for the CLI; blocking)."""
    if not path.is_file():
        raise FileNotFoundError(f"no state file at {path}")
    try:
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute(
                "SELECT key, user_id, vote, question, query, lang, passages, created FROM votes ORDER BY created"
            ).fetchall()
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{path} is not a citebot state file with votes ({error})") from None
    return [
        Vote(key, user_id, vote, question, query, lang, _hits_from_json(passages), created)
        for key, user_id, vote, question, query, lang, passages, created in rows
    ]

"""What the bot keeps between updates: answers behind the buttons, votes, follow-up context, question
quotas, and the leases that let one process at a time hold the rebuild claim.

One SQLite file by default (STATE_DB), or one PostgreSQL database (STATE_URL) that several replicas
share; `bot/statedb/` holds both engines and the migrations they apply, this module the SQL, written
once for both. Every write is committed before the method returns: a killed bot loses at most the
answer it was giving.
"""

from __future__ import annotations

import enum
import json
import secrets
import time
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.answers import Answer
from bot.statedb import Database, open_database, read_rows
from index.models import Hit

WEEK_SECONDS = 7 * 24 * 3600
_PRUNE_EVERY = 3600.0
# The moving window of the per-user question quota.
QUOTA_WINDOW = 60.0
# A short private message this soon after an answer is read as continuing its question.
FOLLOW_UP_SECONDS = 180.0


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


class Renewal(enum.Enum):
    """What renewing a lease found."""

    HELD = "held"
    CANCEL_ASKED = "cancel asked"  # still held, and another process asked its holder to stop
    LOST = "lost"  # expired and taken by another holder, or released


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


_VOTES = "SELECT key, user_id, vote, question, query, lang, passages, created FROM votes ORDER BY created"


class StateStore:
    """The state: each method is one short transaction, committed before it returns.

    `where` is the SQLite file's path, or a postgresql:// URL.
    """

    def __init__(self, where: Path | str, max_age: float = WEEK_SECONDS, pool_size: int = 10) -> None:
        self.where = where
        self.max_age = max_age
        self.pool_size = pool_size
        self._db: Database | None = None
        self._pruned = 0.0

    async def open(self) -> None:
        """Connect and migrate to the latest schema; StateUnavailable (one line) if it cannot."""
        self._db = await open_database(self.where, self.pool_size)
        await self.prune()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("state store is not open")
        return self._db

    async def prune(self) -> None:
        """Forget expired answers, follow-up context and quota rows; votes are kept."""
        now = time.time()
        self._pruned = now
        async with self.db.session() as db:
            await db.execute("DELETE FROM answers WHERE created < ?", (now - self.max_age,))
            await db.execute("DELETE FROM follow_ups WHERE created < ?", (now - self.max_age,))
            await db.execute("DELETE FROM last_private WHERE created < ?", (now - FOLLOW_UP_SECONDS,))
            await db.execute("DELETE FROM questions WHERE asked < ?", (now - QUOTA_WINDOW,))

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
            "INSERT INTO answers (key, question, lang, hits, period, created, query) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, answer.question, answer.lang, _hits_json(answer.hits), stored_period, time.time(), answer.query),
        )
        return key

    async def get_answer(self, key: str) -> Answer | None:
        """The answer kept under `key`; None once it expired (or for a key never given)."""
        row = await self.db.fetchone(
            "SELECT question, lang, hits, period, query FROM answers WHERE key = ? AND created >= ?",
            (key, time.time() - self.max_age),
        )
        if row is None:
            return None
        question, lang, hits, period, query = row
        days = json.loads(period) if period else None
        period_days = (_day(days[0]), _day(days[1])) if days else None
        return Answer(question, lang, _hits_from_json(hits), period_days, query)  # type: ignore[arg-type]

    # Votes --------------------------------------------------------------------------------

    async def put_vote(self, vote: Vote) -> int | None:
        """Record `vote` (replacing the user's earlier vote on that answer); the earlier vote, if any."""
        async with self.db.transaction() as db:
            row = await db.fetchone("SELECT vote FROM votes WHERE key = ? AND user_id = ?", (vote.key, vote.user_id))
            await db.execute(
                "INSERT INTO votes (key, user_id, vote, question, query, lang, passages, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key, user_id) DO UPDATE SET vote = excluded.vote,"
                " question = excluded.question, query = excluded.query, lang = excluded.lang,"
                " passages = excluded.passages, created = excluded.created",
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
        return row[0] if row else None

    async def vote_counts(self) -> VoteCounts:
        row = await self.db.fetchone(
            "SELECT coalesce(sum(CASE WHEN vote > 0 THEN 1 ELSE 0 END), 0),"
            " coalesce(sum(CASE WHEN vote < 0 THEN 1 ELSE 0 END), 0), count(DISTINCT key) FROM votes"
        )
        up, down, answers = row  # type: ignore[misc]
        return VoteCounts(int(up), int(down), int(answers))

    async def latest_down_votes(self, limit: int) -> list[tuple[str, float]]:
        """The questions of the latest 👎 answers, newest first, one line per answer."""
        # An answer's votes all carry its question: grouping by it too is what PostgreSQL asks.
        rows = await self.db.fetchall(
            "SELECT question, max(created) AS at FROM votes WHERE vote < 0 GROUP BY key, question"
            " ORDER BY at DESC LIMIT ?",
            (limit,),
        )
        return [(question, at) for question, at in rows]

    # Follow-up context --------------------------------------------------------------------

    async def remember_answer_message(self, chat_id: int, message_id: int, query: str, private: bool) -> None:
        now = time.time()
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO follow_ups (chat_id, message_id, query, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id, message_id) DO UPDATE SET query = excluded.query, created = excluded.created",
                (chat_id, message_id, query, now),
            )
            if private:
                await db.execute(
                    "INSERT INTO last_private (chat_id, query, created) VALUES (?, ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET query = excluded.query, created = excluded.created",
                    (chat_id, query, now),
                )

    async def query_of_message(self, chat_id: int, message_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT query FROM follow_ups WHERE chat_id = ? AND message_id = ? AND created >= ?",
            (chat_id, message_id, time.time() - self.max_age),
        )
        return row[0] if row else None

    async def last_private_query(self, chat_id: int, within: float = FOLLOW_UP_SECONDS) -> str | None:
        row = await self.db.fetchone(
            "SELECT query FROM last_private WHERE chat_id = ? AND created >= ?", (chat_id, time.time() - within)
        )
        return row[0] if row else None

    # Quota --------------------------------------------------------------------------------

    async def count_question(self, user_id: int, limit: int, window: float = QUOTA_WINDOW) -> bool:
        """Count one question for `user_id` unless the window already holds `limit`; whether it was counted.

        One statement checks and inserts, in a transaction that takes turns per user across processes,
        so two questions of one user at the same moment (on two replicas) cannot both slip under the limit.
        """
        now = time.time()
        async with self.db.transaction(serialize="quota", key=user_id) as db:
            counted = await db.execute(
                "INSERT INTO questions (user_id, asked) SELECT ?, ?"
                " WHERE (SELECT count(*) FROM questions WHERE user_id = ? AND asked > ?) < ?",
                (user_id, now, user_id, now - window, limit),
            )
        return counted == 1

    # Leases -------------------------------------------------------------------------------
    # A lease is held until `expires` unless renewed: a holder killed mid-way blocks the others only
    # until then. The clocks of processes on several machines must agree (NTP) to well under a lease.

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold lease `name` for `seconds` unless another holder has it unexpired; whether it was taken."""
        now = time.time()
        taken = await self.db.execute(
            "INSERT INTO leases (name, holder, since, expires, cancel_asked) VALUES (?, ?, ?, ?, 0)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since = excluded.since,"
            " expires = excluded.expires, cancel_asked = 0 WHERE leases.expires < ?",
            (name, holder, now, now + seconds, now),
        )
        return taken == 1

    async def renew_lease(self, name: str, holder: str, seconds: float) -> Renewal:
        row = await self.db.fetchone(
            "UPDATE leases SET expires = ? WHERE name = ? AND holder = ? RETURNING cancel_asked",
            (time.time() + seconds, name, holder),
        )
        if row is None:
            return Renewal.LOST
        return Renewal.CANCEL_ASKED if row[0] else Renewal.HELD

    async def release_lease(self, name: str, holder: str) -> None:
        await self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def ask_lease_cancel(self, name: str) -> bool:
        """Ask the holder of lease `name` to stop (it sees it when it renews); False if nobody holds it."""
        asked = await self.db.execute(
            "UPDATE leases SET cancel_asked = 1 WHERE name = ? AND expires >= ?", (name, time.time())
        )
        return asked == 1

    async def lease_holder(self, name: str) -> str | None:
        row = await self.db.fetchone("SELECT holder FROM leases WHERE name = ? AND expires >= ?", (name, time.time()))
        return row[0] if row else None


def _hits_json(hits: list[Hit]) -> bytes:
    """The hits as stored: JSON, deflated. Twelve passages with their text are ~21 KB of JSON and
    ~6 KB deflated (0.5 ms): the answers behind a week of buttons are most of the state file."""
    return zlib.compress(json.dumps([h.to_row() for h in hits], ensure_ascii=False).encode("utf-8"))


def _hits_from_json(stored: bytes | str) -> list[Hit]:
    # Text: a state file written before the hits were deflated.
    text = stored if isinstance(stored, str) else zlib.decompress(stored).decode("utf-8")
    return [Hit.from_row(h) for h in json.loads(text)]


def read_votes(where: Path | str) -> list[Vote]:
    """Every vote in the state at `where` (a file, or a postgresql:// URL), oldest first (for the CLI;
    blocking); StateUnavailable when it cannot be read."""
    return [
        Vote(key, user_id, vote, question, query, lang, _hits_from_json(passages), created)
        for key, user_id, vote, question, query, lang, passages, created in read_rows(where, _VOTES)
    ]

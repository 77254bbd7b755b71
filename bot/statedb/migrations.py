"""The state's schema as numbered migrations, the same list for SQLite and PostgreSQL, applied at open
and recorded in `schema_version` (one row per migration applied).

A migration is only ever appended, never edited: a database at version N gets N+1... in one
transaction, which the engines serialise (SQLite's write lock; an advisory lock on PostgreSQL), so
replicas starting together migrate once. A database newer than this code is refused, so an old
replica never writes a schema it does not know.

State files written before `schema_version` existed are recognised by their tables: the first ones
held `answers` alone, without its `query` column (version 1); from votes on, they held every table
of version 2.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.statedb import Database, Session, StateUnavailable


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    # {float}, {int}, {bytes}: the engine's column type for seconds, Telegram ids and the deflated hits.
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "answers behind the buttons",
        (
            """CREATE TABLE answers (
                key TEXT PRIMARY KEY,
                question TEXT NOT NULL,
                lang TEXT NOT NULL,
                hits {bytes} NOT NULL,
                period TEXT,
                created {float} NOT NULL
            )""",
            "CREATE INDEX answers_created ON answers(created)",
        ),
    ),
    Migration(
        2,
        "the query searched for each answer; votes, follow-up context and question quotas",
        (
            "ALTER TABLE answers ADD COLUMN query TEXT",
            # Votes keep their own copy of the question and of the passages shown, so they outlive the answer.
            """CREATE TABLE votes (
                key TEXT NOT NULL,
                user_id {int} NOT NULL,
                vote INTEGER NOT NULL,
                question TEXT NOT NULL,
                query TEXT NOT NULL,
                lang TEXT NOT NULL,
                passages {bytes} NOT NULL,
                created {float} NOT NULL,
                PRIMARY KEY (key, user_id)
            )""",
            "CREATE INDEX votes_created ON votes(created)",
            # The query behind each answer message, so a reply to it is a follow-up.
            """CREATE TABLE follow_ups (
                chat_id {int} NOT NULL,
                message_id {int} NOT NULL,
                query TEXT NOT NULL,
                created {float} NOT NULL,
                PRIMARY KEY (chat_id, message_id)
            )""",
            "CREATE INDEX follow_ups_created ON follow_ups(created)",
            # The last answer in each private chat, so a short message right after it is a follow-up.
            """CREATE TABLE last_private (
                chat_id {int} PRIMARY KEY,
                query TEXT NOT NULL,
                created {float} NOT NULL
            )""",
            # One row per question asked, kept for the quota's moving window.
            """CREATE TABLE questions (
                user_id {int} NOT NULL,
                asked {float} NOT NULL
            )""",
            "CREATE INDEX questions_user ON questions(user_id, asked)",
        ),
    ),
    Migration(
        3,
        "leases: the rebuild claim every replica sees",
        (
            # One row per lease held: who holds it (host:pid:token) until when; cancel_asked is set by
            # another replica's `/reindex cancel` and seen by the holder when it renews.
            """CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                since {float} NOT NULL,
                expires {float} NOT NULL,
                cancel_asked INTEGER NOT NULL DEFAULT 0
            )""",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version


async def migrate(database: Database) -> int:
    """Bring `database` to LATEST; the version it was at."""
    async with database.transaction(serialize="migrations") as session:
        await session.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied {float} NOT NULL)".format(**database.types)
        )
        row = await session.fetchone("SELECT max(version) FROM schema_version")
        current = row[0] if row and row[0] is not None else None
        if current is None:
            current = await _unversioned(database, session)
            for migration in MIGRATIONS[:current]:
                await _record(session, migration, " (found in a state file from before schema_version)")
        if current > LATEST:
            raise StateUnavailable(
                f"the state database is at schema version {current}, newer than this citebot knows ({LATEST}): "
                "upgrade citebot (every replica)"
            )
        for migration in MIGRATIONS[current:]:
            for statement in migration.statements:
                await session.execute(statement.format(**database.types))
            await _record(session, migration)
    return current


async def _record(session: Session, migration: Migration, note: str = "") -> None:
    await session.execute(
        "INSERT INTO schema_version (version, what, applied) VALUES (?, ?, ?)",
        (migration.version, migration.what + note, time.time()),
    )


async def _unversioned(database: Database, session: Session) -> int:
    """The version a database without schema_version rows is at: 0 unless it is an early state file."""
    if database.engine != "sqlite":
        return 0  # PostgreSQL state began with schema_version
    tables = {name for (name,) in await session.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "answers" not in tables:
        return 0
    columns = {row[1] for row in await session.fetchall("PRAGMA table_info(answers)")}
    return 2 if "query" in columns else 1

"""Where the bot's state lives: one SQLite file (STATE_DB, the default) or one PostgreSQL database
(STATE_URL, shared by several replicas), behind the same few calls, so `bot/state.py` writes its SQL
once and both engines apply the same numbered migrations (`migrations.py`).

The SQL given here uses `?` placeholders and what both engines accept (upserts with ON CONFLICT,
RETURNING, CASE instead of summing booleans); the PostgreSQL side turns `?` into psycopg's `%s`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import ClassVar

Row = tuple
Params = Sequence[object]


class StateUnavailable(Exception):
    """The state store cannot be opened; the message, one line, says why and what to check (no password)."""


class Session(ABC):
    """One connection: in autocommit (each statement its own transaction) or inside one transaction."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...


class Database(ABC):
    engine: ClassVar[str]
    # The column types migrations name by role: {float} seconds since the epoch, {int} Telegram ids
    # (past 32 bits), {bytes} the deflated hits.
    types: ClassVar[Mapping[str, str]]

    @abstractmethod
    def session(self) -> AbstractAsyncContextManager[Session]:
        """A connection in autocommit for a few statements."""

    @abstractmethod
    def transaction(self, serialize: str | None = None, key: int = 0) -> AbstractAsyncContextManager[Session]:
        """One transaction, committed at the end of the block and rolled back if it raises.

        `serialize` names what concurrent transactions must take turns on (with `key`, e.g. one user's
        quota): from the start of the block to its end, no other process's transaction with the same
        name and key runs. SQLite's transactions are all serial already.
        """

    @abstractmethod
    async def close(self) -> None: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.session() as session:
            return await session.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self.session() as session:
            return await session.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.session() as session:
            return await session.fetchall(sql, params)


def is_url(where: Path | str) -> bool:
    return isinstance(where, str) and where.startswith(("postgresql://", "postgres://"))


async def open_database(where: Path | str, pool_size: int = 10) -> Database:
    """The database at `where` (a file path: SQLite; a postgresql:// URL), migrated to the latest schema."""
    from bot.statedb.migrations import migrate

    database: Database
    if is_url(where):
        from bot.statedb.postgres import PostgresDatabase

        database = await PostgresDatabase.open(str(where), pool_size)
    else:
        from bot.statedb.sqlite import SqliteDatabase

        database = await SqliteDatabase.open(Path(where))
    try:
        await migrate(database)
    except BaseException:
        await database.close()
        raise
    return database


def read_rows(where: Path | str, sql: str) -> list[Row]:
    """The rows of one query, without an event loop (the CLI); StateUnavailable when it cannot be read."""
    if is_url(where):
        from bot.statedb.postgres import read_rows as read_postgres

        return read_postgres(str(where), sql)
    from bot.statedb.sqlite import read_rows as read_sqlite

    return read_sqlite(Path(where), sql)

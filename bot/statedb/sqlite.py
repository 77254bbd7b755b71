"""The state in one SQLite file (the default): WAL mode, one connection through aiosqlite, which runs
sqlite in its own thread so the event loop never waits on the disk.

The connection is in autocommit; a transaction is an explicit BEGIN IMMEDIATE (it takes the write
lock at once, so two processes on one file never deadlock upgrading a read), and a lock keeps the
other coroutines' statements out of it while it is open.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import ClassVar

import aiosqlite

from bot.statedb import Database, Params, Row, Session, StateUnavailable


class SqliteSession(Session):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        # fetchall, not fetchone: an UPDATE ... RETURNING is only complete once stepped to its end.
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SqliteDatabase(Database):
    engine = "sqlite"
    types: ClassVar[Mapping[str, str]] = {"float": "REAL", "int": "INTEGER", "bytes": "BLOB"}

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._session = SqliteSession(connection)
        self._turn = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise StateUnavailable(f"cannot open the state file {path}: {error}") from None
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL survives a killed process (only a power cut may lose the last commits)
            # and spares a disk flush per answer.
            await connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as error:
            await connection.close()
            raise StateUnavailable(f"{path} is not a citebot state file ({error})") from None
        return cls(connection)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        async with self._turn:
            yield self._session

    @asynccontextmanager
    async def transaction(self, serialize: str | None = None, key: int = 0) -> AsyncIterator[Session]:
        async with self._turn:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._session
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def close(self) -> None:
        await self._connection.close()


def read_rows(path: Path, sql: str) -> list[Row]:
    if not path.is_file():
        raise StateUnavailable(f"no state file at {path}")
    try:
        with closing(sqlite3.connect(path)) as db:
            return db.execute(sql).fetchall()
    except sqlite3.DatabaseError as error:
        raise StateUnavailable(f"{path} is not a citebot state file ({error})") from None

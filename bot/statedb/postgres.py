"""The state in a PostgreSQL database (STATE_URL), shared by every replica: psycopg 3 async with a
connection pool, connections in autocommit (a lone statement is one round trip, no BEGIN/COMMIT).

Transactions that must take turns across processes (one user's quota check and insert, the
migrations) first take a transaction-level advisory lock, released by the COMMIT, so READ COMMITTED
is enough: the statement after the lock sees what the previous holder committed.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, ClassVar

from bot.statedb import Database, Params, Row, Session, StateUnavailable

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

CONNECT_TIMEOUT = 10
# How long a statement waits for a free connection: with the server gone, an update gets the apology
# after this, not after the pool's default 30 s (a healthy pool hands one over in milliseconds).
POOL_WAIT = 5.0
# The advisory lock keys (two int4) of citebot's transactions: "cite" in ASCII, then the topic, so
# they stay apart from other applications' locks on a shared server.
_LOCK_SPACE = 0x63697465
_TOPICS = {"migrations": 1, "quota": 2}
_INT4 = 2**31


def _needs_extra() -> StateUnavailable:
    return StateUnavailable("STATE_URL needs PostgreSQL support: pip install 'citebot[postgres]'")


def describe(url: str) -> str:
    """host:port/dbname of `url`, for messages: never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # its message quotes the URL, password included
        return "STATE_URL"
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def one_line(error: BaseException, url: str) -> str:
    """libpq's message on one line (it spreads hints over several), the password masked if quoted."""
    from psycopg.conninfo import conninfo_to_dict

    text = " ".join(str(error).split()) or type(error).__name__
    try:
        password = conninfo_to_dict(url).get("password")
    except Exception:
        password = None
    return text.replace(str(password), "***") if password else text


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    # The SQL of bot/state.py has no literal ? or %: a plain replace is exact.
    return sql.replace("?", "%s")


class PostgresSession(Session):
    def __init__(self, connection: psycopg.AsyncConnection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._connection.execute(_placeholders(sql), params)
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cursor = await self._connection.execute(_placeholders(sql), params)
        return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = await self._connection.execute(_placeholders(sql), params)
        return await cursor.fetchall()


class PostgresDatabase(Database):
    engine = "postgresql"
    types: ClassVar[Mapping[str, str]] = {"float": "DOUBLE PRECISION", "int": "BIGINT", "bytes": "BYTEA"}

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, pool_size: int) -> PostgresDatabase:
        try:
            import psycopg
            import psycopg_pool
        except ImportError:
            raise _needs_extra() from None
        where = describe(url)
        # One connection made first, alone: the pool would retry in the background and end in a
        # timeout, where this says why (refused, unknown host, wrong password, no such database).
        try:
            probe = await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as error:
            raise StateUnavailable(
                f"cannot connect to the PostgreSQL state database at {where}: {one_line(error, url)}; check STATE_URL"
            ) from None
        await probe.close()
        pool = psycopg_pool.AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            open=False,
            name="citebot-state",
            timeout=POOL_WAIT,
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except psycopg_pool.PoolTimeout:
            await pool.close()
            raise StateUnavailable(
                f"the PostgreSQL state database at {where} accepted one connection, then none within "
                f"{CONNECT_TIMEOUT} s; check its max_connections"
            ) from None
        return cls(pool)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        async with self._pool.connection() as connection:
            yield PostgresSession(connection)

    @asynccontextmanager
    async def transaction(self, serialize: str | None = None, key: int = 0) -> AsyncIterator[Session]:
        async with self._pool.connection() as connection, connection.transaction():
            if serialize is not None:
                # Folded into int4: two users sharing a key only take turns, which costs nothing.
                space = _LOCK_SPACE + _TOPICS[serialize]
                await connection.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", (space, key % _INT4))
            yield PostgresSession(connection)

    async def close(self) -> None:
        await self._pool.close()


def read_rows(url: str, sql: str) -> list[Row]:
    try:
        import psycopg
    except ImportError:
        raise _needs_extra() from None
    where = describe(url)
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            return connection.execute(_placeholders(sql)).fetchall()
    except psycopg.errors.UndefinedTable:
        raise StateUnavailable(f"the PostgreSQL database at {where} holds no citebot state") from None
    except psycopg.Error as error:
        raise StateUnavailable(
            f"cannot read the PostgreSQL state database at {where}: {one_line(error, url)}; check STATE_URL"
        ) from None

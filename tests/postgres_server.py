"""A throwaway PostgreSQL on 127.0.0.1 for the tests (and the replica benchmark): initdb in a temporary
folder, the server on a free port, one fresh database per test.

PostgreSQL refuses to run as root, so when the tests run as root, initdb and the server run as the
`postgres` user (subprocess's `user=`, the same as `runuser -u postgres --`), in a folder that user
owns. Missing binaries fail the tests that need them, with the command that installs them: nothing is
skipped (`.ci/run` installs them).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "citebot"
PASSWORD = "pg-test-password"
SEARCHED = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
START_TIMEOUT = 30.0


class PostgresMissing(RuntimeError):
    pass


def binaries() -> Path:
    """The folder holding initdb and postgres: PostgreSQL 15's first, else the newest installed."""
    for folder in SEARCHED:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    found = shutil.which("initdb")
    if found and (Path(found).resolve().parent / "postgres").is_file():
        return Path(found).resolve().parent
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, postgres) not found: install them with "
        "`apt-get install -y postgresql-15` (or `postgresql`); .ci/run does so when run as root"
    )


def _scratch() -> str | None:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 * 2**30:
        return str(shm)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in its own data folder; `url(name)` for a database on it."""

    def __init__(self, **settings: str) -> None:
        self.bin = binaries()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(
                    "the tests run as root, and PostgreSQL refuses to: they need a `postgres` user to run it as "
                    "(the postgresql-15 package creates it)"
                ) from None
        self.port = _free_port()
        # Durability the tests do not need; the benchmark passes its own settings.
        self.settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} | settings
        # In memory when there is room: creating a database per test, and deleting them all at the end,
        # then costs no disk I/O (6 s of rmtree on a busy disk otherwise).
        self.folder = Path(tempfile.mkdtemp(prefix="citebot-pg-", dir=_scratch()))
        self.data = self.folder / "data"
        self._process: subprocess.Popen | None = None
        self._names = itertools.count(1)

    def _run_as(self) -> dict:
        if not self._as_postgres:
            return {}
        return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}

    def start(self) -> None:
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n")
        if self._as_postgres:
            os.chown(password_file, pwd.getpwnam("postgres").pw_uid, -1)
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                USER,
                f"--pwfile={password_file}",
                # Password over TCP, as a deployment would: the tests see STATE_URL with a password.
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.folder,
            **self._run_as(),
        )
        options = [f"-c{name}={value}" for name, value in self.settings.items()]
        self._process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-clisten_addresses=127.0.0.1",
                f"-cunix_socket_directories={self.folder}",
                "-cmax_connections=200",
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "server.log", "wb"),  # noqa: SIM115 - the server keeps it
            cwd=self.folder,
            **self._run_as(),
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"postgres exited at start: {self.log()[-2000:]}")
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # fast shutdown: clients are disconnected
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_server(**settings: str) -> Iterator[PostgresServer]:
    """A server started for the block (PostgresMissing if it cannot be), then stopped and deleted."""
    server = PostgresServer(**settings)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (about 1.5 s to start)."""
    try:
        server = PostgresServer()
    except PostgresMissing as error:
        pytest.fail(str(error), pytrace=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh database for one test: tests reuse user and chat ids."""
    return postgres.new_database()

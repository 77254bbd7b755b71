"""STATE_URL as a user meets it: malformed, beside STATE_DB, the server down, a wrong password: one
line each from `citebot serve`, never the password; and `citebot feedback export` reads PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.state import StateStore, Vote
from tests.conftest import ROOT, TOKEN, bot_settings
from tests.postgres_server import PASSWORD
from tests.replicas import free_port

SECRET = "s3cr3t-pa55"


def _citebot(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "citebot.cli", *args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith(("STATE_", "TELEGRAM_"))}
        | {"PYTHONPATH": str(ROOT)}
        | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess, expected: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_state_url_is_checked_with_the_settings(emulator, seed_index, tmp_path):
    closed = f"postgresql://citebot:{SECRET}@127.0.0.1:{free_port()}/citebot"
    assert bot_settings(emulator.base_url, seed_index, STATE_URL=closed, STATE_DB=None).state_location == closed
    for url, expected in (
        (f"mysql://citebot:{SECRET}@db/citebot", "expected a PostgreSQL URL"),
        (f"postgresql://citebot:{SECRET}@[::1/citebot", "not a valid PostgreSQL URL"),
    ):
        with pytest.raises(ValidationError, match=expected) as raised:
            bot_settings(emulator.base_url, seed_index, STATE_URL=url, STATE_DB=None)
        assert SECRET not in str(raised.value)
    with pytest.raises(ValidationError, match="not both"):
        bot_settings(emulator.base_url, seed_index, STATE_URL=closed, STATE_DB=tmp_path / "state.sqlite3")
    # The password stays out of the settings' repr, which logs and tracebacks may show.
    assert SECRET not in repr(bot_settings(emulator.base_url, seed_index, STATE_URL=closed, STATE_DB=None))


async def test_serve_says_in_one_line_when_postgresql_is_down_or_refuses(emulator, seed_index, postgres, tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": emulator.base_url, "INDEX_DIR": str(seed_index)}
    port = free_port()
    down = await asyncio.to_thread(
        _citebot, env | {"STATE_URL": f"postgresql://citebot:{SECRET}@127.0.0.1:{port}/citebot"}, "serve"
    )
    line = _one_line(down, f"cannot connect to the PostgreSQL state database at 127.0.0.1:{port}/citebot")
    assert "Connection refused" in line and "check STATE_URL" in line and SECRET not in down.stderr

    wrong = postgres.url("postgres").replace(PASSWORD, SECRET)
    refused = await asyncio.to_thread(_citebot, env | {"STATE_URL": wrong}, "serve")
    line = _one_line(refused, f"cannot connect to the PostgreSQL state database at 127.0.0.1:{postgres.port}/postgres")
    assert "password authentication failed" in line and SECRET not in refused.stderr

    both = await asyncio.to_thread(
        _citebot, env | {"STATE_URL": wrong, "STATE_DB": str(tmp_path / "s.sqlite3")}, "serve", cwd=tmp_path
    )
    _one_line(both, "set STATE_URL (PostgreSQL) or STATE_DB (an SQLite file), not both")
    assert SECRET not in both.stderr


async def test_feedback_export_reads_the_votes_in_postgresql(postgres, postgres_url, tmp_path):
    store = StateStore(postgres_url)
    await store.open()
    try:
        from tests.bot.test_state_contract import _hit

        await store.put_vote(Vote("k1", 5, 1, "Qatar?", "Qatar?", "en", [_hit(1)], time.time()))
        await store.put_vote(Vote("k2", 6, -1, "Maroc ?", "Maroc ?", "fr", [_hit(1)], time.time()))
    finally:
        await store.close()
    out = tmp_path / "feedback.jsonl"
    run = await asyncio.to_thread(_citebot, {"STATE_URL": postgres_url}, "feedback", "export", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "from 1 👍 and 1 👎 votes" in run.stderr
    [item] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert item["q"] == "Qatar?" and item["doc"] == "001_article.txt"

    gone = f"postgresql://citebot:{SECRET}@127.0.0.1:{free_port()}/citebot"
    failed = await asyncio.to_thread(_citebot, {}, "feedback", "export", "--state-url", gone)
    assert SECRET not in failed.stderr
    _one_line(failed, "cannot read the PostgreSQL state database at 127.0.0.1:")
    empty = await asyncio.to_thread(_citebot, {}, "feedback", "export", "--state-url", postgres.new_database())
    _one_line(empty, "holds no citebot state")


def test_a_state_database_outage_is_logged_in_one_line():
    """An update that fails because PostgreSQL is gone is an operating condition: no traceback per update."""
    import logging

    from psycopg_pool import PoolTimeout

    from bot.app import ExpectedNetworkErrors

    error = PoolTimeout("couldn't get a connection after 5.00 sec")
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "error while handling an update", None, None)
    record.exc_info = (PoolTimeout, error, None)
    assert ExpectedNetworkErrors().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == f"error while handling an update (PoolTimeout: {error})"

"""`citebot serve` as a user runs it: its own process, settings from the environment, the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.conftest import ROOT, TOKEN


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "WEBHOOK_"))}
    env.update(values)
    return env


def _serve(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`citebot serve` run to its end (settings errors end it at once)."""
    return subprocess.run(
        [sys.executable, "-m", "citebot.cli", "serve", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@asynccontextmanager
async def _serving(env: dict[str, str], *args: str) -> AsyncIterator[dict]:
    """`citebot serve` running for the block, stopped with Ctrl-C; yields its exit code and log after."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "citebot.cli",
        "serve",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    ended: dict = {}
    try:
        yield ended
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        ended.update(returncode=process.returncode, log=stderr.decode())


def test_serve_refuses_missing_or_malformed_settings(tmp_path: Path):
    missing = _serve(_env(), "--help")
    assert missing.returncode == 0 and "--webhook" in missing.stdout
    for env, expected in (
        (_env(), "TELEGRAM_BOT_TOKEN is not set"),
        (_env(TELEGRAM_BOT_TOKEN="12345:short-secret-typo"), "not a bot token"),
        (_env(TELEGRAM_BOT_TOKEN=TOKEN, ADMIN_IDS="12,abc"), "ADMIN_IDS"),
        (_env(TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_URL="http://example.org/hook"), "https://"),
    ):
        result = _serve(env | {"PYTHONPATH": str(ROOT)}, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], result.stderr
        assert "short-secret-typo" not in result.stderr and TOKEN not in result.stderr
    webhook = _serve(_env(TELEGRAM_BOT_TOKEN=TOKEN, PYTHONPATH=str(ROOT)), "--webhook", cwd=tmp_path)
    assert webhook.returncode == 1 and "WEBHOOK_URL" in webhook.stderr


async def test_serve_answers_through_the_emulator_and_keeps_the_token_out_of_logs(emulator, seed_index):
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=emulator.base_url, INDEX_DIR=str(seed_index))
    async with _serving(env) as ended:
        await emulator.wait_for(lambda c: c.method == "deleteWebhook", timeout=120)
        emulator.send_text(5, emulator.user(5), "What did Kazakhstan say about Qatar?")
        reply = await emulator.reply_to(5, timeout=60)
        assert "001_c0a4decbc27cb472.txt" in reply.params["text"]
    log = ended["log"]
    assert ended["returncode"] == 0, log
    assert "Application started" in log and TOKEN not in log and TOKEN.split(":")[1] not in log
    assert " ERROR " not in log, log


async def test_serve_with_a_token_the_api_rejects(emulator, seed_index):
    wrong = TOKEN[:-4] + "XXXX"
    env = _env(TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_URL=emulator.base_url, INDEX_DIR=str(seed_index))
    result = await asyncio.to_thread(_serve, env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the Bot API rejected TELEGRAM_BOT_TOKEN; check it with @BotFather"
    )
    assert wrong.split(":")[1] not in result.stderr and "Traceback" not in result.stderr


async def test_serve_says_in_one_line_what_is_wrong_with_the_bot_api(emulator, seed_index, tmp_path: Path):
    """A Bot API whose getMe is not Telegram's (an emulator omitting is_bot), a user's token, an
    unreachable server: one line each, no traceback, never the token."""
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=emulator.base_url, INDEX_DIR=str(seed_index), PYTHONPATH=str(ROOT)
    )
    real = dict(emulator.bot)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/bot"
    cases = [
        ({k: v for k, v in real.items() if k != "is_bot"}, env, "answered getMe unlike Telegram: is_bot missing"),
        (real | {"is_bot": False}, env, "belongs to a user account, not a bot"),
        (real, env | {"TELEGRAM_API_URL": closed}, f"cannot reach the Bot API at {closed}"),
    ]
    for bot, environment, expected in cases:
        emulator.bot = bot
        result = await asyncio.to_thread(_serve, environment, cwd=tmp_path)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1 and expected in lines[0], result.stderr
        assert lines[0].startswith("error:") and TOKEN.split(":")[1] not in result.stderr


async def test_serve_with_a_webhook(emulator, seed_index):
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=emulator.base_url,
        INDEX_DIR=str(seed_index),
        WEBHOOK_URL="https://bot.example.org/telegram-hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET_TOKEN="s3cret-token",
    )
    async with _serving(env, "--webhook") as ended:
        registered = await emulator.wait_for(lambda c: c.method == "setWebhook", timeout=120)
        assert registered.params["url"] == "https://bot.example.org/telegram-hook"
        assert registered.params["secret_token"] == "s3cret-token"
        update = {"update_id": 1, "message": emulator.message(6, emulator.user(6), text="Sahara marocain")}
        hook = f"http://127.0.0.1:{port}/telegram-hook"
        async with aiohttp.ClientSession() as session:
            for _ in range(50):  # the server starts listening just after setWebhook
                try:
                    async with session.post(hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}) as r:
                        assert r.status == 403
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with session.post(hook, json=update, headers=headers) as response:
                assert response.status == 200
        reply = await emulator.reply_to(6, timeout=60)
        assert "002_afc2c321953de182.txt" in reply.params["text"]
        assert len(emulator.sent(6)) == 1, "the update with the wrong secret was refused"
    assert ended["returncode"] == 0, ended["log"]

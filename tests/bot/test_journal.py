"""A bot killed with SIGKILL while it answers: the updates it had taken from the Bot API (confirmed, so
Telegram will not send them again) are answered after the restart, from its journal on disk."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.bot.test_bot import QATAR
from tests.conftest import ADMIN, ROOT, SEEDS, TOKEN

BURST = 30


def serve(emulator, seed_index: Path, state: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.base_url,
        "INDEX_DIR": str(seed_index),
        "CORPUS_DIR": str(SEEDS),
        "STATE_DB": str(state),
        "ADMIN_IDS": str(ADMIN),
        "PYTHONPATH": str(ROOT),
    }
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "citebot.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def answered(emulator, chats: range) -> set[int]:
    return {int(c.params["chat_id"]) for c in emulator.calls if c.method == "sendMessage"} & set(chats)


async def test_updates_taken_before_a_kill_are_answered_after_the_restart(emulator, seed_index, tmp_path):
    state, log = tmp_path / "state.sqlite3", tmp_path / "bot.log"
    bot = serve(emulator, seed_index, state, log)
    try:
        emulator.send_text(1, emulator.user(1), QATAR)
        await emulator.reply_to(1, timeout=120)  # loaded and answering

        chats = range(100, 100 + BURST)
        for chat in chats:
            emulator.send_text(chat, emulator.user(chat), QATAR)
        # Killed once it has taken (and so confirmed) every update, before it has answered them all.
        deadline = time.monotonic() + 30
        while emulator.unconfirmed_updates and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        before = answered(emulator, chats)
        assert emulator.unconfirmed_updates == 0
        assert len(before) < BURST, "the bot answered everything before the kill: nothing was in flight"

        bot = serve(emulator, seed_index, state, log)
        deadline = time.monotonic() + 120
        while answered(emulator, chats) != set(chats) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert answered(emulator, chats) == set(chats), f"lost: {sorted(set(chats) - answered(emulator, chats))}"
        await asyncio.sleep(0.5)  # the last answers' journal rows crossed out
        journals = list(tmp_path.glob("citebot-journal-*.sqlite3"))
        assert [j.name for j in journals] == ["citebot-journal-0.sqlite3"]
        with sqlite3.connect(journals[0]) as db:
            assert db.execute("SELECT count(*) FROM pending").fetchone()[0] == 0
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
        assert "never finished: handling them now" in text
    finally:
        bot.send_signal(signal.SIGINT)
        bot.wait(30)


async def test_an_update_that_keeps_killing_the_bot_is_dropped_and_slots_are_per_process(tmp_path):
    from telegram import Update

    from bot.journal import MAX_ATTEMPTS, UpdateJournal

    first = UpdateJournal(tmp_path)
    assert await first.open() == []
    await first.record(Update(update_id=7))
    # A second bot beside it (a replica on the same host) takes the next slot, and nothing of the first's.
    second = UpdateJournal(tmp_path)
    assert await second.open() == []
    assert (first.path, second.path) == (tmp_path / "citebot-journal-0.sqlite3", tmp_path / "citebot-journal-1.sqlite3")
    await second.close()
    await first.close()  # as a kill would leave it: the update recorded, never finished

    handed_back = []
    for _ in range(MAX_ATTEMPTS + 1):
        journal = UpdateJournal(tmp_path)
        handed_back.append([body["update_id"] for body in await journal.open()])
        assert journal.path == tmp_path / "citebot-journal-0.sqlite3"
        await journal.close()
    assert handed_back == [[7]] * MAX_ATTEMPTS + [[]]

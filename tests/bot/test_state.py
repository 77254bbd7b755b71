"""Answers behind the buttons survive a restart of the bot (one SQLite file, WAL mode)."""

from __future__ import annotations

import sqlite3
import time
import zlib

import pytest
from pydantic import ValidationError

from bot.answers import Answer
from bot.state import StateStore
from tests.bot.test_bot import QATAR, buttons
from tests.conftest import bot_settings, running_bot


async def answered_then_stopped(emulator, settings, embedder, user_id: int):
    """The user asks QATAR in private of a bot that then stops: the user, the reply call, its message."""
    user = emulator.user(user_id)
    async with running_bot(settings, embedder):
        emulator.send_text(user_id, user, QATAR)
        answer = await emulator.reply_to(user_id)
    return user, answer, emulator.messages[(user_id, answer.result["message_id"])]


async def test_more_and_full_text_work_after_a_restart(emulator, seed_index, embedder, tmp_path):
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path / "state.sqlite3")
    user, answer, message = await answered_then_stopped(emulator, settings, embedder, 41)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ((kind, stored),) = db.execute("SELECT typeof(hits), hits FROM answers").fetchall()
        assert kind == "blob"
        text = zlib.decompress(stored).decode()
        assert "Tokayev" in text and len(stored) < len(text.encode()) / 2
        # Rewritten as a state file from before the hits were deflated held them: it must still serve.
        db.execute("UPDATE answers SET hits = ?", (text,))

    # A new Application on the same file: the old answer's buttons still work.
    async with running_bot(settings, embedder):
        more = next(b for b in buttons(answer) if b["text"].startswith("More"))
        emulator.press(user, message, more["callback_data"])
        page = await emulator.reply_to(41, after=emulator.calls.index(answer) + 1)
        assert "<b>[4]</b>" in page.params["text"] and "<b>[1]</b>" not in page.params["text"]

        full = next(b for b in buttons(answer) if b["text"] == "Full text 1")
        start = len(emulator.calls)
        emulator.press(user, message, full["callback_data"])
        first_part = await emulator.reply_to(41, after=start)
        assert first_part.params["text"].startswith("<b>Full text of passage 1</b>")
        assert "Tokayev" in first_part.result["text"]


async def test_an_answer_older_than_a_week_says_expired(emulator, seed_index, embedder, tmp_path):
    path = tmp_path / "state.sqlite3"
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=path)
    user, answer, message = await answered_then_stopped(emulator, settings, embedder, 42)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE answers SET created = ?", (time.time() - 8 * 24 * 3600,))
    async with running_bot(settings, embedder):
        query_id = emulator.press(user, message, buttons(answer)[0]["callback_data"])
        call = await emulator.wait_for(
            lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
        )
        assert "expired" in call.params["text"]
    with sqlite3.connect(path) as db:  # pruned at start
        assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


def test_state_db_that_is_a_folder_is_refused(emulator, seed_index, tmp_path):
    with pytest.raises(ValidationError, match="is a folder"):
        bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ValidationError, match="not a writable folder"):
        bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path / "a-file" / "state.sqlite3")
    # A folder still to be made is fine: the state file's folder is created at start.
    bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path / "new" / "state.sqlite3")


async def test_a_reply_is_still_a_follow_up_after_a_restart(emulator, seed_index, embedder, tmp_path):
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path / "state.sqlite3")
    user, _answer, message = await answered_then_stopped(emulator, settings, embedder, 43)

    async with running_bot(settings, embedder):
        start = len(emulator.calls)
        emulator.send_text(43, user, "And Jordan?", reply_to=message)
        followed = (await emulator.reply_to(43, after=start)).params["text"]
    assert f"↪ following: <i>{QATAR}</i>" in followed
    assert "Jordan" in followed.split("<b>[1]</b>")[1].split("\n")[0]

    # The last private answer too: a short message right after it, in a new process, continues it.
    async with running_bot(settings, embedder):
        start = len(emulator.calls)
        emulator.send_text(43, user, "Which date was that?")
        third = (await emulator.reply_to(43, after=start)).params["text"]
    assert "↪ following: <i>What did Kazakhstan say about Jordan ?</i>" in third


async def test_the_question_quota_counts_across_a_restart(emulator, seed_index, embedder, tmp_path):
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=tmp_path / "state.sqlite3", QUESTIONS_PER_MINUTE=2)
    user = emulator.user(44)
    async with running_bot(settings, embedder):
        for _ in range(2):
            start = len(emulator.calls)
            emulator.send_text(44, user, QATAR)
            assert "<b>[1]</b>" in (await emulator.reply_to(44, after=start)).params["text"]
    async with running_bot(settings, embedder):
        start = len(emulator.calls)
        emulator.send_text(44, user, QATAR)
        assert "2 questions in the last minute" in (await emulator.reply_to(44, after=start)).params["text"]
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE questions SET asked = asked - 61")  # a minute later the window is free again
    async with running_bot(settings, embedder):
        start = len(emulator.calls)
        emulator.send_text(44, user, QATAR)
        assert "<b>[1]</b>" in (await emulator.reply_to(44, after=start)).params["text"]


async def test_the_state_file_stops_growing_once_its_retention_is_full(searcher, tmp_path):
    """Growth is bounded by the retention: the pages an expired answer held are reused, not added."""
    hits = searcher.search("What did Kazakhstan say about Qatar?", k=12).hits
    store = StateStore(tmp_path / "state.sqlite3", max_age=3600)
    await store.open()

    async def a_window_of_answers(created: float) -> None:
        for n in range(300):
            await store.put_answer(Answer(f"question {n}", "en", hits, None))
        await store.db.execute("UPDATE answers SET created = ?", (created,))

    try:
        await a_window_of_answers(time.time() - 7200)  # the first window, expired at once
        await store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        full = (tmp_path / "state.sqlite3").stat().st_size
        assert full > 300 * 3000  # the deflated hits are most of it
        for _ in range(3):
            await store.prune()
            await a_window_of_answers(time.time() - 7200)
            await store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert (tmp_path / "state.sqlite3").stat().st_size <= full * 1.1
        assert await store.db.fetchone("SELECT count(*) FROM answers") == (300,)
    finally:
        await store.close()

"""Votes on answers, /feedback, and `citebot feedback export` read back by `citebot eval`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

from tests.bot.test_bot import QATAR, buttons
from tests.conftest import ADMIN, ROOT, bot_settings, running_bot

UAE_FR = "Qu'a dit Tokaïev aux Émirats arabes unis ?"
MOROCCO = "Qu’a dit le Kazakhstan sur le Maroc ?"


def _vote(answer, label: str) -> str:
    return next(b["callback_data"] for b in buttons(answer) if b["text"] == label)


async def _press(emulator, user: dict, message: dict, data: str) -> str:
    """Press a button and return the toast the bot answered the press with."""
    query_id = emulator.press(user, message, data)
    call = await emulator.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
    )
    return call.params.get("text", "")


async def _ask(emulator, chat: int, user: dict, question: str):
    start = len(emulator.calls)
    emulator.send_text(chat, user, question)
    answer = await emulator.reply_to(chat, after=start)
    return answer, emulator.messages[(chat, answer.result["message_id"])]


def _votes(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT user_id, vote, question, passages FROM votes ORDER BY user_id").fetchall()


async def test_votes_are_one_per_user_changeable_and_shown_to_admins(emulator, seed_index, embedder, tmp_path):
    path = tmp_path / "state.sqlite3"
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=path)
    asker, other = emulator.user(51), emulator.user(52, language_code="fr")
    async with running_bot(settings, embedder):
        answer, message = await _ask(emulator, 51, asker, QATAR)
        assert [b["text"] for b in buttons(answer)][3:5] == ["👍", "👎"]
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(answer))

        assert await _press(emulator, asker, message, _vote(answer, "👍")) == (
            "Recorded: 👍. Thank you! You can change it at any time."
        )
        assert "Changed from 👍 to 👎" in await _press(emulator, asker, message, _vote(answer, "👎"))
        assert "Already recorded: 👎" in await _press(emulator, asker, message, _vote(answer, "👎"))
        # Another user's vote on the same answer counts separately, and is thanked in their language.
        assert "Vote enregistré : 👍" in await _press(emulator, other, message, _vote(answer, "👍"))

        rows = _votes(path)
        assert [(user, vote, question) for user, vote, question, _ in rows] == [(51, -1, QATAR), (52, 1, QATAR)]
        shown = json.loads(zlib.decompress(rows[0][3]))
        assert [hit["rank"] for hit in shown] == [1, 2, 3]
        assert shown[0]["source"] == "001_c0a4decbc27cb472.txt"

        # A vote on a More page records that page's passages, still one vote per user per answer.
        start = len(emulator.calls)
        emulator.press(other, message, next(b["callback_data"] for b in buttons(answer) if b["text"] == "More ▸"))
        page = await emulator.reply_to(51, after=start)
        page_message = emulator.messages[(51, page.result["message_id"])]
        assert [b["text"] for b in buttons(page)][-3:-1] == ["👍", "👎"]
        assert "Vote changé de 👍 en 👎" in await _press(emulator, other, page_message, _vote(page, "👎"))
        rows = _votes(path)
        assert [(user, vote) for user, vote, _, _ in rows] == [(51, -1), (52, -1)]
        assert [hit["rank"] for hit in json.loads(zlib.decompress(rows[1][3]))] == [4, 5, 6]

        answer_fr, message_fr = await _ask(emulator, 53, emulator.user(53), UAE_FR)
        await _press(emulator, emulator.user(53), message_fr, _vote(answer_fr, "👍"))

        start = len(emulator.calls)
        emulator.send_text(ADMIN, emulator.user(ADMIN), "/feedback")
        report = (await emulator.reply_to(ADMIN, after=start)).params["text"]
        assert "<b>Feedback</b>: 1 👍, 2 👎 on 2 answers." in report
        assert "Latest 👎 questions" in report and f"<i>{QATAR}</i>" in report
        assert UAE_FR not in report  # voted 👍 only

        start = len(emulator.calls)
        emulator.send_text(54, emulator.user(54), "/feedback")
        assert "only the bot's admins" in (await emulator.reply_to(54, after=start)).params["text"]


async def test_feedback_with_no_votes_says_so_in_french(emulator, seed_index, embedder):
    async with running_bot(bot_settings(emulator.base_url, seed_index), embedder):
        emulator.send_text(ADMIN, emulator.user(ADMIN, language_code="fr"), "/feedback")
        assert (await emulator.reply_to(ADMIN)).params["text"] == "Aucun vote pour le moment."


def _citebot(*args: str) -> subprocess.CompletedProcess:
    # PYTHONPATH: this checkout's code, not whichever citebot the environment has installed.
    return subprocess.run(
        [sys.executable, "-m", "citebot.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_export_is_read_back_by_citebot_eval(emulator, seed_index, embedder, tmp_path):
    path = tmp_path / "state.sqlite3"
    settings = bot_settings(emulator.base_url, seed_index, STATE_DB=path)
    async with running_bot(settings, embedder):
        for chat, question, label in ((61, QATAR, "👍"), (62, UAE_FR, "👍"), (63, MOROCCO, "👎")):
            user = emulator.user(chat)
            answer, message = await _ask(emulator, chat, user, question)
            assert "<b>[1]</b>" in answer.params["text"], question
            await _press(emulator, user, message, _vote(answer, label))
        # The same question voted 👎 by someone else still exports, from its 👍.
        answer, message = await _ask(emulator, 64, emulator.user(64), QATAR)
        await _press(emulator, emulator.user(64), message, _vote(answer, "👎"))
    with sqlite3.connect(path) as db:  # the answers expired: the votes carry what the export needs
        db.execute("DELETE FROM answers")

    out, downvoted = tmp_path / "feedback.jsonl", tmp_path / "downvoted.jsonl"
    run = _citebot("feedback", "export", "--out", str(out), "--state-db", str(path), "--downvoted", str(downvoted))
    assert run.returncode == 0, run.stderr
    assert (
        "2 questions written" in run.stderr
        and "2 👍 and 2 👎" in run.stderr
        and "1 questions with only 👎" in run.stderr
    )
    items = {item["q"]: item for item in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(items) == {QATAR, UAE_FR}
    assert items[QATAR] | {"id": "", "any": []} == {
        "id": "",
        "q": QATAR,
        "lang": "en",
        "doc": "001_c0a4decbc27cb472.txt",
        "any": [],
        "kind": "same",
    }
    assert items[UAE_FR]["lang"] == "fr" and items[UAE_FR]["kind"] == "cross"
    assert [json.loads(line)["q"] for line in downvoted.read_text(encoding="utf-8").splitlines()] == [MOROCCO]

    run = _citebot("eval", str(out), "--index", str(seed_index), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["summary"]["all"]["n"] == 2
    assert [item["rank"] for item in report["items"]] == [1, 1]
    assert report["summary"]["cross"]["n"] == 1 and report["summary"]["same"]["n"] == 1


def test_export_of_a_missing_state_file_is_one_line(tmp_path):
    run = _citebot("feedback", "export", "--state-db", str(tmp_path / "none.sqlite3"))
    assert run.returncode == 1
    assert run.stderr.strip() == f"error: no state file at {tmp_path / 'none.sqlite3'}"

"""State files written before the migrations existed still open, keep their rows, and are brought to
the latest schema; a file that is no state file is one clear line."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from bot.state import StateStore, read_votes
from bot.statedb import StateUnavailable
from bot.statedb.migrations import LATEST

# The state file of d8381df: answers alone, no `query` column, hits as JSON text.
FIRST_FILE = """
CREATE TABLE answers (key TEXT PRIMARY KEY, question TEXT NOT NULL, lang TEXT NOT NULL, hits TEXT NOT NULL,
    period TEXT, created REAL NOT NULL);
CREATE INDEX answers_created ON answers(created);
"""
# From b1787f3 (votes, follow-ups, quotas) until schema_version: every table, created together.
VOTES_FILE = """
CREATE TABLE answers (key TEXT PRIMARY KEY, question TEXT NOT NULL, lang TEXT NOT NULL, hits TEXT NOT NULL,
    period TEXT, created REAL NOT NULL, query TEXT);
CREATE INDEX answers_created ON answers(created);
CREATE TABLE votes (key TEXT NOT NULL, user_id INTEGER NOT NULL, vote INTEGER NOT NULL, question TEXT NOT NULL,
    query TEXT NOT NULL, lang TEXT NOT NULL, passages TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (key, user_id));
CREATE INDEX votes_created ON votes(created);
CREATE TABLE follow_ups (chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, query TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (chat_id, message_id));
CREATE INDEX follow_ups_created ON follow_ups(created);
CREATE TABLE last_private (chat_id INTEGER PRIMARY KEY, query TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE questions (user_id INTEGER NOT NULL, asked REAL NOT NULL);
CREATE INDEX questions_user ON questions(user_id, asked);
"""
HIT = {
    "rank": 1,
    "score": 0.61,
    "source": "001_c0a4decbc27cb472.txt",
    "title": "Tokayev and the Emir of Qatar",
    "date": "2026-03-02",
    "url": None,
    "lang": "en",
    "text": "Tokayev discussed the situation in the Middle East.",
    "highlight": "Tokayev discussed the situation",
    "doc_id": "d1",
    "start": 0,
    "end": 51,
    "highlight_spans": [[0, 31]],
    "date_precision": "day",
}


def _old_file(path: Path, schema: str) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(schema)
        db.execute(
            "INSERT INTO answers (key, question, lang, hits, period, created) VALUES (?, ?, ?, ?, ?, ?)",
            ("oldkey12", "What about Qatar?", "en", json.dumps([HIT]), json.dumps(["2026-01-01", None]), time.time()),
        )
    db.close()


async def _versions(store: StateStore) -> list[tuple[int, str]]:
    return [tuple(row) for row in await store.db.fetchall("SELECT version, what FROM schema_version ORDER BY version")]


async def test_the_first_state_files_answers_still_serve_and_it_gains_every_table(tmp_path):
    path = tmp_path / "old.sqlite3"
    _old_file(path, FIRST_FILE)
    store = StateStore(path)
    await store.open()
    try:
        answer = await store.get_answer("oldkey12")
        assert answer is not None and answer.query is None and answer.period[0].isoformat() == "2026-01-01"
        assert answer.hits[0].source == "001_c0a4decbc27cb472.txt" and answer.hits[0].highlight_spans == ((0, 31),)
        versions = await _versions(store)
        assert [v for v, _ in versions] == list(range(1, LATEST + 1))
        assert "found in a state file from before schema_version" in versions[0][1]
        assert "found" not in versions[1][1], "version 2 was applied, not found"
        # What version 2 added works on the old file.
        assert await store.count_question(3, 1)
        await store.remember_answer_message(3, 4, "Qatar", private=True)
        assert await store.last_private_query(3) == "Qatar"
        assert await store.take_lease("rebuild", "me", 30)
    finally:
        await store.close()


async def test_a_state_file_with_votes_from_before_migrations_keeps_them(tmp_path):
    path = tmp_path / "votes.sqlite3"
    _old_file(path, VOTES_FILE)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("oldkey12", 51, 1, "What about Qatar?", "What about Qatar?", "en", json.dumps([HIT]), time.time()),
        )
        db.execute("INSERT INTO follow_ups VALUES (?, ?, ?, ?)", (51, 900, "Qatar", time.time()))
    db.close()
    store = StateStore(path)
    await store.open()
    try:
        versions = await _versions(store)
        assert [v for v, _ in versions] == list(range(1, LATEST + 1))
        assert all("found" in what for _, what in versions[:2]) and "found" not in versions[2][1]
        assert (await store.vote_counts()).up == 1
        assert await store.query_of_message(51, 900) == "Qatar"
        assert (await store.get_answer("oldkey12")).hits[0].rank == 1  # type: ignore[union-attr]
    finally:
        await store.close()
    [vote] = read_votes(path)
    assert vote.user_id == 51 and vote.passages[0].title == "Tokayev and the Emir of Qatar"


async def test_a_file_that_is_no_state_file_is_one_line(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StateUnavailable, match=r"notes.sqlite3 is not a citebot state file"):
        await StateStore(path).open()
    with pytest.raises(StateUnavailable, match=r"notes.sqlite3 is not a citebot state file"):
        read_votes(path)

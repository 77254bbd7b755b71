"""What the state store promises, on each engine: the SQLite file and PostgreSQL (a real server, see
tests/postgres_server.py) pass the same tests."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path

import pytest

from bot.answers import Answer
from bot.state import Renewal, StateStore, Vote, read_votes
from bot.statedb import StateUnavailable
from bot.statedb.migrations import LATEST
from index.models import Hit

GROUP = -1001234567890  # a supergroup id: past 32 bits


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "state.sqlite3"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def state(where):
    store = StateStore(where)
    await store.open()
    yield store
    await store.close()


def _hit(rank: int, text: str = "Tokayev spoke with the Emir of Qatar – «é» 🇶🇦") -> Hit:
    return Hit(
        rank=rank,
        score=0.5 / rank,
        source=f"00{rank}_article.txt",
        title="Kazakhstan and Qatar",
        date=date(2026, 3, 2),
        url="https://example.org/a",
        lang="en",
        text=text,
        highlight=text[:20],
        doc_id=f"d{rank}",
        start=0,
        end=len(text),
        highlight_spans=((0, 20),),
        date_precision="day",
    )


async def test_an_answer_keeps_its_hits_period_and_query_until_it_expires(state):
    answer = Answer("And Qatar?", "en", [_hit(1), _hit(2)], (date(2026, 1, 1), None), "Kazakhstan Qatar")
    key = await state.put_answer(answer)
    assert await state.get_answer(key) == answer
    assert await state.get_answer(key + "x") is None
    bare = Answer("Qatar", "fr", [_hit(1)], None)
    assert await state.get_answer(await state.put_answer(bare)) == bare

    await state.db.execute("UPDATE answers SET created = created - ?", (8 * 24 * 3600,))
    assert await state.get_answer(key) is None
    await state.prune()
    assert (await state.db.fetchone("SELECT count(*) FROM answers"))[0] == 0


async def test_a_vote_replaces_the_users_earlier_one_and_is_read_back_by_the_cli(state, where):
    now = time.time()
    first = Vote("k1", 5, 1, "Qatar?", "Qatar?", "en", [_hit(1)], now)
    assert await state.put_vote(first) is None
    assert await state.put_vote(Vote("k1", 5, -1, "Qatar?", "Qatar?", "en", [_hit(1)], now + 1)) == 1
    await state.put_vote(Vote("k1", 6, -1, "Qatar?", "Qatar?", "en", [_hit(1)], now + 2))
    await state.put_vote(Vote("k2", 5, 1, "Maroc ?", "Maroc ?", "fr", [_hit(4), _hit(5)], now + 3))
    await state.put_vote(Vote("k3", 5, -1, "Jordan?", "Jordan?", "en", [_hit(1)], now + 4))
    counts = await state.vote_counts()
    assert (counts.up, counts.down, counts.answers) == (1, 3, 3)
    assert [q for q, _ in await state.latest_down_votes(10)] == ["Jordan?", "Qatar?"]
    assert [q for q, _ in await state.latest_down_votes(1)] == ["Jordan?"]

    votes = await asyncio.to_thread(read_votes, where)  # blocking, as `citebot feedback export` reads
    assert [(v.key, v.user_id, v.vote) for v in votes] == [("k1", 5, -1), ("k1", 6, -1), ("k2", 5, 1), ("k3", 5, -1)]
    assert votes[2].passages == [_hit(4), _hit(5)] and votes[2].lang == "fr"


async def test_follow_up_context_by_message_and_by_private_chat(state):
    await state.remember_answer_message(GROUP, 2**40, "Kazakhstan Qatar", private=False)
    await state.remember_answer_message(42, 7, "Morocco", private=True)
    await state.remember_answer_message(42, 8, "Morocco Sahara", private=True)  # the chat's latest
    assert await state.query_of_message(GROUP, 2**40) == "Kazakhstan Qatar"
    assert await state.query_of_message(42, 7) == "Morocco"
    assert await state.query_of_message(42, 9) is None
    assert await state.last_private_query(42) == "Morocco Sahara"
    assert await state.last_private_query(GROUP) is None, "a group answer is no private context"
    await state.db.execute("UPDATE last_private SET created = created - 200")
    assert await state.last_private_query(42) is None
    assert await state.last_private_query(42, within=300) == "Morocco Sahara"
    await state.remember_answer_message(42, 7, "Morocco again", private=False)  # the same message, again
    assert await state.query_of_message(42, 7) == "Morocco again"


async def test_the_quota_counts_a_moving_window(state):
    assert [await state.count_question(9, 2) for _ in range(3)] == [True, True, False]
    assert await state.count_question(10, 2), "per user"
    await state.db.execute("UPDATE questions SET asked = asked - 61 WHERE user_id = 9")
    assert await state.count_question(9, 2)


async def test_the_quota_holds_for_questions_at_the_same_moment_on_two_connections(where):
    """Two replicas (two stores, two connections) counting one user's burst: exactly `limit` pass."""
    stores = [StateStore(where), StateStore(where)]
    for store in stores:
        await store.open()
    try:
        counted = await asyncio.gather(*(stores[n % 2].count_question(77, 5) for n in range(24)))
    finally:
        for store in stores:
            await store.close()
    assert sum(counted) == 5


async def test_a_lease_is_held_renewed_cancelled_and_released(state):
    assert await state.take_lease("rebuild", "a", 30)
    assert not await state.take_lease("rebuild", "b", 30)
    assert await state.lease_holder("rebuild") == "a"
    assert await state.renew_lease("rebuild", "a", 30) is Renewal.HELD
    assert await state.renew_lease("rebuild", "b", 30) is Renewal.LOST
    assert await state.ask_lease_cancel("rebuild")
    assert await state.renew_lease("rebuild", "a", 30) is Renewal.CANCEL_ASKED
    await state.release_lease("rebuild", "b")  # not b's to release
    assert await state.lease_holder("rebuild") == "a"
    await state.release_lease("rebuild", "a")
    assert await state.lease_holder("rebuild") is None
    assert not await state.ask_lease_cancel("rebuild"), "nothing runs: nothing to cancel"

    # An expired lease goes to the next taker, and its old holder learns it lost it.
    assert await state.take_lease("rebuild", "c", 0.2)
    await asyncio.sleep(0.3)
    assert await state.lease_holder("rebuild") is None
    assert await state.take_lease("rebuild", "d", 30)
    assert await state.renew_lease("rebuild", "c", 30) is Renewal.LOST
    assert await state.renew_lease("rebuild", "d", 30) is Renewal.HELD, "a new holder starts uncancelled"


async def test_reopening_keeps_everything_and_migrates_once(where):
    store = StateStore(where)
    await store.open()
    key = await store.put_answer(Answer("Qatar", "en", [_hit(1)], None))
    await store.close()
    await store.open()
    try:
        assert (await store.get_answer(key)).hits == [_hit(1)]  # type: ignore[union-attr]
        versions = await store.db.fetchall("SELECT version FROM schema_version ORDER BY version")
        assert [v for (v,) in versions] == list(range(1, LATEST + 1))
        # A newer citebot migrated this database: this one must not write to it.
        await store.db.execute("INSERT INTO schema_version (version, what, applied) VALUES (?, ?, ?)", (99, "x", 0))
    finally:
        await store.close()
    with pytest.raises(StateUnavailable, match="schema version 99, newer than this citebot knows"):
        await StateStore(where).open()

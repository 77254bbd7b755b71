"""Two `citebot serve --webhook` processes on one PostgreSQL and one index, behind a "load balancer"
(the test, posting each update to the replica it picks): either answers any update, one of them
registers the webhook, one /reindex runs at a time across both (and is cancelled from either),
and both answer from the index it publishes.

Which replica sent a reply is never in doubt: an update reaches one replica only, and the other
has nothing to answer.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import aiohttp
import psycopg

from tests.bot.test_bot import QATAR, buttons, passages
from tests.conftest import ADMIN, SEEDS, TOKEN
from tests.replicas import Replica, press_update, replica_env, text_update

GEO = "Kazakhstan Iceland geothermal drilling"


def _own_index(tmp_path: Path, seed_index: Path) -> tuple[Path, Path]:
    """A writable corpus and a copy of the seed index with its vector cache: a rebuild embeds only
    what is new."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    copy = tmp_path / ".index.copy"
    shutil.copytree(seed_index.resolve(), copy)
    index_dir = tmp_path / "index"
    index_dir.symlink_to(copy.name)
    for cache in seed_index.parent.glob(f".{seed_index.name}.vectors-*"):
        shutil.copy(cache, tmp_path / cache.name)
    return corpus, index_dir


async def test_two_replicas_on_one_postgresql_answer_any_update(emulator, seed_index, postgres_url, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    env = replica_env(
        emulator.base_url,
        TOKEN,
        index_dir,
        corpus,
        STATE_URL=postgres_url,
        ADMIN_IDS=str(ADMIN),
        QUESTIONS_PER_MINUTE="3",
        PROGRESS_EDIT_SECONDS="0.2",
        # Renewed every second: a cancel asked on the other replica is seen within that.
        REBUILD_LEASE_SECONDS="6",
    )
    a = Replica("A", env)  # registers the webhook
    b = Replica("B", env | {"WEBHOOK_REGISTER": "false"})  # only listens
    async with aiohttp.ClientSession() as http:
        try:
            await asyncio.gather(a.start(), b.start())
            await asyncio.gather(a.wait_listening(http), b.wait_listening(http))
            await _one_registers(emulator, b)
            await _answers_buttons_follow_ups_and_quotas_cross_replicas(emulator, http, a, b)
            await _one_rebuild_at_a_time_and_both_serve_the_new_index(emulator, http, a, b, corpus, postgres_url)
            await _a_cancel_sent_to_one_replica_stops_the_others_rebuild(emulator, http, a, b, corpus, postgres_url)
        finally:
            codes = await asyncio.gather(a.stop(), b.stop())
    for replica, code in zip((a, b), codes, strict=True):
        assert code == 0, replica.log
        assert "Traceback" not in replica.log and " ERROR " not in replica.log, replica.log


async def _exchange(emulator, http, replica: Replica, chat: int, update: dict):
    """Post `update` to `replica`, as the load balancer would, and wait for the bot's reply in `chat`."""
    start = len(emulator.calls)
    await replica.post(http, update)
    return await emulator.reply_to(chat, after=start)


async def _one_registers(emulator, b: Replica) -> None:
    registered = [c for c in emulator.calls if c.method == "setWebhook"]
    assert len(registered) == 1, emulator.summary()
    assert registered[0].params["url"] == "https://bot.example.org/telegram-hook"
    assert registered[0].params["secret_token"] == "replica-secret-token"
    assert "listening without calling setWebhook" in b.log
    assert not [c for c in emulator.calls if c.method == "deleteWebhook"], "no replica may drop the webhook"


async def _answers_buttons_follow_ups_and_quotas_cross_replicas(emulator, http, a: Replica, b: Replica) -> None:
    user = emulator.user(71)
    answer = await _exchange(emulator, http, a, 71, text_update(emulator, 71, user, QATAR))
    assert "001_c0a4decbc27cb472.txt" in passages(answer.params["text"])[0]
    message = emulator.messages[(71, answer.result["message_id"])]

    # A's answer, its More button pressed on B: B reads the answer A kept.
    more = next(x for x in buttons(answer) if x["text"].startswith("More"))
    page = await _exchange(emulator, http, b, 71, press_update(user, message, more["callback_data"]))
    assert "<b>[4]</b>" in page.params["text"] and "<b>[1]</b>" not in page.params["text"]

    # A reply to A's answer, on B: a follow-up of A's question (question 2 of the 3 a minute).
    followed = await _exchange(emulator, http, b, 71, text_update(emulator, 71, user, "And Jordan?", reply_to=message))
    assert f"↪ following: <i>{QATAR}</i>" in followed.params["text"]

    # The quota counts on both: the third question (on A) is answered, the fourth (on B) refused.
    talibans = "Qu'a décidé le Kazakhstan au sujet des talibans ?"
    third = await _exchange(emulator, http, a, 71, text_update(emulator, 71, user, talibans))
    assert "<b>[1]</b>" in third.params["text"]
    fourth = await _exchange(emulator, http, b, 71, text_update(emulator, 71, user, QATAR))
    assert "3 questions in the last minute" in fourth.params["text"]


async def _one_rebuild_at_a_time_and_both_serve_the_new_index(
    emulator, http, a: Replica, b: Replica, corpus: Path, postgres_url: str
) -> None:
    _article(corpus / "geo_001.txt")
    admin = emulator.user(ADMIN)
    status = await _exchange(emulator, http, a, ADMIN, text_update(emulator, ADMIN, admin, "/reindex"))
    assert "Rebuilding" in status.params["text"]

    # A holds the claim: the same command on B is refused while A's build runs.
    refused = await _exchange(emulator, http, b, ADMIN, text_update(emulator, ADMIN, admin, "/reindex"))
    assert "A rebuild is already running" in refused.params["text"]

    summary = await emulator.wait_for(lambda c: "Index rebuilt" in str(c.params.get("text")), timeout=300)
    assert summary.method == "editMessageText" and refused.at < summary.at
    assert str(summary.params["message_id"]) == str(status.result["message_id"]), "A's own status message"
    await _released(postgres_url)

    # B never loaded anything by itself: it sees the index A's rebuild published at its next answer.
    for replica, chat in ((b, 72), (a, 73)):
        answer = await _exchange(emulator, http, replica, chat, text_update(emulator, chat, emulator.user(chat), GEO))
        assert "geo_001.txt" in passages(answer.params["text"])[0], replica.name


async def _a_cancel_sent_to_one_replica_stops_the_others_rebuild(
    emulator, http, a: Replica, b: Replica, corpus: Path, postgres_url: str
) -> None:
    _article(corpus / "geo_002.txt")
    admin = emulator.user(ADMIN)
    # B may hold it now A released it.
    status = await _exchange(emulator, http, b, ADMIN, text_update(emulator, ADMIN, admin, "/reindex"))
    assert "Rebuilding" in status.params["text"]
    start = len(emulator.calls)
    await a.post(http, text_update(emulator, ADMIN, admin, "/reindex cancel"))
    assert "Stopping the rebuild" in (await emulator.reply_to(ADMIN, after=start)).params["text"]
    ended = await emulator.wait_for(
        lambda c: (
            c.method == "editMessageText"
            and str(c.params["message_id"]) == str(status.result["message_id"])
            and ("cancelled" in c.params["text"] or "rebuilt" in c.params["text"])
        ),
        timeout=300,
        after=start,
    )
    assert "Rebuild cancelled" in ended.params["text"]
    await _released(postgres_url)


def _article(path: Path) -> None:
    body = " ".join(
        f"Officials from Astana and Reykjavik discussed geothermal energy, project {i}, and agreed to share "
        "drilling expertise before the end of the year."
        for i in range(6)
    )
    path.write_text(
        f"Kazakhstan and Iceland sign a geothermal agreement\n\n date 2026-05-04\n\n{body}\n", encoding="utf-8"
    )


async def _released(url: str) -> None:
    """The claim's lease is deleted just after the summary: a next /reindex, anywhere, may start."""
    for _ in range(100):
        with psycopg.connect(url) as db:
            if db.execute("SELECT count(*) FROM leases").fetchone()[0] == 0:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the rebuild claim was never released")

"""The real bot (Application, Bot API emulator) on INDEX_BACKEND=milvus: it answers from Milvus, and
an admin's /reindex builds into the same Milvus, whose new build the next answer comes from."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from index.build.sharded import build_milvus
from index.store.milvus import MilvusStore
from index.store.milvus_lite import LiteServer
from tests.bot.test_bot import QATAR, passages
from tests.conftest import ADMIN, SEEDS, bot_settings, running_bot
from tests.store.conftest import with_vectors_of

QATAR_ARTICLE = "001_c0a4decbc27cb472.txt"


async def test_the_bot_answers_from_milvus_and_its_reindex_builds_there(
    emulator, milvus: LiteServer, seed_index: Path, tmp_path: Path, asked
):
    corpus, index = tmp_path / "corpus", with_vectors_of(seed_index, tmp_path / "index")
    shutil.copytree(SEEDS, corpus)
    store = MilvusStore(milvus.uri, "bot")
    await asyncio.to_thread(build_milvus, corpus, index, asked, 2_000_000, store)
    first = store.live()
    backend = {"INDEX_BACKEND": "milvus", "MILVUS_URI": milvus.uri, "MILVUS_COLLECTION": "bot"}
    async with running_bot(bot_settings(emulator.base_url, index, corpus, **backend), asked):
        emulator.send_text(31, emulator.user(31), QATAR)
        answer = await emulator.reply_to(31)
        assert QATAR_ARTICLE in passages(answer.params["text"])[0]

        (corpus / QATAR_ARTICLE).unlink()
        emulator.send_text(ADMIN, emulator.user(ADMIN), "/reindex")
        await emulator.wait_for(lambda c: "Index rebuilt" in str(c.params.get("text")), timeout=300)
        rebuilt = store.live()
        assert rebuilt is not None and first is not None and rebuilt.previous == first.build
        after = len(emulator.calls)
        emulator.send_text(31, emulator.user(31), QATAR)
        again = await emulator.reply_to(31, after=after)
        assert QATAR_ARTICLE not in again.params["text"]
    assert not (index / "manifest.json").exists(), "nothing was built on disk: the index is in Milvus"

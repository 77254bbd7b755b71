"""Changing the corpus from Telegram through the emulator: /remove, and documents sent by an admin."""

from __future__ import annotations

import shutil

from tests.conftest import ADMIN, bot_settings, running_bot
from tests.test_reindex import _idle, _own_index

REMOVED = "001_c0a4decbc27cb472.txt"


async def _sources_text(emulator, chat_id: int) -> str:
    after = len(emulator.calls)
    emulator.send_text(chat_id, emulator.user(chat_id), "/sources")
    reply = await emulator.reply_to(chat_id, after=after)
    return reply.params["text"]


async def test_remove_moves_the_file_aside_and_reindex_restores_it(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    settings = bot_settings(emulator.base_url, index_dir, corpus)
    async with running_bot(settings, embedder) as application:
        admin = emulator.user(ADMIN)
        assert REMOVED in await _sources_text(emulator, ADMIN)

        emulator.send_text(31, emulator.user(31), f"/remove {REMOVED}")
        refused = await emulator.reply_to(31)
        assert "only the bot's admins" in refused.params["text"] and (corpus / REMOVED).exists()

        for bad, expected in (
            ("../x.txt", "not a plain file name"),
            ("/etc/passwd", "not a plain file name"),
            ("nope.txt", "no file"),
        ):
            after = len(emulator.calls)
            emulator.send_text(ADMIN, admin, f"/remove {bad}")
            assert expected in (await emulator.reply_to(ADMIN, after=after)).params["text"]

        after = len(emulator.calls)
        emulator.send_text(ADMIN, admin, f"/remove {REMOVED}")
        moved = await emulator.reply_to(ADMIN, after=after)
        assert "Moved" in moved.params["text"]
        await emulator.wait_for(lambda c: "Index rebuilt: 4 documents" in str(c.params.get("text")), 120, after)
        await _idle(application)
        assert not (corpus / REMOVED).exists() and (tmp_path / "removed" / REMOVED).is_file()
        assert REMOVED not in await _sources_text(emulator, ADMIN)

        shutil.move(tmp_path / "removed" / REMOVED, corpus / REMOVED)
        after = len(emulator.calls)
        emulator.send_text(ADMIN, admin, "/reindex")
        await emulator.wait_for(lambda c: "Index rebuilt: 5 documents" in str(c.params.get("text")), 120, after)
        await _idle(application)
        assert REMOVED in await _sources_text(emulator, ADMIN)

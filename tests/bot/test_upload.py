"""Changing the corpus from Telegram through the emulator: /remove, and documents sent by an admin."""

from __future__ import annotations

import re
import shutil
import tomllib

from tests import bombs
from tests.bot.test_bot import passages
from tests.bot.test_reindex import _idle, _own_index
from tests.conftest import ADMIN, SEEDS, bot_settings, running_bot

REMOVED = "001_c0a4decbc27cb472.txt"


async def _sources_text(emulator, chat_id: int) -> str:
    after = len(emulator.calls)
    emulator.send_text(chat_id, emulator.user(chat_id), "/sources")
    reply = await emulator.reply_to(chat_id, after=after)
    return reply.params["text"]


async def test_remove_moves_the_file_aside_and_reindex_restores_it(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    metadata = f'# written by hand\n["{REMOVED}"]\ntitle = "Restored headline"\n'
    (corpus / "metadata.toml").write_text(metadata, encoding="utf-8")
    settings = bot_settings(emulator.base_url, index_dir, corpus, TELEGRAM_FILE_URL=emulator.file_url)
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
            ("metadata.toml", "no file"),
            ("a\x00b.txt", "not a plain file name"),
            ("0" * 300 + ".txt", "not a plain file name"),
        ):
            after = len(emulator.calls)
            emulator.send_text(ADMIN, admin, f"/remove {bad}")
            assert expected in (await emulator.reply_to(ADMIN, after=after)).params["text"]

        after = len(emulator.calls)
        emulator.send_text(ADMIN, admin, f"/remove {REMOVED}")
        moved = await emulator.reply_to(ADMIN, after=after)
        assert "Moved" in moved.params["text"] and "metadata.toml entry, if any, is kept" in moved.params["text"]
        await emulator.wait_for(lambda c: "Index rebuilt: 4 documents" in str(c.params.get("text")), 120, after)
        await _idle(application)
        assert not (corpus / REMOVED).exists() and (tmp_path / "removed" / REMOVED).is_file()
        # The entry stays for when the file comes back; a new file of that name may not inherit it.
        assert (corpus / "metadata.toml").read_text(encoding="utf-8") == metadata
        assert REMOVED not in await _sources_text(emulator, ADMIN)
        after = len(emulator.calls)
        emulator.send_document(ADMIN, admin, REMOVED, b"A different article\n\nSome other text.\n")
        refused = await emulator.reply_to(ADMIN, after=after)
        assert "metadata.toml already has an entry" in refused.params["text"] and not (corpus / REMOVED).exists()

        shutil.move(tmp_path / "removed" / REMOVED, corpus / REMOVED)
        after = len(emulator.calls)
        emulator.send_text(ADMIN, admin, "/reindex")
        await emulator.wait_for(lambda c: "Index rebuilt: 5 documents" in str(c.params.get("text")), 120, after)
        await _idle(application)
        listed = await _sources_text(emulator, ADMIN)
        assert REMOVED in listed and "Restored headline" in listed


GEO_TXT = (
    "Kazakhstan and Iceland sign a geothermal agreement\n\n date 2026-05-03\n\n"
    + " ".join(
        f"Officials from Astana and Reykjavik discussed geothermal energy, round {i}, and agreed to share "
        "drilling expertise before the end of the year."
        for i in range(6)
    )
    + "\n"
)
SALT_HTML = (
    "<!DOCTYPE html><html><head><title>Bolivia opens a lithium plant on the Uyuni salt flat</title>"
    '<meta property="article:published_time" content="2026-04-12"></head><body><article>'
    "<h1>Bolivia opens a lithium plant on the Uyuni salt flat</h1>"
    + "".join(
        f"<p>The state company said the plant at the Uyuni salt flat will produce lithium carbonate for batteries, "
        f"phase {i}, with brine pumped from the salar.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
)


async def _upload(emulator, application, chat_id: int, name: str, data: bytes) -> str:
    after = len(emulator.calls)
    emulator.send_document(chat_id, emulator.user(chat_id), name, data)
    summary = await emulator.wait_for(lambda c: "New article" in str(c.params.get("text")), 120, after)
    await _idle(application)
    return summary.params["text"]


async def test_admin_uploads_are_indexed_and_answered(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    settings = bot_settings(emulator.base_url, index_dir, corpus, TELEGRAM_FILE_URL=emulator.file_url)
    async with running_bot(settings, embedder) as application:
        summary = await _upload(emulator, application, ADMIN, "geo.txt", GEO_TXT.encode())
        assert "Index rebuilt: 6 documents" in summary
        assert (
            "<i>Kazakhstan and Iceland sign a geothermal agreement</i> · <code>geo.txt</code> · 2026-05-03" in summary
        )
        assert re.search(r"Chunks indexed: [1-9]\d*$", summary)
        assert (corpus / "geo.txt").read_text(encoding="utf-8") == GEO_TXT

        emulator.send_text(41, emulator.user(41), "Kazakhstan Iceland geothermal drilling")
        assert "geo.txt" in passages((await emulator.reply_to(41)).params["text"])[0]

        summary = await _upload(emulator, application, ADMIN, "lithium.html", SALT_HTML.encode())
        assert "<i>Bolivia opens a lithium plant on the Uyuni salt flat</i> · <code>lithium.html</code> ·" in summary
        assert "Index rebuilt: 7 documents" in summary and "date unknown" not in summary
        emulator.send_text(42, emulator.user(42), "lithium plant at the Uyuni salt flat")
        assert "lithium.html" in passages((await emulator.reply_to(42)).params["text"])[0]
        assert not list(corpus.glob(".upload-*"))

        after = len(emulator.calls)
        caption = 'title: Rabat "hosts" a water forum\ndate: 2025-02\nurl: https://example.org/forum?a=1&b=2'
        emulator.send_document(
            ADMIN, emulator.user(ADMIN), "forum.md", b"# Untitled\n\nWater ministers met.\n", caption=caption
        )
        summary = (await emulator.wait_for(lambda c: "New article" in str(c.params.get("text")), 120, after)).params[
            "text"
        ]
        await _idle(application)
        assert (
            '<i>Rabat "hosts" a water forum</i> · <code>forum.md</code> · February 2025 · '
            '<a href="https://example.org/forum?a=1&amp;b=2">link</a>'
        ) in summary
        assert tomllib.loads((corpus / "metadata.toml").read_text(encoding="utf-8"))["forum.md"] == {
            "title": 'Rabat "hosts" a water forum',
            "date": "2025-02",
            "url": "https://example.org/forum?a=1&b=2",
        }


async def test_refused_uploads_write_nothing(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    before = sorted(p.name for p in corpus.iterdir())
    settings = bot_settings(
        emulator.base_url, index_dir, corpus, TELEGRAM_FILE_URL=emulator.file_url, MAX_FILE_BYTES=50_000
    )
    async with running_bot(settings, embedder) as application:
        emulator.send_document(43, emulator.user(43), "geo.txt", GEO_TXT.encode())
        assert "only the bot's admins can add articles" in (await emulator.reply_to(43)).params["text"]

        seed = sorted(SEEDS.glob("*.txt"))[0]
        cases = [
            ("big.txt", b"x" * 60_000, None, "the limit is 50000 bytes"),
            ("announced.txt", b"small", 10_000_000, "the limit is 50000 bytes"),
            ("copy.txt", seed.read_bytes(), None, f"already holds this very file, as <code>{seed.name}</code>"),
            ("../../etc/passwd.txt", b"root:x:0:0", None, "not a plain file name"),
            ("x\x00.txt", b"a NUL in the name", None, "not a plain file name"),
            ("y" * 300 + ".txt", b"a name over 255 bytes", None, "not a plain file name"),
            ("page.html", b"just some words", None, "does not hold a readable HTML file"),
            ("paper.pdf", b"not a pdf", None, "does not hold a readable PDF file"),
            ("binary.txt", b"\xff\xfe\x00bad", None, "does not hold a readable TXT file"),
            ("script.exe", b"MZ", None, "not a kind of file I index"),
        ]
        for caption in ("date: someday", "author: me", "url: ftp://x"):
            cases.append(("captioned.txt", GEO_TXT.encode(), None, f"caption line <code>{caption}</code>"))
        for name, data, size, expected in cases:
            after = len(emulator.calls)
            caption = expected.partition("<code>")[2].partition("</code>")[0] if "caption" in expected else ""
            emulator.send_document(ADMIN, emulator.user(ADMIN), name, data, file_size=size, caption=caption)
            reply = await emulator.reply_to(ADMIN, after=after)
            assert expected in reply.params["text"], (name, reply.params["text"])
        assert application.bot_data.rebuilding is None
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert not (tmp_path / "etc").exists() and not (corpus.parent.parent / "etc" / "passwd.txt").exists()


async def test_bombs_sent_as_uploads_are_refused_and_nothing_is_saved(emulator, seed_index, embedder, tmp_path):
    """A file under MAX_FILE_BYTES that unpacks to far more is refused before it is saved, in the
    admin's language, with the limit it passes and by how much."""
    corpus, index_dir = _own_index(tmp_path, seed_index)
    before = sorted(p.name for p in corpus.iterdir())
    settings = bot_settings(emulator.base_url, index_dir, corpus, TELEGRAM_FILE_URL=emulator.file_url)
    async with running_bot(settings, embedder) as application:
        cases = [
            ("en", "bomb.docx", bombs.docx_bomb(), "unpacks to 301 MB, more than the 20 MB allowed"),
            ("fr", "bombe.docx", bombs.docx_bomb(), "se décompresse en 301 Mo, plus que les 20 Mo permis"),
            ("fr", "pages.pdf", bombs.pdf_pages(), "compte 2\u202f000 pages ; la limite est de 300 (MAX_PDF_PAGES)"),
            ("en", "deep.html", bombs.deep_html(), "nests its elements at least 256 deep; the limit is 200"),
        ]
        for lang, name, data, expected in cases:
            after = len(emulator.calls)
            emulator.send_document(ADMIN, emulator.user(ADMIN, lang), name, data)
            reply = await emulator.reply_to(ADMIN, after=after)
            assert expected in reply.params["text"], (name, reply.params["text"])
            assert ("Nothing was saved" if lang == "en" else "Rien n’a été enregistré") in reply.params["text"]
        assert application.bot_data.rebuilding is None
    assert sorted(p.name for p in corpus.iterdir()) == before

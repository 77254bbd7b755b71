"""Admins adding articles through the emulator: one file of each format, and links served by a local site."""

from __future__ import annotations

import asyncio
import io
import socket
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import docx
import httpx
import pytest
from aiohttp import web
from fpdf import FPDF

from bot.link_fetch import FetchedPage, LinkError, fetch_page
from index.ingest.corpus_changes import name_for_link, page_as_utf8, same_url
from tests.bot.test_bot import passages
from tests.bot.test_reindex import _idle, _own_index
from tests.conftest import ADMIN, bot_settings, running_bot


def _sentences(subject: str, detail: str, count: int = 6) -> list[str]:
    return [f"{subject} {detail}, step {i}, according to the officials who signed the text." for i in range(count)]


MD = (
    "# Chile and Estonia sign a seaweed biofuel pact\n\n date 2026-02-14\n\n"
    + "\n\n".join(_sentences("Chilean and Estonian researchers will turn kelp and seaweed into biofuel", "at sea"))
    + "\n"
).encode()

NAV = "".join(f'<li><a href="/section/{n}">Section {n} menu link</a></li>' for n in range(12))
HTML = (
    "<!DOCTYPE html><html><head><title>Nepal builds a glacier monitoring station | Daily Wire</title>"
    '<meta property="og:title" content="Nepal builds a glacier monitoring station">'
    '<meta property="article:published_time" content="2026-01-22T08:30:00Z"></head><body>'
    f"<nav><ul>{NAV}</ul></nav><article><h1>Nepal builds a glacier monitoring station</h1>"
    + "".join(
        f"<p>{s}</p>"
        for s in _sentences("Sherpa guides and hydrologists will watch the Khumbu glacier melt", "from the station")
    )
    + "</article><footer>Subscribe to our newsletter. Copyright Daily Wire.</footer></body></html>"
).encode()


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.set_title("Uruguay opens a wind turbine blade factory")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    body = " ".join(_sentences("The Uruguayan plant in Paysandu will mould wind turbine blades", "from fibreglass"))
    pdf.multi_cell(0, 8, "date 2025-12\n\n" + body)
    return bytes(pdf.output())


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("Ghana and Finland launch a cocoa traceability project", level=1)
    document.add_paragraph("date 2025-11-03")
    for sentence in _sentences(
        "Ghanaian cocoa farmers will tag each bean sack with a Finnish tracking chip", "in Kumasi"
    ):
        document.add_paragraph(sentence)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def _added(emulator, application, after: int) -> str:
    summary = await emulator.wait_for(lambda c: "New article" in str(c.params.get("text")), 120, after)
    await _idle(application)
    return summary.params["text"]


async def _ask(emulator, chat_id: int, question: str) -> str:
    after = len(emulator.calls)
    emulator.send_text(chat_id, emulator.user(chat_id), question)
    return (await emulator.reply_to(chat_id, after=after)).params["text"]


async def test_admin_uploads_each_format_and_it_answers(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    settings = bot_settings(emulator.base_url, index_dir, corpus, TELEGRAM_FILE_URL=emulator.file_url)
    cases = [
        (
            "seaweed.md",
            MD,
            "<i>Chile and Estonia sign a seaweed biofuel pact</i> · <code>seaweed.md</code> · 2026-02-14",
            "Chile Estonia seaweed kelp biofuel",
        ),
        (
            "glacier.html",
            HTML,
            "<i>Nepal builds a glacier monitoring station</i> · <code>glacier.html</code> · 2026-01-22",
            "Khumbu glacier melt monitoring station",
        ),
        (
            "blades.pdf",
            _pdf(),
            "<i>Uruguay opens a wind turbine blade factory</i> · <code>blades.pdf</code> · December 2025",
            "wind turbine blades factory in Paysandu",
        ),
        (
            "cocoa.docx",
            _docx(),
            "<i>Ghana and Finland launch a cocoa traceability project</i> · <code>cocoa.docx</code> · 2025-11-03",
            "cocoa bean sack tracking chip Ghana",
        ),
    ]
    async with running_bot(settings, embedder) as application:
        for n, (name, data, citation, question) in enumerate(cases, start=1):
            after = len(emulator.calls)
            emulator.send_document(ADMIN, emulator.user(ADMIN), name, data)
            summary = await _added(emulator, application, after)
            assert citation in summary, summary
            assert f"Index rebuilt: {5 + n} documents" in summary
            assert (corpus / name).read_bytes() == data
            assert name in passages(await _ask(emulator, 60 + n, question))[0]
        stored = application.bot_data.service.current().stored
        glacier = next(d for d in stored.documents if d.source == "glacier.html")
        page_text = " ".join(c.text for c in stored.chunks if c.doc_id == glacier.id)
        assert "Khumbu" in page_text and "menu link" not in page_text and "newsletter" not in page_text


# Links ------------------------------------------------------------------------------------

ARTICLE_PATH = "/news/2026/mongolia-copper-rail-corridor.html"
LINK_HTML = (
    "<!DOCTYPE html><html><head><title>Mongolia opens a copper rail corridor</title>"
    '<meta property="article:published_time" content="2026-03-18"></head><body>'
    f"<nav><ul>{NAV}</ul></nav><article><h1>Mongolia opens a copper rail corridor</h1>"
    + "".join(
        f"<p>{s}</p>" for s in _sentences("Freight trains will carry copper concentrate from Oyu Tolgoi", "to China")
    )
    + "</article></body></html>"
)
BIG_PIECE = b"<p>" + b"filler words " * 770 + b"</p>"  # about 10 kB


@asynccontextmanager
async def serving_site(requests: list[str]) -> AsyncIterator[str]:
    """A small web site on 127.0.0.1: an article, a slow page, a huge one, an image, a 404, a script-built page."""

    async def article(request: web.Request) -> web.Response:
        return web.Response(text=LINK_HTML, content_type="text/html", charset="utf-8")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text=LINK_HTML, content_type="text/html")

    async def huge(request: web.Request) -> web.StreamResponse:
        # Chunked, no Content-Length: only counting while reading can stop it.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<!DOCTYPE html><html><body>")
        for _ in range(20):
            await response.write(BIG_PIECE)
        await response.write_eof()
        return response

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, content_type="image/png")

    async def bare(request: web.Request) -> web.Response:
        # A page built by JavaScript: nothing to read without running it.
        shell = (
            '<html><head><title>Home</title></head><body><div id="app"></div><script>render()</script></body></html>'
        )
        return web.Response(text=shell, content_type="text/html")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(ARTICLE_PATH)

    @web.middleware
    async def record(request: web.Request, handler):
        requests.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[record])
    app.router.add_get(ARTICLE_PATH, article)
    app.router.add_get("/go", moved)
    app.router.add_get("/slow", slow)
    app.router.add_get("/huge", huge)
    app.router.add_get("/logo.png", image)
    app.router.add_get("/bare", bare)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_admin_adds_a_link_and_bad_links_write_nothing(emulator, seed_index, embedder, tmp_path):
    corpus, index_dir = _own_index(tmp_path, seed_index)
    # The test site is on 127.0.0.1: a private address, refused unless allowed (see the test below).
    settings = bot_settings(
        emulator.base_url,
        index_dir,
        corpus,
        LINK_TIMEOUT_SECONDS=1,
        MAX_FILE_BYTES=50_000,
        LINK_ALLOW_PRIVATE_ADDRESSES=True,
    )
    requests: list[str] = []
    async with serving_site(requests) as site, running_bot(settings, embedder) as application:
        admin = emulator.user(ADMIN)
        initial = sorted(p.name for p in corpus.iterdir())

        # Anyone else's bare link is refused before anything is fetched; with words it is a question.
        refusal = await _ask(emulator, 51, f"{site}{ARTICLE_PATH}")
        assert "only the bot's admins can add articles from a link" in refusal
        answer = await _ask(emulator, 52, f"{site}{ARTICLE_PATH}\nWhat did Kazakhstan say about Qatar?")
        assert "only the bot's admins" not in answer and passages(answer)
        assert requests == [] and sorted(p.name for p in corpus.iterdir()) == initial

        after = len(emulator.calls)
        emulator.send_text(ADMIN, admin, f"{site}{ARTICLE_PATH}")
        summary = await _added(emulator, application, after)
        saved = "mongolia-copper-rail-corridor.html"
        # "typing…" while the page is fetched, before any reply.
        methods = [c.method for c in emulator.calls[after:] if c.method in ("sendChatAction", "sendMessage")]
        assert methods[0] == "sendChatAction", methods
        assert [c.params["action"] for c in emulator.calls[after:] if c.method == "sendChatAction"] == ["typing"]
        assert f"saved it as <code>{saved}</code>" in str([c.params.get("text") for c in emulator.calls[after:]])
        assert f"<i>Mongolia opens a copper rail corridor</i> · <code>{saved}</code> · 2026-03-18" in summary
        assert f'<a href="{site}{ARTICLE_PATH}">link</a>' in summary
        assert (corpus / saved).read_text(encoding="utf-8") == LINK_HTML
        # The page names no canonical URL: the address it came from is kept beside it.
        assert tomllib.loads((corpus / "metadata.toml").read_text(encoding="utf-8")) == {
            saved: {"url": f"{site}{ARTICLE_PATH}"}
        }
        assert saved in passages(await _ask(emulator, 53, "copper concentrate trains from Oyu Tolgoi"))[0]

        before = sorted(p.name for p in corpus.iterdir())
        metadata = (corpus / "metadata.toml").read_text(encoding="utf-8")
        cases = [
            (
                f"{site}{ARTICLE_PATH}",
                f"already holds the article at <code>{site}{ARTICLE_PATH}</code>, as <code>{saved}",
            ),
            (f"{site}/slow", "did not answer within 1 s (LINK_TIMEOUT_SECONDS)"),
            (f"{site}/huge", "is larger than 50000 bytes (MAX_FILE_BYTES)"),
            (f"{site}/logo.png", "is not a web page (image/png)"),
            (f"{site}/missing", "answered <code>" + f"{site}/missing</code> with an error (404 Not Found)"),
            (f"{site}/bare", "found no article text"),
            (f"http://127.0.0.1:{_closed_port()}/x", "could not reach"),
            (f"{site}{ARTICLE_PATH.replace('.html', '-b.html')}\ndate: someday", "caption line <code>date: someday"),
        ]
        for link, expected in cases:
            after = len(emulator.calls)
            emulator.send_text(ADMIN, admin, link)
            reply = await emulator.reply_to(ADMIN, after=after)
            assert expected in reply.params["text"], (link, reply.params["text"])
            assert application.bot_data.rebuilding is None
        assert sorted(p.name for p in corpus.iterdir()) == before
        assert (corpus / "metadata.toml").read_text(encoding="utf-8") == metadata

        # In French too.
        after = len(emulator.calls)
        emulator.send_text(ADMIN, emulator.user(ADMIN, language_code="fr"), f"{site}/slow")
        assert "n’a pas répondu en 1 s" in (await emulator.reply_to(ADMIN, after=after)).params["text"]


async def test_fetch_follows_redirects_to_the_final_address():
    requests: list[str] = []
    async with serving_site(requests) as site:
        page = await fetch_page(f"{site}/go", timeout=5, max_bytes=100_000, allow_private=True)
    assert (page.url, page.content_type, page.charset) == (f"{site}{ARTICLE_PATH}", "text/html", "utf-8")
    assert page.data.decode("utf-8") == LINK_HTML and requests == ["/go", ARTICLE_PATH]


async def test_a_link_to_a_private_address_is_refused_before_anything_is_fetched(
    emulator, seed_index, embedder, tmp_path
):
    """A fetched page joins what every user can search: an internal page must not get in by a link."""
    corpus, index_dir = _own_index(tmp_path, seed_index)
    requests: list[str] = []
    async with (
        serving_site(requests) as site,
        running_bot(bot_settings(emulator.base_url, index_dir, corpus), embedder),
    ):
        initial = sorted(p.name for p in corpus.iterdir())
        after = len(emulator.calls)
        emulator.send_text(ADMIN, emulator.user(ADMIN), f"{site}{ARTICLE_PATH}")
        reply = (await emulator.reply_to(ADMIN, after=after)).params["text"]
        assert "leads to an address that is not public (127.0.0.1)" in reply, reply
        assert "LINK_ALLOW_PRIVATE_ADDRESSES" in reply and "nothing was saved" in reply
        assert requests == [] and sorted(p.name for p in corpus.iterdir()) == initial


async def test_a_public_page_redirecting_to_a_private_address_is_refused_at_the_redirect():
    seen: list[str] = []

    def internet(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"})

    with pytest.raises(LinkError) as refused:
        await fetch_page(
            "http://93.184.216.34/news", timeout=5, max_bytes=1000, transport=httpx.MockTransport(internet)
        )
    assert (refused.value.kind, refused.value.detail) == ("private_address", "127.0.0.1")
    assert seen == ["http://93.184.216.34/news"]
    for url, detail in [
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]:8000/", "::1"),
        ("http://10.0.0.7/intranet", "10.0.0.7"),
        ("http://localhost:9/x", "localhost = "),
    ]:
        with pytest.raises(LinkError) as refused:
            await fetch_page(url, timeout=5, max_bytes=1000, transport=httpx.MockTransport(internet))
        assert refused.value.kind == "private_address" and refused.value.detail.startswith(detail), url
    assert seen == ["http://93.184.216.34/news"]


def test_a_link_is_named_from_its_path_or_its_title():
    taken = {"kazakh-solar.html", "kazakh-solar-2.html"}.__contains__
    assert name_for_link("https://x.org/news/Kazakh-Solar.html?id=3", "Title", taken) == "kazakh-solar-3.html"
    assert name_for_link("https://x.org/a/123456", "Rabat hosts a forum", taken) == "rabat-hosts-a-forum.html"
    assert name_for_link("https://x.org/", "Élections à Almaty", taken) == "elections-a-almaty.html"
    assert name_for_link("https://x.org/index.php", "", taken) == "x-org.html"
    assert name_for_link("https://x.org/..%2F..%2Fetc%2Fpasswd", "", taken) == "passwd.html"
    assert same_url("HTTPS://X.org/a/b/#top") == same_url("https://x.org/a/b") != same_url("https://x.org/a/b?p=2")


def test_a_page_in_latin1_is_saved_as_utf8_and_a_utf8_page_as_sent():
    latin = "<html><body><p>Élu à Astana, l’accord</p></body></html>"
    page = FetchedPage(latin.encode("cp1252"), "https://x.org/a", "text/html", "iso-8859-1")
    assert page_as_utf8(page).decode("utf-8") == latin.replace("’", "\x92")  # ISO-8859-1 has no curly quote
    page = FetchedPage(latin.encode("cp1252"), "https://x.org/a", "text/html", None)
    assert page_as_utf8(page).decode("utf-8") == latin
    page = FetchedPage(latin.encode("utf-8"), "https://x.org/a", "text/html", "iso-8859-1")
    assert page_as_utf8(page) == latin.encode("utf-8")


def test_a_page_declaring_its_charset_in_a_meta_tag_is_read_in_it():
    body = "<p>Казахстан и ОАЭ подписали соглашение</p></body></html>"
    for head in (
        '<html><head><meta charset="windows-1251">',
        "<html><head><META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=windows-1251'>",
    ):
        page = FetchedPage((head + body).encode("cp1251"), "https://x.ru/a", "text/html", None)
        assert page_as_utf8(page).decode("utf-8") == head + body
    # The server's charset wins over the page's; an unknown one falls back to the next.
    page = FetchedPage(('<meta charset="koi8-r">' + body).encode("cp1251"), "https://x.ru/a", "text/html", "cp1251")
    assert "Казахстан" in page_as_utf8(page).decode("utf-8")
    page = FetchedPage(('<meta charset="no-such">' + body).encode("cp1251"), "https://x.ru/a", "text/html", None)
    assert page_as_utf8(page).decode("utf-8") == ('<meta charset="no-such">' + body).encode("cp1251").decode("cp1252")

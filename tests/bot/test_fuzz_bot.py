"""Fuzzing through the real bot (hypothesis): the real Application polls the Bot API emulator over HTTP
and answers generated updates: message texts (any Unicode, control characters, right-to-left marks,
4,096 characters, entities anywhere: past the end, negative, cutting an emoji in half), captions,
callback data (forged, stale, another user's, after a restart), inline queries, file names (`../`,
NUL, 255 bytes and over, look-alikes) and document bytes under each supported suffix.

Properties, checked once the bot has finished handling each update (python-telegram-bot's
`process_update` returned, error handler included; no waiting for a silence to last):
- it got its answer (a sendMessage to its chat, an answerCallbackQuery or answerInlineQuery with its
  id), accepted by the emulator's Telegram checks; or a deliberate silence, which is only: a group
  text neither mentioning the bot nor replying to it, a text from a bot in a private chat, a group
  document, an edited message, a channel post, a message from no person (a bot, an anonymous group
  admin). A command from a bot, or in a group, may get either (the CommandHandler reads it).
- no record of level ERROR was logged (the error handler logs every unhandled exception);
- the state file passes `PRAGMA integrity_check`; the corpus folder holds the seeds and exactly the
  uploads the bot said it saved, byte for byte, nothing else (no folder, no temporary file), and
  metadata.toml names exactly the uploads saved with a caption.
At the end, every answer kept in the state file reads back through the StateStore (after a restart).

hypothesis does not drive async tests: the emulator and the Application run in a thread of their
own with their own event loop (one per module), and each example submits its update there and waits.

Profiles (tests/conftest.py): `dev` by default, `ci` when CI=true (the same examples every run), both
about 20 s on two shared cores (the session's embedder and seed index aside); `long` by hand, 40 times
as many examples, 12 to 18 minutes (see the README's test paragraph):
    HYPOTHESIS_PROFILE=long python -m pytest -q tests/bot/test_fuzz_bot.py
"""

from __future__ import annotations

import asyncio
import html
import io
import itertools
import logging
import shutil
import sqlite3
import threading
import time
import tomllib
import zipfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.rebuild import RebuildJob
from bot.state import read_votes
from bot.texts import text as bot_text
from index.ingest.corpus_changes import ALLOWED_SUFFIXES
from index.ingest.sidecar import SIDECAR_NAME, read_sidecar
from tests.bot_api_emulator import BotApiEmulator, Call
from tests.conftest import ADMIN, HYPOTHESIS_PROFILE, SEEDS, TOKEN, bot_settings, running_bot

LONG_FACTOR = 40


def fuzz(examples: int) -> settings:
    """`examples` per test (dev and ci), 40 times as many in the long profile; deadline, database and
    derandomizing come from the profile loaded by tests/conftest.py."""
    return settings(
        max_examples=examples * (LONG_FACTOR if HYPOTHESIS_PROFILE == "long" else 1),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


BOT_ID = 4242
BOT_MENTION = "@citebot_test_bot"
# Fresh ids per example, so each answer is told apart by its chat (and no quota carries over).
_ADMIN_POOL = range(600_000, 610_000)
_USERS = itertools.count(100_000)
_GROUPS = itertools.count(-1_000_000_000, -1)
ANSWER_TIMEOUT = 90.0
QUESTIONS = [
    "What did Kazakhstan say about Qatar?",
    "Qu'a décidé le Kazakhstan au sujet des talibans ?",
    "Kazakhstan UN Security Council",
]


# The running bot -------------------------------------------------------------------------------


# Loggers whose ERROR records are failures: the bot's, the index's, python-telegram-bot's, asyncio's
# (a task's exception never retrieved) and the root. trafilatura logs ERROR for any page it cannot
# parse ("Document is empty") and goes on: a refused upload, not a failure, unless it carries a traceback.
_OURS = ("bot", "index", "citebot", "telegram", "asyncio", "root")


class ErrorRecords(logging.Handler):
    """Every record of level ERROR, from any thread, that says an exception escaped or a step failed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.name.split(".")[0] in _OURS:
            self.records.append(record)

    def since(self, start: int) -> list[str]:
        formatter = logging.Formatter("%(name)s: %(message)s")  # with the traceback, if any
        return [formatter.format(record) for record in self.records[start:]]


@dataclass(repr=False)  # hypothesis prints the arguments of a failing example: keep this one short
class Harness:
    """The emulator and the Application on an event loop in a thread of their own."""

    loop: asyncio.AbstractEventLoop
    emulator: BotApiEmulator
    settings: Any
    embedder: Any
    corpus: Path
    errors: ErrorRecords
    application: Any = None
    stack: AsyncExitStack | None = None
    restarted: bool = False
    admins: Iterator[int] = field(default_factory=lambda: iter(_ADMIN_POOL))
    # What the corpus must hold: each file's bytes (the seeds, then the uploads the bot said it saved).
    expected: dict[str, bytes] = field(default_factory=dict)
    described: set[str] = field(default_factory=set)  # uploads saved with a caption: metadata.toml's names
    # Answers given before any restart: (chat id, the answer message as the emulator holds it).
    answers: list[tuple[int, dict]] = field(default_factory=list)
    handled: set[int] = field(default_factory=set)  # update ids whose handling is over

    def __repr__(self) -> str:
        return "harness"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer asks this first
        printer.text("harness")

    def run(self, coroutine: Coroutine, timeout: float = 180.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def start_bot(self) -> None:
        self.stack = AsyncExitStack()
        self.application = await self.stack.enter_async_context(running_bot(self.settings, self.embedder))
        self._trace(self.application)

    def _trace(self, application: Any) -> None:
        """Record when the Application is done with each update: its handlers and error handler all ran.

        python-telegram-bot's update processor calls `application.process_update` for every update (through
        the instance, so a wrapper set on it is what runs); the handlers themselves are untouched.
        """
        process_update = application.process_update

        async def traced(update: object) -> None:
            try:
                await process_update(update)
            finally:
                if isinstance(update, Update):
                    self.handled.add(update.update_id)

        application.process_update = traced

    async def stop_bot(self) -> None:
        await self.idle()
        assert self.stack is not None
        await self.stack.aclose()
        self.stack = self.application = None

    async def idle(self, timeout: float = 300.0) -> None:
        """No rebuild running: the corpus and the index are at rest."""
        deadline = time.monotonic() + timeout
        while self.application is not None and self.application.bot_data.rebuilding is not None:
            assert time.monotonic() < deadline, "a rebuild never ended"
            await asyncio.sleep(0.05)

    def push(self, kind: str, payload: dict) -> int:
        async def on_loop() -> int:
            return self.emulator.push(kind, payload)

        return self.run(on_loop())

    def mark(self) -> int:
        return len(self.emulator.calls)

    def wait_handled(self, update_id: int, timeout: float = ANSWER_TIMEOUT) -> None:
        async def handled() -> None:
            deadline = time.monotonic() + timeout
            while update_id not in self.handled:
                assert time.monotonic() < deadline, f"update {update_id} not handled within {timeout} s"
                await asyncio.sleep(0.005)

        self.run(handled(), timeout + 30)

    def wait_call(self, predicate: Callable[[Call], bool], after: int, timeout: float = ANSWER_TIMEOUT) -> Call:
        return self.run(self.emulator.wait_for(predicate, timeout, after), timeout + 30)

    def sent_to(self, chat_id: int, after: int) -> list[Call]:
        return [c for c in self.emulator.calls[after:] if _chat(c) == chat_id]

    def answered(self, chat_id: int, after: int) -> Call:
        """The first message the bot sent to `chat_id` since `after` (the update is handled already)."""
        sent = [c for c in self.sent_to(chat_id, after) if c.method == "sendMessage"]
        assert sent, f"no answer in {chat_id}; calls since: {self.emulator.summary()[after:]}"
        return sent[0]

    def silent(self, chat_id: int, after: int) -> None:
        sent = self.sent_to(chat_id, after)
        assert not sent, f"expected silence in {chat_id}, got {[(c.method, c.params.get('text')) for c in sent]}"

    def cancel_rebuild(self) -> None:
        """Stop the rebuild the update handled may have started (an upload saved, a file moved out, /reindex)
        with /reindex cancel from an admin: a build per example would take most of the run, and the next
        upload writes to the corpus again instead of being refused while a rebuild runs.

        Called once the update got its first answer: a handler claims the rebuild before it answers.
        """

        async def started() -> bool:
            deadline = time.monotonic() + ANSWER_TIMEOUT
            while isinstance(job := self.application.bot_data.rebuilding, str):  # "starting": no process yet
                assert time.monotonic() < deadline, "the rebuild never started"
                await asyncio.sleep(0.01)
            return isinstance(job, RebuildJob)

        if self.run(started()):
            self.wait_handled(self.push("message", command_message(ADMIN, "/reindex cancel")))
        self.run(self.idle())

    def healthy(self, start_errors: int, after: int) -> None:
        """The properties every example ends with (see the module's docstring)."""
        logged = self.errors.since(start_errors)
        assert not logged, f"ERROR logged: {logged}"
        # Every request the bot made meanwhile passed Telegram's checks (a progress edit may lose a race).
        refused = [c for c in self.emulator.calls[after:] if not c.ok and c.method != "editMessageText"]
        assert not refused, [(c.method, c.result, c.params) for c in refused]
        self.state_is_consistent()
        self.corpus_holds_what_was_saved()

    def state_is_consistent(self) -> None:
        with closing(sqlite3.connect(f"file:{self.settings.state_path}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    def corpus_holds_what_was_saved(self) -> None:
        entries = list(self.corpus.iterdir())
        assert [p.name for p in entries if not p.is_file()] == [], "no folder appears in the corpus"
        held = {p.name: p.read_bytes() for p in entries if p.name != SIDECAR_NAME}
        assert sorted(held) == sorted(self.expected)  # no temporary file left, nothing under another name
        assert held == self.expected
        sidecar = self.corpus / SIDECAR_NAME
        if self.described:
            warnings: list[str] = []
            assert set(read_sidecar(self.corpus, warnings)) == self.described, warnings
            assert set(tomllib.loads(sidecar.read_text(encoding="utf-8"))) == self.described
        else:
            assert not sidecar.exists()


def _chat(call: Call) -> int | None:
    chat_id = call.params.get("chat_id")
    return int(chat_id) if chat_id is not None else None


def _chat_of(chat_id: int) -> dict:
    return BotApiEmulator._chat(chat_id)


def _own_index(root: Path, seed_index: Path) -> tuple[Path, Path]:
    """A writable corpus and a copy of the seed index (a rebuild reuses its vectors)."""
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    copy = root / ".index.copy"
    shutil.copytree(seed_index.resolve(), copy)
    index_dir = root / "index"
    index_dir.symlink_to(copy.name)
    return corpus, index_dir


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory, seed_index: Path, embedder) -> Iterator[Harness]:
    root = tmp_path_factory.mktemp("fuzzbot")
    corpus, index_dir = _own_index(root, seed_index)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-bot-loop", daemon=True)
    thread.start()
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    emulator = BotApiEmulator(TOKEN)
    asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(30)
    settings = bot_settings(
        emulator.base_url,
        index_dir,
        corpus,
        TELEGRAM_FILE_URL=emulator.file_url,
        ADMIN_IDS=",".join(str(i) for i in (ADMIN, *_ADMIN_POOL)),
        STATE_DB=root / "state" / "citebot-state.sqlite3",
        QUESTIONS_PER_MINUTE=100_000,
    )
    h = Harness(loop, emulator, settings, embedder, corpus, errors)
    h.expected = {path.name: path.read_bytes() for path in corpus.iterdir()}
    try:
        h.run(h.start_bot())
        for question in QUESTIONS:  # answers with buttons, to press (before and after a restart)
            user = next(_USERS)
            after = h.mark()
            h.wait_handled(h.push("message", text_message(user, user, question)))
            call = h.answered(user, after)
            assert call.ok and call.params.get("reply_markup"), call.params["text"]
            h.answers.append((user, emulator.messages[(user, call.result["message_id"])]))
        yield h
    finally:
        try:
            if h.application is not None:
                h.run(h.stop_bot(), 400)
            h.run(emulator.stop())
        finally:
            logging.getLogger().removeHandler(errors)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


# Messages as Telegram sends them ---------------------------------------------------------------------


def _utf16_length(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def telegram_entities(message_text: str) -> list[dict]:
    """The entities Telegram itself marks (a command at the start, mentions), in UTF-16 units."""
    scratch = BotApiEmulator(TOKEN)
    found: list[dict] = []
    scratch._push = lambda kind, payload: found.append(payload) or 0  # type: ignore[method-assign]
    scratch.send_text(1, scratch.user(1), message_text)
    # The emulator counts in code points; Telegram counts in UTF-16 units (an emoji is two).
    units = list(itertools.accumulate((_utf16_length(char) for char in message_text), initial=0))
    return [
        entity
        | {
            "offset": units[entity["offset"]],
            "length": units[entity["offset"] + entity["length"]] - units[entity["offset"]],
        }
        for entity in found[0].get("entities", [])
    ]


def text_message(chat_id: int, user_id: int, body: str, entities: list[dict] | None = None, **sender: Any) -> dict:
    """A message from `user_id` in `chat_id`, with Telegram's own entities unless given others."""
    marks = telegram_entities(body) if entities is None else entities
    message: dict = {
        "message_id": next(_USERS),
        "date": int(time.time()),
        "chat": _chat_of(chat_id),
        "from": BotApiEmulator.user(user_id, **sender),
        "text": body,
    }
    if marks:
        message["entities"] = marks
    return message


def command_message(user_id: int, body: str, extra_entities: list[dict] | None = None) -> dict:
    message = text_message(user_id, user_id, body)
    if extra_entities:
        message["entities"] = message.get("entities", []) + extra_entities
    return message


# Strategies ------------------------------------------------------------------------------------

# Characters that break naive text handling: controls, bidi overrides, zero-width, astral (two UTF-16
# units), combining marks, HTML's reserved ones, and the bot's own mention.
_TRICKY = [
    "\x00", "\x01", "\x1b", "\x7f", "\t", "\r", "\n", "\u0085", "\u2028", "\u2029", "\u200b", "\u200d", "\ufeff",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2069",
    "\u0627\u0644\u0642\u0627\u0647\u0631\u0629", "\u05e9\u05dc\u05d5\u05dd",
    "😀", "👍🏽", "🇰🇿", "𝕏", "\U0010fffd", "e\u0301", "\u0301", "ﬁ", "Ǆ", "İ", "ß",
    "<", ">", "&", "&amp;", "<b>", "</b>", "<a href='x'>", '"', "'", "\\", "/", "@", BOT_MENTION, "@other_bot",
    "#tag", "https://example.org/x", "Kazakhstan", "Qatar", "Tokaïev", "2026", "mars", " ", "  ",
]  # fmt: skip
tricky_text = st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=30).map("".join)
any_text = st.one_of(
    st.text(min_size=1, max_size=300),
    tricky_text,
    st.text(min_size=1, max_size=6).map(lambda unit: (unit * 4096)[:4096]),  # Telegram's longest message
    tricky_text.map(lambda unit: (unit * 4096)[:4096]),
)

_ENTITY_TYPES = ["mention", "hashtag", "bot_command", "url", "bold", "italic", "code", "pre", "text_link"]


@st.composite
def entities(draw: st.DrawFn, message_text: str, types: list[str] | None = None) -> list[dict]:
    """Entities as Telegram would never send them: anywhere, of any length, past the end of the text,
    negative, or cutting a character of two UTF-16 units in half (half the bounds are drawn next to
    a character's, inside an emoji when there is one)."""
    bounds = list(itertools.accumulate((_utf16_length(char) for char in message_text), initial=0))
    inside = [bound + 1 for bound, char in zip(bounds, message_text, strict=False) if _utf16_length(char) == 2]
    length = bounds[-1]
    position = st.one_of(st.integers(-3, length + 20), st.sampled_from(bounds + inside))
    out = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(types or [*_ENTITY_TYPES, "mention", "text_mention"]))
        offset = draw(position)
        end = draw(st.one_of(position, st.integers(-3, 3).map(lambda delta, start=offset: start + delta)))
        entity: dict = {"type": kind, "offset": offset, "length": end - offset}
        if kind == "text_link":
            entity["url"] = "https://example.org/"
        if kind == "text_mention":
            entity["user"] = BotApiEmulator.user(draw(st.sampled_from([1, 2, BOT_ID, BOT_ID + 1])))
        out.append(entity)
    return out


def marked_text(message_text: str, entity: dict) -> str | None:
    """What a well-formed entity marks: whole characters of the text, its end clamped to the text's end;
    None when it marks none (a negative offset, no length, past the end, a bound inside an emoji).
    The bot's reading (bot/entities.py), restated from character boundaries."""
    bounds = list(itertools.accumulate((_utf16_length(char) for char in message_text), initial=0))
    start = entity["offset"]
    end = min(start + entity["length"], bounds[-1])
    if start < 0 or end <= start or start not in bounds or end not in bounds:
        return None
    return message_text[bounds.index(start) : bounds.index(end)]


def addressed_to_bot(message: dict) -> bool:
    """What makes a group message the bot's: a mention of it, or a reply to one of its messages."""
    for entity in message.get("entities", []):
        marked = marked_text(message["text"], entity)
        if marked is None:
            continue
        if entity["type"] == "mention" and marked.lower() == BOT_MENTION:
            return True
        if entity["type"] == "text_mention" and entity["user"]["id"] == BOT_ID:
            return True
    return (message.get("reply_to_message") or {}).get("from", {}).get("id") == BOT_ID


def is_command(message: dict) -> bool:
    """What python-telegram-bot reads as a command (filters.COMMAND): the first entity a bot_command at 0."""
    first = message.get("entities", [])[:1]
    return bool(first) and first[0]["type"] == "bot_command" and first[0]["offset"] == 0


@st.composite
def text_messages(draw: st.DrawFn) -> tuple[str, dict]:
    """(where: private or group, the message)."""
    where = draw(st.sampled_from(["private", "group"]))
    body = draw(any_text)
    if where == "group" and draw(st.booleans()):
        body = f"{BOT_MENTION} {body}" if draw(st.booleans()) else f"{body} {BOT_MENTION}"
    marks = telegram_entities(body) if draw(st.booleans()) else draw(entities(body))
    user_id = next(_USERS)
    chat_id = user_id if where == "private" else next(_GROUPS)
    language = draw(st.sampled_from(["en", "fr", "de", "", "zz-ZZ"]))
    message = text_message(chat_id, user_id, body, marks, language_code=language or None)
    message["from"]["is_bot"] = draw(st.integers(0, 9)) == 0
    message["message_id"] = draw(st.integers(1, 2**31 - 1))
    if where == "group" and draw(st.booleans()):
        # A reply to the bot, or to someone else; the replied message need not exist any more.
        message["reply_to_message"] = {
            "message_id": draw(st.integers(1, 10**6)),
            "date": int(time.time()),
            "chat": _chat_of(chat_id),
            "from": draw(st.sampled_from([BotApiEmulator(TOKEN).bot, BotApiEmulator.user(5)])),
            "text": draw(st.sampled_from(["an answer", "x"])),
        }
    return where, message


# File names, captions and document bytes ---------------------------------------------------------

_SEED_NAMES = sorted(path.name for path in SEEDS.iterdir())
_SUFFIXES = [*sorted(ALLOWED_SUFFIXES), ".TXT", ".Pdf", ".DocX", "", ".exe", ".txt.exe", ".toml", ".txt "]
# Cyrillic and typographic look-alikes of Latin letters, digits and the dot.
_LOOKALIKES = str.maketrans({"a": "а", "c": "с", "e": "е", "o": "о", "0": "О", "1": "l", "_": "‗", ".": "․"})
_PATHS = [
    "../x.txt", "../../etc/passwd.txt", "/etc/x.txt", "..\\x.txt", "a/b.txt", "a\\b.txt", "./x.txt", ".hidden.txt",
    "..txt", "x..txt", ".", "..", "", " ", "\t", SIDECAR_NAME, "x\x00.txt", "\x00", "a\x00/../b.txt",
    "removed/../x.txt", "~/x.txt", "C:\\x.txt", "CON.txt", "x.txt ", " x.txt", "x\n.txt", "\u202etxt.exe",
]  # fmt: skip


def _sized_name(unit: str, suffix: str, size: int) -> str:
    """A name of exactly `size` UTF-8 bytes (or just under, when a character does not fit)."""
    stem = ""
    for char in itertools.cycle(unit):
        if len((stem + char + suffix).encode()) > size:
            break
        stem += char
    return stem + suffix


def _lookalike(name: str) -> str:
    """The name with look-alike letters, its suffix kept: a name of its own, or refused as unsafe, never the seed's."""
    stem, dot, suffix = name.rpartition(".")
    return stem.translate(_LOOKALIKES) + dot + suffix


# Names a file system takes and the bot may keep: any letters (right-to-left, astral, combining) and a
# suffix it reads, in any case; what is saved must then be in the corpus under exactly that name.
plausible_names = st.builds(
    str.__add__,
    st.text(st.characters(exclude_categories=["Cc", "Cs"], exclude_characters="/\\."), min_size=1, max_size=60),
    st.sampled_from([*sorted(ALLOWED_SUFFIXES), ".TXT", ".Md", ".HTML"]),
)
file_names = st.one_of(
    plausible_names,
    st.builds(str.__add__, st.text(max_size=40), st.sampled_from(_SUFFIXES)),
    st.sampled_from(_PATHS),
    st.builds(
        _sized_name,
        st.sampled_from(["a", "é", "😀", "\u202e", "aé😀"]),
        st.sampled_from(sorted(ALLOWED_SUFFIXES)),
        st.sampled_from([254, 255, 256, 300]),
    ),
    st.sampled_from(_SEED_NAMES).map(lambda name: name.translate(_LOOKALIKES)),  # the dot too: no suffix
    st.sampled_from(_SEED_NAMES).map(_lookalike),
    st.sampled_from(_SEED_NAMES),  # taken already
)
_CAPTION_LINES = [
    "title: A fuzzed headline",
    "title: « Гласность » \u202e",
    'title: "quoted" \\ back',
    "title: <b>&amp;</b>",
    "date: 2025-02",
    "date: 3 mars 2026",
    "url: https://example.org/a",
]
_BAD_CAPTION_LINES = ["date: 31 février 2025", "url: javascript:alert(1)", "author: someone", "title:", "no colon"]
captions = st.one_of(
    st.just(""),
    st.lists(st.sampled_from(_CAPTION_LINES), min_size=1, max_size=3, unique_by=lambda line: line.split(":")[0]).map(
        "\n".join
    ),
    st.lists(st.sampled_from(_CAPTION_LINES + _BAD_CAPTION_LINES), max_size=3, unique=True).map("\n".join),
    any_text.map(lambda caption: caption[:1024]),
)


@lru_cache(maxsize=64)
def _docx(body: str) -> bytes:
    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = datetime(2025, 1, 1)
    document.add_paragraph(body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def _pdf(body: str) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2025, 1, 1))
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, body.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_ARTICLE = st.lists(st.sampled_from([*_TRICKY, "Astana", "Doha", "signed", "water", "agreement", "."]), max_size=60)
_XML_SAFE = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=200)


_KINDS = ["random", "text", "html", "pdf", "pdf_header", "docx", "zip", "empty"]
# What each suffix's reader takes; .txt and .md read the same UTF-8 text.
_KIND_OF_SUFFIX = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}


@st.composite
def document_bytes(draw: st.DrawFn, name: str = "") -> bytes:
    """Bytes of each kind the bot reads, well-formed or not: mostly what the name's suffix says (so that
    uploads get saved, not only refused), else anything."""
    words = " ".join(draw(_ARTICLE)) + f" {next(_USERS)}"  # a number of its own: not a duplicate of an earlier one
    suffix = Path(name.strip()).suffix.lower()
    fitting = _KIND_OF_SUFFIX.get(suffix)
    kind = fitting if fitting and draw(st.integers(0, 2)) else draw(st.sampled_from(_KINDS))
    if kind == "random":
        return draw(st.binary(max_size=2_000))
    if kind == "text":
        return f"A fuzzed headline\n\n{words}\n".encode(
            draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-8-sig"]))
        )
    if kind == "html":
        return f"<!DOCTYPE html><html><head><title>{words}</title></head><body><p>{words}</p>".encode()
    if kind == "pdf":
        return _pdf(words)
    if kind == "pdf_header":
        return b"%PDF-1.7\n" + draw(st.binary(max_size=500))
    if kind == "docx":
        return _docx("".join(c for c in draw(_XML_SAFE) + words if c.isprintable()))  # what XML may hold
    if kind == "zip":
        return _zip(
            {draw(st.sampled_from(["word/document.xml", "x.txt", "../evil.txt"])): draw(st.binary(max_size=300))}
        )
    return b""


@st.composite
def uploads(draw: st.DrawFn) -> tuple[str | None, bytes, str, str]:
    """(file name, or None for a document Telegram sends without one; its bytes; the caption; who sends
    it: an admin, a user or a group)."""
    name = draw(st.one_of(file_names, st.none()))
    data = draw(document_bytes(name or ""))
    return name, data, draw(captions), draw(st.sampled_from(["admin"] * 3 + ["user", "group"]))


# The size a document announces: its own, none (Telegram may leave it out), or a lie either way.
announced_sizes = st.one_of(st.just("own"), st.none(), st.sampled_from([0, 1, 2**31, 10**12]))


# Documents ---------------------------------------------------------------------------------------


@fuzz(40)
# Before 2fa53d2 (issue 20): ValueError from os.link for the NUL, OSError for the 300-byte name.
@example(upload=("x\x00.txt", b"A headline\n\nA body with a NUL in its name.\n", "", "admin"), size="own")
@example(upload=("é" * 150 + ".txt", b"A headline\n\nA body with 300 bytes of name.\n", "", "admin"), size="own")
@example(
    upload=("Доха ‏مرحبا 😀.md", b"Doha\n\nA body of its own, and a caption.\n", "title: Doha\ndate: 2025-02", "admin"),
    size=None,
)
@given(uploads(), announced_sizes)
def test_every_document_is_answered_and_only_saved_uploads_reach_the_corpus(
    harness: Harness, upload: tuple[str | None, bytes, str, str], size: int | str | None
) -> None:
    upload_and_check(harness, *upload, size=size)


def upload_and_check(
    harness: Harness, name: str | None, data: bytes, caption: str, sender: str, size: int | str | None = "own"
) -> None:
    user_id = next(harness.admins) if sender == "admin" else next(_USERS)
    chat_id = next(_GROUPS) if sender == "group" else user_id
    start_errors, after = len(harness.errors.records), harness.mark()
    emulator = harness.emulator
    file_id = f"fuzz{after}-{user_id}"
    emulator.files[file_id] = data
    document: dict = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
    if name is not None:
        document["file_name"] = name
    if size is not None:
        document["file_size"] = len(data) if size == "own" else size
    content: dict = {"document": document}
    if caption:
        content["caption"] = caption
        content["caption_entities"] = telegram_entities(caption)  # the bot never reads them
    update_id = harness.push("message", emulator.message(chat_id, emulator.user(user_id), **content))
    if sender == "group":
        harness.wait_handled(update_id)
        harness.silent(chat_id, after)
    else:
        reply = harness.wait_call(lambda c: c.method == "sendMessage" and _chat(c) == chat_id, after)
        if reply.params["text"].startswith("Saved <code>"):
            assert name is not None
            saved = name.strip()  # as safe_upload_name reads it
            assert sender == "admin" and reply.params["text"].startswith(
                f"Saved <code>{html.escape(saved, False)}</code>"
            )
            harness.expected[saved] = data
            if caption.strip():
                harness.described.add(saved)
        harness.cancel_rebuild()
        harness.wait_handled(update_id)
    harness.healthy(start_errors, after)


# Text messages ---------------------------------------------------------------------------------


def _split_emoji(where: str, body: str, entity: dict, reply_to_bot: bool = False) -> tuple[str, dict]:
    user_id = next(_USERS)
    chat_id = user_id if where == "private" else next(_GROUPS)
    message = text_message(chat_id, user_id, body, [entity])
    if reply_to_bot:
        message["reply_to_message"] = text_message(chat_id, BOT_ID, "an answer") | {"from": BotApiEmulator(TOKEN).bot}
    return where, message


@fuzz(80)
# A mention ending inside an emoji: UnicodeDecodeError in without_bot_mentions, no answer, the error
# handler failing too (issue 20, fixed by bot/entities.py); then a bot mention beside one.
@example(case=_split_emoji("private", "😀 hello", {"type": "mention", "offset": 0, "length": 1}))
@example(case=_split_emoji("group", "😀 hello", {"type": "mention", "offset": 1, "length": 5}, reply_to_bot=True))
@example(case=_split_emoji("group", f"😀{BOT_MENTION} hi", {"type": "mention", "offset": 2, "length": 17}))
@given(text_messages())
def test_every_text_message_is_answered_or_deliberately_ignored(harness: Harness, case: tuple[str, dict]) -> None:
    where, message = case
    chat_id = message["chat"]["id"]
    start_errors, after = len(harness.errors.records), harness.mark()
    harness.wait_handled(harness.push("message", message))
    person = not message["from"]["is_bot"]
    if is_command(message) and (where == "group" or not person):
        pass  # the CommandHandler's to read: a command from a bot, or in a group, gets an answer or none
    elif person and (where == "private" or addressed_to_bot(message)):
        harness.answered(chat_id, after)
    else:
        harness.silent(chat_id, after)
    harness.healthy(start_errors, after)


# Commands ----------------------------------------------------------------------------------------

_COMMANDS = [
    "/start",
    "/help",
    "/sources",
    "/ask",
    "/stats",
    "/feedback",
    "/remove",
    "/reindex",
    "/nope",
    "/start@other_bot",
    f"/ask{BOT_MENTION}",
]
# Entities after the command that a command's reading must survive, a second bot_command included.
_AFTER_COMMAND = _ENTITY_TYPES


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, str, list[dict]]:
    """(command, its argument, entities after Telegram's own)."""
    command = draw(st.sampled_from(_COMMANDS))
    argument = draw(st.one_of(st.just(""), any_text.map(lambda value: value[:300]), file_names))
    body = f"{command} {argument}" if argument else command
    return command, argument, draw(entities(body, _AFTER_COMMAND))


@fuzz(60)
@example(case=("/remove", "a\x00b.txt", []), admin=True)  # ValueError before 2fa53d2
@example(case=("/remove", "0" * 300, []), admin=True)  # OSError: File name too long, before 2fa53d2
@example(case=("/remove", _SEED_NAMES[0], []), admin=True)  # moved out of the corpus
@example(case=("/remove", f"./{_SEED_NAMES[1]}", []), admin=True)  # the same file: moved too
@given(case=commands(), admin=st.booleans())
def test_every_command_in_a_private_chat_is_answered(
    harness: Harness, case: tuple[str, str, list[dict]], admin: bool
) -> None:
    command_and_check(harness, *case, admin=admin)


def command_and_check(harness: Harness, command: str, argument: str, extra: list[dict], admin: bool) -> None:
    user_id = next(harness.admins) if admin else next(_USERS)
    body = f"{command} {argument}" if argument else command
    start_errors, after = len(harness.errors.records), harness.mark()
    update_id = harness.push("message", command_message(user_id, body, extra))
    reply = harness.wait_call(lambda c: c.method == "sendMessage" and _chat(c) == user_id, after)
    if command == "/remove" and admin and reply.params["text"].startswith("Moved"):
        # The file the name leads to inside the corpus ("./x.txt" and "x.txt/" are x.txt).
        root = harness.corpus.resolve()
        harness.expected.pop((root / argument.strip()).resolve().relative_to(root).as_posix())
    harness.cancel_rebuild()  # /remove, or /reindex
    harness.wait_handled(update_id)
    harness.healthy(start_errors, after)


# Non-message updates the bot must not answer ---------------------------------------------------------


@fuzz(40)
@given(
    kind=st.sampled_from(["edited_message", "channel_post", "message"]),
    body=any_text,
    sender=st.sampled_from(["none", "bot", "anonymous"]),
)
def test_edits_channel_posts_and_messages_from_no_person_get_silence(
    harness: Harness, kind: str, body: str, sender: str
) -> None:
    chat_id = next(_GROUPS)
    message: dict = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": _chat_of(chat_id),
        "text": f"{BOT_MENTION} {body}",
    }
    message["entities"] = [{"type": "mention", "offset": 0, "length": len(BOT_MENTION)}]
    if kind == "edited_message" or sender == "bot":
        message["from"] = BotApiEmulator.user(next(_USERS), is_bot=sender == "bot")
    if sender == "anonymous":  # an anonymous group admin: sent as the group itself
        message["from"] = BotApiEmulator.user(1087968824, is_bot=True) | {"first_name": "Group"}
        message["sender_chat"] = _chat_of(chat_id)
    if kind == "edited_message":
        message["edit_date"] = int(time.time())
    start_errors, after = len(harness.errors.records), harness.mark()
    harness.wait_handled(harness.push(kind, message))
    harness.silent(chat_id, after)
    harness.healthy(start_errors, after)


# Buttons -------------------------------------------------------------------------------------------

_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
forged_data = st.one_of(
    st.text(max_size=64).filter(lambda data: len(data.encode()) <= 64),
    st.builds(
        "{}:{}:{}".format,
        st.sampled_from(["more", "full", "up", "down", "MORE", "vote", ""]),
        st.text(_KEY_CHARS, min_size=7, max_size=9),
        st.sampled_from(["0", "1", "2", "999", "1000", "-1", "", "01", "٣"]),
    ),
)


def _buttons(message: dict) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


# A game's button carries a game_short_name and no data.
NO_DATA = "<no data: a game's button>"


def press_and_check(
    harness: Harness, answer: int, choice: int, forged: str | None, lang: str, whose: str, where: str = "chat"
) -> None:
    """Press a button of one of the answers given at the start, or forged data on it, under the answer
    in its chat (`where`: "chat"), under it once Telegram no longer shows it to the bot ("inaccessible",
    its date 0), or under a message sent inline ("inline": no chat; the bot puts no buttons there).
    Check the press's answer."""
    chat_id, message = harness.answers[answer]
    real = _buttons(message)
    data = forged if forged is not None else real[choice % len(real)]
    presser = chat_id if whose == "asker" else next(_USERS)  # another user's: pressed on someone else's answer
    emulator = harness.emulator
    payload: dict = {"id": f"cb{harness.mark()}-{presser}", "from": emulator.user(presser, lang), "chat_instance": "ci"}
    payload |= {"game_short_name": "quiz"} if data == NO_DATA else {"data": data}
    if where == "inline":
        payload["inline_message_id"] = "AAEx"
    elif where == "inaccessible":
        payload["message"] = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
    else:
        payload["message"] = {k: v for k, v in message.items() if k != "html"}
    start_errors, after = len(harness.errors.records), harness.mark()
    harness.wait_handled(harness.push("callback_query", payload))
    answers = [
        c
        for c in emulator.calls[after:]
        if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == payload["id"]
    ]
    assert len(answers) == 1, emulator.summary()[after:]
    toast = answers[0].params.get("text")
    lang = lang if lang in ("en", "fr") else "en"
    if data not in real or (where == "inline" and data.startswith(("full:", "more:"))):
        assert toast in {bot_text("bad_button", lang), bot_text("expired", lang)}, (data, toast)
    elif data.startswith("full:"):  # the passage's full text, in the answer's chat
        assert toast is None and harness.answered(chat_id, after).params["text"], toast
    elif data.startswith("more:"):  # the next passages, or a toast when there are no more
        assert toast in {bot_text("no_more", "en"), bot_text("no_more", "fr")} or (
            toast is None and harness.answered(chat_id, after).params["text"]
        ), toast
    else:  # a vote needs no chat
        assert toast and any(word in toast for word in ("Recorded", "Changed", "Already", "enregistré", "changé"))
    harness.healthy(start_errors, after)


_PRESSES = {
    "answer": st.integers(0, len(QUESTIONS) - 1),
    "choice": st.integers(0, 20),
    "forged": st.one_of(st.none(), forged_data, st.just(NO_DATA)),
    "lang": st.sampled_from(["en", "fr", "es"]),
    "whose": st.sampled_from(["asker", "another user"]),
}


@fuzz(60)
@given(**_PRESSES, where=st.sampled_from(["chat", "chat", "inaccessible"]))
def test_every_button_press_is_answered(harness: Harness, answer, choice, forged, lang, whose, where) -> None:
    press_and_check(harness, answer, choice, forged, lang, whose, where)


@fuzz(25)
# A Full text button's data under an inline message: AttributeError on its missing chat, no answer at all.
@example(answer=0, choice=0, forged=None, lang="en", whose="asker")
@given(**_PRESSES)
def test_a_press_on_an_inline_message_is_answered(harness: Harness, answer, choice, forged, lang, whose) -> None:
    press_and_check(harness, answer, choice, forged, lang, whose, "inline")


# Messages that are no text ---------------------------------------------------------------------------

_NOT_TEXT = {
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "us1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    },
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]},
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 2}},
    "location": {"location": {"latitude": 51.16, "longitude": 71.47}},
    "contact": {"contact": {"phone_number": "+77000000000", "first_name": "Ак"}},
    "dice": {"dice": {"emoji": "🎲", "value": 6}},
}


@fuzz(20)
@given(
    kind=st.sampled_from(sorted(_NOT_TEXT)),
    caption=st.one_of(st.just(""), any_text.map(lambda caption: caption[:1024])),
    where=st.sampled_from(["private", "group"]),
    is_bot=st.booleans(),
)
def test_a_message_that_is_no_text_is_answered_in_private_only(
    harness: Harness, kind: str, caption: str, where: str, is_bot: bool
) -> None:
    user_id = next(_USERS)
    chat_id = user_id if where == "private" else next(_GROUPS)
    content = dict(_NOT_TEXT[kind])
    if caption and kind in ("photo", "voice"):
        content |= {"caption": caption, "caption_entities": telegram_entities(caption)}
    message = harness.emulator.message(chat_id, BotApiEmulator.user(user_id, is_bot=is_bot), **content)
    start_errors, after = len(harness.errors.records), harness.mark()
    harness.wait_handled(harness.push("message", message))
    if where == "private" and not is_bot:
        assert harness.answered(chat_id, after).params["text"] == bot_text("not_text", "en")
    else:
        harness.silent(chat_id, after)
    harness.healthy(start_errors, after)


# Inline queries ----------------------------------------------------------------------------------


@fuzz(25)
@given(
    query=any_text.map(lambda value: value[:256]),
    offset=st.sampled_from(["", "0", "10", "x", "-1", "99999999999999999999"]),
    chat_type=st.sampled_from([None, "private", "group", "supergroup", "channel", "sender"]),
    lang=st.sampled_from(["en", "fr", None]),
)
def test_every_inline_query_is_answered(harness: Harness, query: str, offset: str, chat_type, lang) -> None:
    emulator = harness.emulator
    start_errors, after = len(harness.errors.records), harness.mark()
    query_id = f"iqf{after}"
    payload: dict = {"id": query_id, "from": emulator.user(next(_USERS), lang), "query": query, "offset": offset}
    if chat_type:
        payload["chat_type"] = chat_type
    emulator.inline_queries[query_id] = payload  # what the emulator checks answerInlineQuery against
    harness.wait_handled(harness.push("inline_query", payload))
    answered = [
        c
        for c in emulator.calls[after:]
        if c.method == "answerInlineQuery" and str(c.params.get("inline_query_id")) == query_id
    ]
    assert len(answered) == 1, emulator.summary()[after:]
    harness.healthy(start_errors, after)


# After a restart ---------------------------------------------------------------------------------


@fuzz(30)
@given(**_PRESSES)
def test_buttons_work_after_a_restart(harness: Harness, answer, choice, forged, lang, whose) -> None:
    """A new Application on the same state file: the answers given before it are still behind their buttons."""
    if not harness.restarted:
        harness.run(harness.stop_bot(), 400)
        harness.run(harness.start_bot())
        harness.restarted = True
    press_and_check(harness, answer, choice, forged, lang, whose)


# Bugs the fuzzing found, each its example ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/ask", "/remove", "/reindex"])
def test_a_second_command_entity_cutting_an_emoji_is_read_without_failing(harness: Harness, command: str) -> None:
    cutting = {"type": "bot_command", "offset": len(command) + 1, "length": 1}
    command_and_check(harness, command, "😀 x", [cutting], admin=True)


# At the end: the state file and the corpus ------------------------------------------------------


def test_the_state_file_and_the_corpus_stay_consistent(harness: Harness) -> None:
    harness.run(harness.idle(), 400)
    logged = harness.errors.since(0)
    assert not logged, f"ERROR logged: {logged}"
    harness.corpus_holds_what_was_saved()
    path = harness.settings.state_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        keys = [key for (key,) in db.execute("SELECT key FROM answers")]
        follow_ups = db.execute("SELECT chat_id, message_id, query FROM follow_ups").fetchall()
        quota = db.execute("SELECT user_id, asked FROM questions").fetchall()
    assert len(keys) >= len(QUESTIONS)
    state = harness.application.bot_data.state
    for key in keys:  # every answer reads back through the store's own reading, hits and all
        answer = harness.run(state.get_answer(key))
        assert answer is not None and answer.hits and answer.lang in ("en", "fr"), key
    assert all(isinstance(c, int) and isinstance(m, int) and q for c, m, q in follow_ups)
    assert all(isinstance(u, int) and isinstance(t, float) for u, t in quota)
    for vote in read_votes(path):
        assert vote.vote in (1, -1) and vote.passages and vote.key in keys

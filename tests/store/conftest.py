"""A real milvus-lite 2.5.1 serving a port for the whole session, and what the Milvus tests share.

milvus-lite's own engine (the binary its wheel ships), not a mock: a milvus-lite *file* admits one
process, so the tests reach it as every process reaches a server. Builds into it reuse the vectors
the session's default builds embedded (their vector caches, copied), so nothing is embedded twice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from index.search.searcher import Searcher
from index.store.milvus_lite import LiteServer
from tests.conftest import ROOT, SEEDS


class QueryCache:
    """The session's real embedder, each question embedded once for the many searches of these tests."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.queries: dict[str, np.ndarray] = {}

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.queries]
        if missing:
            self.queries.update(zip(missing, self.inner.embed_queries(missing), strict=True))
        return np.stack([self.queries[t] for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="session")
def asked(embedder) -> QueryCache:
    return QueryCache(embedder)


@pytest.fixture(scope="session")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteServer]:
    with LiteServer(tmp_path_factory.mktemp("milvus") / "milvus.db") as running:
        yield running


def with_vectors_of(built_index: Path, index_dir: Path) -> Path:
    """`index_dir`, its vector cache a copy of `built_index`'s (passages and name phrases embedded once)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    for cache in built_index.parent.glob(f".{built_index.name}.vectors-*.sqlite3"):
        shutil.copy(cache, index_dir.parent / f".{index_dir.name}{cache.name.removeprefix(f'.{built_index.name}')}")
    return index_dir


def answers(searcher: Searcher, questions: list[str], mode: str = "hybrid") -> list[tuple]:
    """What a user sees of each answer: answered or not, and each hit's place, article, offsets and score."""
    found = []
    for question in questions:
        result = searcher.search(question, k=5, mode=mode)
        hits = [(h.rank, h.source, h.start, h.end, round(h.score, 4), h.highlight) for h in result.hits]
        found.append((result.answered, hits, result.unknown_names, result.unmatched_names))
    return found


def citebot(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """`citebot` in its own process with INDEX_BACKEND=milvus, as a worker or a user starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "citebot.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "INDEX_BACKEND": "milvus", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


@pytest.fixture(scope="session")
def milvus_seeds(milvus: LiteServer, seed_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder):
    """The seeds published into Milvus by a one-process build, from the session seed build's vectors."""
    from index.build.sharded import build_milvus
    from index.store.milvus import MilvusStore

    store = MilvusStore(milvus.uri, "seeds")
    index = with_vectors_of(seed_index, tmp_path_factory.mktemp("seeds-milvus") / "index")
    report = build_milvus(SEEDS, index, embedder, 2_000_000, store)
    assert report.embedded == report.phrases_embedded == 0, "the default build's vectors are reused"
    return store.open_live(embedder.model_id)


@pytest.fixture(scope="session")
def milvus_real(milvus: LiteServer, real_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder):
    """seeds + corpus-real published into Milvus by a one-process build, from the default build's vectors."""
    from index.build.sharded import build_milvus
    from index.store.milvus import MilvusStore

    store = MilvusStore(milvus.uri, "real")
    index = with_vectors_of(real_index, tmp_path_factory.mktemp("real-milvus") / "index")
    report = build_milvus(real_index.parent / "corpus", index, embedder, 2_000_000, store)
    assert report.embedded == report.phrases_embedded == 0, "the default build's vectors are reused"
    return store.open_live(embedder.model_id)

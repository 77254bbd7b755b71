"""How the dense index scales on one machine: exact against IVF at 10k, 100k and 1M passages.

Synthetic 384-d vectors (multilingual-e5-small's size) around 2,000 cluster centres, L2-normalised,
so nearest neighbours are meaningful and ANN recall can be measured. Each index is built in its own
process and loaded in fresh ones (memory-mapped and not), so one size's memory does not pollute the
next. Queries run one at a time on one thread, as a question does in index/search/searcher.py; k=50 as it asks.

    python bench/scale.py                       # 10k, 100k, 1M
    python bench/scale.py --sizes 10000,100000  # quick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
CENTRES = 2000
QUERIES = 300
K = 50


def synthetic(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in blocks: the noise of 1M rows at once is another 1.5 GB
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, CENTRES, stop - start)]
        block += 0.9 * rng.standard_normal(block.shape).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def child_build(data: Path, out: Path, exact_limit: int) -> None:
    from index.store.vectors import build_vector_index, save_vector_index

    vectors = np.load(data)
    started = time.perf_counter()
    index = build_vector_index(vectors, exact_limit=exact_limit)
    built = time.perf_counter() - started
    save_vector_index(index, out)
    print(json.dumps({"build_s": built, "type": type(index).__name__}))


def child_load(path: Path, queries: Path, truth: Path, mmap: bool) -> None:
    import faiss
    import psutil

    from index.store.vectors import load_vector_index

    faiss.omp_set_num_threads(1)
    process = psutil.Process()
    q = np.load(queries)
    exact = np.load(truth)
    before = process.memory_info().rss
    started = time.perf_counter()
    index = load_vector_index(path, mmap=mmap)
    loaded = time.perf_counter() - started
    rss_load = process.memory_info().rss - before
    times, hits = [], 0
    for i in range(len(q)):
        t = time.perf_counter()
        _, rows = index.search(q[i : i + 1], K)
        times.append(time.perf_counter() - t)
        hits += len(set(rows[0][:10]) & set(exact[i][:10]))
    rss_after = process.memory_info().rss - before
    print(
        json.dumps(
            {
                "load_s": loaded,
                "rss_load_mb": rss_load / 2**20,
                "rss_after_mb": rss_after / 2**20,
                "p50_ms": float(np.percentile(times, 50) * 1000),
                "p95_ms": float(np.percentile(times, 95) * 1000),
                "recall10": hits / (10 * len(q)),
            }
        )
    )


def run(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def float16_agreement(vectors: np.ndarray, queries: np.ndarray) -> float:
    """Share of the float32 top-10 (cosine) that float16-stored vectors also rank in their top-10."""
    half = vectors.astype(np.float16)
    shared = 0
    for start in range(0, len(queries), 50):
        q = queries[start : start + 50]
        full = np.argpartition(-(q @ vectors.T), 10, axis=1)[:, :10]
        approx = np.argpartition(-(q @ half.T.astype(np.float32)), 10, axis=1)[:, :10]
        shared += sum(len(set(a) & set(b)) for a, b in zip(full, approx, strict=True))
    return shared / (10 * len(queries))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    import faiss

    from index.store.vectors import EXACT_LIMIT

    print(f"faiss {faiss.__version__}; exact index up to {EXACT_LIMIT:,} vectors; {DIM}-d; k={K}; 1 thread/query")
    header = (
        f"{'passages':>9} {'index':<13} {'build s':>8} {'file MB':>8} {'load s mmap/full':>17} "
        f"{'RSS MB load mmap/full':>21} {'RSS MB +queries mmap/full':>25} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="citebot-scale-") as tmp:
        work = Path(tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            vectors = synthetic(n, seed=n)
            rng = np.random.default_rng(1)
            # Queries near stored passages, as a question lands near the passages that answer it.
            picked = vectors[rng.choice(n, QUERIES, replace=False)]
            queries = picked + 0.6 * rng.standard_normal(picked.shape).astype(np.float32) / np.sqrt(DIM)
            queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
            flat = faiss.IndexFlatIP(DIM)
            flat.add(vectors)
            truth = flat.search(queries, K)[1]
            del flat
            agreement = float16_agreement(vectors, queries)
            np.save(work / "data.npy", vectors)
            np.save(work / "queries.npy", queries)
            np.save(work / "truth.npy", truth)
            del vectors
            for label, limit in (("exact", n), ("ivf", 0)):
                out = work / f"{label}.faiss"
                built = run("build", str(work / "data.npy"), str(out), str(limit))
                mapped = run("load", str(out), str(work / "queries.npy"), str(work / "truth.npy"), "1")
                full = run("load", str(out), str(work / "queries.npy"), str(work / "truth.npy"), "0")
                chosen = "*" if (n <= EXACT_LIMIT) == (label == "exact") else " "
                print(
                    f"{n:>9,} {built['type'] + chosen:<13} {built['build_s']:>8.1f} {out.stat().st_size / 2**20:>8.0f} "
                    f"{mapped['load_s']:>8.2f}/{full['load_s']:<8.2f} "
                    f"{mapped['rss_load_mb']:>10.0f}/{full['rss_load_mb']:<10.0f} "
                    f"{mapped['rss_after_mb']:>12.0f}/{full['rss_after_mb']:<12.0f} "
                    f"{mapped['p50_ms']:>7.2f} {mapped['p95_ms']:>7.2f} {mapped['recall10']:>9.3f}",
                    flush=True,
                )
                out.unlink()
            print(f"{'':>9} float16 storage: top-10 cosine agreement with float32 {agreement:.4f}", flush=True)
    print("* = the type build_vector_index picks at that size; RSS = process growth after load, then after the queries")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "build":
        child_build(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        child_load(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5] == "1")
    else:
        main()

"""The dense vector index by corpus size: exact below a measured size, inverted lists above.

Vectors are L2-normalised float32, so inner product is cosine. `bench/scale.py` measured, on this
2-core machine with one BLAS/OpenMP thread per question, k=50 (what search asks for):
exact search stays within a ~10 ms p95 budget up to about 100k vectors of 384 dimensions and grows
linearly beyond; an IVF-Flat index over sqrt-sized lists keeps recall@10 against exact >= 0.98 at
a few ms. HNSW was not measured: IVF was chosen because what matters here was measured for it (its
1M build, its recall), its inverted lists can be memory-mapped, and it gives vectors back.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

# Below this many vectors an exact index is both fast enough and perfect (see the module docstring).
EXACT_LIMIT = 100_000
# Lists of about this many vectors each (nlist = n / LIST_SIZE, at least sqrt(n)).
LIST_SIZE = 256
# Share of the lists probed per query: recall@10 >= 0.98 on clustered synthetic data (bench/scale.py).
PROBE_SHARE = 1 / 32
MIN_PROBES = 16
# k-means trains on a sample: FAISS warns below 39 points per centroid, and gains little above 256.
TRAIN_PER_LIST = 64


def build_vector_index(vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    """An inner-product index over `vectors` (rows L2-normalised), exact up to `exact_limit` rows."""
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = data.shape
    if n <= exact_limit:
        flat = faiss.IndexFlatIP(dim)
        flat.add(data)
        return flat
    nlist = max(int(math.sqrt(n)), n // LIST_SIZE)
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = data[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))]
    ivf.train(sample)
    ivf.add(data)
    # Probes are saved with the index, so a loaded index searches as it was measured.
    ivf.nprobe = min(nlist, max(MIN_PROBES, int(nlist * PROBE_SHARE)))
    # Keeps id -> (list, offset), so vector_matrix can reconstruct rows; saved with the index.
    ivf.make_direct_map()
    return ivf


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path, mmap: bool = True) -> faiss.Index:
    """Read an index; with `mmap`, its vectors stay in the page cache instead of the process heap.

    In FAISS 1.15 IO_FLAG_MMAP_IFC maps both IndexFlat's codes and IVF's array inverted lists
    (measured: +0 MB and +2 MB RSS on load at 100k vectors, against +147 MB read whole). Adding
    IO_FLAG_MMAP to it reads IVF lists whole again (+150 MB), so it is left out.
    A mapped index is read-only.
    """
    if not mmap:
        return faiss.read_index(str(path))
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
    try:
        return faiss.read_index(str(path), flags)
    except RuntimeError:
        # An index type this FAISS cannot map: read it whole rather than fail.
        return faiss.read_index(str(path))


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and rows of the `k` best per query; rows are -1 where fewer than `k` exist."""
    return index.search(np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, index.d), min(k, index.ntotal))


def vector_matrix(index: faiss.Index) -> np.ndarray:
    """Every stored vector as float32 rows, in insertion order, whatever the index type."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None and ivf.direct_map.type == faiss.DirectMap.NoMap:
        ivf.make_direct_map()
    return index.reconstruct_n(0, index.ntotal)

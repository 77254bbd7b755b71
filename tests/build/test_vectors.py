"""The size-chosen vector index: exact or IVF, saved, memory-mapped, and its vectors reused."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from index.store.vectors import (
    build_vector_index,
    load_vector_index,
    save_vector_index,
    search,
    vector_matrix,
)

DIM = 32


def clustered(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM)).astype(np.float32)
    rows = centres[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return clustered(6000)


def test_index_type_switches_at_the_threshold(data: np.ndarray) -> None:
    assert isinstance(build_vector_index(data[:1000], exact_limit=1000), faiss.IndexFlatIP)
    assert isinstance(build_vector_index(data[:1001], exact_limit=1000), faiss.IndexIVFFlat)


def test_ivf_agrees_with_exact_on_the_top_hit(data: np.ndarray) -> None:
    exact = build_vector_index(data, exact_limit=len(data))
    ivf = build_vector_index(data, exact_limit=0)
    queries = data[::100] + 0.01
    _, exact_rows = search(exact, queries, 50)
    _, ivf_rows = search(ivf, queries, 50)
    assert (ivf_rows[:, 0] == exact_rows[:, 0]).mean() >= 0.95
    assert ivf.metric_type == faiss.METRIC_INNER_PRODUCT


@pytest.mark.parametrize("limit", [0, 10_000], ids=["ivf", "exact"])
def test_save_and_mmap_load_round_trip(data: np.ndarray, tmp_path, limit: int) -> None:
    index = build_vector_index(data, exact_limit=limit)
    save_vector_index(index, tmp_path / "v.faiss")
    queries = data[:20]
    expected = search(index, queries, 10)
    for mmap in (True, False):
        loaded = load_vector_index(tmp_path / "v.faiss", mmap=mmap)
        assert type(loaded) is type(index) and loaded.ntotal == len(data)
        scores, rows = search(loaded, queries, 10)
        np.testing.assert_array_equal(rows, expected[1])
        np.testing.assert_allclose(scores, expected[0], rtol=1e-6)
        np.testing.assert_array_equal(vector_matrix(loaded), data)


@pytest.mark.parametrize("limit", [0, 10_000], ids=["ivf", "exact"])
def test_vector_matrix_returns_the_stored_vectors(data: np.ndarray, limit: int) -> None:
    np.testing.assert_array_equal(vector_matrix(build_vector_index(data, exact_limit=limit)), data)


def test_search_caps_k_at_the_index_size() -> None:
    _, rows = search(build_vector_index(clustered(5)), clustered(1, seed=1), 50)
    assert rows.shape == (1, 5) and sorted(rows[0]) == [0, 1, 2, 3, 4]

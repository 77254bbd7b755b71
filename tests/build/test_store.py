import json
from pathlib import Path

import pytest

from index.build.pipeline import build_index
from index.search.searcher import Searcher
from index.store.directory import FORMAT_VERSION, IndexUnavailable, load_index
from tests.conftest import CountingEmbedder


def test_incremental_rebuild_embeds_only_the_changed_file(corpus: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    first = CountingEmbedder(embedder)
    report = build_index(corpus, index_dir, first, 2_000_000)
    assert report.documents == 2 and report.reused == 0 and report.embedded == len(first.passages) > 0

    changed = corpus / "001_c0a4decbc27cb472.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nKazakhstan also opened an embassy in Doha.\n", encoding="utf-8"
    )
    second = CountingEmbedder(embedder)
    report = build_index(corpus, index_dir, second, 2_000_000)
    assert second.passages, "the changed article must be embedded again"
    assert all("Talibans" not in text and "Tokaïev" not in text for text in second.passages)
    assert report.reused > 0
    stored = load_index(index_dir, model_id=embedder.model_id)
    assert stored.manifest["files"]["001_c0a4decbc27cb472.txt"] != stored.manifest["files"]["003_0f37ec3c77dfb273.txt"]
    hits = Searcher(stored, embedder).search("embassy in Doha", k=1).hits
    assert "embassy in Doha" in hits[0].text


def test_interrupted_build_keeps_the_previous_index(corpus: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder, 2_000_000)
    before = load_index(index_dir).manifest["built_at"], (index_dir / "manifest.json").resolve()
    (corpus / "new.txt").write_text("Astana welcomed a delegation from Qatar to discuss energy. " * 5, encoding="utf-8")
    (corpus / "001_c0a4decbc27cb472.txt").unlink()
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, index_dir, CountingEmbedder(embedder, fail_after=0), 2_000_000)
    stored = load_index(index_dir, model_id=embedder.model_id)
    assert (stored.manifest["built_at"], (index_dir / "manifest.json").resolve()) == before
    assert "001_c0a4decbc27cb472.txt" in stored.manifest["files"]
    assert not [p for p in index_dir.parent.iterdir() if ".building-" in p.name]


def test_model_mismatch_is_reported_with_a_rebuild_hint(seed_index: Path):
    with pytest.raises(IndexUnavailable, match=r"built with model .*citebot build"):
        load_index(seed_index, model_id="sentence-transformers/all-MiniLM-L6-v2")


def test_missing_index_says_how_to_build(tmp_path: Path):
    with pytest.raises(IndexUnavailable, match=r"no index at .*citebot build"):
        load_index(tmp_path / "nothing")


@pytest.fixture
def copied_index(seed_index: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(seed_index.resolve(), target)
    return target


def test_corrupt_vectors_are_reported(copied_index: Path):
    (copied_index / "vectors.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexUnavailable, match=r"damaged.*citebot build"):
        load_index(copied_index)


def test_truncated_chunks_are_reported(copied_index: Path):
    lines = (copied_index / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (copied_index / "chunks.jsonl").write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="inconsistent"):
        load_index(copied_index)


def test_unknown_format_version_is_reported(copied_index: Path):
    manifest = json.loads((copied_index / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    (copied_index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="format version"):
        load_index(copied_index)


def test_manifest_describes_the_build(seed_index: Path, embedder):
    manifest = load_index(seed_index).manifest
    assert manifest["model_id"] == embedder.model_id and manifest["dim"] == 384
    assert manifest["documents"] == 5 and manifest["chunks"] > 5
    assert len(manifest["files"]) == 5 and all(len(h) == 64 for h in manifest["files"].values())
    assert manifest["built_at"]


def test_term_counts_are_written_by_the_build_and_counted_at_load_when_missing(copied_index: Path, embedder):
    """Searchers start without stemming every passage again; an index written before still loads."""
    from index.text.terms import terms

    stored = load_index(copied_index)
    per_article: dict[str, set[str]] = {}
    for chunk in stored.chunks:
        per_article.setdefault(chunk.doc_id, set()).update(terms(chunk.text, chunk.lang))
    assert stored.term_documents is not None and stored.term_documents["kazakhstan"] == 5
    assert stored.term_documents == {
        t: sum(t in found for found in per_article.values()) for t in stored.term_documents
    }
    assert set(stored.term_documents) == set().union(*per_article.values())

    (copied_index / "term_documents.json").unlink()
    older = load_index(copied_index)
    assert older.term_documents is None
    question = "Quelle est la position du Kazakhstan sur le Sahara ?"
    with_counts = Searcher(stored, embedder).search(question, k=3)
    counted_at_load = Searcher(older, embedder).search(question, k=3)
    assert [(h.source, h.highlight) for h in with_counts.hits] == [
        (h.source, h.highlight) for h in counted_at_load.hits
    ]
    assert Searcher(older, embedder)._doc_freq == stored.term_documents

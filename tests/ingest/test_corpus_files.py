from datetime import date
from pathlib import Path

import pytest

from index.ingest.corpus import CorpusError, load_corpus

ARTICLE = "Le Kazakhstan et le Qatar ont signé un accord de coopération économique à Astana cette semaine. " * 3


def test_bad_files_are_skipped_with_a_reason(tmp_path: Path):
    (tmp_path / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes(("Titre de l’article\n\n" + ARTICLE.replace("é", "è")).encode("cp1252"))
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "undecodable.txt").write_bytes(b"\x81\x8d\x8f\x90 texte" * 5)
    (tmp_path / "huge.txt").write_text(ARTICLE * 200, encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "broken.pdf").write_bytes(b"%PDF")
    loaded = load_corpus(tmp_path, max_bytes=5_000)
    assert sorted(d.source for d in loaded.documents) == ["good.txt", "latin.txt"]
    reasons = {s.source: s.reason for s in loaded.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"].startswith("binary")
    assert reasons["undecodable.txt"].startswith("not UTF-8")
    assert reasons["huge.txt"].startswith("too large")
    assert reasons["folder.txt"].startswith("unreadable")
    assert reasons["broken.pdf"].startswith("unreadable PDF")


def test_no_usable_article_is_a_clear_error(tmp_path: Path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="no usable article"):
        load_corpus(tmp_path, 5_000)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing", 5_000)


def test_sidecar_overrides_title_date_url(tmp_path: Path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "metadata.toml").write_text(
        '["a.txt"]\ntitle = "Accord Kazakhstan–Qatar"\ndate = 2024-02-03\nurl = "https://example.org/a"\n'
        'colour = "red"\n["missing.txt"]\ntitle = "x"\n',
        encoding="utf-8",
    )
    loaded = load_corpus(tmp_path, 5_000)
    document = loaded.documents[0]
    assert (document.title, document.date, document.url) == (
        "Accord Kazakhstan–Qatar",
        date(2024, 2, 3),
        "https://example.org/a",
    )
    assert any("colour" in w for w in loaded.warnings)
    assert any("missing.txt" in w for w in loaded.warnings)


def test_broken_sidecar_stops_with_its_name(tmp_path: Path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "metadata.toml").write_text("[a.txt\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="metadata"):
        load_corpus(tmp_path, 5_000)

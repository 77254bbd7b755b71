from datetime import date
from pathlib import Path

import pytest

from index.ingest.corpus import load_corpus
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def documents():
    return {d.source: d for d in load_corpus(SEEDS, 2_000_000).documents}


@pytest.mark.parametrize(
    ("source", "day", "lang", "title"),
    [
        ("000_f886bad5c2fd2437.txt", date(2026, 3, 1), "fr", "Dans un contexte de tensions accrues au Moyen-Orient"),
        ("001_c0a4decbc27cb472.txt", date(2026, 3, 2), "en", "President Kassym-Jomart Tokayev has held a series"),
        ("002_afc2c321953de182.txt", date(2025, 4, 28), "fr", "Le Kazakhstan appuie l’intégrité territoriale du Maroc"),
        (
            "003_0f37ec3c77dfb273.txt",
            None,
            "fr",
            "Le Kazakhstan ne considère plus les Talibans comme une organisation terroriste",
        ),
        ("004_c4a08215d9484b76.txt", None, "fr", "Renforcer la sécurité régionale : la vision du Kazakhstan"),
    ],
)
def test_seed_metadata(documents, source, day, lang, title):
    document = documents[source]
    assert document.date == day
    assert document.lang == lang
    assert document.title.startswith(title)
    assert "date" not in document.title.lower().split()[:1]
    assert len(document.sha256) == 64


def test_cleaning_drops_page_furniture(documents):
    morocco = documents["002_afc2c321953de182.txt"].text
    for furniture in (
        "LAISSER UN COMMENTAIRE",
        "Popular Articles",
        "Nos Articles à lire",
        "entrez votre",
        "avril 28, 2025",
    ):
        assert furniture not in morocco
    assert not morocco.startswith("Portrait")
    for source in ("003_0f37ec3c77dfb273.txt", "004_c4a08215d9484b76.txt"):
        text = documents[source].text
        assert "Newsletter" not in text
        assert "Pour rester informé" not in text
    assert "\nTalibans\n" not in documents["003_0f37ec3c77dfb273.txt"].text


def test_cleaning_keeps_every_article_sentence(documents):
    raw = (SEEDS / "002_afc2c321953de182.txt").read_text(encoding="utf-8")
    body = raw[raw.index("Le Kazakhstan a récemment") : raw.index("LAISSER UN COMMENTAIRE")]
    for paragraph in (p for p in body.split("\n") if len(p.split()) > 12):
        assert paragraph in documents["002_afc2c321953de182.txt"].text
    assert documents["001_c0a4decbc27cb472.txt"].text.startswith("ALMATY – President Kassym-Jomart Tokayev")


def test_markdown_article(tmp_path: Path):
    (tmp_path / "note.md").write_text(
        "# Astana hosts a **summit**\n\nPublished: 5 May 2024\n\n"
        + "The [summit](https://example.org) gathered leaders of the region to discuss trade and water. " * 3,
        encoding="utf-8",
    )
    document = load_corpus(tmp_path, 10_000).documents[0]
    assert document.title == "Astana hosts a summit"
    assert document.date == date(2024, 5, 5)
    assert "https://" not in document.text and "The summit gathered" in document.text

"""Dates kept at the precision they were written, from the most trusted source, never from the story."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.ingest.article_dates import byline_date, parse_written_date
from index.ingest.corpus import load_corpus
from index.models import Hit
from index.text.dates import WrittenDate, date_json, date_span, format_date

REAL = Path("/work/shared/eval/corpus-real")
LEDE = (
    "Le Kazakhstan et le Maroc ont ouvert une ligne aérienne directe entre Astana et Casablanca, "
    "a annoncé le ministère des Transports, qui prévoit trois vols par semaine dès l'été."
)
LATER = "Un premier accord avait été signé le 12 mars 2019 à Rabat, après une longue négociation entre les deux pays."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-02-28", WrittenDate(date(2025, 2, 28), "day")),
        ("2025-02", WrittenDate(date(2025, 2, 1), "month")),
        ("2025", WrittenDate(date(2025, 1, 1), "year")),
        ("28 février 2025", WrittenDate(date(2025, 2, 28), "day")),
        ("février 2025", WrittenDate(date(2025, 2, 1), "month")),
        ("February 2025", WrittenDate(date(2025, 2, 1), "month")),
        ("Feb. 14, 2025", WrittenDate(date(2025, 2, 14), "day")),
        ("Feb. 14", None),  # no year written: none is invented
        ("14.02.2025", WrittenDate(date(2025, 2, 14), "day")),
        ("seven 2024", None),  # dateparser reads a number word as a month: no month is named
        ("7 2024", None),
        ("12 fév. 2024", WrittenDate(date(2024, 2, 12), "day")),
        ("12/02/2024", WrittenDate(date(2024, 2, 12), "day")),  # day first, as French writes it
        ("02/13/2024", WrittenDate(date(2024, 2, 13), "day")),  # month first only when it must be
        ("31/02/2024", None),
        ("2025-13", None),
    ],
)
def test_parse_written_date(text, expected):
    assert parse_written_date(text) == expected


def test_span_display_and_json():
    feb = date(2025, 2, 1)
    assert date_span(feb, "month") == (date(2025, 2, 1), date(2025, 2, 28))
    assert date_span(feb, "year") == (date(2025, 1, 1), date(2025, 12, 31))
    assert date_span(date(2025, 2, 14), "day") == (date(2025, 2, 14), date(2025, 2, 14))
    assert format_date(feb, "month", "fr") == "février 2025"
    assert format_date(feb, "month", "en") == "February 2025"
    assert format_date(feb, "year", "fr") == "2025"
    assert format_date(date(2025, 4, 28), "day", "fr") == "2025-04-28"
    assert [date_json(feb, p) for p in ("day", "month", "year")] == ["2025-02-01", "2025-02", "2025"]
    hit = Hit(1, 0.5, "a.txt", "T", feb, None, "fr", "x", "x", "d", 0, 1, date_precision="month")
    assert json.loads(json.dumps(hit.to_json()))["date"] == "2025-02"
    assert hit.to_json()["date_precision"] == "month"


@pytest.mark.parametrize(
    ("source", "day", "title_start"),
    [
        ("108_maroc_rabat_2025.txt", date(2025, 2, 1), "Murat Nurtleu, ministre des Affaires étrangères"),
        ("109_maroc_visas_2024.txt", date(2024, 9, 1), "Le Maroc et le Kazakhstan ont signé"),
    ],
)
def test_real_month_headers(source, day, title_start):
    documents = {d.source: d for d in load_corpus(REAL, 2_000_000).documents}
    document = documents[source]
    assert (document.date, document.date_precision, document.date_source) == (day, "month", "header line")
    assert document.title.startswith(title_start)
    assert "date" not in document.title.lower() and "2024-09" not in document.title
    assert not document.text.lstrip().startswith("date")


def test_sources_in_order(tmp_path: Path):
    header = f" date 2025-02 {LEDE}"
    (tmp_path / "2024-01-05_all.txt").write_text(header, encoding="utf-8")
    (tmp_path / "2024-01-05_name.txt").write_text(f"Le 3 juin 2023, Astana. {LEDE}", encoding="utf-8")
    (tmp_path / "byline.txt").write_text(
        f"Vols directs entre Astana et Casablanca\n\nLe 3 juin 2023, {LEDE}", encoding="utf-8"
    )
    (tmp_path / "metadata.toml").write_text('["2024-01-05_all.txt"]\ndate = "2023"\n', encoding="utf-8")
    documents = {d.source: d for d in load_corpus(tmp_path, 2_000_000).documents}
    found = {s: (d.date, d.date_precision, d.date_source) for s, d in documents.items()}
    assert found == {
        "2024-01-05_all.txt": (date(2023, 1, 1), "year", "metadata.toml"),
        "2024-01-05_name.txt": (date(2024, 1, 5), "day", "file name"),
        "byline.txt": (date(2023, 6, 3), "day", "byline"),
    }
    assert documents["byline.txt"].title == "Vols directs entre Astana et Casablanca"


def test_month_file_name_and_metadata_month(tmp_path: Path):
    (tmp_path / "2025-02_visas.txt").write_text(LEDE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(LEDE, encoding="utf-8")
    (tmp_path / "metadata.toml").write_text('["b.txt"]\ndate = "2024-11"\n', encoding="utf-8")
    documents = {d.source: d for d in load_corpus(tmp_path, 2_000_000).documents}
    assert (documents["2025-02_visas.txt"].date, documents["2025-02_visas.txt"].date_precision) == (
        date(2025, 2, 1),
        "month",
    )
    assert (documents["b.txt"].date, documents["b.txt"].date_precision) == (date(2024, 11, 1), "month")


def test_a_date_far_down_is_an_event_not_the_articles_date(tmp_path: Path):
    (tmp_path / "event.txt").write_text(
        f"Vols directs entre Astana et Casablanca\n\n{LEDE}\n\n{LATER}", encoding="utf-8"
    )
    (document,) = load_corpus(tmp_path, 2_000_000).documents
    assert document.date is None and document.date_source is None
    # Deep in a long lede the date is an event too; only a dateline opens its paragraph.
    long_lede = f"{LEDE} Les premiers vols partiront le 2 juin 2025 de la capitale. {LEDE}"
    assert byline_date([long_lede]) is None
    assert byline_date(["ASTANA – Officials met during a Feb. 14 meeting in Doha. " + LEDE]) is None


@pytest.mark.parametrize(
    ("byline", "day"),
    [
        ("Mis à jour le 12/02/2024 à 10:30", date(2024, 2, 12)),
        ("Dakar, 12 fév. 2024 (APS)", date(2024, 2, 12)),
        ("2024-02-12T10:30:00Z", date(2024, 2, 12)),
        ("By Jane Doe | February 12, 2024 | 10:30 GMT", date(2024, 2, 12)),
    ],
)
def test_bylines_as_news_sites_write_them(byline: str, day: date):
    assert byline_date([byline, LEDE]) == WrittenDate(day, "day")

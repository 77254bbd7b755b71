"""One file of each format, made in the test, through the real build: text, title, date, URL, skips."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from index.build.pipeline import build_index
from index.store.directory import load_index

BODY_EN = (
    "Kazakhstan and Qatar signed an agreement on water management and desert agriculture in Doha, "
    "the foreign ministry said, adding that joint projects would start next spring in the south."
)
BODY_FR = (
    "Le Kazakhstan et le Maroc ont ouvert une ligne aérienne directe entre Astana et Casablanca, "
    "a annoncé le ministère des Transports, qui prévoit trois vols par semaine dès le mois de juin."
)

HTML_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head>
<title>Kazakhstan and Qatar sign water deal | Steppe News</title>
<meta property="og:title" content="Kazakhstan and Qatar sign water deal">
<meta property="article:published_time" content="2025-03-14T09:30:00+05:00">
<link rel="canonical" href="https://news.example.org/2025/qatar-water">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/politics">Politics menu link</a></li>
<li><a href="/sport">Sport section navigation</a></li></ul></nav>
<article>
<h1>Kazakhstan and Qatar sign water deal</h1>
<p>{BODY_EN}</p>
<p>Officials said the deal covers irrigation, desalination research and training for engineers from both
countries, with a first meeting of the joint committee planned in Astana before the end of the year.</p>
</article>
<section class="comments" id="comments"><h3>Comments</h3>
<div class="comment"><p>Zebracomment: what a great deal for the farmers of the region!</p></div></section>
<footer><p>Copyright Steppe News footerline 2025. All rights reserved. Contact the footer team.</p></footer>
</body></html>"""


def _pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Direct flights between Astana and Casablanca")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "date 2025-05\n\n" + BODY_FR.replace("’", "'"))
    pdf.output(str(path))


def _scanned_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(120, 120, 120)
    pdf.rect(20, 20, 160, 220, style="F")  # a page image with no text layer
    pdf.output(str(path))


def _docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Astana hosts a water forum", level=1)
    document.add_paragraph("Astana, le 3 juin 2024")
    document.add_paragraph(BODY_EN.replace("Doha", "Astana"))
    document.save(str(path))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder):
    corpus = tmp_path_factory.mktemp("formats")
    (corpus / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    _pdf(corpus / "flights.pdf")
    _scanned_pdf(corpus / "scan.pdf")
    _docx(corpus / "forum.docx")
    (corpus / "notes.xyz").write_text("not an article", encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "2025-04-28_plain.txt").write_text(f"A plain text article on trade\n\n{BODY_EN}", encoding="utf-8")
    index_dir = corpus.parent / "index"
    report = build_index(corpus, index_dir, embedder, 2_000_000)
    stored = load_index(index_dir, model_id=embedder.model_id)
    return report, {d.source: d for d in stored.documents}


def test_html_main_text_title_date_url(built):
    _, documents = built
    page = documents["page.html"]
    assert "water management and desert agriculture" in page.text
    for furniture in ("Politics menu link", "Sport section navigation", "Zebracomment", "footerline"):
        assert furniture not in page.text
    assert page.title == "Kazakhstan and Qatar sign water deal"
    assert (page.date, page.date_precision, page.date_source) == (date(2025, 3, 14), "day", "html metadata")
    assert page.url == "https://news.example.org/2025/qatar-water"


def test_pdf_title_from_metadata_and_header_month(built):
    _, documents = built
    pdf = documents["flights.pdf"]
    assert "ligne aérienne directe" in pdf.text
    assert "date 2025" not in pdf.text
    assert pdf.title == "Direct flights between Astana and Casablanca"
    assert (pdf.date, pdf.date_precision, pdf.date_source) == (date(2025, 5, 1), "month", "header line")


def test_docx_heading_title_and_byline_date(built):
    _, documents = built
    forum = documents["forum.docx"]
    assert forum.title == "Astana hosts a water forum"
    assert "desert agriculture in Astana" in forum.text
    assert (forum.date, forum.date_precision, forum.date_source) == (date(2024, 6, 3), "day", "byline")


def test_file_name_date(built):
    _, documents = built
    plain = documents["2025-04-28_plain.txt"]
    assert plain.title == "A plain text article on trade"
    assert (plain.date, plain.date_precision, plain.date_source) == (date(2025, 4, 28), "day", "file name")


def test_nothing_is_dropped_silently(built):
    report, documents = built
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons == {
        "scan.pdf": "no text layer (scanned PDF?)",
        "notes.xyz": "unsupported file type .xyz",
        "empty.txt": "empty file",
    }
    assert set(documents) == {"page.html", "flights.pdf", "forum.docx", "2025-04-28_plain.txt"}


def test_a_saved_page_in_the_charset_its_meta_declares_is_read_in_it():
    from index.ingest.readers import html

    body = (
        "Казахстан и Объединённые Арабские Эмираты подписали соглашение о сотрудничестве в сфере "
        "энергетики, сообщили в министерстве иностранных дел, добавив, что проекты начнутся весной. "
        "Стороны договорились о строительстве солнечных электростанций на юге страны и об обучении "
        "инженеров, а первое заседание совместной комиссии пройдёт в Астане до конца года."
    )
    page = (
        '<html><head><meta charset="windows-1251"><title>Соглашение</title></head>'
        f"<body><article><p>{body}</p></article></body></html>"
    )
    read = html.read(page.encode("cp1251"), "energy.html")
    assert body in read.text
    # Valid UTF-8 wins over a stale declaration (a page re-encoded when it was saved).
    assert body in html.read(page.encode(), "e.html").text


def test_a_page_reads_the_same_however_often_the_process_has_read_it():
    """A link sent again after /remove, or syndicated copies in one folder, must not come out cut."""
    from index.ingest.readers import html

    first = html.read(HTML_PAGE.encode(), "page.html").text
    assert BODY_EN in first
    for _ in range(4):
        assert html.read(HTML_PAGE.encode(), "page.html").text == first


def test_a_pdf_whose_text_stream_is_damaged_is_called_unreadable_not_a_scan(tmp_path: Path):
    from index.ingest.readers import pdf as pdf_reader
    from index.ingest.readers.record import Unreadable

    path = tmp_path / "flights.pdf"
    _pdf(path)
    data = path.read_bytes()
    start = data.index(b"stream\n") + len(b"stream\n")
    end = data.index(b"endstream", start)
    damaged = data[:start] + bytes(byte ^ 0x5A for byte in data[start:end]) + data[end:]
    with pytest.raises(Unreadable, match=r"^unreadable PDF \(damaged content: .*decompress"):
        pdf_reader.read(damaged, "flights.pdf")
    assert pdf_reader.read(data, "flights.pdf").text

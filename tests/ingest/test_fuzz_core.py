"""Fuzzing below the bot (hypothesis): questions, written dates, periods, metadata.toml, and each reader.

Properties: no exception but the documented ones (`CorpusError` for an unreadable metadata file,
`Unreadable` for a file that gives no article), and well-formed outputs (dates at their precision,
periods in order, phrases and spans inside the text they came from).

CI runs the small profile (about a minute on two shared cores); a larger run by hand:
    HYPOTHESIS_PROFILE=long python -m pytest -q tests/ingest/test_fuzz_core.py
"""

from __future__ import annotations

import io
import json
import os
import string
import tempfile
import zipfile
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.ingest.article_dates import byline_date, file_name_date, parse_written_date, split_leading_written_date
from index.ingest.readers import READERS, ReadArticle, Unreadable
from index.ingest.sidecar import SIDECAR_NAME, CorpusError, read_sidecar, valid_url
from index.search.names import NameIndex
from index.search.periods import asks_for_latest, parse_period
from index.search.question import read_question
from index.text.dates import PRECISIONS, WrittenDate

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

# Examples per test; deadline off: the first call of a test loads dateparser's or lingua's tables.
# No example database: a failure prints its example to paste as an @example.
_BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
_PROFILES = {"ci": settings(_BASE, max_examples=100), "long": settings(_BASE, max_examples=10_000)}
# Any other profile name (tests/conftest.py's "dev") runs the CI size.
FUZZ = _PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), _PROFILES["ci"])


def _words(*lines: str) -> list[str]:
    return [word for line in lines for word in line.split(" ") if word]


# Words that make the date parsers work: months and numbers in both languages, ordinals, separators.
_DATE_WORDS = _words(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "January February March April May June July August September October November December",
    "Jan. Feb. févr. Sept. sept 1er 1st 2nd 3rd 4th 31 30 29 28 0 00 13 99 le the of on in en",
    "2025 2026 1999 1800 1899 2100 2099 9999 0001 1000 2025-02 2025-02-28 2025-13-01 2025-02-30",
    "2025-2-9 20250228 2025_02 2025.02.28 latest dernier récent today yesterday hier aujourd'hui",
    ", . : ; - – — | / ( ) « » \u200f \u202e \x00 \t \n",
)
date_like = st.lists(st.sampled_from(_DATE_WORDS), max_size=8).map(" ".join)
# Any text (control characters, right-to-left, astral planes), or text built from date words.
any_text = st.one_of(st.text(max_size=300), date_like, st.text(alphabet=string.printable, max_size=100))


def _well_formed(found: WrittenDate | None) -> None:
    if found is None:
        return
    assert type(found.day) is date, found  # a datetime is a date too, and breaks date_json and comparisons
    assert found.precision in PRECISIONS
    if found.precision in ("month", "year"):
        assert found.day.day == 1
    if found.precision == "year":
        assert found.day.month == 1


# -- dates written in articles --------------------------------------------------------------------


@FUZZ
@given(any_text)
@example("0001")
@example("2025-02-30")
@example("2000;D")  # read as 2,000 days before today
@example("2025 h")  # 2,025 hours before now
def test_parse_written_date(text: str):
    found = parse_written_date(text)
    _well_formed(found)
    if found is not None:
        # The year comes from the text: never invented.
        assert str(found.day.year) in text or f"{found.day.year:04d}" in text


@FUZZ
@given(any_text)
def test_split_leading_written_date(text: str):
    split = split_leading_written_date(text)
    if split is None:
        return
    found, rest = split
    _well_formed(found)
    assert text.strip().endswith(rest)


@FUZZ
@given(st.one_of(st.text(max_size=120), date_like.map(lambda s: s.replace(" ", "_") + ".txt")))
@example("1999-12-31_x.pdf")
def test_file_name_date(name: str):
    found = file_name_date(name)
    _well_formed(found)
    if found is not None:
        assert 1900 <= found.day.year <= 2099
        assert str(found.day.year) in name


@FUZZ
@given(st.lists(any_text, max_size=5))
def test_byline_date(paragraphs: list[str]):
    _well_formed(byline_date(paragraphs))


# -- questions -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _seed_names() -> NameIndex:
    return NameIndex.build([(path.read_text(encoding="utf-8"), "") for path in sorted(SEEDS.glob("*.txt"))])


_QUESTION_WORDS = _words(
    "What did Kazakhstan Qatar say about the UN in March 2026 latest Tokayev SCO OCS",
    "Qu'a dit le Maroc en avril 2025 ? dernière déclaration Tokaïev Sahara ONU",
    "Казахстан Astana Nur-Sultan Doha 2024 1899 2100 « » \u200f \u202e \u0627\u0644\u0642\u0627\u0647\u0631\u0629",
)
question_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(_QUESTION_WORDS), max_size=12).map(" ".join),
    date_like,
)


@FUZZ
@given(question_text)
@example("x" * 4096)
@example("\u202eWhat did Kazakhstan say in March 2026?\u202c")
def test_read_question(text: str):
    question = read_question(text, _seed_names())
    assert question.text == text
    assert question.lang in (None, "en", "fr")
    assert all(isinstance(term, str) and term for term in question.terms)
    assert isinstance(question.latest, bool)
    for name in question.alternatives:
        assert name in text
    if question.period is not None:
        assert question.period.since <= question.period.until
        assert question.period.phrase in text
    assert isinstance(question.topic_text, str)
    assert isinstance(question.dense_text, str)


@pytest.mark.parametrize("question", ["What did Tokayev say during a 2025 visit?", "en l'an 2025", "Top six 2025"])
def test_number_words_are_no_months(question: str):
    # dateparser reads "a", "an", "six" as months: "a 2025 visit" was January 2025.
    period = parse_period(question)
    assert period is not None and (period.since, period.until) == (date(2025, 1, 1), date(2025, 12, 31))


def test_month_names_still_name_months():
    for question, month in [("in March 2026", 3), ("en févr. 2026", 2), ("in Sept. 2024", 9), ("en aout 2025", 8)]:
        period = parse_period(question)
        assert period is not None and period.since.month == period.until.month == month, question


@FUZZ
@given(question_text)
@example("en févr. 2026")
@example("What happened one 2025?")
def test_parse_period(text: str):
    period = parse_period(text)
    assert isinstance(asks_for_latest(text), bool)
    if period is None:
        return
    assert period.since <= period.until
    assert period.phrase and period.phrase in text
    assert str(period.since.year) in period.phrase
    assert period.since.year == period.until.year
    assert (period.since.month, period.since.day) in ((1, 1), (period.since.month, 1))


# -- metadata.toml ----------------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.text(max_size=40),
    date_like,
    st.sampled_from(["https://example.org/a", "http://[::1", "http://[x]/", "ftp://x", "https://", "http://a b"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _toml_key(key: str) -> str:
    return json.dumps(key)


def _toml_value(value: object) -> str:
    """TOML for the values above (JSON's strings are TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


entries = st.dictionaries(
    st.text(max_size=20),
    st.one_of(
        st.dictionaries(st.sampled_from(["title", "date", "url", "author", ""]), toml_values, max_size=4),
        toml_values,
    ),
    max_size=4,
)


def _check_overrides(folder: Path) -> None:
    warnings: list[str] = []
    try:
        overrides = read_sidecar(folder, warnings)
    except CorpusError as error:
        assert SIDECAR_NAME in str(error)
        return
    for item in overrides.values():
        assert item.title is None or (item.title and item.title == " ".join(item.title.split()))
        assert item.url is None or valid_url(item.url)
        _well_formed(item.date)
    assert all(isinstance(w, str) for w in warnings)


@FUZZ
@given(entries)
@example({"a.txt": {"url": "http://[::1"}})
@example({"a.txt": {"date": datetime(2025, 2, 28, 10, 30)}})
def test_sidecar_values(raw: dict):
    lines = []
    for source, entry in raw.items():
        if isinstance(entry, dict):
            lines.append(f"[{_toml_key(source)}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in entry.items()]
        else:
            lines.insert(0, f"{_toml_key(source)} = {_toml_value(entry)}")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / SIDECAR_NAME).write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        _check_overrides(Path(folder))


@FUZZ
@given(st.binary(max_size=400))
@example(b"\xff\xfe")
@example(b'["a.txt"]\ntitle = "x"\x00')
def test_sidecar_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / SIDECAR_NAME).write_bytes(data)
        _check_overrides(Path(folder))


# -- readers -----------------------------------------------------------------------------------------


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = datetime(2025, 1, 1)
    document.add_heading("A heading", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return _rezip(buffer.getvalue(), {})


def _pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2025, 1, 1))
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


@lru_cache(maxsize=1)
def _samples() -> dict[str, bytes]:
    body = "Kazakhstan and Qatar signed an agreement on water management in Doha, the ministry said. " * 3
    return {".docx": _docx_bytes(body), ".pdf": _pdf_bytes(body)}


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return bytes(out)


def _rezip(data: bytes, replaced: dict[str, bytes]) -> bytes:
    """The same Word file, its parts dated alike (the same bytes on every run), some of them replaced."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, part in {**parts, **replaced}.items():
            target.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), part, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


edits = st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8)
html_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div>",
                "</div>",
                "<html>",
                "<body>",
                "<title>",
                "<meta charset=x>",
                "<script>",
                "<!--",
                "-->",
                "<![CDATA[",
                "&amp;",
                "&#0;",
                "&#x110000;",
                "<br/>",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=30,
).map("".join)


def _assert_reads(data: bytes, suffix: str) -> None:
    try:
        read = READERS[suffix](data, f"file{suffix}")
    except Unreadable as error:
        assert str(error)
        return
    assert isinstance(read, ReadArticle)
    assert isinstance(read.title, str)
    assert all(isinstance(p, str) and p for p in read.paragraphs)
    _well_formed(read.date)
    _well_formed(read.byline)


@FUZZ
@given(st.sampled_from(sorted(READERS)), st.binary(max_size=2_000))
@example(".pdf", b"%PDF-1.4\n")
@example(".docx", b"PK\x05\x06" + b"\x00" * 18)
def test_readers_any_bytes(suffix: str, data: bytes):
    _assert_reads(data, suffix)


@FUZZ
@given(st.sampled_from([".txt", ".md", ".html", ".htm"]), st.one_of(st.text(max_size=2_000), html_like))
def test_text_readers_any_text(suffix: str, text: str):
    _assert_reads(text.encode("utf-8", "surrogatepass"), suffix)


@pytest.mark.parametrize("suffix", sorted(READERS))
@pytest.mark.parametrize("kind", [".pdf", ".docx"])
def test_readers_other_formats(suffix: str, kind: str):
    # A PDF named .docx, a Word file named .html: refused with a reason, never an error.
    _assert_reads(_samples()[kind], suffix)


@FUZZ
@given(st.sampled_from([".pdf", ".docx"]), edits)
# Each stopped a whole build when it escaped the Word reader:
@example(".docx", [(28, 64)])  # zlib.error: invalid code lengths set
@example(".docx", [(28_626, 64)])  # EOFError
@example(".docx", [(35_548, 64)])  # NotImplementedError: zip file version 6.4
def test_binary_readers_damaged_files(suffix: str, damage: list[tuple[int, int]]):
    _assert_reads(_mutate(_samples()[suffix], damage), suffix)


@FUZZ
@given(
    st.sampled_from(["word/document.xml", "word/styles.xml", "[Content_Types].xml", "docProps/core.xml"]),
    st.one_of(st.binary(max_size=300), html_like.map(lambda s: s.encode("utf-8", "surrogatepass"))),
)
@example("word/document.xml", b"")  # lxml's XMLSyntaxError out of the Word reader
def test_docx_damaged_parts(member: str, content: bytes):
    _assert_reads(_rezip(_samples()[".docx"], {member: content}), ".docx")


def test_every_reader_is_fuzzed():
    # A new format's reader must join the strategies above (samples, damaged files).
    assert set(READERS) == {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}

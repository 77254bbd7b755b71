"""Split documents into passages of whole sentences, about 60-200 words, with a small overlap."""

from __future__ import annotations

from dataclasses import dataclass

from index.ingest.articles import is_heading
from index.ingest.sentences import sentence_spans
from index.models import Chunk, Document

# Bumped whenever chunk boundaries change, so a rebuild does not reuse stale vectors.
CHUNKER_VERSION = 1


@dataclass(frozen=True)
class ChunkerConfig:
    min_words: int = 60
    target_words: int = 80
    max_words: int = 200
    overlap_max_words: int = 40


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    words: int
    heading: bool
    paragraph_start: bool


def _units(document: Document) -> list[_Unit]:
    units: list[_Unit] = []
    offset = 0
    for paragraph in document.text.split("\n\n"):
        start = document.text.index(paragraph, offset)
        offset = start + len(paragraph)
        if is_heading(paragraph):
            units.append(_Unit(start, offset, len(paragraph.split()), True, True))
            continue
        for index, (a, b) in enumerate(sentence_spans(paragraph, document.lang)):
            units.append(_Unit(start + a, start + b, len(paragraph[a:b].split()), False, index == 0))
    return units


def _groups(units: list[_Unit], config: ChunkerConfig) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        words = sum(u.words for u in current)
        # Prefer closing at a paragraph boundary once the chunk is big enough.
        full = words + unit.words > config.max_words
        good_break = unit.paragraph_start and words >= config.target_words
        if (full or good_break) and any(not u.heading for u in current):
            carried: list[_Unit] = []
            while current[-1].heading:  # a heading belongs with the text after it
                carried.insert(0, current.pop())
            groups.append(current)
            last = current[-1]
            # Overlap by one short sentence, but never across a heading: that would mix sections.
            starts_section = bool(carried) or unit.heading
            current = carried if starts_section or last.words > config.overlap_max_words else [last]
        current.append(unit)
    if any(not u.heading for u in current):
        fresh = [u for u in current if not groups or u not in groups[-1]]
        if groups and sum(u.words for u in fresh) < config.min_words:
            groups[-1] = groups[-1] + fresh  # a short tail joins the previous passage
        else:
            groups.append(current)
    return groups


def sentence_spans_of(document: Document) -> list[tuple[int, int]]:
    """Offsets of the document's sentences (headings left out), for highlighting."""
    return [(u.start, u.end) for u in _units(document) if not u.heading]


def chunk_document(document: Document, first_id: int = 0, config: ChunkerConfig | None = None) -> list[Chunk]:
    config = config or ChunkerConfig()
    chunks = []
    for group in _groups(_units(document), config):
        chunks.append(chunk_of(document, first_id + len(chunks), group[0].start, group[-1].end))
    return chunks


def chunk_of(document: Document, row: int, start: int, end: int) -> Chunk:
    """The passage of `document` between two offsets (a backend that stores only offsets rebuilds it so)."""
    return Chunk(
        id=row,
        doc_id=document.id,
        source=document.source,
        title=document.title,
        date=document.date,
        date_precision=document.date_precision,
        lang=document.lang,
        url=document.url,
        text=document.text[start:end],
        start=start,
        end=end,
    )


def chunk_documents(documents: list[Document], config: ChunkerConfig | None = None) -> list[Chunk]:
    chunks: list[Chunk] = []
    for document in documents:
        chunks.extend(chunk_document(document, first_id=len(chunks), config=config))
    return chunks

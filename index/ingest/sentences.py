"""Sentence boundaries with character offsets, aware of French and English abbreviations."""

from __future__ import annotations

from functools import lru_cache

from sentence_splitter import SentenceSplitter


@lru_cache(maxsize=4)
def _splitter(lang: str) -> SentenceSplitter:
    return SentenceSplitter(language=lang if lang in ("fr", "en") else "en")


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of `text`, in order, covering no whitespace."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in _splitter(lang).split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        start = text.find(sentence, cursor)
        if start < 0:
            # The splitter normalised something inside the sentence; fall back to the rest as one.
            break
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    rest = text[cursor:].strip()
    if rest:
        start = text.index(rest, cursor)
        spans.append((start, start + len(rest)))
    return spans

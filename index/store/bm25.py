"""BM25 over passages' index terms (bm25s), and the cognates a question's terms meet in its vocabulary."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from index.text.terms import terms

logging.getLogger("bm25s").setLevel(logging.WARNING)

# Cognates across the two stemmers: a shared start of this many letters, endings this much longer.
COGNATE_STEM = 5
COGNATE_ENDING = 2


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, texts: Sequence[str], langs: Sequence[str]) -> LexicalIndex:
        return cls.from_terms([terms(text, lang) for text, lang in zip(texts, langs, strict=True)])

    @classmethod
    def from_terms(cls, passages: Sequence[list[str]]) -> LexicalIndex:
        """From each passage's `terms`, when the build needs them for other counts too."""
        retriever = bm25s.BM25()
        retriever.index([found or [""] for found in passages], show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory)))

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    @cached_property
    def _sorted_vocabulary(self) -> list[str]:
        return sorted(self._retriever.vocab_dict)

    def cognates(self, query: Sequence[str]) -> list[str]:
        return cognates_in(self._sorted_vocabulary, query)

    def known_terms(self, query: Sequence[str]) -> list[str]:
        return [term for term in query if term and term in self._retriever.vocab_dict]

    def scores(self, query: Sequence[str]) -> np.ndarray:
        known = self.known_terms(query)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)


def cognates_in(vocabulary: Sequence[str], query: Sequence[str]) -> list[str]:
    """Terms of the sorted `vocabulary` that are a question term with a stem ending cut differently.

    French and English stemmers leave the same word with different endings (irriguées →
    "irrigue", irrigated → "irrig"; septembre → "septembr", September → "septemb"), so a
    question in one language misses the other language's form of a word both share. A term
    extends or shortens another by at most COGNATE_ENDING letters past a COGNATE_STEM-letter
    shared start; unrelated words rarely do.
    """
    found: list[str] = []
    for term in query:
        if len(term) < COGNATE_STEM:
            continue
        at = bisect.bisect_left(vocabulary, term[:COGNATE_STEM])
        while at < len(vocabulary) and vocabulary[at].startswith(term[:COGNATE_STEM]):
            other = vocabulary[at]
            at += 1
            short, long = sorted((other, term), key=len)
            if len(long) - len(short) <= COGNATE_ENDING and long.startswith(short) and other not in query:
                found.append(other)
    return list(dict.fromkeys(found))

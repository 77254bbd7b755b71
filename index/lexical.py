"""BM25 over chunk texts: per-language stemming, accent folding, French elision."""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

logging.getLogger("bm25s").setLevel(logging.WARNING)

_STEMMERS = {"fr": "french", "en": "english"}
# Articles in other languages are stemmed in their own; questions are stemmed as French and English.
_ARTICLE_STEMMERS = {**_STEMMERS, "ru": "russian", "de": "german", "es": "spanish", "it": "italian"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})
# l'intégrité, d'Astana, qu'il, jusqu'à...: the elided article carries no meaning of its own.
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(?=\w)", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
_COMPOUND = re.compile(r"\w+(?:-\w+)*", re.UNICODE)
# Cognates across the two stemmers: a shared start of this many letters, endings this much longer.
COGNATE_STEM = 5
COGNATE_ENDING = 2
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@lru_cache(maxsize=65536)
def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words = set(STOPWORDS_EN) | set(STOPWORDS_FRENCH)
    return frozenset(fold_accents(word.lower()) for word in words)


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_ARTICLE_STEMMERS.get(lang, "english"))


def surface_words(text: str) -> list[str]:
    """Word forms as typed (case kept, hyphenated compounds whole), elided articles removed."""
    return _COMPOUND.findall(_ELISION.sub("", text.translate(_APOSTROPHES)))


def words(text: str) -> list[str]:
    """Lower-cased word forms with elided articles removed."""
    text = _ELISION.sub("", text.translate(_APOSTROPHES).lower())
    return [word for word in _WORD.findall(text) if fold_accents(word) not in _stopwords()]


def terms(text: str, lang: str) -> list[str]:
    """Index terms of a passage in its own language."""
    # Folded before stemming, so a question typed without accents stems like the accented text.
    return _stemmer(lang).stemWords([fold_accents(word) for word in words(text)])


def query_terms(text: str) -> list[str]:
    """Index terms of a question, stemmed both ways: its language is often unclear and it may
    target an article in the other language (names and cognates then still match)."""
    found: list[str] = []
    for word in words(text):
        # A Cyrillic name (a transliterated form of the question's names) can only match a Russian
        # article, whose words the index stemmed as Russian.
        for lang in ("ru",) if _CYRILLIC.search(word) else _STEMMERS:
            term = _stemmer(lang).stemWord(fold_accents(word))
            if term not in found:
                found.append(term)
    return found


def term_documents(doc_ids: Sequence[str], passages: Sequence[list[str]]) -> Counter[str]:
    """In how many articles each term occurs (highlights and topic words weigh terms by it)."""
    per_document: dict[str, set[str]] = {}
    for doc_id, found in zip(doc_ids, passages, strict=True):
        per_document.setdefault(doc_id, set()).update(found)
    return Counter(term for found in per_document.values() for term in found)


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
        """Index terms that are a question term with a stem ending cut differently.

        French and English stemmers leave the same word with different endings (irriguées →
        "irrigue", irrigated → "irrig"; septembre → "septembr", September → "septemb"), so a
        question in one language misses the other language's form of a word both share. A term
        extends or shortens another by at most COGNATE_ENDING letters past a COGNATE_STEM-letter
        shared start; unrelated words rarely do.
        """
        vocabulary = self._sorted_vocabulary
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

    def known_terms(self, query: Sequence[str]) -> list[str]:
        return [term for term in query if term and term in self._retriever.vocab_dict]

    def scores(self, query: Sequence[str]) -> np.ndarray:
        known = self.known_terms(query)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

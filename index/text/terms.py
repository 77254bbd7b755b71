"""Words and index terms, shared by BM25, the name tables, highlights and the question:
per-language stemming, accent folding, French elision."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

_STEMMERS = {"fr": "french", "en": "english"}
# Articles in other languages are stemmed in their own; questions are stemmed as French and English.
_ARTICLE_STEMMERS = {**_STEMMERS, "ru": "russian", "de": "german", "es": "spanish", "it": "italian"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})
# l'intégrité, d'Astana, qu'il, jusqu'à...: the elided article carries no meaning of its own.
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(?=\w)", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
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

"""Whether English and French write a word alike: a name crosses languages by its spelling
(Erdogan, Caracas, Python), a word of the language by its translation (Security/sécurité, Kingdom/Royaume).

A question's name that no passage writes in any form is met through the model only when it may have
been translated (`index/search/names.py`): the model meets "Security Council" with "Conseil de
sécurité", but it also finds "Erdogan" close to "Turkistan" and "Mirziyoyev" close to "Uzbekistan",
which are associations, not translations. A word that both languages use about as often is a
spelling: the corpus would write it the same way, and it does not.

Measured with wordfreq's frequency of the same spelling in English and in French (its "large" lists,
frequencies to one in a billion words). `python bench/spelling.py` calibrates the margin on CLDR's
country names, whose English and French forms say which words are written alike (Canada, Iran,
Venezuela) and which translated (Germany/Allemagne, Kingdom/Royaume): at 0.7 Zipf units it tells
them apart 87 % of the time (707 words), the least cost when calling a translated word a spelling costs twice
the other mistake (it would drop the meeting that answers the question).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
from wordfreq import DATA_PATH, read_cBpack

LANGUAGES = ("en", "fr")
# Zipf units (log10 of occurrences per billion words): a word whose frequencies in the two languages
# differ by less is written alike in both. Chosen by bench/spelling.py (see above).
ALIKE_ZIPF = 0.7


def zipf_table(lang: str) -> dict[str, float]:
    """Every word of wordfreq's large list for `lang`, with its Zipf frequency."""
    buckets = read_cBpack(str(DATA_PATH / f"large_{lang}.msgpack.gz"))
    return {word: 9 - index / 100 for index, bucket in enumerate(buckets) for word in bucket}


def _hashed_zipf(lang: str) -> tuple[np.ndarray, np.ndarray]:
    buckets = read_cBpack(str(DATA_PATH / f"large_{lang}.msgpack.gz"))
    hashes = np.fromiter((hash(word) for bucket in buckets for word in bucket), dtype=np.int64)
    zipf = np.concatenate([np.full(len(bucket), 9 - index / 100) for index, bucket in enumerate(buckets)])
    return hashes, zipf


@lru_cache(maxsize=1)
def _translated_hashes(margin: float = ALIKE_ZIPF) -> np.ndarray:
    """Sorted hashes of the words whose frequency differs between the languages by `margin` or more
    (a word absent from one list counts as 0 there). The two lists hold 630,000 words, 67 MB as dicts;
    the 420,000 translated ones take 3.4 MB this way. Python's string hash is per process, as this is."""
    (first, first_zipf), (second, second_zipf) = (_hashed_zipf(lang) for lang in LANGUAGES)
    words, where = np.unique(np.concatenate([first, second]), return_inverse=True)
    zipf = np.zeros((2, len(words)))
    zipf[0, where[: len(first)]] = first_zipf
    zipf[1, where[len(first) :]] = second_zipf
    return words[np.abs(zipf[0] - zipf[1]) >= margin]


def key(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold()


def spelled_alike(word: str) -> bool:
    """Whether English and French write `word` alike; a word neither list holds (Mirziyoyev) is a name."""
    table = _translated_hashes()
    wanted = hash(key(word))
    at = int(np.searchsorted(table, wanted))
    return not (at < len(table) and table[at] == wanted)


def load() -> None:
    """Read the lists now (about half a second) rather than on the first question that needs them."""
    _translated_hashes()

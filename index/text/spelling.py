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
them apart 86 % of the time (707 words), the least cost when calling a translated word a spelling costs twice
the other mistake (it would drop the meeting that answers the question).
"""

from __future__ import annotations

import gzip
import importlib.util
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import msgpack
import numpy as np

LANGUAGES = ("en", "fr")
# Zipf units (log10 of occurrences per billion words): a word whose frequencies in the two languages
# differ by less is written alike in both. Chosen by bench/spelling.py (see above).
ALIKE_ZIPF = 0.7
# A word absent from a list, in the same centibels: Zipf 0.
ABSENT = 900


def _list_path(lang: str) -> Path:
    # Found without importing wordfreq, whose own imports (regex, ftfy, langcodes) cost every process
    # 0.1 s that only reads two of its files.
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the wordfreq package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"large_{lang}.msgpack.gz"


def zipf_table(lang: str) -> dict[str, float]:
    """Every word of wordfreq's large list for `lang`, with its Zipf frequency (bench/spelling.py)."""
    return {word: 9 - index / 100 for index, bucket in enumerate(_buckets(lang)) for word in bucket}


def _buckets(lang: str) -> Iterator[list[str]]:
    """wordfreq's "cBpack" file, one bucket at a time: a msgpack list of a header, then one list of
    words per centibel of frequency (the first bucket at 0 cB, one occurrence per word)."""
    with gzip.open(_list_path(lang), "rb") as file:
        unpacker = msgpack.Unpacker(file, raw=False)
        items = unpacker.read_array_header()
        header = unpacker.unpack()
        if header != {"format": "cB", "version": 1}:
            raise ValueError(f"wordfreq's list for {lang} is in an unknown format: {header}")
        for _ in range(items - 1):
            yield unpacker.unpack()


def _hashed_rarity(lang: str) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the words of wordfreq's large list for `lang`, and how rare each is in centibels
    below one occurrence per word (Zipf 9 - centibels / 100), in integers so that a margin is exact.

    Read one bucket at a time: all 320,000 words as strings at once would raise the peak memory of
    `citebot ask` by 40 MB."""
    hashes, rarity = [], []
    for index, bucket in enumerate(_buckets(lang)):
        hashes.append(np.fromiter((hash(word) for word in bucket), dtype=np.int64, count=len(bucket)))
        rarity.append(np.full(len(bucket), index, dtype=np.int32))
    return np.concatenate(hashes), np.concatenate(rarity)


@lru_cache(maxsize=1)
def _translated_hashes(margin: float = ALIKE_ZIPF) -> np.ndarray:
    """Sorted hashes of the words whose frequency differs between the languages by `margin` or more
    (a word absent from one list counts as Zipf 0 there). The two lists hold 630,000 words, 67 MB as
    dicts; the 415,000 translated ones take 3.3 MB this way. Python's string hash is per process, as
    this table is."""
    apart = round(margin * 100)
    (first, first_rarity), (second, second_rarity) = (_hashed_rarity(lang) for lang in LANGUAGES)
    order = np.argsort(second)
    second, second_rarity = second[order], second_rarity[order]
    translated = [first[np.abs(first_rarity - _rarity_in(first, second, second_rarity)) >= apart]]
    first.sort()
    # Words of the second list only; those in both were compared above.
    only_second = _rarity_in(second, first, np.zeros(len(first), dtype=np.int32)) == ABSENT
    translated.append(second[only_second & (ABSENT - second_rarity >= apart)])
    return np.unique(np.concatenate(translated))


def _rarity_in(wanted: np.ndarray, table: np.ndarray, rarity: np.ndarray) -> np.ndarray:
    """The rarity in sorted `table` of each hash of `wanted`; ABSENT (Zipf 0) when it is not there."""
    at = np.minimum(np.searchsorted(table, wanted), len(table) - 1)
    return np.where(table[at] == wanted, rarity[at], ABSENT)


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

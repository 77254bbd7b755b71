"""Language detection with lingua: questions in French or English, articles in a few more languages.

The bot speaks French and English; articles may come in other languages (a Russian dispatch among
French and English ones): they are indexed with their own stemmer and searched across languages.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED = ("fr", "en")
_QUESTION_CODES = {Language.FRENCH: "fr", Language.ENGLISH: "en"}
# Languages with a Snowball stemmer (index/terms.py) that news articles on our topics come in.
_ARTICLE_CODES = {
    **_QUESTION_CODES,
    Language.RUSSIAN: "ru",
    Language.GERMAN: "de",
    Language.SPANISH: "es",
    Language.ITALIAN: "it",
}


@lru_cache(maxsize=2)
def _detector(articles: bool) -> LanguageDetector:
    # Preloaded: lazy loading made each short-question call cost milliseconds instead of microseconds.
    codes = _ARTICLE_CODES if articles else _QUESTION_CODES
    return LanguageDetectorBuilder.from_languages(*codes).with_preloaded_language_models().build()


def detect_language(text: str, default: str = "en") -> str:
    """An article's language code; `default` when the text gives no clear signal."""
    if not any(ch.isalpha() for ch in text):
        return default
    found = _detector(True).detect_language_of(text)
    return _ARTICLE_CODES.get(found, default) if found else default


def detect_language_confident(text: str, minimum: float = 0.75) -> str | None:
    """A question's language (French or English) when lingua is reasonably sure, else None ("Jordan")."""
    if not any(ch.isalpha() for ch in text):
        return None
    best = _detector(False).compute_language_confidence_values(text)[0]
    return _QUESTION_CODES.get(best.language) if best.value >= minimum else None

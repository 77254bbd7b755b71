"""French/English detection with lingua, restricted to the two languages we serve."""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED = ("fr", "en")
_CODES = {Language.FRENCH: "fr", Language.ENGLISH: "en"}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Preloaded: lazy loading made each short-question call cost milliseconds instead of microseconds.
    return LanguageDetectorBuilder.from_languages(*_CODES).with_preloaded_language_models().build()


def detect_language(text: str, default: str = "en") -> str:
    """The text's language code; `default` when the text gives no clear signal."""
    if not any(ch.isalpha() for ch in text):
        return default
    found = _detector().detect_language_of(text)
    return _CODES.get(found, default) if found else default


def detect_language_confident(text: str, minimum: float = 0.75) -> str | None:
    """The language when lingua is reasonably sure, else None (short names like "Jordan")."""
    if not any(ch.isalpha() for ch in text):
        return None
    best = _detector().compute_language_confidence_values(text)[0]
    return _CODES.get(best.language) if best.value >= minimum else None

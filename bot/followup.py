"""Follow-ups: when a message continues an earlier question, and the query that searches it.

Why this rule: people in a chat ask the way they talk ("And Jordan?", "Et en 2024 ?", "Which date
was that?"). Such a message means nothing on its own to a retriever, but its subject is the question
it follows. So a candidate follow-up (a reply to one of the bot's answers, or a short private message
soon after one) is merged with that question unless it clearly stands on its own: its own question
word, its own topic words, and no connector or pronoun pointing back ("and", "et", "that", "ça"...).
Merging keeps the previous question's words but lets the follow-up's new names and years replace
the old ones, so "And Jordan?" after "What did Kazakhstan say about Qatar?" searches
"What did Kazakhstan say about Jordan?", not Qatar and Jordan together.
Pure functions only: the handlers decide what is a candidate, this module decides the rest.
"""

from __future__ import annotations

import re

# A private message this short, right after an answer, is read as a candidate follow-up.
SHORT_WORDS = 8
# Words that point back to what was said before, in English and French.
BACK_POINTERS = {
    "and", "also", "what about", "how about", "that", "this", "it", "its", "they", "them", "those",
    "these", "there", "then", "same", "he", "she", "his", "her", "their",
    "et", "aussi", "et pour", "et en", "cela", "ça", "ca", "là", "la-bas", "là-bas", "ce", "cet",
    "cette", "ces", "il", "elle", "ils", "elles", "lui", "leur", "leurs", "y", "en", "alors", "même",
}  # fmt: skip
QUESTION_WORDS = {
    "what", "who", "whom", "when", "where", "which", "why", "how", "is", "are", "was", "were", "did",
    "does", "do", "can", "qu", "que", "quoi", "quel", "quelle", "quels", "quelles", "qui", "quand",
    "où", "ou", "pourquoi", "comment", "combien", "est-ce",
}  # fmt: skip
# Words carrying no topic: question words, pointers, auxiliaries and articles.
FILLER = QUESTION_WORDS | BACK_POINTERS | {
    "the", "a", "an", "of", "in", "on", "about", "for", "to", "did", "say", "said", "with",
    "le", "les", "un", "une", "des", "de", "du", "d", "l", "au", "aux", "sur", "dans", "pour",
    "à", "s", "dit", "concernant", "sujet", "est", "was", "were",
}  # fmt: skip
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_YEAR = re.compile(r"^(19|20)\d\d$")


def _words(message: str) -> list[str]:
    return [w.strip("'’-") for w in _WORD.findall(message) if w.strip("'’-")]


def _split_elisions(word: str) -> list[str]:
    return [part for part in re.split(r"['’]", word) if part]


def _parts(message: str) -> list[str]:
    """The message's words with elisions split off ("qu'a" -> "qu", "a"), as typed."""
    return [part for w in _words(message) for part in _split_elisions(w)]


def _lower_words(message: str) -> list[str]:
    return [part.lower() for part in _parts(message)]


def _names(message: str) -> list[str]:
    """Capitalised words and years: the names a follow-up may swap in."""
    words = _parts(message)
    found = []
    for position, word in enumerate(words):
        lower = word.lower()
        capitalised = word[:1].isupper() and lower not in FILLER
        if _YEAR.match(word) or (capitalised and not (position == 0 and lower in QUESTION_WORDS)):
            found.append(word)
    return found


def is_short(message: str) -> bool:
    return len(_words(message)) <= SHORT_WORDS


def points_back(message: str) -> bool:
    lowered = " ".join(_lower_words(message))
    first = lowered.split(" ", 1)[0] if lowered else ""
    if first in {"and", "et", "also", "aussi", "then", "alors"}:
        return True
    padded = f" {lowered} "
    return any(f" {pointer} " in padded for pointer in BACK_POINTERS if pointer not in {"en", "y", "a"})


def stands_alone(message: str) -> bool:
    """Its own question form and topic, nothing pointing back: searched without the earlier question."""
    words = _lower_words(message)
    if not words or words[0] not in QUESTION_WORDS or points_back(message):
        return False
    return any(w not in FILLER for w in words[1:])


def compose(previous: str, followup: str) -> str:
    """The query for a follow-up: the earlier question, its names replaced by the follow-up's."""
    new_names = [n for n in _names(followup) if n.lower() not in previous.lower()]
    old_names = [n for n in _names(previous) if not _YEAR.match(n)]
    new_years = [n for n in new_names if _YEAR.match(n)]
    new_plain = [n for n in new_names if not _YEAR.match(n)]
    query = previous.rstrip(" ?!.")
    if new_years:
        years = [n for n in _names(previous) if _YEAR.match(n)]
        query = re.sub(rf"\b{years[-1]}\b", new_years[0], query) if years else f"{query} {new_years[0]}"
    if new_plain and len(old_names) > 1:
        # The topic is the last name of the earlier question; the first is its subject, kept.
        query = re.sub(rf"\b{re.escape(old_names[-1])}\b", " ".join(new_plain), query)
    elif new_plain:
        query = f"{query} {' '.join(new_plain)}"
    # The follow-up's other topic words ("date", "vote") say what is asked about the same subject.
    extra = [w for w in _parts(followup) if w.lower() not in FILLER and w not in new_names]
    extra = [w for w in extra if w.lower() not in query.lower()]
    return " ".join([query, *extra]).strip() + " ?"


def query_for(previous: str | None, message: str) -> tuple[str, bool]:
    """What to search for `message`, and whether it was merged with `previous`."""
    if previous is None or stands_alone(message):
        return message, False
    return compose(previous, message), True

"""What a question asks, read once: its language, words, names, the period it names, "latest"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Protocol

from stop_words import get_stop_words

from index.search.name_mentions import Expansion
from index.search.periods import Period, asks_for_latest, parse_period
from index.text.language import detect_language_confident
from index.text.terms import fold_accents, query_terms, words


class NameSource(Protocol):
    """The corpus's names (`index/search/names.py`): a question's names, their other forms, and
    whether some passage mentions them."""

    def expand(self, question: str) -> Expansion: ...


@dataclass(frozen=True)
class Question:
    text: str
    lang: str | None
    # BM25 terms of the question and of its names' other forms, stemmed both ways.
    terms: list[str]
    # What the question is about, for judging coverage: its content words, each with its other forms.
    content_words: dict[str, list[str]]
    period: Period | None
    latest: bool
    unknown_names: tuple[str, ...] = ()
    # The question's names in their other languages' forms, added to what the model reads.
    expansion: str = ""
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    # (name, what the model reads to meet it) for each of `unknown_names` (`NameIndex.meet`).
    probes: tuple[tuple[str, str], ...] = ()

    @property
    def dense_text(self) -> str:
        return f"{self.text} ({self.expansion})" if self.expansion else self.text

    @property
    def topic_text(self) -> str:
        """The question without the period it names, to judge whether it names a topic."""
        return self.text.replace(self.period.phrase, " ") if self.period and self.period.phrase else self.text


# A word found in at least this share of the documents does not tell them apart ("Kazakhstan" here).
TOPIC_DOC_SHARE = 0.5
# News questions ask what someone said; the verb does not name a topic. The stop-word lists hold
# English "say" but none of the French forms.
_REPORTING_VERBS = frozenset(
    {"dit", "dire", "declare", "declarer", "declaree", "affirme", "affirmer", "annonce", "annoncer"}
    | {"said", "says", "stated", "declared", "announced"}
    # Words for news itself, not a topic: "la dernière déclaration", "the latest news".
    | {"declaration", "declarations", "statement", "statements", "news", "nouvelle", "nouvelles"}
    | {"actualite", "actualites", "article", "articles", "information", "informations"}
)


@lru_cache(maxsize=1)
def question_stopwords() -> frozenset[str]:
    # A broad list (question words, auxiliaries, "say"): right for judging what a question is
    # about, too broad for BM25 itself (it drops "two" and "state").
    return frozenset(fold_accents(w) for lang in ("en", "fr") for w in get_stop_words(lang))


def content_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(text) if fold_accents(w) not in question_stopwords()))


class Detection(Enum):
    """`lang=DETECT`: the question's language is detected here. Apart from None, which says it was
    detected already and lingua was not confident."""

    DETECT = "detect"


DETECT = Detection.DETECT


def read_question(text: str, names: NameSource | None, lang: str | Detection | None = DETECT) -> Question:
    """`lang`: the language a caller already detected on this very text (the bot, which needs it for
    its reply), so it is detected once."""
    named = names.expand(text) if names else Expansion()
    mentions = named.mentions
    alternatives = {mention.text: list(mention.forms) for mention in mentions}
    forms = [form for found in alternatives.values() for form in found]
    expansion = ", ".join(dict.fromkeys(forms))
    wanted = {word: [] for word in content_words(text)}
    for name, found in alternatives.items():
        for word in content_words(name):
            if word in wanted:
                wanted[word] = found
    return Question(
        text=text,
        lang=detect_language_confident(text) if lang is DETECT else lang,
        terms=query_terms(f"{text} {expansion}"),
        content_words=wanted,
        period=parse_period(text),
        latest=asks_for_latest(text),
        unknown_names=tuple(named.unknown),
        expansion=expansion,
        alternatives=alternatives,
        probes=tuple(named.probes),
    )


def topic_words(question: Question, doc_freq: Mapping[str, int], documents: int) -> dict[str, list[str]]:
    """The question's words that set some documents apart from the others, with their other forms.

    "What did Kazakhstan say in March 2026?" over a corpus about Kazakhstan asks for a period's
    news, not a topic: like a news feed, its answer shows the newest of that period first.
    """
    words = [
        w
        for w in content_words(question.topic_text)
        if fold_accents(w) not in _REPORTING_VERBS and not asks_for_latest(w)
    ]
    return {
        w: question.content_words.get(w, [])
        for w in words
        if max(doc_freq[t] for t in query_terms(w)) < TOPIC_DOC_SHARE * documents
    }

"""What a question's names are, as the search reads them: each mention with the corpus's other forms
of it (`NameMention`), all of them together (`Expansion`), and the corpus phrases a name the tables
miss meets through the model (`Meeting`). `index/search/names.py` finds them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from index.text.name_forms import LETTERS
from index.text.terms import fold_accents


@dataclass(frozen=True)
class Meeting:
    """A name the tables miss, and the corpus's name phrases most similar to it as the model reads them."""

    name: str
    forms: tuple[tuple[str, float], ...]  # (phrase, cosine), most similar first

    @property
    def similarity(self) -> float:
        return self.forms[0][1] if self.forms else 0.0

    def met(self, threshold: float) -> tuple[str, ...]:
        return tuple(form for form, similarity in self.forms if similarity >= threshold)


@dataclass(frozen=True)
class NameMention:
    """One name of a question: as written, what it is, the corpus's other forms of it."""

    text: str
    kind: str  # "place", "organisation", "acronym" or "name"
    forms: tuple[str, ...]  # other forms of the same name that the corpus uses, topical names' aside
    attested: bool  # some passage mentions it, in some form
    # Written as the question writes it in TOPIC_SHARE of the texts ("Kazakhstan" here, in English and
    # French alike): it tells no passage apart, and its other forms would only pull up the few passages
    # that spell it otherwise (the one Russian article for "Казахстан"), so `forms` leaves them out. A
    # name spelled by language (Tokayev in English, Tokaïev in French) is not topical even when its
    # forms together are everywhere: its forms give each language's passages the same chance. On
    # dev_real (hybrid, lead's pipeline at d3ea5af), judging by all forms together instead cost MRR@10
    # 0.79 -> 0.78 (r18 lost "Tokayev" for "Tokaïev ... l'ONU ?") for +0.014 cross MRR on dev.jsonl.
    topical: bool = False
    # What the model reads to meet it when unattested: the name with a name it qualifies ("Kingdom of
    # Morocco", whose "Kingdom" alone is no name), else the name.
    probe: str = field(default="", compare=False)
    span: tuple[int, int] | None = field(default=None, compare=False)  # where the question writes it
    # Unattested, and its missing words are written alike in English and French (index/text/spelling.py):
    # absent in every spelling, so not met through the model.
    spelled: bool = field(default=False, compare=False)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "forms": list(self.forms),
            "attested": self.attested,
            "topical": self.topical,
        }


@dataclass(frozen=True)
class Expansion:
    mentions: tuple[NameMention, ...] = ()

    @property
    def text(self) -> str:
        """The other forms of the names that set passages apart, as one string to append to a query."""
        return " ".join(distinct_forms((form for mention in self.mentions for form in mention.forms), set()))

    @property
    def unknown(self) -> list[str]:
        return [mention.text for mention in self.mentions if not mention.attested]

    @property
    def probes(self) -> list[tuple[str, str]]:
        """(name, what the model reads to meet it) for each unknown name the tables do not know. A country
        or organisation of the tables has its forms in every language: none attested, it is absent."""
        return [(mention.text, mention.probe) for mention in self.mentions if not mention.attested and mention.probe]


def surface_key(text: str) -> str:
    """A form as the lexical index sees it: lower-cased, accents dropped, script kept ("Абу" is not "Abu")."""
    return " ".join(fold_accents(word.lower()) for word in LETTERS.findall(text))


def distinct_forms(forms: Iterable[str], exclude: set[str]) -> tuple[str, ...]:
    """Forms the lexical index tells apart ("Shanghai"/"Shanghaï" it does not), the question's own left out."""
    found: dict[str, str] = {}
    for form in forms:
        key = surface_key(form)
        if key not in exclude:
            found.setdefault(key, form)
    return tuple(found.values())

"""How a name is written: folded keys, name-like words, and the static tables of names.

Shared by the build (mining the corpus's names, `index/build/name_tables.py`) and the search (meeting a
question's names, `index/search/names.py`):
- keys: words folded to ASCII with anyascii so "Tokaïev", "Tokayev" and "Токаев" become comparable;
- name-like words: capitalised words that are not stop words, months or weekdays, and acronyms;
- the static entities: CLDR's country and region names in English, French and Russian (babel), joined
  with the small curated table in `index.text.name_aliases`, and the stems their derived forms start with.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from babel import Locale
from stop_words import get_stop_words

from index.text.name_aliases import ALIASES

LOCALES = ("en", "fr", "ru")
# CLDR codes that are not places a question is about: the world, pseudo-locales, unknown region.
_SKIPPED_TERRITORIES = frozenset({"001", "ZZ", "XA", "XB", "QO"})
# Endings that turn a country name into its people, adjective or (Russian) case: Moroccan, marocain,
# Qatari, Казахстана (kazakhstana). "stan" countries lose it first: Kazakh, Afghan, Uzbek.
_DEMONYM_ENDINGS = (
    "", "a", "e", "i", "u", "y", "s", "n", "an", "ian", "ien", "ienne", "ain", "aine", "ais", "aise",
    "ois", "oise", "ese", "ite", "ic", "ique", "ish", "en", "enne", "es", "om", "oi", "ov", "ii", "skii",
)  # fmt: skip
MIN_STEM = 4

LETTERS = re.compile(r"[^\W\d_]+")
_SENTENCE_BREAK = re.compile(r"[.!?…\n:;«“\"]")
_JOINING_GAP = re.compile(r"\s*[-'’‐]?\s*")
_ROMAN = re.compile(r"[IVXLCDM]{1,4}")
_KEY_JUNK = re.compile(r"[^a-z0-9]")
# Romanisation conventions that differ between English, French and Russian transliterations:
# French "ou" for English "u" (Nurtleou), "j" for "zh" (Jomart), "y"/"i" (Tokayev/Tokaïev), "kh"/"h",
# "q"/"k", "w"/"v" (Watan/Vatan).
_SKELETON_RULES = (("zh", "j"), ("dj", "j"), ("kh", "h"), ("ou", "u"), ("q", "k"), ("w", "v"), ("y", "i"))
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=131072)
def name_key(word: str) -> str:
    """A word folded to lower-case ASCII: "Tokaïev" -> "tokaiev", "Токаев" -> "tokaev"."""
    return _KEY_JUNK.sub("", anyascii(word).lower())


def phrase_key(text: str) -> str:
    return " ".join(key for key in map(name_key, LETTERS.findall(text)) if key)


@lru_cache(maxsize=131072)
def skeleton_key(key: str) -> str:
    for old, new in _SKELETON_RULES:
        key = key.replace(old, new)
    return _DOUBLED.sub(r"\1", key)


def is_acronym(word: str) -> bool:
    # Up to UNESCO/UNICEF length; longer capitals are shouted words ("ПРЕЗИДЕНТ" in a caption).
    letters = sum(ch.isalpha() for ch in word)
    return 2 <= letters <= 7 and word.isupper()


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    key: str
    start: int
    end: int
    initial: bool  # opens a sentence, where capitals say nothing
    joined: bool  # only a space, hyphen or apostrophe from the previous word: may continue its name


def name_tokens(text: str) -> list[Token]:
    found: list[Token] = []
    previous_end = 0
    for match in LETTERS.finditer(text):
        gap = text[previous_end : match.start()]
        key = name_key(match.group())
        if not key:
            continue
        initial = not found or bool(_SENTENCE_BREAK.search(gap))
        joined = bool(found) and _JOINING_GAP.fullmatch(gap) is not None
        found.append(Token(match.group(), key, match.start(), match.end(), initial, joined))
        previous_end = match.end()
    return found


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Keys that are never names: stop words, month and weekday names (March, avril, Monday)."""
    found = {name_key(word) for lang in LOCALES for word in get_stop_words(lang)}
    for lang in LOCALES:
        locale = Locale(lang)
        for table in (locale.months, locale.days):
            for context in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    found.update(phrase_key(name) for name in table[context][width].values())
    found.discard("")
    return frozenset(found)


def name_like(token: Token) -> bool:
    """A capitalised word that is not a stop word, month or weekday; acronyms even when they spell one."""
    text = token.text
    if len(text) < 2 or not text[0].isupper():
        return False
    if is_acronym(text):
        return not _ROMAN.fullmatch(text)
    return token.key not in common_words()


@dataclass(frozen=True)
class Entity:
    kind: str  # "place" (CLDR), "organisation" (curated table) or "acronym" (defined in the corpus)
    forms: tuple[str, ...]


@lru_cache(maxsize=1)
def static_entities() -> tuple[Entity, ...]:
    """CLDR's territory names in English, French and Russian, joined with the curated aliases."""
    territories = [Locale(lang).territories for lang in LOCALES]
    forms: dict[str, list[str]] = {}
    for code in territories[0]:
        if code in _SKIPPED_TERRITORIES:
            continue
        names: list[str] = []
        for table in territories:
            name = table.get(code)
            if not name:
                continue
            # "Myanmar (Burma)": both are names; "Congo - Brazzaville": the whole is the name.
            names.extend(part.strip() for part in re.split(r"[()]", name) if part.strip())
        forms[code] = names
    entities: list[Entity] = []
    for alias in ALIASES:
        if alias.territory and alias.territory in forms:
            forms[alias.territory] = [*forms[alias.territory], *alias.forms]
        else:
            entities.append(Entity("organisation", alias.forms))
    places = [Entity("place", tuple(dict.fromkeys(names))) for names in forms.values()]
    return tuple(places + entities)


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words of three or more CLDR place names in one language: Western, New, Islands, Saint..."""
    generic: set[str] = set()
    for lang in LOCALES:
        counts = Counter(key for name in Locale(lang).territories.values() for key in set(phrase_key(name).split()))
        generic.update(key for key, count in counts.items() if count >= 3)
    return frozenset(generic)


def _stems(key: str) -> list[str]:
    """Stems a country name's derived forms start with: "morocco" -> "morocc", "kazakhstan" -> "kazakh"."""
    stems = [key]
    if key[-1] in "aeiouy" and len(key) - 1 >= MIN_STEM:
        stems.append(key[:-1])
    for suffix in ("istan", "stan"):
        if key.endswith(suffix) and len(key) - len(suffix) >= MIN_STEM:
            stems.append(key[: -len(suffix)])
            break
    return [stem for stem in stems if len(stem) >= MIN_STEM]


def derived_stems(key: str) -> Iterable[str]:
    """The stems `key` may be a derived form of ("moroccan" -> "morocc"...)."""
    for ending in _DEMONYM_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= MIN_STEM:
            yield key[: len(key) - len(ending)] if ending else key


def place_stems(entities: Sequence[Entity]) -> Iterator[tuple[int, str, str]]:
    """(entity, form key, stem) for each one-word place name a derived form may start from."""
    for entity_id, entity in enumerate(entities):
        if entity.kind != "place":
            continue
        for form in entity.forms:
            key = phrase_key(form)
            if " " in key or is_acronym(form):
                continue
            for stem in _stems(key):
                yield entity_id, key, stem


def phrase_table(entities: Sequence[Entity]) -> dict[str, list[tuple[tuple[str, ...], int, str]]]:
    """First word key -> (all word keys, entity, form), longest first."""
    table: dict[str, list[tuple[tuple[str, ...], int, str]]] = defaultdict(list)
    for entity_id, entity in enumerate(entities):
        for form in entity.forms:
            keys = tuple(phrase_key(form).split())
            if keys:
                table[keys[0]].append((keys, entity_id, form))
    for candidates in table.values():
        candidates.sort(key=lambda item: -len(item[0]))
    return dict(table)

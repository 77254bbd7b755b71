"""Names across languages: which forms of a question's names the corpus uses, and which it never uses.

Built once per index from the passages' texts:
- the corpus's words and its name vocabulary (capitalised words not opening a sentence), folded to
  ASCII with anyascii so "Tokaïev", "Tokayev" and "Токаев" become comparable keys;
- the acronyms the corpus defines itself, "Organisation de coopération de Shanghai (OCS)" or
  "OCS (Organisation de ...)", found with Schwartz & Hearst's rule;
- which forms of the static tables the corpus attests: CLDR's country and region names in English,
  French and Russian (babel) and the small curated table in `index.name_aliases`.

A question then gets `expand()`: every name it mentions with the other forms the corpus uses for it
(SCO -> OCS, Organisation de coopération de Shanghai; Morocco -> Maroc; Tokayev -> Tokaïev, Токаев),
and `unknown_names()`: the names it is about that no passage mentions in any form, evidence that the
corpus holds nothing relevant.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from babel import Locale
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from stop_words import get_stop_words

from index.lexical import fold_accents
from index.name_aliases import ALIASES

FORMAT_VERSION = 1
LOCALES = ("en", "fr", "ru")
# Transliteration variants of one name differ by about one letter in five once the usual romanisation
# differences are removed (see _skeleton): Tokayev/Tokaev 0.86, Bahrain/Bahreïn 0.86, Dhabi/Dabi 0.8,
# Poutine/Putin 0.83, Nurtleu/Nurtleou 1.0 (normalised Levenshtein similarity). Distinct names that close
# are rare: of 108,847 pairs of words (5+ letters) from different CLDR place names in English and French,
# 34 reach 0.8 and most of those are one word inflected (island/islands, africa/african); the truly
# distinct ones are Ireland/Iceland, Gambia/Zambia, Chile/Chine, Saint-Martin/Saint-Marin. 0.85 would
# lose Dhabi/Dabi and Putin/Poutine. Places never go through this comparison (their forms come from
# CLDR); it serves people's names and places CLDR does not list. tests/test_names.py measures both sides.
FUZZY_THRESHOLD = 0.8
# Shorter question words ("Iran"/"Iraq", "Oman"/"Aman") are compared exactly: one letter is too much
# of them; a corpus word may be one letter shorter (Dhabi/Dabi).
FUZZY_MIN_LENGTH = 5
# CLDR codes that are not places a question is about: the world, pseudo-locales, unknown region.
_SKIPPED_TERRITORIES = frozenset({"001", "ZZ", "XA", "XB", "QO"})
# A name written one way in at least this share of the texts is the corpus's topic (see
# NameMention.topical).
TOPIC_SHARE = 0.5
# Small words that join the parts of one name: "Organisation of Islamic ...", "Tamim bin Hamad".
_CONNECTORS = frozenset({"of", "de", "du", "des", "bin", "ibn", "al", "el", "van", "von", "der"})
# Endings that turn a country name into its people, adjective or (Russian) case: Moroccan, marocain,
# Qatari, Казахстана (kazakhstana). "stan" countries lose it first: Kazakh, Afghan, Uzbek.
_DEMONYM_ENDINGS = (
    "", "a", "e", "i", "u", "y", "s", "n", "an", "ian", "ien", "ienne", "ain", "aine", "ais", "aise",
    "ois", "oise", "ese", "ite", "ic", "ique", "ish", "en", "enne", "es", "om", "oi", "ov", "ii", "skii",
)  # fmt: skip
_MIN_STEM = 4

_LETTERS = re.compile(r"[^\W\d_]+")
_SENTENCE_BREAK = re.compile(r"[.!?…\n:;«“\"]")
_JOINING_GAP = re.compile(r"\s*[-'’‐]?\s*")
_ROMAN = re.compile(r"[IVXLCDM]{1,4}")
_KEY_JUNK = re.compile(r"[^a-z0-9]")
# Romanisation conventions that differ between English, French and Russian transliterations:
# French "ou" for English "u" (Nurtleou), "j" for "zh" (Jomart), "y"/"i" (Tokayev/Tokaïev), "kh"/"h",
# "q"/"k", "w"/"v" (Watan/Vatan).
_SKELETON_RULES = (("zh", "j"), ("dj", "j"), ("kh", "h"), ("ou", "u"), ("q", "k"), ("w", "v"), ("y", "i"))
_DOUBLED = re.compile(r"(.)\1+")
_ACRONYM_AFTER = re.compile(r"\(\s*([^\W\d_][^\s()]{1,11})\s*\)")
_ACRONYM_BEFORE = re.compile(r"(?<!\w)([^\W\d_][\w&-]{1,11})\s*\(([^()]{4,160})\)")
_LONG_FORM_CUT = re.compile(r"[.!?;:()\n\[\]«»“”\"]")


@lru_cache(maxsize=131072)
def name_key(word: str) -> str:
    """A word folded to lower-case ASCII: "Tokaïev" -> "tokaiev", "Токаев" -> "tokaev"."""
    return _KEY_JUNK.sub("", anyascii(word).lower())


def phrase_key(text: str) -> str:
    return " ".join(key for key in map(name_key, _LETTERS.findall(text)) if key)


@lru_cache(maxsize=131072)
def _skeleton(key: str) -> str:
    for old, new in _SKELETON_RULES:
        key = key.replace(old, new)
    return _DOUBLED.sub(r"\1", key)


def _is_acronym(word: str) -> bool:
    # Up to UNESCO/UNICEF length; longer capitals are shouted words ("ПРЕЗИДЕНТ" in a caption).
    letters = sum(ch.isalpha() for ch in word)
    return 2 <= letters <= 7 and word.isupper()


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    key: str
    start: int
    end: int
    initial: bool  # opens a sentence, where capitals say nothing
    joined: bool  # only a space, hyphen or apostrophe from the previous word: may continue its name


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    previous_end = 0
    for match in _LETTERS.finditer(text):
        gap = text[previous_end : match.start()]
        key = name_key(match.group())
        if not key:
            continue
        initial = not found or bool(_SENTENCE_BREAK.search(gap))
        joined = bool(found) and _JOINING_GAP.fullmatch(gap) is not None
        found.append(_Token(match.group(), key, match.start(), match.end(), initial, joined))
        previous_end = match.end()
    return found


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
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


def _name_like(token: _Token) -> bool:
    """A capitalised word that is not a stop word, month or weekday; acronyms even when they spell one."""
    text = token.text
    if len(text) < 2 or not text[0].isupper():
        return False
    if _is_acronym(text):
        return not _ROMAN.fullmatch(text)
    return token.key not in _common_words()


@dataclass(frozen=True)
class _Entity:
    kind: str  # "place" (CLDR), "organisation" (curated table) or "acronym" (defined in the corpus)
    forms: tuple[str, ...]


@lru_cache(maxsize=1)
def _static_entities() -> tuple[_Entity, ...]:
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
    entities: list[_Entity] = []
    for alias in ALIASES:
        if alias.territory and alias.territory in forms:
            forms[alias.territory] = [*forms[alias.territory], *alias.forms]
        else:
            entities.append(_Entity("organisation", alias.forms))
    places = [_Entity("place", tuple(dict.fromkeys(names))) for names in forms.values()]
    return tuple(places + entities)


@lru_cache(maxsize=1)
def _generic_words() -> frozenset[str]:
    """Words of three or more CLDR place names in one language: Western, New, Islands, Saint..."""
    generic: set[str] = set()
    for lang in LOCALES:
        counts = Counter(key for name in Locale(lang).territories.values() for key in set(phrase_key(name).split()))
        generic.update(key for key, count in counts.items() if count >= 3)
    return frozenset(generic)


def _long_form(acronym: str, words: Sequence[str]) -> int | None:
    """Where the expansion of `acronym` starts among the `words` that end just before it, or None.

    Initials first ("Conference on Interaction and Confidence Building Measures in Asia" for CICA),
    else Schwartz & Hearst (2003): the shortest run of words in which the acronym's letters occur in
    order, its first letter opening a word, within their min(|A| + 5, 2|A|) words. Either way the
    expansion opens with a word that is not a stop word ("of Islamic Cooperation" is not the OIC)."""
    letters = [ch for ch in name_key(acronym) if ch.isalpha()]
    if not letters or not words:
        return None
    # Initials are strict enough to look further back: CICA's expansion has nine words for four letters.
    for window, match in (
        (2 * len(letters) + 3, _initials_start),
        (min(len(letters) + 5, 2 * len(letters)), _letters_start),
    ):
        first_word = max(0, len(words) - window)
        start = match(letters, [name_key(word) for word in words[first_word:]])
        if start is not None:
            return first_word + start
    return None


def _opens_expansion(key: str) -> bool:
    return bool(key) and key not in _common_words()


def _initials_start(letters: Sequence[str], keys: Sequence[str]) -> int | None:
    word = len(keys) - 1
    if keys[word][:1] != letters[-1]:
        return None
    for letter in reversed(letters[:-1]):
        word -= 1
        while word >= 0 and not (keys[word][:1] == letter and (letter != letters[0] or _opens_expansion(keys[word]))):
            word -= 1
        if word < 0:
            return None
    return word if _opens_expansion(keys[word]) else None


def _letters_start(letters: Sequence[str], keys: Sequence[str]) -> int | None:
    text = " ".join(keys)
    word_at = [i for i, key in enumerate(keys) for _ in range(len(key) + 1)]
    position = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        while position >= 0 and not (
            text[position] == letter
            and (
                index > 0
                or ((position == 0 or text[position - 1] == " ") and _opens_expansion(keys[word_at[position]]))
            )
        ):
            position -= 1
        if position < 0:
            return None
        if index > 0:
            position -= 1
    return word_at[position]


def mine_acronyms(text: str) -> list[tuple[str, str]]:
    """(acronym, expansion) pairs the text defines: "Long Form (ACR)" and "ACR (Long Form)"."""
    found: list[tuple[str, str]] = []
    for match in _ACRONYM_AFTER.finditer(text):
        acronym = match.group(1)
        if not _is_acronym(acronym):
            continue
        before = text[max(0, match.start() - 300) : match.start()]
        cut = max((m.end() for m in _LONG_FORM_CUT.finditer(before)), default=0)
        spans = [m.span() for m in _LETTERS.finditer(before, cut)]
        start = _long_form(acronym, [before[a:b] for a, b in spans])
        if start is not None and len(spans) - start >= 2:
            found.append((acronym, before[spans[start][0] : spans[-1][1]]))
    for match in _ACRONYM_BEFORE.finditer(text):
        acronym, inside = match.group(1), match.group(2)
        if not _is_acronym(acronym):
            continue
        spans = [m.span() for m in _LETTERS.finditer(inside)]
        start = _long_form(acronym, [inside[a:b] for a, b in spans])
        # The parenthesis must be the expansion itself, an article aside ("the", "l'").
        if start is not None and start <= 1 and len(spans) - start >= 2:
            found.append((acronym, inside[spans[start][0] : spans[-1][1]]))
    return found


def _stems(key: str) -> list[str]:
    """Stems a country name's derived forms start with: "morocco" -> "morocc", "kazakhstan" -> "kazakh"."""
    stems = [key]
    if key[-1] in "aeiouy" and len(key) - 1 >= _MIN_STEM:
        stems.append(key[:-1])
    for suffix in ("istan", "stan"):
        if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_STEM:
            stems.append(key[: -len(suffix)])
            break
    return [stem for stem in stems if len(stem) >= _MIN_STEM]


def _derived_stems(key: str) -> Iterable[str]:
    """The stems `key` may be a derived form of ("moroccan" -> "morocc"...)."""
    for ending in _DEMONYM_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= _MIN_STEM:
            yield key[: len(key) - len(ending)] if ending else key


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
        return " ".join(_distinct((form for mention in self.mentions for form in mention.forms), set()))

    @property
    def unknown(self) -> list[str]:
        return [mention.text for mention in self.mentions if not mention.attested]


class NameIndex:
    """The corpus's names and where the question's names meet them. Build with `build`, store with
    `to_json`/`from_json`; `expand` and `unknown_names` are pure look-ups (microseconds)."""

    def __init__(
        self,
        words: Iterable[str],
        capitals: Iterable[str],
        names: dict[str, list[str]],
        acronyms: Iterable[tuple[str, str]],
        attested: Iterable[str],
        name_texts: dict[str, list[int]] | None = None,
        texts: int = 0,
    ) -> None:
        self.words = frozenset(words)
        self.name_texts = name_texts or {}  # name key -> the texts (their positions) that use it
        self.texts = texts
        self.capitals = frozenset(capitals)  # keys of words the corpus writes in capitals (acronyms)
        self.names = names  # name key -> its surface forms in the corpus, most frequent first
        self.acronyms = sorted(set(acronyms))
        # Phrase keys of the table forms the corpus uses, and of the acronyms it defines itself.
        self.attested = frozenset(attested) | {phrase_key(form) for pair in self.acronyms for form in pair}
        self._expand_cached = lru_cache(maxsize=512)(self._expand)
        # Loaded with the index, not on the first question that needs them.
        _generic_words()
        _common_words()
        self._entities = _merge_acronyms(_static_entities(), self.acronyms)
        self._phrases = _phrase_table(self._entities)
        self._stem_entities = _stem_table(self._entities)
        self._entity_attested = [any(self._form_attested(form) for form in entity.forms) for entity in self._entities]
        by_letter: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for key in names:
            skeleton = _skeleton(key)
            by_letter[skeleton[0]][skeleton].append(key)
        self._skeletons = {letter: (dict(table), list(table)) for letter, table in by_letter.items()}

    # -- building and storing --

    @classmethod
    def build(cls, texts: Sequence[tuple[str, str]]) -> NameIndex:
        """From (text, language) per document (better than per chunk: a chunk may cut an acronym from its
        definition). The language is not needed: names are told apart with the stop words, months and
        weekdays of English, French and Russian together, as a question's language is often unclear."""
        words: set[str] = set()
        capitals: set[str] = set()
        lowercase: set[str] = set()
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        acronyms: set[tuple[str, str]] = set()
        name_texts: dict[str, list[int]] = defaultdict(list)
        phrases = _phrase_table(_static_entities())
        attested: set[str] = set()
        for position, (text, _lang) in enumerate(texts):
            tokens = _tokens(text)
            for token in tokens:
                words.add(token.key)
                if _is_acronym(token.text):
                    capitals.add(token.key)
                if token.text[0].islower():
                    lowercase.add(token.key)
                elif not token.initial and _name_like(token):
                    surfaces[token.key][token.text] += 1
            for key in {token.key for token in tokens if _name_like(token)}:
                name_texts[key].append(position)
            attested.update(_attested_phrases(tokens, phrases))
            acronyms.update(mine_acronyms(text))
        # A word the corpus also writes in lower case is a common word ("President", "Emir" aside).
        names = {
            key: [surface for surface, _ in counts.most_common(4)]
            for key, counts in surfaces.items()
            if key not in lowercase or any(_is_acronym(surface) for surface in counts)
        }
        attested.update(_derived_attested(words, _static_entities()))
        return cls(words, capitals, names, acronyms, attested, dict(name_texts), len(texts))

    def to_json(self) -> dict:
        return {
            "version": FORMAT_VERSION,
            "words": sorted(self.words),
            "capitals": sorted(self.capitals),
            "names": self.names,
            "acronyms": [list(pair) for pair in self.acronyms],
            "attested": sorted(self.attested),
            "name_texts": self.name_texts,
            "texts": self.texts,
        }

    @classmethod
    def from_json(cls, data: dict) -> NameIndex:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"name index format {data.get('version')!r}, expected {FORMAT_VERSION}: rebuild the index")
        return cls(
            data["words"],
            data["capitals"],
            {key: list(forms) for key, forms in data["names"].items()},
            [(acronym, expansion) for acronym, expansion in data["acronyms"]],
            data["attested"],
            data["name_texts"],
            data["texts"],
        )

    # -- questions --

    def expand(self, question: str) -> Expansion:
        # The same question comes back: once per mode in eval and CV, from each user who asks it.
        return self._expand_cached(question)

    def _expand(self, question: str) -> Expansion:
        tokens = _tokens(question)
        lowercase_question = not any(ch.isupper() for ch in question)
        mentions: list[NameMention] = []
        index = 0
        while index < len(tokens):
            matched = self._table_match(tokens, index, lowercase_question)
            if matched is not None:
                length, entity_id = matched
                mentions.append(
                    self._entity_mention(question[tokens[index].start : tokens[index + length - 1].end], entity_id)
                )
                index += length
                continue
            run = self._name_run(tokens, index)
            if run:
                mentions.append(self._run_mention(question, tokens[index : index + run]))
                index += run
                continue
            index += 1
        return Expansion(tuple(mentions))

    def unknown_names(self, question: str) -> list[str]:
        return self.expand(question).unknown

    def _form_attested(self, form: str) -> bool:
        key = phrase_key(form)
        if _is_acronym(form):
            return key in self.capitals
        return key in self.attested

    def _table_match(self, tokens: Sequence[_Token], index: int, lowercase_question: bool) -> tuple[int, int] | None:
        first = tokens[index]
        for keys, entity_id, form in self._phrases.get(first.key, ()):
            length = len(keys)
            if tuple(token.key for token in tokens[index : index + length]) != keys:
                continue
            if _is_acronym(form):
                if first.text.isupper():
                    return length, entity_id
            elif first.text[0].isupper() or form[0].islower() or lowercase_question:
                if length == 1 and first.key in _common_words():
                    continue
                return length, entity_id
        return None

    def _entity_mention(self, text: str, entity_id: int) -> NameMention:
        entity = self._entities[entity_id]
        own_keys = phrase_key(text).split()
        topical = bool(own_keys) and not _is_acronym(text) and all(self._topical(key) for key in own_keys)
        forms = (
            ()
            if topical
            else _distinct((form for form in entity.forms if self._form_attested(form)), exclude={_surface_key(text)})
        )
        attested = self._entity_attested[entity_id]
        if not attested and not _is_acronym(text):
            # The corpus may say "the Sahara" where CLDR says "Western Sahara": the words that set the place
            # apart are enough ("Zealand" in "New Zealand"), not CLDR's generic ones (Western, New, Islands).
            words = [token.key for token in _tokens(text) if _name_like(token) and token.key not in _generic_words()]
            attested = bool(words) and all(key in self.words or self._variants(key) for key in words)
        return NameMention(text, entity.kind, forms, attested, topical)

    def _topical(self, key: str) -> bool:
        """Whether TOPIC_SHARE of the texts use this word (a share of one or two texts says nothing)."""
        return self.texts >= 3 and len(self.name_texts.get(key, ())) >= TOPIC_SHARE * self.texts

    def _is_candidate(self, tokens: Sequence[_Token], index: int) -> bool:
        token = tokens[index]
        if not _name_like(token):
            return False
        if not token.initial or _is_acronym(token.text) or token.key in self.names:
            return True
        # A sentence's first word is a name when a name follows it: "Nelson Mandela".
        following = index + 1 < len(tokens) and tokens[index + 1].joined and _name_like(tokens[index + 1])
        return following

    def _name_run(self, tokens: Sequence[_Token], index: int) -> int:
        """How many tokens from `index` make one name (0: none starts there)."""
        if not self._is_candidate(tokens, index):
            return 0
        end = index + 1
        while end < len(tokens) and tokens[end].joined and not tokens[end].initial:
            if self._is_candidate(tokens, end) and self._table_match(tokens, end, False) is None:
                end += 1
            elif (
                tokens[end].key in _CONNECTORS
                and end + 1 < len(tokens)
                and tokens[end + 1].joined
                and not tokens[end + 1].initial
                and self._is_candidate(tokens, end + 1)
                and self._table_match(tokens, end + 1, False) is None
            ):
                end += 2
            else:
                break
        return end - index

    def _run_mention(self, question: str, run: Sequence[_Token]) -> NameMention:
        forms: list[str] = []
        attested = True
        topical = False
        kind = "acronym" if len(run) == 1 and _is_acronym(run[0].text) else "name"
        for token in run:
            if token.key in _CONNECTORS and not token.text[0].isupper():
                continue
            variants = self._variants(token.key)
            if self._topical(token.key):
                topical = True
            else:
                forms.extend(form for key in variants for form in self.names[key][:2])
            if token.key in self.words or variants:
                continue
            entity_id = self._derived_entity(token.key)
            if entity_id is not None:
                kind = "place"
                derived = self._entity_mention(token.text, entity_id)
                forms.extend(derived.forms)
                topical = topical or derived.topical
                attested = attested and derived.attested
                continue
            attested = False
        text = question[run[0].start : run[-1].end]
        own = {_surface_key(text), *(_surface_key(token.text) for token in run)}
        return NameMention(text, kind, _distinct(forms, exclude=own), attested, topical)

    def _variants(self, key: str) -> list[str]:
        """Name keys of the corpus that spell `key` another way (itself included when present)."""
        skeleton = _skeleton(key)
        table = self._skeletons.get(skeleton[:1])
        if table is None:
            return []
        keys_by_skeleton, skeletons = table
        if len(skeleton) < FUZZY_MIN_LENGTH:
            return list(keys_by_skeleton.get(skeleton, ()))
        found: list[str] = []
        for match, score, _ in process.extract(
            skeleton,
            skeletons,
            scorer=Levenshtein.normalized_similarity,
            # rapidfuzz turns the cutoff into an edit distance and loses the exact boundary (Dhabi/Dabi at
            # 0.8): cut a little lower, then compare the similarity itself.
            score_cutoff=FUZZY_THRESHOLD - 0.05,
            limit=8,
        ):
            if score >= FUZZY_THRESHOLD - 1e-9 and len(match) >= FUZZY_MIN_LENGTH - 1:
                found.extend(keys_by_skeleton[match])
        return found

    def _derived_entity(self, key: str) -> int | None:
        for stem in _derived_stems(key):
            entity_ids = self._stem_entities.get(stem)
            if entity_ids:
                return entity_ids[0]
        return None


def _surface_key(text: str) -> str:
    """A form as the lexical index sees it: lower-cased, accents dropped, script kept ("Абу" is not "Abu")."""
    return " ".join(fold_accents(word.lower()) for word in _LETTERS.findall(text))


def _distinct(forms: Iterable[str], exclude: set[str]) -> tuple[str, ...]:
    """Forms the lexical index tells apart ("Shanghai"/"Shanghaï" it does not), the question's own left out."""
    found: dict[str, str] = {}
    for form in forms:
        key = _surface_key(form)
        if key not in exclude:
            found.setdefault(key, form)
    return tuple(found.values())


def _merge_acronyms(entities: Sequence[_Entity], acronyms: Sequence[tuple[str, str]]) -> list[_Entity]:
    """The static entities with the corpus's own acronyms joined to the entity they name, the corpus's
    spelling first ("Organisation du Traité de sécurité collective" as the articles capitalise it)."""
    static = [list(entity.forms) for entity in entities]
    kinds = [entity.kind for entity in entities]
    mined: dict[int, list[str]] = defaultdict(list)
    owner = {phrase_key(form): i for i, entity in enumerate(entities) for form in entity.forms}
    for acronym, expansion in acronyms:
        entity_id = owner.get(phrase_key(expansion), owner.get(phrase_key(acronym)))
        if entity_id is None:
            entity_id = len(static)
            static.append([])
            kinds.append("acronym")
        for form in (acronym, expansion):
            mined[entity_id].append(form)
            owner.setdefault(phrase_key(form), entity_id)
    return [
        _Entity(kind, tuple(dict.fromkeys([*mined.get(entity_id, ()), *forms])))
        for entity_id, (kind, forms) in enumerate(zip(kinds, static, strict=True))
    ]


def _phrase_table(entities: Sequence[_Entity]) -> dict[str, list[tuple[tuple[str, ...], int, str]]]:
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


def _place_stems(entities: Sequence[_Entity]) -> Iterator[tuple[int, str, str]]:
    """(entity, form key, stem) for each one-word place name a derived form may start from."""
    for entity_id, entity in enumerate(entities):
        if entity.kind != "place":
            continue
        for form in entity.forms:
            key = phrase_key(form)
            if " " in key or _is_acronym(form):
                continue
            for stem in _stems(key):
                yield entity_id, key, stem


def _stem_table(entities: Sequence[_Entity]) -> dict[str, list[int]]:
    table: dict[str, list[int]] = defaultdict(list)
    for entity_id, _key, stem in _place_stems(entities):
        if entity_id not in table[stem]:
            table[stem].append(entity_id)
    return dict(table)


def _attested_phrases(tokens: Sequence[_Token], phrases: dict[str, list[tuple[tuple[str, ...], int, str]]]) -> set[str]:
    found: set[str] = set()
    for index, token in enumerate(tokens):
        for keys, _entity_id, form in phrases.get(token.key, ()):
            if tuple(t.key for t in tokens[index : index + len(keys)]) != keys:
                continue
            # "un", "eau", "us" are words; the acronyms UN, EAU, US are written in capitals.
            if _is_acronym(form) and not token.text.isupper():
                continue
            found.add(" ".join(keys))
    return found


def _derived_attested(words: Iterable[str], entities: Sequence[_Entity]) -> set[str]:
    """Place names the corpus uses only in a derived form: "marocain" attests "Maroc", "Казахстана"
    attests "Казахстан" (and only those forms: "Марокко" is not attested by "marocain")."""
    stem_forms: dict[str, set[str]] = defaultdict(set)
    for _entity_id, key, stem in _place_stems(entities):
        stem_forms[stem].add(key)
    prefixes = {stem[:_MIN_STEM] for stem in stem_forms}
    found: set[str] = set()
    for word in words:
        if word[:_MIN_STEM] not in prefixes:
            continue
        for stem in _derived_stems(word):
            found.update(stem_forms.get(stem, ()))
    return found

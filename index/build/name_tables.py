"""Mining the corpus's names at build time: its words, name vocabulary, acronyms and attested forms.

Built once per index from each document's text:
- the corpus's words and its name vocabulary (capitalised words not opening a sentence), as folded keys;
- the acronyms the corpus defines itself, "Organisation de coopération de Shanghai (OCS)" or
  "OCS (Organisation de ...)", found with Schwartz & Hearst's rule;
- which forms of the static tables (`index/text/name_forms.py`) the corpus attests;
- its name phrases ("Conseil de sécurité", "Royaume du Maroc", "État palestinien", the acronyms'
  expansions), which the build embeds once (`embed_phrases`) so that a question's name the tables miss
  meets its translation by the model's similarity ("Security Council" -> "Conseil de sécurité").
The search meets a question's names in these tables (`index/search/names.py`).
"""

from __future__ import annotations

import base64
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.text.name_forms import (
    LETTERS,
    MIN_STEM,
    Entity,
    Token,
    common_words,
    derived_stems,
    is_acronym,
    name_key,
    name_like,
    name_tokens,
    phrase_key,
    phrase_table,
    place_stems,
    static_entities,
)

FORMAT_VERSION = 1
_ACRONYM_AFTER = re.compile(r"\(\s*([^\W\d_][^\s()]{1,11})\s*\)")
_ACRONYM_BEFORE = re.compile(r"(?<!\w)([^\W\d_][\w&-]{1,11})\s*\(([^()]{4,160})\)")
_LONG_FORM_CUT = re.compile(r"[.!?;:()\n\[\]«»“”\"]")


@dataclass(frozen=True)
class NameTables:
    """What the corpus teaches about names; stored with the index as names.json."""

    words: frozenset[str]
    capitals: frozenset[str]  # keys of words the corpus writes in capitals (acronyms)
    names: dict[str, list[str]]  # name key -> its surface forms in the corpus, most frequent first
    acronyms: list[tuple[str, str]]
    # Phrase keys of the table forms the corpus uses, and of the acronyms it defines itself.
    attested: frozenset[str]
    name_texts: dict[str, list[int]]  # name key -> the texts (their positions) that use it
    texts: int
    # The corpus's name phrases and, once the build has embedded them (`embed_phrases`), their unit
    # vectors as the model reads a question (one row per phrase); an index built before has neither.
    phrases: tuple[str, ...] = ()
    phrase_vectors: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def create(
        cls,
        words: Iterable[str],
        capitals: Iterable[str],
        names: dict[str, list[str]],
        acronyms: Iterable[tuple[str, str]],
        attested: Iterable[str],
        name_texts: dict[str, list[int]] | None = None,
        texts: int = 0,
        phrases: Iterable[str] = (),
        phrase_vectors: np.ndarray | None = None,
    ) -> NameTables:
        pairs = sorted(set(acronyms))
        return cls(
            words=frozenset(words),
            capitals=frozenset(capitals),
            names=names,
            acronyms=pairs,
            attested=frozenset(attested) | {phrase_key(form) for pair in pairs for form in pair},
            name_texts=name_texts or {},
            texts=texts,
            phrases=tuple(phrases),
            phrase_vectors=phrase_vectors,
        )

    def with_vectors(self, vectors: np.ndarray) -> NameTables:
        if len(vectors) != len(self.phrases):
            raise ValueError(f"{len(vectors)} phrase vectors for {len(self.phrases)} phrases")
        return NameTables(**{**self.__dict__, "phrase_vectors": np.asarray(vectors, dtype=np.float32)})

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
            "phrases": list(self.phrases),
            # float16 keeps cosines to about 1e-3, far finer than the similarity threshold's grid.
            "phrase_vectors": None
            if self.phrase_vectors is None
            else {
                "dim": int(self.phrase_vectors.shape[1]),
                "float16": base64.b64encode(self.phrase_vectors.astype("<f2").tobytes()).decode("ascii"),
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> NameTables:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"name index format {data.get('version')!r}, expected {FORMAT_VERSION}: rebuild the index")
        return cls.create(
            data["words"],
            data["capitals"],
            {key: list(forms) for key, forms in data["names"].items()},
            [(acronym, expansion) for acronym, expansion in data["acronyms"]],
            data["attested"],
            data["name_texts"],
            data["texts"],
            data.get("phrases", ()),
            _vectors_from_json(data.get("phrase_vectors")),
        )


def _vectors_from_json(data: dict | None) -> np.ndarray | None:
    if not data:
        return None
    flat = np.frombuffer(base64.b64decode(data["float16"]), dtype="<f2").astype(np.float32)
    return flat.reshape(-1, int(data["dim"]))


def mine_names(texts: Sequence[tuple[str, str]]) -> NameTables:
    """From (text, language) per document (better than per chunk: a chunk may cut an acronym from its
    definition). The language is not needed: names are told apart with the stop words, months and
    weekdays of English, French and Russian together, as a question's language is often unclear."""
    words: set[str] = set()
    capitals: set[str] = set()
    lowercase: set[str] = set()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    acronyms: set[tuple[str, str]] = set()
    name_texts: dict[str, list[int]] = defaultdict(list)
    phrases = phrase_table(static_entities())
    attested: set[str] = set()
    name_phrases: Counter[str] = Counter()
    for position, (text, _lang) in enumerate(texts):
        tokens = name_tokens(text)
        for token in tokens:
            words.add(token.key)
            if is_acronym(token.text):
                capitals.add(token.key)
            if token.text[0].islower():
                lowercase.add(token.key)
            elif not token.initial and name_like(token):
                surfaces[token.key][token.text] += 1
        for key in {token.key for token in tokens if name_like(token)}:
            name_texts[key].append(position)
        attested.update(_attested_phrases(tokens, phrases))
        acronyms.update(mine_acronyms(text))
        name_phrases.update(mine_phrases(tokens, text, _lang))
    # A word the corpus also writes in lower case is a common word ("President", "Emir" aside).
    names = {
        key: [surface for surface, _ in counts.most_common(4)]
        for key, counts in surfaces.items()
        if key not in lowercase or any(is_acronym(surface) for surface in counts)
    }
    attested.update(_derived_attested(words, static_entities()))
    for acronym, expansion in acronyms:
        name_phrases.update((acronym, expansion))
    return NameTables.create(
        words, capitals, names, acronyms, attested, dict(name_texts), len(texts), _distinct_phrases(name_phrases)
    )


# Small words a name runs through: "Conseil de sécurité", "Royaume du Maroc", "Council of Heads of State".
_PHRASE_CONNECTORS = frozenset(
    {"of", "the", "for", "and", "de", "du", "des", "d", "la", "le", "les", "l", "et", "pour", "al", "el", "bin"}
)
# Languages whose adjectives follow the noun in a name ("État palestinien", "Arabie saoudite").
_ADJECTIVE_AFTER = frozenset({"fr", "es", "it", "pt", "ro"})
PHRASE_WORDS = 4  # content words of one phrase at most: "Conseil de sécurité des Nations unies" is two phrases


def mine_phrases(tokens: Sequence[Token], text: str, lang: str) -> list[str]:
    """The name phrases of one text. A run opens at a capitalised word that does not open a sentence
    and goes on through connectors and further capitalised words and, in languages that put adjectives
    after the noun, lower-case words ("Nations unies pour les objectifs de développement durable").
    Its phrases are its stretches of at most PHRASE_WORDS content words that open at its first word or
    after a connector and end on a content word ("Conseil de sécurité", "objectifs de développement")."""
    found: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        # "État" is a French stop word, yet it opens "État palestinien".
        if token.initial or not token.text[0].isupper() or (len(token.key) < 4 and not name_like(token)):
            index += 1
            continue
        run = [index]
        end = index + 1
        while end < len(tokens) and tokens[end].joined and not tokens[end].initial:
            following = tokens[end]
            connector = following.key in _PHRASE_CONNECTORS and following.text[0].islower()
            after_connector = tokens[end - 1].key in _PHRASE_CONNECTORS
            if (
                not connector
                and following.text[0].islower()
                and (following.key in common_words() or not (lang in _ADJECTIVE_AFTER or after_connector))
            ):
                break
            run.append(end)
            end += 1
        while run and tokens[run[-1]].key in _PHRASE_CONNECTORS:
            run.pop()
        starts = [i for n, i in enumerate(run) if n == 0 or tokens[run[n - 1]].key in _PHRASE_CONNECTORS]
        for first in starts:
            if tokens[first].key in _PHRASE_CONNECTORS:
                continue
            content = 0
            for last in run[run.index(first) :]:
                if tokens[last].key in _PHRASE_CONNECTORS:
                    continue
                content += 1
                if content > PHRASE_WORDS:
                    break
                found.append(text[tokens[first].start : tokens[last].end])
        index = max(end, index + 1)
    return found


def _distinct_phrases(counts: Counter[str]) -> list[str]:
    """One surface per phrase key, the most frequent; acronyms are met through the tables."""
    best: dict[str, tuple[int, str]] = {}
    for phrase, count in counts.items():
        key = phrase_key(phrase)
        if not key or is_acronym(phrase):
            continue
        if key not in best or count > best[key][0]:
            best[key] = (count, phrase)
    return sorted(surface for _, surface in best.values())


def embed_phrases(
    tables: NameTables, embed: Callable[[list[str]], np.ndarray], known: dict[str, np.ndarray] | None = None
) -> NameTables:
    """`tables` with its phrases' vectors: `embed` (the model, as it reads a question) for those not in `known`."""
    known = dict(known or {})
    missing = [phrase for phrase in tables.phrases if phrase not in known]
    if missing:
        known.update(zip(missing, embed(missing), strict=True))
    dim = next(iter(known.values())).shape[0] if known else 0
    vectors = np.vstack([known[p] for p in tables.phrases]) if tables.phrases else np.zeros((0, dim), np.float32)
    return tables.with_vectors(vectors)


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
    return bool(key) and key not in common_words()


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
        if not is_acronym(acronym):
            continue
        before = text[max(0, match.start() - 300) : match.start()]
        cut = max((m.end() for m in _LONG_FORM_CUT.finditer(before)), default=0)
        spans = [m.span() for m in LETTERS.finditer(before, cut)]
        start = _long_form(acronym, [before[a:b] for a, b in spans])
        if start is not None and len(spans) - start >= 2:
            found.append((acronym, before[spans[start][0] : spans[-1][1]]))
    for match in _ACRONYM_BEFORE.finditer(text):
        acronym, inside = match.group(1), match.group(2)
        if not is_acronym(acronym):
            continue
        spans = [m.span() for m in LETTERS.finditer(inside)]
        start = _long_form(acronym, [inside[a:b] for a, b in spans])
        # The parenthesis must be the expansion itself, an article aside ("the", "l'").
        if start is not None and start <= 1 and len(spans) - start >= 2:
            found.append((acronym, inside[spans[start][0] : spans[-1][1]]))
    return found


def _attested_phrases(tokens: Sequence[Token], phrases: dict[str, list[tuple[tuple[str, ...], int, str]]]) -> set[str]:
    found: set[str] = set()
    for index, token in enumerate(tokens):
        for keys, _entity_id, form in phrases.get(token.key, ()):
            if tuple(t.key for t in tokens[index : index + len(keys)]) != keys:
                continue
            # "un", "eau", "us" are words; the acronyms UN, EAU, US are written in capitals.
            if is_acronym(form) and not token.text.isupper():
                continue
            found.add(" ".join(keys))
    return found


def _derived_attested(words: Iterable[str], entities: Sequence[Entity]) -> set[str]:
    """Place names the corpus uses only in a derived form: "marocain" attests "Maroc", "Казахстана"
    attests "Казахстан" (and only those forms: "Марокко" is not attested by "marocain")."""
    stem_forms: dict[str, set[str]] = defaultdict(set)
    for _entity_id, key, stem in place_stems(entities):
        stem_forms[stem].add(key)
    prefixes = {stem[:MIN_STEM] for stem in stem_forms}
    found: set[str] = set()
    for word in words:
        if word[:MIN_STEM] not in prefixes:
            continue
        for stem in derived_stems(word):
            found.update(stem_forms.get(stem, ()))
    return found

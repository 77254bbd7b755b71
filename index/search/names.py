"""A question's names across languages: which forms of them the corpus uses, and which it never uses.

`expand()` gives every name the question mentions with the other forms the corpus uses for it
(SCO -> OCS, Organisation de coopération de Shanghai; Morocco -> Maroc; Tokayev -> Tokaïev, Токаев),
and `unknown_names()` the names it is about that no table form, spelling variant or derived form
meets. Those names still meet their translations through the model (`meet`): the question's name,
embedded as a question, against the corpus's name phrases embedded at build time ("Security Council"
-> "Conseil de sécurité", "Kingdom of Morocco" -> "Royaume du Maroc"); a name that meets nothing there
either is evidence, weighed with the rest, that the corpus holds nothing relevant
(`index/search/abstention.py`). The tables come from the build (`index/build/name_tables.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.build.name_tables import NameTables, mine_names
from index.search.name_mentions import Expansion, Meeting, NameMention, distinct_forms, surface_key
from index.text.name_forms import (
    LETTERS,
    Entity,
    Token,
    common_words,
    derived_stems,
    generic_words,
    is_acronym,
    name_like,
    name_tokens,
    phrase_key,
    phrase_table,
    place_stems,
    skeleton_key,
    static_entities,
)
from index.text.spelling import spelled_alike

# Transliteration variants of one name differ by about one letter in five once the usual romanisation
# differences are removed (see skeleton_key): Tokayev/Tokaev 0.86, Bahrain/Bahreïn 0.86, Dhabi/Dabi 0.8,
# Poutine/Putin 0.83, Nurtleu/Nurtleou 1.0 (normalised Levenshtein similarity). Distinct names that close
# are rare: of 108,847 pairs of words (5+ letters) from different CLDR place names in English and French,
# 34 reach 0.8 and most of those are one word inflected (island/islands, africa/african); the truly
# distinct ones are Ireland/Iceland, Gambia/Zambia, Chile/Chine, Saint-Martin/Saint-Marin. 0.85 would
# lose Dhabi/Dabi and Putin/Poutine. Places never go through this comparison (their forms come from
# CLDR); it serves people's names and places CLDR does not list. tests/search/test_names.py measures both sides.
FUZZY_THRESHOLD = 0.8
# Shorter question words ("Iran"/"Iraq", "Oman"/"Aman") are compared exactly: one letter is too much
# of them; a corpus word may be one letter shorter (Dhabi/Dabi).
FUZZY_MIN_LENGTH = 5
# A name written one way in at least this share of the texts is the corpus's topic (see
# NameMention.topical).
TOPIC_SHARE = 0.5
# Small words that join the parts of one name: "Organisation of Islamic ...", "Tamim bin Hamad".
_CONNECTORS = frozenset({"of", "de", "du", "des", "bin", "ibn", "al", "el", "van", "von", "der"})
# A question word this long meets a corpus word written in lower case by the same rule as names
# (palestinian/palestinien, 0.91); shorter words are too close to each other in that rule.
LOWERCASE_FUZZY_MIN_LENGTH = 7
# Phrases kept per name met through the model: the corpus's forms of it, most similar first.
MEETING_FORMS = 2


class NameIndex:
    """Where a question's names meet the corpus's (`NameTables`, mined at build time); `expand` and
    `unknown_names` are pure look-ups (microseconds)."""

    def __init__(self, tables: NameTables) -> None:
        self.tables = tables
        self.words = tables.words
        self.name_texts = tables.name_texts
        self.texts = tables.texts
        self.capitals = tables.capitals
        self.names = tables.names
        self.acronyms = tables.acronyms
        self.attested = tables.attested
        self._expand_cached = lru_cache(maxsize=512)(self._expand)
        # Loaded with the index, not on the first question that needs them.
        generic_words()
        common_words()
        self._entities = _merge_acronyms(static_entities(), self.acronyms)
        self._phrases = phrase_table(self._entities)
        self._stem_entities = _stem_table(self._entities)
        self._phrase_keys = frozenset(phrase_key(phrase) for phrase in tables.phrases)
        self._entity_attested = [
            any(self._form_attested(form) or self._leading_part_attested(form) for form in entity.forms)
            for entity in self._entities
        ]
        by_letter: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for key in self.names:
            skeleton = skeleton_key(key)
            by_letter[skeleton[0]][skeleton].append(key)
        self._skeletons = {letter: (dict(table), list(table)) for letter, table in by_letter.items()}
        self._word_skeletons = _skeleton_buckets(key for key in self.words if len(key) >= LOWERCASE_FUZZY_MIN_LENGTH)
        self.phrases = tables.phrases
        self.phrase_vectors = tables.phrase_vectors

    @property
    def can_meet(self) -> bool:
        """Whether the build embedded the corpus's name phrases (an index built before did not)."""
        return self.phrase_vectors is not None and len(self.phrases) > 0

    def meet(self, names: Sequence[str], vectors: np.ndarray) -> list[Meeting]:
        """Each name (its vector, embedded as a question) with the corpus's most similar name phrases."""
        if not self.can_meet or not len(names):
            return [Meeting(name, ()) for name in names]
        assert self.phrase_vectors is not None
        similarities = np.asarray(vectors, dtype=np.float32) @ self.phrase_vectors.T
        meetings = []
        for name, row in zip(names, similarities, strict=True):
            best = np.argsort(-row, kind="stable")[:MEETING_FORMS]
            meetings.append(Meeting(name, tuple((self.phrases[i], float(row[i])) for i in best)))
        return meetings

    # -- questions --

    @classmethod
    def build(cls, texts: Sequence[tuple[str, str]]) -> NameIndex:
        """Mine `texts` and look names up in them at once (tests, benchmarks)."""
        return cls(mine_names(texts))

    def expand(self, question: str) -> Expansion:
        # The same question comes back: once per mode in eval and CV, from each user who asks it.
        return self._expand_cached(question)

    def _expand(self, question: str) -> Expansion:
        tokens = name_tokens(question)
        lowercase_question = not any(ch.isupper() for ch in question)
        mentions: list[NameMention] = []
        index = 0
        while index < len(tokens):
            matched = self._table_match(tokens, index, lowercase_question)
            if matched is not None:
                length, entity_id = matched
                span = (tokens[index].start, tokens[index + length - 1].end)
                mentions.append(self._entity_mention(question[span[0] : span[1]], entity_id, span))
                index += length
                continue
            run = self._name_run(tokens, index)
            if run:
                mention = self._run_mention(question, tokens[index : index + run])
                if mention is not None:
                    mentions.append(mention)
                index += run
                continue
            index += 1
        return Expansion(tuple(_with_probes(question, mentions)))

    def unknown_names(self, question: str) -> list[str]:
        return self.expand(question).unknown

    def _leading_part_attested(self, form: str) -> bool:
        """Whether the corpus writes a name as the leading half or more of this form: "Conseil de sécurité"
        for "Conseil de sécurité des Nations unies" (three words at least: "Organisation mondiale" is two names)."""
        keys = phrase_key(form).split()
        return any(" ".join(keys[:end]) in self._phrase_keys for end in range(max(3, (len(keys) + 1) // 2), len(keys)))

    def _form_attested(self, form: str) -> bool:
        key = phrase_key(form)
        if is_acronym(form):
            return key in self.capitals
        return key in self.attested

    def _table_match(self, tokens: Sequence[Token], index: int, lowercase_question: bool) -> tuple[int, int] | None:
        first = tokens[index]
        for keys, entity_id, form in self._phrases.get(first.key, ()):
            length = len(keys)
            if tuple(token.key for token in tokens[index : index + length]) != keys:
                continue
            if is_acronym(form):
                if first.text.isupper():
                    return length, entity_id
            elif first.text[0].isupper() or form[0].islower() or lowercase_question:
                if length == 1 and first.key in common_words():
                    continue
                return length, entity_id
        return None

    def _entity_mention(self, text: str, entity_id: int, span: tuple[int, int] | None = None) -> NameMention:
        entity = self._entities[entity_id]
        own_keys = phrase_key(text).split()
        topical = bool(own_keys) and not is_acronym(text) and all(self._topical(key) for key in own_keys)
        forms = (
            ()
            if topical
            else distinct_forms(
                (form for form in entity.forms if self._form_attested(form)), exclude={surface_key(text)}
            )
        )
        attested = self._entity_attested[entity_id]
        if not attested and not is_acronym(text):
            # The corpus may say "the Sahara" where CLDR says "Western Sahara": the words that set the place
            # apart are enough ("Zealand" in "New Zealand"), not CLDR's generic ones (Western, New, Islands).
            # The corpus must write them as names: "européenne" in "l'intégration européenne" does not
            # attest the "Union européenne", nor does "Chine", one letter from it, attest "Chile".
            words = [token.key for token in name_tokens(text) if name_like(token) and token.key not in generic_words()]
            attested = bool(words) and all(key in self.names for key in words)
        return NameMention(text, entity.kind, forms, attested, topical, span=span)

    def _topical(self, key: str) -> bool:
        """Whether TOPIC_SHARE of the texts use this word (a share of one or two texts says nothing)."""
        return self.texts >= 3 and len(self.name_texts.get(key, ())) >= TOPIC_SHARE * self.texts

    def _is_candidate(self, tokens: Sequence[Token], index: int) -> bool:
        token = tokens[index]
        if not name_like(token):
            return False
        if not token.initial or is_acronym(token.text) or token.key in self.names:
            return True
        # A sentence's first word is a name when a name follows it: "Nelson Mandela".
        following = index + 1 < len(tokens) and tokens[index + 1].joined and name_like(tokens[index + 1])
        return following

    def _name_run(self, tokens: Sequence[Token], index: int) -> int:
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

    def _run_mention(self, question: str, run: Sequence[Token]) -> NameMention | None:
        if len(run) == 1 and not is_acronym(run[0].text) and run[0].key in generic_words():
            return None  # "Western", "Kingdom", "Islands": a part of names, not one
        forms: list[str] = []
        attested = True
        missing: list[str] = []  # the words of it that no table, spelling variant or derived form meets
        topical = False
        kind = "acronym" if len(run) == 1 and is_acronym(run[0].text) else "name"
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
            lowercase = self._lowercase_variants(token.key)
            if lowercase:
                forms.extend(lowercase)
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
            missing.append(token.text)
        text = question[run[0].start : run[-1].end]
        own = {surface_key(text), *(surface_key(token.text) for token in run)}
        # A name whose missing words English and French write alike would be written so here too: the
        # model is not asked to meet it, since what it finds near "Erdogan" ("Turkistan") is no translation.
        spelled = kind == "name" and bool(missing) and all(spelled_alike(word) for word in missing)
        return NameMention(
            text,
            kind,
            distinct_forms(forms, exclude=own),
            attested,
            topical,
            span=(run[0].start, run[-1].end),
            spelled=spelled,
        )

    def _variants(self, key: str) -> list[str]:
        """Name keys of the corpus that spell `key` another way (itself included when present)."""
        skeleton = skeleton_key(key)
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

    def _lowercase_variants(self, key: str) -> list[str]:
        """The corpus's words that write this long word another way, in any case: the adjective of a name
        ("Palestinian" / "palestinien") that no capital marks as one."""
        if len(key) < LOWERCASE_FUZZY_MIN_LENGTH:
            return []
        skeleton = skeleton_key(key)
        table = self._word_skeletons.get(skeleton[:1])
        if table is None:
            return []
        keys_by_skeleton, skeletons = table
        return [
            word
            for match, score, _ in process.extract(
                skeleton, skeletons, scorer=Levenshtein.normalized_similarity, score_cutoff=FUZZY_THRESHOLD - 0.05
            )
            if score >= FUZZY_THRESHOLD - 1e-9
            for word in keys_by_skeleton[match][:1]
        ][:2]

    def _derived_entity(self, key: str) -> int | None:
        # A plural people ("Moroccans") is its singular's derived form.
        for candidate in (key, key[:-1]) if key.endswith("s") else (key,):
            for stem in derived_stems(candidate):
                entity_ids = self._stem_entities.get(stem)
                if entity_ids:
                    return entity_ids[0]
        return None


def _skeleton_buckets(keys: Iterable[str]) -> dict[str, tuple[dict[str, list[str]], list[str]]]:
    by_letter: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key in keys:
        skeleton = skeleton_key(key)
        by_letter[skeleton[0]][skeleton].append(key)
    return {letter: (dict(table), list(table)) for letter, table in by_letter.items()}


def _with_probes(question: str, mentions: list[NameMention]) -> list[NameMention]:
    """Unattested names with what the model reads to meet them: the name, or the name with the name
    it qualifies when only a connector stands between them ("Kingdom" + "of" + "Morocco")."""
    out = []
    for position, mention in enumerate(mentions):
        probe = mention.text
        following = mentions[position + 1] if position + 1 < len(mentions) else None
        if mention.attested or mention.kind not in ("name", "acronym") or mention.span is None or mention.spelled:
            out.append(mention)
            continue
        if following is not None and following.span:
            gap = {word.lower() for word in LETTERS.findall(question[mention.span[1] : following.span[0]])}
            if gap and gap <= _CONNECTORS | {"the", "la", "le", "l", "d"}:
                probe = question[mention.span[0] : following.span[1]]
        out.append(NameMention(**{**mention.__dict__, "probe": probe}))
    return out


def _merge_acronyms(entities: Sequence[Entity], acronyms: Sequence[tuple[str, str]]) -> list[Entity]:
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
        Entity(kind, tuple(dict.fromkeys([*mined.get(entity_id, ()), *forms])))
        for entity_id, (kind, forms) in enumerate(zip(kinds, static, strict=True))
    ]


def _stem_table(entities: Sequence[Entity]) -> dict[str, list[int]]:
    table: dict[str, list[int]] = defaultdict(list)
    for entity_id, _key, stem in place_stems(entities):
        if entity_id not in table[stem]:
            table[stem].append(entity_id)
    return dict(table)

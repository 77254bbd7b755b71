"""Hybrid search over a stored index: fused rankings, dates, diversity, highlights, abstention."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import sparse
from stop_words import get_stop_words
from threadpoolctl import threadpool_limits

from index.dates import Period, asks_for_latest, parse_period
from index.embedders import Embedder
from index.language import detect_language_confident
from index.lexical import fold_accents, query_terms, surface_words, terms, words
from index.models import Chunk, Hit, SearchResult
from index.store import StoredIndex

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")

CANDIDATES = 50
RRF_K = 60
# Three rankers carry meaning across languages (chunk vectors, best sentence vector, sparse latent
# terms of the best sentence); BM25 only matches within a language, mostly names and numbers. At half
# weight it still lifts those; at full weight it pulled same-language passages above better
# other-language ones (dev set, cross items: MRR 0.875 at 0.5 against 0.833 at 1.0).
LEXICAL_WEIGHT = 0.5
# multilingual-e5-small scores a passage in the question's own language about 0.037 higher than one
# in the other language, whatever the topic (mean over dev and off-topic questions, both directions:
# en 0.038, fr 0.037). Lifting other-language passages by that much lets them compete on meaning.
CROSS_LANGUAGE_LIFT = 0.035
# A word found in at least this share of the documents does not tell them apart ("Kazakhstan" here).
TOPIC_DOC_SHARE = 0.5
TOP_DIVERSE = 3
MAX_PER_DOC_IN_TOP = 2
# Another article is promoted into the top only when it is nearly as relevant: 0.95 of the best fused
# score is about three ranks lower on every ranking (3.5/63 against 3.5/60). Below that the third
# passage of the one relevant article beats an unrelated one (the Morocco question: 0.917).
DIVERSE_MIN_SHARE = 0.95


@dataclass(frozen=True)
class Signals:
    """Evidence that the corpus answers a question, each independent of the corpus size."""

    dense: float  # best cosine of a passage or sentence, lifted across languages
    coverage: float  # share of the question's content words found in one of the top passages
    sparse: float | None  # best latent-term overlap with a sentence (None: model has no sparse head)

    def to_json(self) -> dict:
        return {
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 4),
            "sparse": None if self.sparse is None else round(self.sparse, 4),
        }


@dataclass(frozen=True)
class Abstention:
    """When to answer "nothing relevant", calibrated on the dev set with the default model.

    On the dev set the combined score of the `none` questions tops out at 0.918, the answerable ones
    start at 0.948; the threshold sits between. Models without a sparse head have no calibration
    for their cosine scale, so only lexical coverage decides for them.
    """

    threshold: float = 0.93
    coverage_weight: float = 0.1
    sparse_weight: float = 0.2
    min_coverage: float = 0.5

    def score(self, signals: Signals) -> float:
        return signals.dense + self.coverage_weight * signals.coverage + self.sparse_weight * (signals.sparse or 0.0)

    def answered(self, signals: Signals, mode: Mode) -> bool:
        if mode == "lexical" or signals.sparse is None:
            return signals.coverage >= self.min_coverage
        return self.score(signals) >= self.threshold


@dataclass
class _Candidate:
    row: int
    fused: float


@dataclass
class _Query:
    text: str
    vector: np.ndarray
    terms: list[str]
    content_words: list[str]
    lift: np.ndarray
    sparse: sparse.csr_matrix | None


@lru_cache(maxsize=1)
def _single_threaded_blas() -> None:
    # One question's matrix-vector products are too small to gain from threads, and OpenBLAS's idle
    # threads spin on the cores the embedder's OpenMP threads need: on 2,000 articles, query p50 fell
    # from 57 to 36 ms in bench/retrieval.py with BLAS on one thread. Process-wide, hence done once.
    threadpool_limits(limits=1, user_api="blas")


class Searcher:
    def __init__(self, stored: StoredIndex, embedder: Embedder, abstention: Abstention | None = None) -> None:
        _single_threaded_blas()
        self.stored = stored
        self.embedder = embedder
        self.abstention = abstention or Abstention()
        self._documents = {d.id: d for d in stored.documents}
        self._chunk_langs = np.array([c.lang for c in stored.chunks])
        self._chunk_terms = [set(terms(c.text, c.lang)) for c in stored.chunks]
        doc_terms: dict[str, set[str]] = defaultdict(set)
        for chunk, chunk_terms in zip(stored.chunks, self._chunk_terms, strict=True):
            doc_terms[chunk.doc_id] |= chunk_terms
        self._doc_freq = Counter(term for found in doc_terms.values() for term in found)
        self._sentences_by_doc: dict[str, list[int]] = defaultdict(list)
        for row, sentence in enumerate(stored.sentences):
            self._sentences_by_doc[sentence.doc_id].append(row)
        self._sentence_terms = [
            set(terms(body, "fr")) | set(terms(body, "en"))
            for body in (self._documents[s.doc_id].text[s.start : s.end] for s in stored.sentences)
        ]
        # (chunk, sentence) pairs sorted by chunk, so per-chunk maxima are one reduceat call.
        pairs = [(c.id, r) for c in stored.chunks for r in self._sentences_in(c.doc_id, c.start, c.end)]
        self._pair_sentence = np.array([r for _, r in pairs], dtype=np.int64)
        pair_chunk = np.array([c for c, _ in pairs], dtype=np.int64)
        self._chunk_first_pair = np.searchsorted(pair_chunk, np.arange(len(stored.chunks)))
        self._has_sentences = np.bincount(pair_chunk, minlength=len(stored.chunks)) > 0

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
    ) -> SearchResult:
        """Top `k` passages; with `abstain`, none at all when nothing in the corpus is relevant."""
        text = " ".join(query.split())
        if not text or not self.chunks:
            return SearchResult(query=text, answered=False)
        q = self._prepare(text, mode)
        semantic = self._semantic_scores(q) if mode != "lexical" else []
        candidates = self._candidates(q, mode, semantic)
        period = Period(since or date.min, until or date.max) if (since or until) else parse_period(text)
        topic_text = text.replace(period.phrase, " ") if period and period.phrase else text
        latest = asks_for_latest(text) or (period is not None and not self._has_topic(topic_text))
        # Diversify first: the date ordering below is stable, so it keeps that spread within each tier.
        ordered = self._order(self._diversified(candidates), period, latest)
        hits = self._hits(ordered, q, k)
        answered = bool(hits) and self.abstention.answered(self._signals(q, candidates, semantic), mode)
        return SearchResult(
            query=text,
            answered=answered,
            hits=hits if answered or not abstain else [],
            period=(period.since, period.until) if period else None,
        )

    def signals(self, query: str, mode: Mode = "hybrid") -> Signals:
        """The abstention signals for a question, for calibration and `citebot eval --json`."""
        q = self._prepare(" ".join(query.split()), mode)
        semantic = self._semantic_scores(q) if mode != "lexical" else []
        return self._signals(q, self._candidates(q, mode, semantic), semantic)

    # Ranking -------------------------------------------------------------------------------

    def _prepare(self, text: str, mode: Mode) -> _Query:
        semantic = mode != "lexical"
        language = detect_language_confident(text)
        lift = np.zeros(len(self.chunks), dtype=np.float32)
        if language is not None:
            lift[self._chunk_langs != language] = CROSS_LANGUAGE_LIFT
        use_sparse = mode == "hybrid" and self.embedder.supports_sparse and self.stored.sentence_sparse is not None
        return _Query(
            text=text,
            vector=self.embedder.embed_queries([text])[0] if semantic else np.zeros(0, dtype=np.float32),
            terms=query_terms(text),
            content_words=_content_words(text),
            lift=lift,
            sparse=self.embedder.sparse_vectors([_concept_text(text)]) if use_sparse else None,
        )

    def _per_chunk_max(self, sentence_scores: np.ndarray) -> np.ndarray:
        if not len(self._pair_sentence):
            return np.zeros(len(self.chunks), dtype=np.float32)
        best = np.maximum.reduceat(
            sentence_scores[self._pair_sentence], np.minimum(self._chunk_first_pair, len(self._pair_sentence) - 1)
        )
        return np.where(self._has_sentences, best, 0.0).astype(np.float32)

    def _semantic_scores(self, q: _Query) -> list[np.ndarray]:
        """Per-chunk scores of each semantic ranker, lifted across languages where cosine-based."""
        depth = min(len(self.chunks), CANDIDATES)
        found, rows = self.stored.vectors.search(q.vector.reshape(1, -1), depth)
        chunk_scores = np.full(len(self.chunks), -1.0, dtype=np.float32)  # outside FAISS's top: last
        chunk_scores[rows[0][rows[0] >= 0]] = found[0][rows[0] >= 0]
        sentence_best = self._per_chunk_max(self.stored.sentence_vectors @ q.vector)
        rankers = [chunk_scores + q.lift, sentence_best + q.lift]
        if q.sparse is not None:
            assert self.stored.sentence_sparse is not None
            overlap = (self.stored.sentence_sparse @ q.sparse.T).toarray().ravel()
            rankers.append(self._per_chunk_max(overlap))
        return rankers

    def _candidates(self, q: _Query, mode: Mode, semantic: list[np.ndarray]) -> list[_Candidate]:
        depth = min(len(self.chunks), CANDIDATES)
        fused: dict[int, float] = defaultdict(float)
        # Reciprocal rank fusion: BM25 scores, cosines and latent-term overlaps live on unrelated
        # scales; ranks compare them without a calibration that would shift with the corpus.
        if mode != "lexical":
            for scores in semantic:
                for rank, row in enumerate(np.argsort(-scores, kind="stable")[:depth]):
                    fused[int(row)] += 1.0 / (RRF_K + rank)
        if mode != "dense":
            lexical = self.stored.lexical.scores(q.terms)
            weight = LEXICAL_WEIGHT if mode == "hybrid" else 1.0
            for rank, row in enumerate(np.argsort(-lexical, kind="stable")[:depth]):
                if lexical[row] > 0:
                    fused[int(row)] += weight / (RRF_K + rank)
        return sorted((_Candidate(row, score) for row, score in fused.items()), key=lambda c: c.fused, reverse=True)

    def _order(self, candidates: list[_Candidate], period: Period | None, latest: bool) -> list[_Candidate]:
        if period:
            inside = [c for c in candidates if (d := self.chunks[c.row].date) and period.since <= d <= period.until]
            undated = [c for c in candidates if self.chunks[c.row].date is None]
            candidates = inside + undated
        if latest:
            # A stable sort: relevance still orders passages of the same date.
            candidates = sorted(candidates, key=lambda c: self.chunks[c.row].date or date.min, reverse=True)
        return candidates

    def _has_topic(self, text: str) -> bool:
        """Whether a question names something that sets some documents apart from the others.

        "What did Kazakhstan say in March 2026?" over a corpus about Kazakhstan asks for a period's
        news, not a topic: like a news feed, its answer shows the newest of that period first.
        """
        words = [w for w in _content_words(text) if fold_accents(w) not in _REPORTING_VERBS]
        return any(
            max(self._doc_freq[t] for t in query_terms(w)) < TOPIC_DOC_SHARE * len(self._documents) for w in words
        )

    # Abstention ----------------------------------------------------------------------------

    def _signals(self, q: _Query, candidates: list[_Candidate], semantic: list[np.ndarray]) -> Signals:
        top = [c.row for c in candidates[:TOP_DIVERSE]]
        coverage = 0.0
        if q.content_words and top:
            coverage = max(len(self._matched_words(q, row)) for row in top) / len(q.content_words)
        if not semantic:
            return Signals(dense=0.0, coverage=coverage, sparse=None)
        dense = float(max(semantic[0].max(), semantic[1].max()))
        overlap = float(semantic[2].max()) if len(semantic) > 2 else None
        return Signals(dense=dense, coverage=coverage, sparse=overlap)

    def _matched_words(self, q: _Query, row: int) -> set[str]:
        chunk_terms = self._chunk_terms[row]
        return {word for word in q.content_words if set(query_terms(word)) & chunk_terms}

    # Hits ----------------------------------------------------------------------------------

    def _hits(self, ordered: list[_Candidate], q: _Query, k: int) -> list[Hit]:
        picked: list[tuple[_Candidate, int, int]] = []  # best candidate, merged start, merged end
        for candidate in ordered:
            chunk = self.chunks[candidate.row]
            span = (chunk.start, chunk.end)
            overlapping = [
                i
                for i, (c, a, b) in enumerate(picked)
                if self.chunks[c.row].doc_id == chunk.doc_id and span[0] < b and a < span[1]
            ]
            if not overlapping:
                if len(picked) < k:
                    picked.append((candidate, *span))
                continue
            # Merge into the best-ranked overlapping passage, and with it any others this one bridges.
            first = overlapping[0]
            start = min([span[0]] + [picked[i][1] for i in overlapping])
            end = max([span[1]] + [picked[i][2] for i in overlapping])
            picked[first] = (picked[first][0], start, end)
            for i in reversed(overlapping[1:]):
                del picked[i]
        return [self._hit(rank, c, a, b, q) for rank, (c, a, b) in enumerate(picked, start=1)]

    def _diversified(self, ordered: list[_Candidate]) -> list[_Candidate]:
        """Keep the top few from being pieces of one article when other articles are relevant."""
        top: list[_Candidate] = []
        rest = list(ordered)
        per_doc: dict[str, int] = defaultdict(int)
        floor = DIVERSE_MIN_SHARE * ordered[0].fused if ordered else 0.0
        while rest and len(top) < TOP_DIVERSE:
            choice = next(
                (c for c in rest if per_doc[self.chunks[c.row].doc_id] < MAX_PER_DOC_IN_TOP and c.fused >= floor),
                rest[0],
            )
            per_doc[self.chunks[choice.row].doc_id] += 1
            top.append(choice)
            rest.remove(choice)
        return top + rest

    def _hit(self, rank: int, candidate: _Candidate, start: int, end: int, q: _Query) -> Hit:
        chunk = self.chunks[candidate.row]
        spans = self._highlight(chunk.doc_id, start, end, q)
        return Hit(
            rank=rank,
            score=candidate.fused,
            source=chunk.source,
            title=chunk.title,
            date=chunk.date,
            date_precision=chunk.date_precision,
            url=chunk.url,
            lang=chunk.lang,
            text=self._documents[chunk.doc_id].text[start:end],
            highlight=" ".join(self._documents[chunk.doc_id].text[a:b] for a, b in spans),
            doc_id=chunk.doc_id,
            start=start,
            end=end,
            highlight_spans=tuple((a - start, b - start) for a, b in spans),
        )

    def _sentences_in(self, doc_id: str, start: int, end: int) -> list[int]:
        sentences = self.stored.sentences
        return [r for r in self._sentences_by_doc[doc_id] if start <= sentences[r].start and sentences[r].end <= end]

    def _highlight(self, doc_id: str, start: int, end: int, q: _Query) -> list[tuple[int, int]]:
        """Where the sentence, or two adjacent ones, of a passage that best answer the question are."""
        rows = self._sentences_in(doc_id, start, end)
        if not rows:
            return []
        wanted = set(q.terms)
        scores = []
        for row in rows:
            shared = len(wanted & self._sentence_terms[row])
            cosine = float(self.stored.sentence_vectors[row] @ q.vector) if len(q.vector) else 0.0
            scores.append(cosine + 0.02 * shared)
        best = int(np.argmax(scores))
        chosen = [best]
        for neighbour in (best + 1, best - 1):
            if 0 <= neighbour < len(rows) and scores[neighbour] >= scores[best] - 0.01:
                chosen.append(neighbour)
                break
        # Spans, not one slice: a heading may sit between two adjacent sentences.
        return [(self.stored.sentences[rows[i]].start, self.stored.sentences[rows[i]].end) for i in sorted(chosen)]


@lru_cache(maxsize=1)
def _question_stopwords() -> frozenset[str]:
    # A broad list (question words, auxiliaries, "say"): right for judging what a question is
    # about, too broad for BM25 itself (it drops "two" and "state").
    return frozenset(fold_accents(w) for lang in ("en", "fr") for w in get_stop_words(lang))


# News questions ask what someone said; the verb does not name a topic. The stop-word lists hold
# English "say" but none of the French forms.
_REPORTING_VERBS = frozenset(
    {"dit", "dire", "declare", "declarer", "declaree", "affirme", "affirmer", "annonce", "annoncer"}
    | {"said", "says", "stated", "declared", "announced"}
)


def _concept_text(text: str) -> str:
    """The question's content words as typed, for the latent-term head.

    That head max-pools per-token codes, so question words cost time (a forward pass is linear in
    tokens) and add no concept; case is kept, the tokenizer reads "Qatar" and "qatar" differently.
    Dev set against the whole question: cross MRR@10 0.917 vs 0.875, 4 ms less per question.
    """
    kept = [w for w in surface_words(text) if fold_accents(w.lower()) not in _question_stopwords()]
    return " ".join(kept) or text


def _content_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(text) if fold_accents(w) not in _question_stopwords()))

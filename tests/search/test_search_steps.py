"""Each search step alone: fusion, time preference, diversity, highlight, language bias."""

from __future__ import annotations

from datetime import date

import numpy as np

from index.models import Chunk
from index.search.diversity import diversified
from index.search.fusion import Bonus, Candidate, Ranking, fuse
from index.search.highlight import best_sentences
from index.search.periods import Period
from index.search.time_preference import newest_first, newest_relevant_first, within
from index.store.bm25 import LexicalIndex
from index.text.language import detect_language
from index.text.terms import query_terms


def chunk(row: int, doc: str, day: date | None) -> Chunk:
    return Chunk(row, doc, f"{doc}.txt", doc, day, "en", None, "text", 0, 4)


CHUNKS = [
    chunk(0, "a", date(2024, 1, 5)),
    chunk(1, "a", date(2024, 1, 5)),
    chunk(2, "b", date(2025, 6, 1)),
    chunk(3, "c", None),
    chunk(4, "d", date(2026, 3, 2)),
]


def test_fusion_mixes_normalised_scores_and_ignores_passages_without_a_shared_term():
    dense = Ranking("dense", np.array([0.9, 0.8, 0.7, 0.1, 0.5]), weight=0.6)
    bm25 = Ranking("bm25", np.array([0.0, 3.0, 0.0, 0.0, 1.5]), weight=0.4, positive_only=True)
    fused = fuse([dense, bm25], depth=5)
    scores = {c.row: c.fused for c in fused}
    # Dense rescaled over its kept passages (0.1 -> 0, 0.9 -> 1); BM25 from its own zero (3.0 -> 1).
    assert scores[0] == 0.6 and scores[3] == 0.0, "no BM25 share for a passage with score 0"
    assert abs(scores[1] - (0.6 * 0.875 + 0.4)) < 1e-9
    assert abs(scores[4] - (0.6 * 0.5 + 0.4 * 0.5)) < 1e-9
    assert [c.row for c in fused][:3] == [1, 0, 4]


def test_fusion_keeps_how_far_apart_scores_are_not_only_their_order():
    # Reciprocal rank fusion would tie rows 0 and 1 (first in one ranking, second in the other);
    # the scores say row 0 is far ahead by meaning and only a hair behind by terms.
    dense = Ranking("dense", np.array([0.95, 0.60, 0.50]), weight=0.5)
    bm25 = Ranking("bm25", np.array([2.9, 3.0, 0.1]), weight=0.5, positive_only=True)
    assert [c.row for c in fuse([dense, bm25], depth=3)][:2] == [0, 1]


def test_fusion_of_one_ranking_keeps_its_order_and_a_flat_ranking_scores_one():
    assert [c.row for c in fuse([Ranking("dense", np.array([0.2, 0.9, 0.5]))], depth=3)] == [1, 2, 0]
    assert {c.fused for c in fuse([Ranking("bm25", np.array([2.0, 2.0, 0.0]), positive_only=True)], depth=3)} == {1.0}


def test_a_period_bonus_never_brings_in_a_passage_no_ranker_found():
    dense = Ranking("dense", np.array([0.9, -np.inf, 0.8, 0.1, -np.inf]))
    fused = fuse([dense], depth=5, bonuses=(Bonus("period", np.array([2, 4]), 0.5),))
    assert [c.row for c in fused] == [2, 0, 3]


def test_diversity_promotes_another_article_only_when_nearly_as_relevant():
    ordered = [Candidate(0, 1.0), Candidate(1, 0.99), Candidate(2, 0.97), Candidate(4, 0.5)]
    assert [c.row for c in diversified(list(ordered), CHUNKS, 0.95)[:3]] == [0, 1, 2]
    third_of_a = [Candidate(0, 1.0), Candidate(1, 0.99), Candidate(9, 0.98), Candidate(2, 0.96)]
    chunks = [*CHUNKS[:5], *[chunk(i, "a", None) for i in range(5, 10)]]
    assert [c.row for c in diversified(third_of_a, chunks, 0.95)[:3]] == [0, 1, 2]
    assert [c.row for c in diversified(third_of_a, chunks, 0.99)[:3]] == [0, 1, 9]


def test_newest_first_keeps_the_named_period_on_top():
    ordered = [Candidate(r, 1.0 - r / 10) for r in range(5)]
    assert [c.row for c in newest_first(ordered, CHUNKS, None)] == [4, 2, 0, 1, 3]
    in_2024 = Period(date(2024, 1, 1), date(2024, 12, 31))
    assert [c.row for c in newest_first(ordered, CHUNKS, in_2024)] == [0, 1, 2, 3, 4]
    relevant = [Candidate(0, 1.0), Candidate(2, 0.95), Candidate(4, 0.5)]
    # Row 4 is the newest but names less of the topic: it stays behind the newest that names it all.
    assert [c.row for c in newest_relevant_first(relevant, CHUNKS, [2, 2, 1])] == [2, 0, 4]
    assert [c.row for c in newest_relevant_first(relevant, CHUNKS, [0, 0, 0])] == [0, 2, 4]


def test_explicit_bounds_filter_dated_articles_and_keep_undated_last():
    ordered = [Candidate(r, 1.0) for r in range(5)]
    assert [c.row for c in within(ordered, CHUNKS, date(2025, 1, 1), date(2025, 12, 31))] == [2, 3]


def test_highlight_prefers_the_sentence_with_the_rarest_shared_term():
    spans = [(0, 10), (11, 20), (21, 30)]
    found = [{"kazakhstan", "said"}, {"kazakhstan", "akorda"}, {"weather"}]
    freq = {"kazakhstan": 50, "said": 40, "akorda": 1}
    assert best_sentences(spans, found, {"kazakhstan", "akorda"}, freq, 50) == [(11, 20)]


def test_language_bias_is_measured_on_the_seed_index(searcher):
    bias = searcher.stored.manifest["language_bias"]
    assert 0.01 < bias < 0.08


def test_articles_in_russian_are_told_apart():
    text = "Касым-Жомарт Токаев и Мухаммед бен Заид Аль Нахаян сделали совместное заявление для прессы."
    assert detect_language(text) == "ru"


def test_cognates_meet_across_the_two_stemmers():
    index = LexicalIndex.build(
        ["Kazakhstan plans to increase the area of irrigated land.", "Le septembre des interviews."],
        ["en", "fr"],
    )
    question = query_terms("Quelle superficie de terres irriguées ?")
    assert "irrig" not in question and "irrig" in index.cognates(question)
    assert index.scores(question)[0] == 0 and index.scores(question + index.cognates(question))[0] > 0
    # Different words that share a start stay apart: "intervient" is no form of "interview".
    assert index.cognates(query_terms("intervient")) == []


def test_cyrillic_question_words_are_stemmed_as_russian():
    assert query_terms("Ватан") == ["вата"]

"""The sentence, or two adjacent ones, of a passage that best answer the question.

Sentences are scored by the question's terms they contain (name variants included), each
weighted by its rarity in the corpus, so "Akorda" counts for more than "Kazakhstan". Sentence
vectors would cost a second pass of every token through the model at build time; measured on
both question sets, the rarity-weighted overlap picks the sentence holding the expected answer
as often (see README).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from index.text.terms import terms


def sentence_terms(text: str) -> set[str]:
    # Both stemmers: the question may be in the other language and still share names and cognates.
    return set(terms(text, "fr")) | set(terms(text, "en"))


def best_sentences(
    sentences: list[tuple[int, int]],
    sentence_term_sets: list[set[str]],
    wanted: set[str],
    doc_freq: Mapping[str, int],
    documents: int,
) -> list[tuple[int, int]]:
    """Spans (document offsets) of the best sentence and, when it scores as well, its neighbour."""
    if not sentences:
        return []

    def weight(term: str) -> float:
        return math.log(1 + documents / (1 + doc_freq.get(term, 0)))

    scores = [sum(weight(t) for t in found & wanted) for found in sentence_term_sets]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    chosen = [best]
    for neighbour in (best + 1, best - 1):
        if 0 <= neighbour < len(scores) and scores[best] > 0 and scores[neighbour] >= 0.8 * scores[best]:
            chosen.append(neighbour)
            break
    # Spans, not one slice: a heading may sit between two adjacent sentences.
    return [sentences[i] for i in sorted(chosen)]

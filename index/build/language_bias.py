"""How much the model favours passages in the question's own language, measured on the corpus.

multilingual-e5 scores a passage written in the question's language higher than an equally
relevant one in another language. Search lifts other-language passages by this amount so they
compete on meaning. It is measured at build time, without labels: each article's headline,
embedded as a question, is compared with the passages of the *other* articles in its language and
in the other languages; the mean difference is the model's preference for its own language on a
corpus of this topic mix.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from index.build.embedders import Embedder
from index.models import Chunk, Document

# Enough headlines for a stable mean (about ±0.003 at 100 per language), few enough to cost
# little against the passages themselves.
MAX_HEADLINES_PER_LANGUAGE = 100
# A corpus whose languages differ in topic too would read topic as language; keep the lift modest.
MAX_BIAS = 0.08


def measure_language_bias(
    embedder: Embedder, documents: list[Document], chunks: list[Chunk], vectors: np.ndarray
) -> float:
    langs = np.array([c.lang for c in chunks])
    doc_of = np.array([c.doc_id for c in chunks])
    if len(set(langs.tolist())) < 2:
        return 0.0
    by_lang: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        if document.title.strip():
            by_lang[document.lang].append(document)
    rng = random.Random(0)
    sample = [d for docs in by_lang.values() for d in rng.sample(docs, min(len(docs), MAX_HEADLINES_PER_LANGUAGE))]
    if not sample:
        return 0.0
    queries = embedder.embed_queries([d.title for d in sample])
    differences: dict[str, list[float]] = defaultdict(list)
    for document, query in zip(sample, queries, strict=True):
        others = doc_of != document.id
        same = others & (langs == document.lang)
        other = others & (langs != document.lang)
        if same.any() and other.any():
            scores = vectors @ query
            differences[document.lang].append(float(scores[same].mean() - scores[other].mean()))
    if not differences:
        return 0.0
    # Each language weighs the same, however many articles it has.
    bias = float(np.mean([np.mean(values) for values in differences.values()]))
    return round(min(max(bias, 0.0), MAX_BIAS), 4)

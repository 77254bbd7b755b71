"""Builds into Milvus split across workers: `citebot build --shard I/N`, then `citebot publish`.

Each worker lists the corpus and hashes every file; a file belongs to shard int(sha256) mod N, so
N workers started by whatever already runs the user's jobs (a Kubernetes indexed Job, a Slurm
array, GNU parallel) split the corpus the same way without talking to each other, and agree on
the build's id (`build_id`). A worker reads only its own files, embeds what its vector cache lacks
(committed batch by batch, so SIGKILL loses at most one batch), writes its passages and articles to
the build's staging collections, and its record last. Run again, a finished shard does nothing and
an interrupted one clears what it had written and writes it anew from its cache.

Publishing needs the whole corpus: it checks every shard's record is there, orders the passages as
a one-process build does (corpus file order, then offset), mines the name tables and embeds their
name phrases (through the vector cache beside its INDEX_DIR, as the default build does), counts
terms, measures the language bias, writes the published collection and then moves the live
pointer, so questions never see a half-built index. A one-process build (`citebot build` with
INDEX_BACKEND=milvus) is shard 0 of 1 followed by the same publish step.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.build.embedders import Embedder
from index.build.name_tables import mine_names
from index.build.pipeline import (
    BuildReport,
    ProgressCallback,
    ProgressTracker,
    embed_key,
    embed_name_phrases,
    index_manifest,
    passage_text,
    phrase_key,
    vectors_through_cache,
)
from index.build.vector_cache import VectorCache
from index.ingest.chunking import CHUNKER_VERSION, chunk_documents, sentence_spans_of
from index.ingest.corpus import corpus_files, load_document
from index.ingest.readers import READERS
from index.ingest.sidecar import SIDECAR_NAME, CorpusError, read_sidecar
from index.models import Document, Skipped
from index.settings import DEFAULT_LIMITS, ReadLimits
from index.store.directory import FORMAT_VERSION, Sentence, build_lock
from index.store.milvus import (
    LAYOUT_VERSION,
    MilvusStore,
    ShardsIncomplete,
    chunk_of,
    corpus_order,
    fit_terms,
    shard_documents,
)
from index.text.terms import term_documents, terms


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    source: str
    # sha256 of the file's bytes; of its name and size for a file no build would read (too large, unsupported).
    digest: str

    def shard(self, shards: int) -> int:
        return int(self.digest[:16], 16) % shards


def list_corpus(
    corpus_dir: Path, max_bytes: int, on_file: Callable[[int, int], None] | None = None
) -> list[CorpusFile]:
    """Every file of the corpus with its content hash: what decides the build id and each file's shard."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set CORPUS_DIR or pass --corpus")
    paths = corpus_files(corpus_dir)
    found = []
    for done, path in enumerate(paths, start=1):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            size = path.stat().st_size
            readable = path.suffix.lower() in READERS and size <= max_bytes
            digest = hashlib.sha256(path.read_bytes() if readable else f"{source}\x00{size}".encode()).hexdigest()
        except OSError:
            # The build reports it as unreadable; which shard does so only needs to be fixed.
            digest = hashlib.sha256(f"{source}\x00unreadable".encode()).hexdigest()
        found.append(CorpusFile(path, source, digest))
        if on_file is not None:
            on_file(done, len(paths))
    return found


def build_id(
    corpus_dir: Path,
    files: list[CorpusFile],
    model_id: str,
    max_bytes: int,
    shards: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> str:
    """The same for every worker given the same corpus, settings, model and shard count."""
    digest = hashlib.sha256()
    sidecar = corpus_dir / SIDECAR_NAME
    parts = [
        f"layout {LAYOUT_VERSION} format {FORMAT_VERSION} chunker {CHUNKER_VERSION}",
        # The limits decide which files are skipped: workers given other limits build another index.
        f"model {model_id} max_bytes {max_bytes} limits {limits}",
        f"sidecar {hashlib.sha256(sidecar.read_bytes()).hexdigest() if sidecar.is_file() else '-'}",
        *(f"{f.source}\x00{f.digest}" for f in files),
    ]
    for part in parts:
        digest.update(part.encode() + b"\n")
    return f"{digest.hexdigest()[:16]}n{shards}"


@dataclass
class ShardReport:
    build: str
    shard: int
    shards: int
    files: int
    documents: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    # True when this shard was already complete: nothing was read or written.
    already_built: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    embed_seconds: float = 0.0
    # The vector cache keys of the shard's passages.
    keys: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "build": self.build,
            "shard": f"{self.shard}/{self.shards}",
            "files": self.files,
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
            "already_built": self.already_built,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
        }


def build_shard(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    max_file_bytes: int,
    store: MilvusStore,
    shard: int,
    shards: int,
    show_progress: bool = False,
    progress: ProgressCallback | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ShardReport:
    """Embed shard `shard` of `shards` into the build's staging collections, reusing the vector cache
    beside `index_dir`; nothing is visible to questions until `publish_build`."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} of {shards}: a shard number goes from 0 to {shards - 1}")
    tracker = ProgressTracker(progress)
    files = list_corpus(corpus_dir, max_file_bytes, tracker.files_read)
    build = build_id(corpus_dir, files, embedder.model_id, max_file_bytes, shards, limits)
    mine = [f for f in files if f.shard(shards) == shard]
    record = store.shard_record(build, shard)
    if record is not None:
        return ShardReport(
            build, shard, shards, len(mine), record["documents"], record["chunks"], 0, 0,
            time.perf_counter() - tracker.started, already_built=True,
        )  # fmt: skip
    overrides = read_sidecar(corpus_dir, [])
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for f in mine:
        loaded = load_document(f.path, f.source, max_file_bytes, overrides.get(f.source), limits)
        (skipped if isinstance(loaded, Skipped) else documents).append(loaded)  # type: ignore[arg-type]
    chunks = chunk_documents(documents)
    texts = [passage_text(chunk) for chunk in chunks]
    keys = [embed_key(embedder.model_id, text) for text in texts]
    cache = VectorCache.beside(index_dir, embedder.model_id, embedder.dim)
    try:
        known, embedded, embed_seconds = vectors_through_cache(embedder, keys, texts, cache, tracker, show_progress)
    finally:
        cache.close()
    tracker.update("writing")
    store.create_staging(build, embedder.dim)
    store.clear_shard(build, shard)
    rows = [
        {
            "key": f"{c.doc_id}:{c.start}",
            "doc_id": c.doc_id,
            "start": c.start,
            "end": c.end,
            "terms": fit_terms(terms(c.text, c.lang)),
            "vector": known[key],
        }
        for c, key in zip(chunks, keys, strict=True)
    ]
    with tqdm(total=len(rows), desc="staging", unit="passage", disable=not show_progress) as bar:
        store.stage_passages(build, shard, rows, on_batch=bar.update)
    store.put_blob(build, f"shard/{shard}/documents", [d.to_json() for d in documents], shard)
    store.put_blob(build, f"shard/{shard}/sentences", {d.id: sentence_spans_of(d) for d in documents}, shard)
    # Last: its presence is what marks the shard complete.
    record = {
        "documents": len(documents),
        "chunks": len(chunks),
        "skipped": [{"source": s.source, "reason": s.reason} for s in skipped],
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    store.put_blob(build, f"shard/{shard}/record", record, shard)
    return ShardReport(
        build, shard, shards, len(mine), len(documents), len(chunks), embedded, len(set(keys)) - embedded,
        time.perf_counter() - tracker.started, skipped=skipped, embed_seconds=embed_seconds, keys=keys,
    )  # fmt: skip


def shard_count(store: MilvusStore, build_base: str) -> int:
    """The shard count of this corpus's build in Milvus, when only one was started."""
    counts = sorted({int(b.split("n")[1]) for b in store.builds() if b.startswith(f"{build_base}n")})
    if not counts:
        raise ShardsIncomplete(
            f"no shard of this corpus is built in Milvus at {store.address} under {store.prefix!r}; "
            "run `citebot build --shard I/N` for I = 0 .. N-1 first"
        )
    if len(counts) > 1:
        raise ShardsIncomplete(f"shards of this corpus were built for {counts} workers; pass --shards N")
    return counts[0]


def publish_build(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    max_file_bytes: int,
    store: MilvusStore,
    shards: int | None = None,
    progress: ProgressCallback | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> BuildReport:
    """Join the shards of this corpus's build into one index and make it the one questions see; the
    name phrases are embedded through the vector cache beside `index_dir`."""
    tracker = ProgressTracker(progress)
    files = list_corpus(corpus_dir, max_file_bytes, tracker.files_read)
    if shards is None:
        base = build_id(corpus_dir, files, embedder.model_id, max_file_bytes, 1, limits).split("n")[0]
        shards = shard_count(store, base)
    build = build_id(corpus_dir, files, embedder.model_id, max_file_bytes, shards, limits)
    location = f"Milvus at {store.address}, build {build}"
    records = [store.shard_record(build, shard) for shard in range(shards)]
    missing = [str(shard) for shard, record in enumerate(records) if record is None]
    if missing:
        raise ShardsIncomplete(
            f"{len(missing)} of {shards} shards of this corpus are not built yet ({', '.join(missing)}); "
            f"run `citebot build --shard I/{shards}` for each, then publish again"
        )
    warnings: list[str] = []
    overrides = read_sidecar(corpus_dir, warnings)
    sources = {f.source for f in files}
    warnings += [
        f"{SIDECAR_NAME}: no article named {name!r}; entry ignored" for name in sorted(set(overrides) - sources)
    ]
    skipped = sorted(
        (Skipped(s["source"], s["reason"]) for r in records for s in r["skipped"]),  # type: ignore[index]
        key=lambda s: corpus_order(s.source),
    )
    documents, sentences = shard_documents(store, build, shards)
    if not documents:
        why = f"{len(skipped)} file(s) skipped" if skipped else "no files"
        raise CorpusError(f"no usable article in {corpus_dir} ({why}); add articles there ({', '.join(READERS)})")
    chunks = sum(r["chunks"] for r in records)  # type: ignore[index]
    report = BuildReport(corpus_dir, len(documents), chunks, 0, 0, 0.0, skipped, warnings, location=location)
    live = store.live()
    if live is None or live.build != build:
        # A build published before and kept since (the corpus went back to it) is switched to as it is.
        if store.get_blob(build, "manifest") is None:
            tracker.update("writing")
            cache = VectorCache.beside(index_dir, embedder.model_id, embedder.dim)
            try:
                write_published(
                    store, build, embedder, documents, sentences, skipped, chunks, shards, cache, tracker, report
                )
            finally:
                cache.close()
        replaced = store.switch_live(build)
        # The build it replaced stays a while: a process that read the old pointer may still be asking it.
        keep = {build} | ({replaced.build} if replaced else set())
        for other in store.builds() - keep:
            store.drop_build(other)
        for kept in keep:
            store.drop(store.name(kept, "staged"))
    report.seconds = time.perf_counter() - tracker.started
    return report


def write_published(
    store: MilvusStore,
    build: str,
    embedder: Embedder,
    documents: list[Document],
    sentences: list[Sentence],
    skipped: list[Skipped],
    expected: int,
    shards: int,
    cache: VectorCache,
    tracker: ProgressTracker,
    report: BuildReport,
) -> None:
    """The published collection and the tables that need the whole corpus; the manifest last, as the
    mark of a complete publish (one killed half-way is written again from the start). `report`
    gets the name phrases' counts."""
    staged = store.staged_passages(build)
    if len(staged) != expected:
        raise ShardsIncomplete(
            f"the staging collection holds {len(staged)} passages, the shards' records {expected}; "
            "run the shards again (`citebot build --shard I/N`), then publish"
        )
    position = {d.id: i for i, d in enumerate(documents)}
    staged.sort(key=lambda row: (position[row["doc_id"]], row["start"]))
    by_id = {d.id: d for d in documents}
    chunks = [chunk_of(by_id[row["doc_id"]], n, row["start"], row["end"]) for n, row in enumerate(staged)]
    vectors = np.asarray([row["vector"] for row in staged], dtype=np.float32).reshape(len(staged), embedder.dim)
    chunk_terms = [row["terms"] for row in staged]
    names = mine_names([(f"{d.title}\n{d.text}", d.lang) for d in documents])
    names, _, report.phrases_embedded, report.phrase_seconds = embed_name_phrases(embedder, names, cache, tracker)
    report.phrases = len(names.phrases)
    store.write_passages(build, vectors, chunk_terms)
    store.put_blob(build, "chunks", [[c.doc_id, c.start, c.end] for c in chunks])
    store.put_blob(build, "names", names.to_json())
    counts = term_documents([c.doc_id for c in chunks], [found.split() for found in chunk_terms])
    store.put_blob(build, "term_documents", dict(counts))
    manifest = index_manifest(embedder, documents, chunks, len(sentences), vectors, skipped)
    manifest.update({"backend": "milvus", "layout": LAYOUT_VERSION, "build": build, "shards": shards})
    store.put_blob(build, "manifest", manifest)
    store.flush(build)


def build_milvus(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    max_file_bytes: int,
    store: MilvusStore,
    show_progress: bool = False,
    progress: ProgressCallback | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> BuildReport:
    """A one-process build into Milvus: shard 0 of 1, then publish; the vector cache beside `index_dir`."""
    with build_lock(index_dir):
        shard = build_shard(
            corpus_dir, index_dir, embedder, max_file_bytes, store, 0, 1, show_progress, progress, limits
        )
        report = publish_build(corpus_dir, index_dir, embedder, max_file_bytes, store, 1, progress, limits)
        live = store.live()
        if not shard.already_built and live is not None:
            # Only after publishing, as the default build does: a build that dies first keeps every vector.
            phrases = (store.get_blob(live.build, "names") or {}).get("phrases", [])
            cache = VectorCache.beside(index_dir, embedder.model_id, embedder.dim)
            try:
                cache.prune([*shard.keys, *(phrase_key(embedder.model_id, phrase) for phrase in phrases)])
            finally:
                cache.close()
    report.index_dir = index_dir
    report.embedded, report.reused, report.embed_seconds = shard.embedded, shard.reused, shard.embed_seconds
    report.seconds = shard.seconds + report.seconds
    return report

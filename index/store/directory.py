"""The index on disk: FAISS vectors, chunk metadata, BM25 and a manifest, published atomically.

`INDEX_DIR` is a symlink to a complete build directory beside it. A build writes a fresh
directory and then swaps the symlink with one rename, so readers only ever see a whole
index, and a build that dies half-way leaves the previous one in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.build.name_tables import NameTables
from index.models import Chunk, Document
from index.store.bm25 import LexicalIndex
from index.store.vectors import build_vector_index, load_vector_index, save_vector_index
from index.store.vectors import search as vector_search

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
DOCUMENTS = "documents.json"
LEXICAL = "lexical"
SENTENCES = "sentences.json"
NAMES = "names.json"
# In how many articles each term occurs; an index written before the build counted them has them counted at load.
TERM_DOCUMENTS = "term_documents.json"
REBUILD_HINT = "run `citebot build` to rebuild it"


class IndexUnavailable(Exception):
    """No usable index at the configured place; the message says why and how to rebuild."""


class BuildInProgress(Exception):
    """Another build holds the lock for this index."""


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    start: int
    end: int


@dataclass
class StoredIndex:
    manifest: dict
    documents: list[Document]
    chunks: list[Chunk]
    embed_keys: list[str]
    vectors: faiss.Index
    lexical: LexicalIndex
    sentences: list[Sentence]
    names: NameTables
    path: Path
    term_documents: Counter[str] | None = None

    # The look-ups of `backend.IndexBackend`, exact: FAISS and bm25s over every passage.

    def dense_search(self, vector: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        found, rows = vector_search(self.vectors, vector, depth)
        valid = rows[0] >= 0
        return rows[0][valid], found[0][valid]

    def lexical_scores(self, terms: Sequence[str], depth: int) -> np.ndarray:
        return self.lexical.scores(terms)

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        return self.lexical.known_terms(terms)

    def cognates(self, terms: Sequence[str]) -> list[str]:
        return self.lexical.cognates(terms)


def write_index(
    directory: Path,
    manifest: dict,
    documents: list[Document],
    chunks: list[Chunk],
    embed_keys: list[str],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    sentences: list[Sentence],
    names: NameTables,
    term_documents: Counter[str] | None = None,
) -> None:
    save_vector_index(build_vector_index(vectors), directory / VECTORS)
    with (directory / CHUNKS).open("w", encoding="utf-8") as handle:
        for chunk, key in zip(chunks, embed_keys, strict=True):
            handle.write(json.dumps({**chunk.to_json(), "embed_key": key}, ensure_ascii=False) + "\n")
    (directory / DOCUMENTS).write_text(
        json.dumps([d.to_json() for d in documents], ensure_ascii=False), encoding="utf-8"
    )
    lexical.save(directory / LEXICAL)
    (directory / SENTENCES).write_text(json.dumps([[s.doc_id, s.start, s.end] for s in sentences]), encoding="utf-8")
    (directory / NAMES).write_text(json.dumps(names.to_json(), ensure_ascii=False), encoding="utf-8")
    if term_documents is not None:
        (directory / TERM_DOCUMENTS).write_text(json.dumps(dict(term_documents), ensure_ascii=False), encoding="utf-8")
    # The manifest goes last: its presence marks a complete directory.
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexUnavailable(f"no index at {index_dir}; {REBUILD_HINT}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexUnavailable(f"the index manifest at {path} is unreadable ({error}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexUnavailable(
            f"the index at {index_dir} has format version {found!r}, this citebot reads {FORMAT_VERSION}; "
            f"{REBUILD_HINT}"
        )
    return manifest


def load_index(index_dir: Path, model_id: str | None = None) -> StoredIndex:
    """Load and validate an index; `model_id`, when given, must be the one it was built with."""
    real = index_dir.resolve()
    manifest = read_manifest(real)
    if model_id is not None and manifest.get("model_id") != model_id:
        raise IndexUnavailable(
            f"the index at {index_dir} was built with model {manifest.get('model_id')!r} but EMBEDDING_MODEL "
            f"selects {model_id!r}; {REBUILD_HINT} with this model, or set EMBEDDING_MODEL back"
        )
    try:
        vectors = load_vector_index(real / VECTORS, mmap=True)
        rows = [json.loads(line) for line in (real / CHUNKS).read_text(encoding="utf-8").splitlines() if line]
        chunks = [Chunk.from_json({k: v for k, v in row.items() if k != "embed_key"}) for row in rows]
        embed_keys = [row["embed_key"] for row in rows]
        documents = [Document.from_json(d) for d in json.loads((real / DOCUMENTS).read_text(encoding="utf-8"))]
        lexical = LexicalIndex.load(real / LEXICAL)
        sentences = [Sentence(*row) for row in json.loads((real / SENTENCES).read_text(encoding="utf-8"))]
        names = NameTables.from_json(json.loads((real / NAMES).read_text(encoding="utf-8")))
        counts_file = real / TERM_DOCUMENTS
        term_documents = Counter(json.loads(counts_file.read_text(encoding="utf-8"))) if counts_file.exists() else None
    except Exception as error:  # faiss, json and bm25s each raise their own kinds for a damaged file
        raise IndexUnavailable(
            f"the index at {index_dir} is damaged ({type(error).__name__}: {error}); {REBUILD_HINT}"
        ) from None
    expected = manifest.get("chunks")
    consistent = vectors.ntotal == len(chunks) == lexical.size == expected
    if not consistent or vectors.d != manifest.get("dim"):
        raise IndexUnavailable(
            f"the index at {index_dir} is inconsistent (manifest says {expected} chunks of dimension "
            f"{manifest.get('dim')}, files hold {vectors.ntotal} vectors of {vectors.d}, {len(chunks)} chunks); "
            f"{REBUILD_HINT}"
        )
    return StoredIndex(
        manifest,
        documents,
        chunks,
        embed_keys,
        vectors,
        lexical,
        sentences,
        names,
        index_dir,
        term_documents,
    )


def manifest_stamp(index_dir: Path) -> tuple[str, float] | None:
    """A cheap fingerprint of the published index, to notice a rebuild by another process."""
    try:
        real = index_dir.resolve(strict=True)
        return str(real), (real / MANIFEST).stat().st_mtime
    except OSError:
        return None


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = index_dir.parent / f".{index_dir.name}.lock"
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgress(f"another build of {index_dir} is running; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staging_directory(index_dir: Path) -> Iterator[Path]:
    """A new directory beside the index; removed again unless it was published."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, index_dir: Path) -> None:
    """Make `staging` the live index with one atomic rename, then clear out older builds."""
    final = index_dir.parent / f".{index_dir.name}.{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{staging.name[-6:]}"
    staging.rename(final)
    if index_dir.exists() and not index_dir.is_symlink():
        # An index from before the symlink layout, or a folder put there by hand.
        index_dir.rename(index_dir.parent / f".{index_dir.name}.legacy-{int(time.time())}")
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(final.name)
    os.replace(link, index_dir)
    _remove_old_builds(index_dir, keep={final.name})


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Called under the build lock, so any other staging directory is left over from a crash."""
    prefix = f".{index_dir.name}."
    others = [p for p in index_dir.parent.iterdir() if p.name.startswith(prefix) and p.is_dir() and p.name not in keep]
    stale = [p for p in others if ".building-" in p.name]
    published = sorted((p for p in others if p not in stale), key=lambda p: p.stat().st_mtime)
    # Keep the newest previous build: a reader that resolved the old link may still be opening its files.
    for old in stale + published[:-1]:
        shutil.rmtree(old, ignore_errors=True)

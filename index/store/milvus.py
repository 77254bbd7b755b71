"""The index in Milvus, through pymilvus `MilvusClient`: the same code reaches milvus-lite (a file
path), Milvus Standalone or Distributed (an http(s):// address and a token).

Collections, every name starting with MILVUS_COLLECTION (`<p>`):
- `<p>_live`: one row naming the published build. A publish switches it with one upsert; readers
  look it up before each question. Not an alias: milvus-lite 2.5.1 answers UNIMPLEMENTED to
  `create_alias` (and to partitions), so one mechanism serves the tests and the servers alike.
- `<p>_b<build>_staged`: the passages the shard workers embedded (vector, terms, article, offsets).
  A shard run again deletes its own rows before writing them anew.
- `<p>_b<build>_blobs`: JSON values in rows of at most 64 KB: each shard's articles, sentences and
  record (written last: its presence marks the shard complete), then the build's tables: passage
  offsets, articles per term, the name tables with the name phrases' vectors, and the manifest
  (written last: its presence marks a complete publish).
- `<p>_b<build>_passages`: the published passages, numbered in corpus order (the primary key is the
  row `Searcher` uses), with the dense vector and Milvus's BM25 over the build's own index terms.
  Written once, by the publish step, and never deleted from: engines count deleted rows in their
  BM25 statistics until a compaction, so a staged collection with a rerun shard's deletions in it
  could score differently from a one-process build.

A build id hashes the corpus (every file's content), the model, the read limits, the chunker and
the shard count, so N workers started independently agree on it without talking to each other.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import os
import re
import threading
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from index.build.name_tables import NameTables
from index.ingest.chunking import chunk_of
from index.models import Chunk, Document
from index.store.bm25 import cognates_in
from index.store.directory import REBUILD_HINT, IndexUnavailable, Sentence

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from index.settings import CoreSettings


# Bumped whenever the collections' layout changes: part of every build id. 2: the name tables hold
# the corpus's name phrases and their vectors (issue 21).
LAYOUT_VERSION = 2
# Milvus caps a VARCHAR at 65,535 bytes; blobs are base64 (ASCII), so this many characters per row.
BLOB_PART = 65_000
# A build id: 16 hex digits of the corpus's hash, then the shard count.
BUILD_ID = re.compile(r"[0-9a-f]{16}n[0-9]+")
# How long to wait for a server before saying it cannot be reached.
CONNECT_SECONDS = 5
# How long one call may take: pymilvus retries a lost server until then, so a server that stops
# answering is a message after this long, not a hang. Searches and point reads answer in
# milliseconds (a question waits at most READ_SECONDS per call); inserts of INSERT_BATCH rows and
# deletes in well under a second; loading and flushing a million passages takes minutes.
READ_SECONDS = 10
WRITE_SECONDS = 120
SLOW_SECONDS = 1_800
# Rows per insert: far below gRPC's 64 MB message limit with 384-dimension vectors and terms.
INSERT_BATCH = 512
# Rows per page when reading a collection whole.
READ_BATCH = 1_000
# bm25s's constants (index/store/bm25.py); Milvus's BM25 otherwise uses k1 = 1.2.
BM25_K1 = 1.5
BM25_B = 0.75
# Milvus's BM25 multiplies each term's weight by (k1 + 1), which bm25s leaves out; dividing it off
# makes the two engines' scores equal, not only in the same order.
BM25_SCALE = 1 / (BM25_K1 + 1)
# Milvus requires a vector field in every collection; the pointer and blobs carry this placeholder.
PLACEHOLDER_DIM = 2
# Asked for beyond the depth the searcher uses, so passages tied at the cut are all seen and kept
# in row order, as FAISS and the stable sort over bm25s's scores keep them.
TIE_MARGIN = 2


class MilvusUnavailable(IndexUnavailable):
    """Milvus cannot be reached or refused an operation; the message names the address."""


class ShardsIncomplete(IndexUnavailable):
    """The publish step found shards not yet built; the message says which and how to build them."""


@lru_cache(maxsize=1)
def pymilvus() -> ModuleType:
    """pymilvus, imported without its reading of MILVUS_URI.

    When imported it loads `.env` and configures a default connection from MILVUS_URI, and fails on
    a file path there, which is what selects milvus-lite here; this module passes the address itself.
    """
    saved = os.environ.get("MILVUS_URI")
    os.environ["MILVUS_URI"] = ""
    try:
        module = importlib.import_module("pymilvus")
    finally:
        if saved is None:
            del os.environ["MILVUS_URI"]
        else:
            os.environ["MILVUS_URI"] = saved
    # It logs each failure before raising it (and its iterator warns on every page read from
    # milvus-lite); the exception reaches the user once, as one line.
    for name in ("pymilvus", "pymilvus.milvus_client"):  # the second has a level of its own
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return module


# One client per address and process: each holds a gRPC channel (and, for a file, milvus-lite).
_clients: dict[tuple[str, str], MilvusClient] = {}
_clients_lock = threading.Lock()


def _client(address: str, token: str) -> MilvusClient:
    with _clients_lock:
        client = _clients.get((address, token))
        if client is None:
            client = _clients[(address, token)] = _connect(address, token)
        return client


def _forget_client(address: str, token: str) -> None:
    """Drop a client whose server stopped answering: the next call connects afresh, at once, where
    the old channel would wait out gRPC's reconnect backoff (up to two minutes) once it is back."""
    with _clients_lock:
        client = _clients.pop((address, token), None)
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def _connect(address: str, token: str) -> MilvusClient:
    milvus = pymilvus()
    if not address.startswith(("http://", "https://")):
        Path(address).parent.mkdir(parents=True, exist_ok=True)
        address = str(Path(address).resolve())
    try:
        with warnings.catch_warnings():
            # milvus-lite 2.5.1 imports pkg_resources, which warns of its own removal on every start.
            warnings.filterwarnings("ignore", category=UserWarning, message="pkg_resources is deprecated")
            return milvus.MilvusClient(uri=address, token=token, timeout=CONNECT_SECONDS)
    except (milvus.MilvusException, OSError, RuntimeError) as error:
        reason = error.message if isinstance(error, milvus.MilvusException) else str(error)
        hint = ""
        if not address.startswith("http"):
            # milvus-lite locks its file: a second process (a build beside a running bot) cannot open it.
            hint = "; a milvus-lite file serves one process at a time: use a Milvus server for several"
        raise MilvusUnavailable(f"cannot open Milvus at {address} ({reason}){hint}") from None


def _lost_server(error: BaseException | None) -> bool:
    import grpc

    lost = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    return isinstance(error, grpc.RpcError) and error.code() in lost  # type: ignore[attr-defined]


def _pack(value: Any) -> str:
    return base64.b64encode(zlib.compress(json.dumps(value, ensure_ascii=False).encode(), 1)).decode("ascii")


def _unpack(text: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(text)))


def fit_terms(terms: Sequence[str], limit: int = 65_535) -> str:
    """A passage's terms as one space-separated string within a VARCHAR's byte limit.

    A passage of more than about 8,000 words (one endless "sentence") would not fit; it keeps the
    terms that do, the only place where this backend's BM25 can differ from the default's.
    """
    text = " ".join(terms)
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[:limit].decode(errors="ignore")
    return cut[: cut.rfind(" ")] if " " in cut else ""


@dataclass(frozen=True)
class Live:
    """The published build, as the pointer row names it."""

    build: str
    previous: str | None
    published_at: str


class MilvusStore:
    """The collections of one MILVUS_COLLECTION prefix on one Milvus."""

    def __init__(self, address: str, prefix: str, token: str = "") -> None:
        pymilvus()  # first, so the imports of pymilvus below find it imported the safe way
        self.address = address
        self.prefix = prefix
        self.token = token

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> MilvusStore:
        token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
        return cls(settings.milvus_address, settings.milvus_collection, token)

    @property
    def client(self) -> MilvusClient:
        return _client(self.address, self.token)

    def name(self, build: str, kind: str) -> str:
        return f"{self.prefix}_b{build}_{kind}"

    @property
    def pointer(self) -> str:
        return f"{self.prefix}_live"

    def call(self, what: str, operation: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one client call, turning Milvus's errors into a message naming the server."""
        if getattr(operation, "__self__", None) is self.client:  # pymilvus's calls wait forever by default
            kwargs.setdefault("timeout", READ_SECONDS)
        try:
            return operation(*args, **kwargs)
        except pymilvus().MilvusException as error:
            if _lost_server(error.__cause__):
                _forget_client(self.address, self.token)
            raise MilvusUnavailable(f"Milvus at {self.address} failed to {what}: {error.message}") from None
        except Exception as error:  # grpc raises its own kinds for a lost or refused connection
            if type(error).__module__.startswith("grpc"):
                if _lost_server(error):
                    _forget_client(self.address, self.token)
                raise MilvusUnavailable(f"Milvus at {self.address} failed to {what}: {error}") from None
            raise

    def exists(self, collection: str) -> bool:
        return bool(self.call("list collections", self.client.has_collection, collection))

    # The live pointer ---------------------------------------------------------------------

    def live(self) -> Live | None:
        if not self.exists(self.pointer):
            return None
        rows = self.call(
            "read the live pointer", self.client.query, self.pointer, ids=["live"], output_fields=["value"]
        )
        if not rows:
            return None
        value = json.loads(rows[0]["value"])
        return Live(value["build"], value.get("previous"), value["published_at"])

    def live_stamp(self) -> tuple[str, str] | None:
        """The published build and when it was published; None before any publish."""
        live = self.live()
        return (live.build, live.published_at) if live else None

    def switch_live(self, build: str) -> Live | None:
        """Make `build` the one readers load, in one upsert; returns the build it replaced."""
        self._create_blob_like(self.pointer)
        before = self.live()
        previous = before.build if before and before.build != build else (before.previous if before else None)
        value = {"build": build, "previous": previous, "published_at": datetime.now(UTC).isoformat()}
        row = {"key": "live", "value": json.dumps(value), "placeholder": [0.0] * PLACEHOLDER_DIM}
        self.call("switch the live pointer", self.client.upsert, self.pointer, [row], timeout=WRITE_SECONDS)
        return before

    def builds(self) -> set[str]:
        """Every build with a collection under this prefix (and not under a longer prefix that starts alike)."""
        names = self.call("list collections", self.client.list_collections)
        pattern = re.compile(rf"{re.escape(self.prefix)}_b({BUILD_ID.pattern})_(?:staged|blobs|passages)")
        return {found.group(1) for name in names if (found := pattern.fullmatch(name))}

    def drop(self, collection: str) -> None:
        if self.exists(collection):
            self.call(f"drop {collection}", self.client.drop_collection, collection, timeout=WRITE_SECONDS)

    def drop_build(self, build: str) -> None:
        for kind in ("staged", "blobs", "passages"):
            self.drop(self.name(build, kind))

    # Collections ----------------------------------------------------------------------------

    def _create(self, collection: str, schema: Any, index_params: Any) -> None:
        if self.exists(collection):
            return
        try:
            self.client.create_collection(
                collection,
                schema=schema,
                index_params=index_params,
                consistency_level="Strong",
                timeout=SLOW_SECONDS,
            )
        except pymilvus().MilvusException:
            # Several shard workers start at once: another may have created it in between.
            if not self.exists(collection):
                raise
        self.call(f"load {collection}", self.client.load_collection, collection, timeout=SLOW_SECONDS)

    def _create_blob_like(self, collection: str) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.VARCHAR, max_length=512, is_primary=True)
        if collection != self.pointer:
            schema.add_field("name", DataType.VARCHAR, max_length=480)
            schema.add_field("part", DataType.INT64)
            schema.add_field("shard", DataType.INT64)
        schema.add_field("value", DataType.VARCHAR, max_length=65_535)
        schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
        index = self.client.prepare_index_params()
        index.add_index("placeholder", index_type="FLAT", metric_type="IP")
        self.call(f"create {collection}", self._create, collection, schema, index)

    def create_staging(self, build: str, dim: int) -> None:
        from pymilvus import DataType, MilvusClient

        self._create_blob_like(self.name(build, "blobs"))
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.VARCHAR, max_length=128, is_primary=True)
        schema.add_field("shard", DataType.INT64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("terms", DataType.VARCHAR, max_length=65_535)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        index = self.client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="IP")
        self.call("create the staging collection", self._create, self.name(build, "staged"), schema, index)

    # Blobs ----------------------------------------------------------------------------------

    def put_blob(self, build: str, name: str, value: Any, shard: int = -1) -> None:
        packed = _pack(value)
        parts = [packed[at : at + BLOB_PART] for at in range(0, len(packed), BLOB_PART)] or [""]
        collection = self.name(build, "blobs")
        self.call(
            f"clear blob {name}", self.client.delete, collection, filter=f'name == "{name}"', timeout=WRITE_SECONDS
        )
        rows = [
            {
                "key": f"{name}#{i}",
                "name": name,
                "part": i,
                "shard": shard,
                "value": part,
                "placeholder": [0.0] * PLACEHOLDER_DIM,
            }
            for i, part in enumerate(parts)
        ]
        for start in range(0, len(rows), 64):
            self.call(
                f"write blob {name}", self.client.insert, collection, rows[start : start + 64], timeout=WRITE_SECONDS
            )

    def get_blob(self, build: str, name: str) -> Any | None:
        rows = list(self._iterate(self.name(build, "blobs"), f'name == "{name}"', ["part", "value"], batch=64))
        if not rows:
            return None
        rows.sort(key=lambda row: row["part"])
        if [row["part"] for row in rows] != list(range(len(rows))):
            raise MilvusUnavailable(f"blob {name} of build {build} in Milvus at {self.address} is missing parts")
        return _unpack("".join(row["value"] for row in rows))

    def _iterate(self, collection: str, where: str, fields: list[str], batch: int = READ_BATCH) -> Iterator[dict]:
        iterator = self.call(
            f"read {collection}",
            self.client.query_iterator,
            collection,
            batch_size=batch,
            filter=where,
            output_fields=fields,
        )
        try:
            while page := self.call(f"read {collection}", iterator.next):
                yield from page
        finally:
            iterator.close()

    # Staging --------------------------------------------------------------------------------

    def shard_record(self, build: str, shard: int) -> dict | None:
        if not self.exists(self.name(build, "blobs")):
            return None
        return self.get_blob(build, f"shard/{shard}/record")

    def clear_shard(self, build: str, shard: int) -> None:
        """Remove what an earlier, interrupted run of this shard wrote."""
        for kind in ("staged", "blobs"):
            self.call(
                "clear an earlier run of the shard",
                self.client.delete,
                self.name(build, kind),
                filter=f"shard == {shard}",
                timeout=WRITE_SECONDS,
            )

    def stage_passages(
        self, build: str, shard: int, rows: Sequence[dict], on_batch: Callable[[int], object] | None = None
    ) -> None:
        collection = self.name(build, "staged")
        for start in range(0, len(rows), INSERT_BATCH):
            batch = [{**row, "shard": shard} for row in rows[start : start + INSERT_BATCH]]
            self.call("stage passages", self.client.insert, collection, batch, timeout=WRITE_SECONDS)
            if on_batch is not None:
                on_batch(len(batch))

    def staged_passages(self, build: str) -> list[dict]:
        fields = ["doc_id", "start", "end", "terms", "vector"]
        return list(self._iterate(self.name(build, "staged"), "", fields))

    # Publishing -----------------------------------------------------------------------------

    def write_passages(self, build: str, vectors: np.ndarray, chunk_terms: Sequence[str]) -> None:
        """The published collection: row numbers as keys, vectors, and BM25 over the terms."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        collection = self.name(build, "passages")
        # Left over from a publish that died half-way: never the live one (the pointer moves last).
        self.drop(collection)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        # The build's own index terms (stemmed per language, accents folded, index/text/terms.py),
        # split on spaces only: the same terms as the default backend's BM25 and its cognates.
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=65_535,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "whitespace"},
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
            )
        )
        index = self.client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="IP")
        index.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        self.call("create the published collection", self._create, collection, schema, index)
        for start in range(0, len(chunk_terms), INSERT_BATCH):
            rows = [
                {"row": row, "vector": vectors[row], "terms": chunk_terms[row]}
                for row in range(start, min(start + INSERT_BATCH, len(chunk_terms)))
            ]
            self.call("write published passages", self.client.insert, collection, rows, timeout=WRITE_SECONDS)
        self.call("flush the published passages", self.client.flush, collection, timeout=SLOW_SECONDS)

    def flush(self, build: str) -> None:
        self.call("flush the build's tables", self.client.flush, self.name(build, "blobs"), timeout=SLOW_SECONDS)

    def open_live(self, model_id: str | None = None) -> MilvusIndex:
        live = self.live()
        if live is None:
            raise IndexUnavailable(
                f"no index published in Milvus at {self.address} under {self.prefix!r}; {REBUILD_HINT}"
            )
        return MilvusIndex.load(self, live.build, model_id)


class MilvusIndex:
    """A published build: tables and passages' metadata loaded at start, retrieval asked of Milvus."""

    def __init__(
        self,
        store: MilvusStore,
        build: str,
        manifest: dict,
        documents: list[Document],
        chunks: list[Chunk],
        sentences: list[Sentence],
        names: NameTables,
        term_documents: Counter[str],
    ) -> None:
        self.store = store
        self.build = build
        self.collection = store.name(build, "passages")
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.sentences = sentences
        self.names = names
        self.term_documents: Counter[str] | None = term_documents

    @classmethod
    def load(cls, store: MilvusStore, build: str, model_id: str | None = None) -> MilvusIndex:
        where = f"build {build} in Milvus at {store.address}"
        if not store.exists(store.name(build, "passages")):
            raise IndexUnavailable(f"the published {where} has no passages collection; {REBUILD_HINT}")
        manifest = store.get_blob(build, "manifest")
        if not isinstance(manifest, dict):
            raise IndexUnavailable(f"the published {where} has no manifest; {REBUILD_HINT}")
        if manifest.get("layout") != LAYOUT_VERSION:
            raise IndexUnavailable(
                f"the {where} has layout version {manifest.get('layout')!r}, this citebot reads {LAYOUT_VERSION}; "
                f"{REBUILD_HINT}"
            )
        if model_id is not None and manifest.get("model_id") != model_id:
            raise IndexUnavailable(
                f"the {where} was built with model {manifest.get('model_id')!r} but EMBEDDING_MODEL selects "
                f"{model_id!r}; {REBUILD_HINT} with this model, or set EMBEDDING_MODEL back"
            )
        try:
            documents, sentences = shard_documents(store, build, int(manifest["shards"]))
            by_id = {d.id: d for d in documents}
            chunks = [
                chunk_of(by_id[doc_id], row, start, end)
                for row, (doc_id, start, end) in enumerate(store.get_blob(build, "chunks"))
            ]
            names = NameTables.from_json(store.get_blob(build, "names"))
            term_documents = Counter(store.get_blob(build, "term_documents"))
        except (KeyError, TypeError, ValueError) as error:
            raise IndexUnavailable(
                f"the {where} is damaged ({type(error).__name__}: {error}); {REBUILD_HINT}"
            ) from None
        store.call(
            "load the published passages",
            store.client.load_collection,
            store.name(build, "passages"),
            timeout=SLOW_SECONDS,
        )
        if len(chunks) != manifest.get("chunks"):
            raise IndexUnavailable(
                f"the {where} holds {len(chunks)} passages, its manifest says {manifest.get('chunks')}; {REBUILD_HINT}"
            )
        return cls(store, build, manifest, documents, chunks, sentences, names, term_documents)

    # The look-ups of `backend.IndexBackend`: the vocabulary from the build's own term counts (the
    # same terms BM25 indexed), the two rankings from Milvus.

    @cached_property
    def _vocabulary(self) -> list[str]:
        return sorted(self.term_documents or ())

    def dense_search(self, vector: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self._search(np.asarray(vector, dtype=np.float32), "vector", "IP", depth)
        order = np.lexsort((rows, -scores))[:depth]
        return rows[order], scores[order]

    def lexical_scores(self, terms: Sequence[str], depth: int) -> np.ndarray:
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        # Unknown terms only cost the engine a look-up; left out as bm25s leaves them out.
        query = " ".join(self.known_terms(terms))
        if query:
            rows, found = self._search(query, "sparse", "BM25", depth)
            scores[rows] = found * BM25_SCALE
        return scores

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        counts = self.term_documents or {}
        return [term for term in terms if term and term in counts]

    def cognates(self, terms: Sequence[str]) -> list[str]:
        return cognates_in(self._vocabulary, terms)

    def _search(self, query: Any, field: str, metric: str, depth: int) -> tuple[np.ndarray, np.ndarray]:
        limit = min(len(self.chunks), depth * TIE_MARGIN)
        if limit <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        found = self.store.call(
            "search",
            self.store.client.search,
            self.collection,
            data=[query],
            anns_field=field,
            limit=limit,
            search_params={"metric_type": metric},
        )[0]
        rows = np.array([hit["id"] for hit in found], dtype=np.int64)
        return rows, np.array([hit["distance"] for hit in found], dtype=np.float32)


def corpus_order(source: str) -> tuple[str, ...]:
    """The order a build reads a corpus folder's files in: sorted paths, part by part."""
    return tuple(source.split("/"))


def shard_documents(store: MilvusStore, build: str, shards: int) -> tuple[list[Document], list[Sentence]]:
    """Every shard's articles in corpus order, with their sentences."""
    documents: list[Document] = []
    spans: dict[str, list[list[int]]] = {}
    for shard in range(shards):
        documents.extend(Document.from_json(d) for d in store.get_blob(build, f"shard/{shard}/documents") or [])
        spans.update(store.get_blob(build, f"shard/{shard}/sentences") or {})
    documents.sort(key=lambda d: corpus_order(d.source))
    sentences = [Sentence(d.id, start, end) for d in documents for start, end in spans.get(d.id, [])]
    return documents, sentences

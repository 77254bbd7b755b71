"""The retrieval core as the bot uses it: one live searcher, swapped whole when the index changes.

The index is opened through the backend seam (`index/store/backend.py`): files on disk by default,
Milvus with INDEX_BACKEND=milvus, where `citebot publish` (or another replica's rebuild) switches
the live build and each replica notices it before its next answer.

Every method here but `index_stamp` blocks (embedding, FAISS, Milvus, loading, building): the
handlers call them through `asyncio.to_thread`, never on the event loop.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

from index.build.embedders import Embedder
from index.models import Document, SearchResult
from index.search.question import DETECT, Detection
from index.search.searcher import Searcher
from index.settings import CoreSettings
from index.store.backend import index_stamp, open_index
from index.store.directory import IndexUnavailable, manifest_stamp
from index.text import spelling
from index.text.dates import Precision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRow:
    source: str
    title: str
    date: date | None
    lang: str
    date_precision: Precision | None = None


@dataclass(frozen=True)
class IndexStats:
    documents: int
    chunks: int
    model: str
    built_at: str


class RetrievalService:
    def __init__(self, settings: CoreSettings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._searcher: Searcher | None = None
        self._stamp: object | None = None
        self._swap = threading.Lock()
        self._answered = 0
        self._count = threading.Lock()

    def load(self) -> Searcher:
        """Load the published index now; raises IndexUnavailable with a rebuild hint."""
        stamp = index_stamp(self.settings)
        searcher = Searcher(open_index(self.settings, model_id=self.embedder.model_id), self.embedder)
        # The word lists a question's unknown name needs, read now rather than during someone's question.
        spelling.load()
        with self._swap:
            self._searcher, self._stamp = searcher, stamp
        return searcher

    def current(self) -> Searcher:
        """The live searcher, reloaded first if another process published a new index.

        The check is one stat of the manifest behind the index symlink, or one read of Milvus's live
        pointer row, so it runs before every answer. While Milvus cannot be reached it raises
        MilvusUnavailable (one line, after at most its read timeout) and the searcher in memory
        stays for when it is back.
        """
        stamp = index_stamp(self.settings)
        searcher = self._searcher
        if searcher is not None and stamp == self._stamp:
            return searcher
        try:
            return self.load()
        except IndexUnavailable:
            if searcher is None:
                raise
            # A broken or half-removed index on disk must not take the bot down: keep the one in memory.
            log.warning("the index on disk changed but cannot be loaded; still answering from the previous one")
            return searcher

    def index_stamp(self) -> object | None:
        """The published index's fingerprint: changes when a rebuild publishes.

        Called on the event loop (the inline cache's key), so it never goes over the network: one
        stat on disk; with Milvus the live pointer as `current()` last read it, before each answer.
        """
        if self.settings.index_backend == "milvus":
            return self._stamp
        return manifest_stamp(self.settings.index_dir)

    def search(self, question: str, k: int, lang: str | Detection | None = DETECT) -> SearchResult:
        """`lang`: the question's language when the caller detected it already (see Searcher.search)."""
        result = self.current().search(question, k=k, lang=lang)
        with self._count:
            self._answered += 1
        return result

    def sources(self) -> list[SourceRow]:
        return [SourceRow(d.source, d.title, d.date, d.lang, d.date_precision) for d in self.current().stored.documents]

    def article_urls(self) -> list[tuple[str, str]]:
        """The URL and file of each indexed article that has a URL, in index order."""
        return [(d.url, d.source) for d in self.current().stored.documents if d.url]

    def article(self, source: str) -> tuple[Document, int] | None:
        """The indexed article read from the file `source`, and its number of passages."""
        stored = self.current().stored
        document = next((d for d in stored.documents if d.source == source), None)
        if document is None:
            return None
        return document, sum(1 for c in stored.chunks if c.doc_id == document.id)

    def stats(self) -> IndexStats:
        stored = self.current().stored
        return IndexStats(
            documents=len(stored.documents),
            chunks=len(stored.chunks),
            model=str(stored.manifest.get("model_id", "?")),
            built_at=str(stored.manifest.get("built_at", "?")),
        )

    @property
    def questions_answered(self) -> int:
        return self._answered

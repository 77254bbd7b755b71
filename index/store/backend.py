"""What search needs from storage, whichever engine holds the index.

`Searcher` reads an index only through `IndexBackend`: the passages and articles with their
metadata and sentences, the manifest (model, language bias), the tables mined at build time (the
name tables with issue 21's name phrases and their vectors, the articles per term) and four
look-ups: dense (the best passages by cosine with a question vector), lexical (BM25 of a
question's terms), and the index vocabulary's known terms and cognates. Everything after
retrieval (names, fusion, dates, diversity, highlight, abstention) is one code path for every
backend. Two implement it: the files of `directory.py` (FAISS + bm25s, the default) and Milvus
(`milvus.py`, chosen by INDEX_BACKEND=milvus).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.build.name_tables import NameTables
from index.models import Chunk, Document
from index.store.directory import Sentence, load_index, manifest_stamp

if TYPE_CHECKING:
    from index.settings import CoreSettings


class IndexBackend(Protocol):
    # Rows are positions in `chunks`: every look-up answers in them.
    manifest: dict
    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    # The corpus's names, acronyms and name phrases with their vectors (index/build/name_tables.py).
    names: NameTables
    # In how many articles each term occurs; None for an index written before the build counted them.
    term_documents: Counter[str] | None

    def dense_search(self, vector: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosines of the `depth` passages nearest to `vector`, best first."""
        ...

    def lexical_scores(self, terms: Sequence[str], depth: int) -> np.ndarray:
        """BM25 of the index terms `terms` for every row.

        At least the best `depth` rows carry their score; a backend may leave the others at 0, which
        fusion reads as "not found by BM25" (it only ever uses a ranker's best `depth` passages).
        """
        ...

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        """The `terms` some passage uses, in their order."""
        ...

    def cognates(self, terms: Sequence[str]) -> list[str]:
        """Index terms that are one of `terms` with a stem ending cut differently (`bm25.cognates_in`)."""
        ...


def open_index(settings: CoreSettings, model_id: str | None = None) -> IndexBackend:
    """The published index the settings point to; raises IndexUnavailable with a rebuild hint."""
    if settings.index_backend == "milvus":
        from index.store.milvus import MilvusStore

        return MilvusStore.from_settings(settings).open_live(model_id)
    return load_index(settings.index_dir, model_id)


def index_stamp(settings: CoreSettings) -> object | None:
    """A cheap fingerprint of the published index that changes when a build publishes a new one.

    One stat on disk for the default backend (None without an index); one look-up of the live
    pointer row for Milvus (None before any publish), which raises MilvusUnavailable, one line,
    when Milvus cannot be reached.
    """
    if settings.index_backend == "milvus":
        from index.store.milvus import MilvusStore

        return MilvusStore.from_settings(settings).live_stamp()
    return manifest_stamp(settings.index_dir)

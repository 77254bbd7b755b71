"""Passage vectors by content, in SQLite beside the index: a killed build keeps what it computed.

Each batch of fresh vectors is committed as it comes out of the model, so `kill -9` at any moment
loses at most the batch in flight, and the next build embeds only what is missing. One file per
model: a vector is only ever reused by the model that made it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

# SQLite caps the host parameters of one statement; look-ups go in slices below it.
_LOOKUP_SLICE = 900


def cache_path(index_dir: Path, model_id: str) -> Path:
    model = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    return index_dir.parent / f".{index_dir.name}.vectors-{model}.sqlite3"


class VectorCache:
    def __init__(self, path: Path, model_id: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dim = dim
        self._db = sqlite3.connect(path)
        # WAL: a commit is one append, and a reader never sees half a batch.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        found = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if found and (found.get("model_id") != model_id or found.get("dim") != str(dim)):
            # Another model's file under this name (a hash collision, or a hand-copied file): start over.
            self._db.execute("DELETE FROM vectors")
        self._db.executemany(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", [("model_id", model_id), ("dim", str(dim))]
        )
        self._db.commit()

    @classmethod
    def beside(cls, index_dir: Path, model_id: str, dim: int) -> VectorCache:
        return cls(cache_path(index_dir, model_id), model_id, dim)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), _LOOKUP_SLICE):
            part = wanted[start : start + _LOOKUP_SLICE]
            marks = ",".join("?" * len(part))
            for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dim,):
                    found[key] = vector
        return found

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store one batch in one transaction."""
        rows = [(key, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for key, v in vectors.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def prune(self, keep: Iterable[str]) -> int:
        """Drop every vector no longer referenced; returns how many went."""
        with self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM keep")
            self._db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((k,) for k in keep))
            removed = self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM keep)").rowcount
        return int(removed)

    def close(self) -> None:
        self._db.close()

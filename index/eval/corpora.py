"""Indexes of one or more corpus folders for evaluation, kept between runs.

A question set may span several folders (the seeds and a folder of real articles): they are indexed
as one, through a folder of links to their articles, under `<home>/<hash of the folders>/`.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from index.build.embedders import Embedder
from index.build.pipeline import BuildReport, build_index
from index.ingest.sidecar import SIDECAR_NAME


class EvalCorpusError(Exception):
    """A corpus folder that cannot be indexed for evaluation; the message says why."""


def corpus_index(corpora: list[Path], home: Path, embedder: Embedder, max_bytes: int) -> tuple[Path, BuildReport]:
    """The index of `corpora` under `home`, built or brought up to date first, and the build's report."""
    missing = [str(c) for c in corpora if not c.is_dir()]
    if missing:
        raise EvalCorpusError(f"corpus folder {missing[0]} does not exist")
    resolved = sorted(str(c.resolve()) for c in corpora)
    place = home / hashlib.sha256("\n".join(resolved).encode()).hexdigest()[:12]
    corpus = Path(resolved[0])
    if len(resolved) > 1:
        corpus = place / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        for folder in map(Path, resolved):
            for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name != SIDECAR_NAME):
                if (corpus / path.name).exists():
                    raise EvalCorpusError(f"{path.name} is in more than one corpus folder; rename one of them")
                (corpus / path.name).symlink_to(path)
    return place / "index", build_index(corpus, place / "index", embedder, max_bytes)

"""Builds into Milvus split across workers (`citebot build --shard I/N`, then `citebot publish`): four
shards make the index one process makes, a shard killed with SIGKILL and run again completes it
from its vector cache, and publishing is all or nothing; a bot's RetrievalService follows it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot.service import RetrievalService
from index.build.sharded import build_milvus, build_shard, list_corpus, publish_build
from index.eval.metrics import read_items
from index.search.searcher import Searcher
from index.settings import CoreSettings
from index.store.backend import index_stamp, open_index
from index.store.milvus import MilvusStore, ShardsIncomplete
from index.store.milvus_lite import LiteServer
from tests.conftest import REAL_SET, SEEDS
from tests.store.conftest import answers, citebot, finished, with_vectors_of


def test_four_shards_build_what_one_process_builds(
    milvus: LiteServer, milvus_real, real_index: Path, tmp_path: Path, embedder, asked
):
    corpus, store = real_index.parent / "corpus", MilvusStore(milvus.uri, "four")

    def worker(shard: int):
        # Each worker on a machine of its own: its own vector cache, here a copy of the default build's.
        index = with_vectors_of(real_index, tmp_path / f"worker-{shard}" / "index")
        return build_shard(corpus, index, embedder, 2_000_000, store, shard, 4)

    with ThreadPoolExecutor(max_workers=4) as pool:  # started together, as a job runner starts them
        reports = list(pool.map(worker, range(4)))
    assert len({r.build for r in reports}) == 1 and all(r.embedded == 0 and r.files > 0 for r in reports)
    assert sum(r.files for r in reports) == len(list_corpus(corpus, 2_000_000))
    assert sum(r.chunks for r in reports) == len(milvus_real.chunks)

    publisher = with_vectors_of(real_index, tmp_path / "publisher" / "index")
    published = publish_build(corpus, publisher, embedder, 2_000_000, store)  # the shard count found in Milvus
    assert published.phrases_embedded == 0 and published.phrases == len(milvus_real.names.phrases)
    four = store.open_live(embedder.model_id)
    assert four.chunks == milvus_real.chunks and four.documents == milvus_real.documents
    assert four.sentences == milvus_real.sentences and four.term_documents == milvus_real.term_documents
    assert four.names.to_json() == milvus_real.names.to_json()
    different = {k for k in four.manifest if four.manifest[k] != milvus_real.manifest[k]}
    assert different == {"built_at", "build", "shards"}
    questions = [item.question for item in read_items(REAL_SET)]
    assert answers(Searcher(four, asked), questions) == answers(Searcher(milvus_real, asked), questions)


def uneven_corpus(folder: Path, shards: dict[int, int]) -> None:
    """Short articles (one passage each) whose content hashes put `shards[i]` of them in shard i of 2."""
    folder.mkdir()
    wanted, n = dict(shards), 0
    while any(wanted.values()):
        # Short, so the model spends little on them: the test is about the batches, not the text.
        text = f"Astana and Doha discuss water\n\nDelegations reviewed water project {n} and set its next step."
        n += 1
        shard = int(hashlib.sha256(text.encode()).hexdigest()[:16], 16) % 2
        if wanted[shard]:
            (folder / f"article_{n:03d}.txt").write_text(text, encoding="utf-8")
            wanted[shard] -= 1


def test_a_shard_killed_with_sigkill_and_run_again_completes_the_index(milvus: LiteServer, tmp_path: Path, embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    # Four batches of 32 passages in the killed shard: the kill lands after the first, well before the last.
    uneven_corpus(corpus, {0: 100, 1: 4})
    env = {"MILVUS_URI": milvus.uri, "MILVUS_COLLECTION": "killed", "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus)}
    worker = citebot("build", "--shard", "0/2", "--progress-jsonl", env=env)
    assert worker.stdout is not None
    for line in worker.stdout:
        event = json.loads(line)
        if event.get("stage") == "embedding" and 0 < event["embedded"] < event["to_embed"]:
            os.kill(worker.pid, signal.SIGKILL)
            break
    else:
        pytest.fail(f"the shard finished before a batch was embedded: {worker.communicate()}")
    worker.communicate()
    assert worker.returncode == -signal.SIGKILL
    store = MilvusStore(milvus.uri, "killed")
    assert store.live() is None, "a killed shard publishes nothing"
    with pytest.raises(ShardsIncomplete, match=r"2 of 2 shards .*not built yet \(0, 1\)"):
        publish_build(corpus, index, embedder, 2_000_000, store, 2)

    # Run again (here in this process: what it reads is in Milvus and the vector cache on disk).
    rerun = build_shard(corpus, index, embedder, 2_000_000, store, 0, 2)
    assert rerun.reused >= event["embedded"] > 0, "the batches done before the kill come from the cache"
    assert rerun.embedded == rerun.chunks - rerun.reused > 0 and rerun.chunks == 100 and not rerun.already_built
    with pytest.raises(ShardsIncomplete, match=r"1 of 2 shards .*\(1\)"):
        publish_build(corpus, index, embedder, 2_000_000, store, 2)
    assert build_shard(corpus, index, embedder, 2_000_000, store, 1, 2).chunks == 4
    assert build_shard(corpus, index, embedder, 2_000_000, store, 0, 2).already_built

    published = json.loads(finished(citebot("publish", "--json", env=env)))  # the shard count found in Milvus
    assert (published["documents"], published["chunks"]) == (104, 104)
    sharded = store.open_live(embedder.model_id)
    one = MilvusStore(milvus.uri, "killed_one")
    assert build_milvus(corpus, index, embedder, 2_000_000, one).embedded == 0
    single = one.open_live(embedder.model_id)
    assert sharded.chunks == single.chunks and sharded.names.to_json() == single.names.to_json()
    questions = ["Which delegations reviewed water project 4?", "Astana and Doha: the next round of talks"]
    assert answers(Searcher(sharded, embedder), questions) == answers(Searcher(single, embedder), questions)


def test_a_shard_run_again_replaces_what_an_interrupted_run_wrote(
    milvus: LiteServer, corpus: Path, tmp_path: Path, seed_index: Path, embedder
):
    store, index = MilvusStore(milvus.uri, "partial"), with_vectors_of(seed_index, tmp_path / "index")
    first = build_shard(corpus, index, embedder, 2_000_000, store, 0, 1)
    # As a run killed while writing leaves it: some passages staged under other keys, no record.
    store.clear_shard(first.build, 0)
    row = {"key": "stale:0", "doc_id": "stale", "start": 0, "end": 1, "terms": "x", "vector": np.zeros(embedder.dim)}
    store.stage_passages(first.build, 0, [row])
    again = build_shard(corpus, index, embedder, 2_000_000, store, 0, 1)
    assert not again.already_built and first.embedded == again.embedded == 0
    publish_build(corpus, index, embedder, 2_000_000, store, 1)
    published = store.open_live()
    assert "stale" not in {c.doc_id for c in published.chunks} and len(published.chunks) == first.chunks


def test_publish_is_all_or_nothing_and_a_bot_picks_up_the_new_index(
    milvus: LiteServer, tmp_path: Path, seed_index: Path, embedder, asked
):
    corpus, index = tmp_path / "corpus", with_vectors_of(seed_index, tmp_path / "index")
    shutil.copytree(SEEDS, corpus)
    store = MilvusStore(milvus.uri, "switch")
    settings = CoreSettings(
        INDEX_BACKEND="milvus", MILVUS_URI=milvus.uri, MILVUS_COLLECTION="switch", INDEX_DIR=index, CORPUS_DIR=corpus
    )
    assert index_stamp(settings) is None
    assert build_milvus(corpus, index, embedder, 2_000_000, store).embedded == 0
    first, stamp = store.live(), index_stamp(settings)
    assert first is not None and stamp is not None
    service = RetrievalService(settings, asked)  # the bot's: it opens the index through the backend seam
    before = service.load()
    assert len(service.sources()) == 5 and service.index_stamp() == stamp

    (corpus / "003_0f37ec3c77dfb273.txt").unlink()
    # Shard 0 of 2 alone: nothing changes for questions until every shard is in.
    build_shard(corpus, index, embedder, 2_000_000, store, 0, 2)
    with pytest.raises(ShardsIncomplete):
        publish_build(corpus, index, embedder, 2_000_000, store, 2)
    assert index_stamp(settings) == stamp and service.current() is before

    build_milvus(corpus, index, embedder, 2_000_000, store)
    second = store.live()
    assert second is not None and second.previous == first.build and index_stamp(settings) != stamp
    assert len(open_index(settings).documents) == 4
    # The bot's next answer reads the pointer and loads the new build before answering.
    assert service.search("What did Kazakhstan say about Qatar?", k=3).answered
    assert service.current() is not before and len(service.sources()) == 4
    assert service.index_stamp() == index_stamp(settings)
    # The replaced build stays for a process that read the pointer just before; the unfinished 2-shard one went.
    assert store.builds() == {first.build, second.build}
    assert Searcher(before.stored, asked).search("What did Kazakhstan say about Qatar?").answered

    shutil.copy(SEEDS / "003_0f37ec3c77dfb273.txt", corpus)
    build_milvus(corpus, index, embedder, 2_000_000, store)
    assert store.builds() == {second.build, first.build}, "the same corpus as the first: its build again"
    assert store.live().build == first.build and store.live().previous == second.build


def test_publish_without_shards_names_the_command(milvus: LiteServer, corpus: Path, tmp_path: Path, embedder):
    with pytest.raises(ShardsIncomplete, match=r"run `citebot build --shard I/N`"):
        publish_build(corpus, tmp_path / "index", embedder, 2_000_000, MilvusStore(milvus.uri, "nothing"))

"""The Milvus backend against a real milvus-lite 2.5.1 (its own engine, serving a port): search
through it answers as the default backend does, shards built by separate processes make the same
index as one process, a SIGKILLed shard run again completes it, and publishing is all or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed: pip install -e '.[milvus]'")

from index.build.sharded import build_milvus, build_shard, list_corpus, publish_build
from index.eval.metrics import read_items, run_eval
from index.search.searcher import Searcher
from index.settings import CoreSettings, SettingsError, load_core_settings
from index.store.backend import index_stamp, open_index
from index.store.directory import IndexUnavailable
from index.store.milvus import MilvusIndex, MilvusStore, ShardsIncomplete
from index.store.milvus_lite import LiteServer
from tests.conftest import DEV_SET, ROOT, SEEDS

REAL = ROOT.parent / "shared" / "eval" / "corpus-real"
REAL_SET = ROOT.parent / "shared" / "eval" / "dev_real.jsonl"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared realistic corpus not beside the checkout")


class QueryCache:
    """The session's real embedder, each question embedded once for this module's many searches."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.queries: dict[str, np.ndarray] = {}

    def embed_queries(self, texts):
        missing = [t for t in texts if t not in self.queries]
        if missing:
            self.queries.update(zip(missing, self.inner.embed_queries(missing), strict=True))
        return np.stack([self.queries[t] for t in texts])

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="module")
def asked(embedder) -> QueryCache:
    return QueryCache(embedder)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteServer]:
    """milvus-lite's engine on a port: a milvus-lite file admits one process, shards are several."""
    with LiteServer(tmp_path_factory.mktemp("milvus") / "milvus.db") as running:
        yield running


@pytest.fixture(scope="module")
def milvus_seeds(server: LiteServer, seed_index: Path, embedder) -> MilvusIndex:
    """The seeds in Milvus, from the vector cache the session's default build filled."""
    store = MilvusStore(server.uri, "seeds")
    report = build_milvus(SEEDS, seed_index, embedder, 2_000_000, store)
    assert report.embedded == 0, "the default build's vector cache is reused"
    return store.open_live(embedder.model_id)


@pytest.fixture(scope="module")
def real_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("real") / "corpus"
    shutil.copytree(SEEDS, corpus)
    for path in REAL.iterdir():
        shutil.copy(path, corpus / path.name)
    return corpus


@pytest.fixture(scope="module")
def milvus_real(server: LiteServer, real_corpus: Path, seed_index: Path, embedder) -> MilvusIndex:
    store = MilvusStore(server.uri, "real")
    index = with_seed_vectors(seed_index, real_corpus.parent / "index")
    build_milvus(real_corpus, index, embedder, 2_000_000, store)
    return store.open_live(embedder.model_id)


def with_seed_vectors(seed_index: Path, index_dir: Path) -> Path:
    """`index_dir`, its vector cache a copy of the session seed build's (the seeds embedded once)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    for cache in seed_index.parent.glob(".index.vectors-*.sqlite3"):
        shutil.copy(cache, index_dir.parent / cache.name)
    return index_dir


def answers(searcher: Searcher, questions: list[str]) -> list[tuple]:
    found = []
    for question in questions:
        result = searcher.search(question, k=5)
        found.append((result.answered, [(h.rank, h.source, h.start, h.end, round(h.score, 4)) for h in result.hits]))
    return found


def citebot(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "citebot.cli", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "INDEX_BACKEND": "milvus", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-2000:]
    return out


# Search through Milvus --------------------------------------------------------------------


def test_searching_milvus_answers_as_the_default_backend(milvus_seeds: MilvusIndex, searcher: Searcher, asked):
    default, through_milvus = Searcher(searcher.stored, asked), Searcher(milvus_seeds, asked)
    assert milvus_seeds.chunks == searcher.chunks and milvus_seeds.documents == searcher.stored.documents
    assert milvus_seeds.sentences == searcher.stored.sentences
    assert milvus_seeds.names.to_json() == searcher.stored.names.to_json()
    questions = [item.question for item in read_items(DEV_SET)]
    assert answers(through_milvus, questions) == answers(default, questions)


def test_bm25_through_milvus_scores_as_bm25s(milvus_seeds: MilvusIndex, searcher: Searcher):
    # Milvus's BM25 over the build's own terms, its (k1 + 1) factor divided off: bm25s's scores.
    query = ["kazakhstan", "qatar", "solidar", "souverainet"]
    local = searcher.stored.lexical_scores(query, "", 50)
    remote = milvus_seeds.lexical_scores(query, "", 50)
    assert np.count_nonzero(remote) > 5
    np.testing.assert_allclose(remote, local, rtol=1e-4, atol=1e-5)


def bootstrap_interval(values: np.ndarray, resamples: int = 10_000) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def eval_through_both(default: Searcher, milvus: Searcher, question_set: Path) -> None:
    items = read_items(question_set)
    (local, local_items), (remote, _) = run_eval(default, items, "hybrid"), run_eval(milvus, items, "hybrid")
    ranks = np.array([1 / r.rank if r.rank else 0.0 for r in local_items if r.item.kind != "none"])
    low, high = bootstrap_interval(ranks)
    assert low <= remote["all"]["mrr@10"] <= high, (remote["all"], (low, high))
    assert remote["none"]["unanswered"] == remote["none"]["n"] == local["none"]["unanswered"]


def test_dev_set_through_milvus_within_the_defaults_interval(milvus_seeds: MilvusIndex, searcher: Searcher, asked):
    eval_through_both(Searcher(searcher.stored, asked), Searcher(milvus_seeds, asked), DEV_SET)


@needs_real
def test_dev_real_through_milvus_within_the_defaults_interval(
    milvus_real: MilvusIndex, real_corpus: Path, embedder, asked
):
    from index.build.pipeline import build_index
    from index.store.directory import load_index

    # The cache beside it came from the Milvus build: this default build embeds nothing.
    report = build_index(real_corpus, real_corpus.parent / "index", embedder, 2_000_000)
    assert report.embedded == 0
    default = Searcher(load_index(real_corpus.parent / "index"), asked)
    eval_through_both(default, Searcher(milvus_real, asked), REAL_SET)


# Builds split across processes ------------------------------------------------------------


@needs_real
def test_four_shard_workers_build_what_one_process_builds(
    server: LiteServer, milvus_real: MilvusIndex, real_corpus: Path, embedder, asked
):
    # Workers started independently, two at a time, as a job runner would; each with its own cache
    # folder here seeded from the one-process build's, as a worker's machine keeps its own.
    env = {"MILVUS_URI": server.uri, "MILVUS_COLLECTION": "four", "CORPUS_DIR": str(real_corpus)}
    reports = []
    for pair in ((0, 1), (2, 3)):
        workers = []
        for shard in pair:
            cache_dir = real_corpus.parent / f"worker-{shard}"
            cache_dir.mkdir()
            for cache in (real_corpus.parent).glob(".index.vectors-*.sqlite3"):
                shutil.copy(cache, cache_dir / cache.name)
            shard_env = {**env, "INDEX_DIR": str(cache_dir / "index")}
            workers.append(citebot("build", "--shard", f"{shard}/4", "--json", env=shard_env))
        reports += [json.loads(finished(worker)) for worker in workers]
    assert sum(r["chunks"] for r in reports) == len(milvus_real.chunks)
    assert sum(r["files"] for r in reports) == len(list_corpus(real_corpus, 2_000_000))
    assert len({r["build"] for r in reports}) == 1 and all(r["embedded"] == 0 for r in reports)

    finished(citebot("publish", env={**env, "INDEX_DIR": str(real_corpus.parent / "index")}))
    four = MilvusStore(server.uri, "four").open_live(embedder.model_id)
    assert four.chunks == milvus_real.chunks
    assert four.documents == milvus_real.documents and four.sentences == milvus_real.sentences
    assert four.names.to_json() == milvus_real.names.to_json()
    assert four.term_documents == milvus_real.term_documents
    different = {k for k in four.manifest if four.manifest[k] != milvus_real.manifest[k]}
    assert different == {"built_at", "build", "shards"}
    questions = [item.question for item in read_items(REAL_SET)]
    assert answers(Searcher(four, asked), questions) == answers(Searcher(milvus_real, asked), questions)


def uneven_corpus(folder: Path, shards: dict[int, int]) -> None:
    """Short articles (one passage each) whose content hashes put `shards[i]` of them in shard i of 2."""
    folder.mkdir()
    wanted, n = dict(shards), 0
    while any(wanted.values()):
        text = f"Astana and Doha discuss water\n\nDelegations reviewed water project {n} " + " ".join(
            f"and set step {n}-{i} of the plan for the next round of talks." for i in range(8)
        )
        n += 1
        shard = int(hashlib.sha256(text.encode()).hexdigest()[:16], 16) % 2
        if wanted[shard]:
            (folder / f"article_{n:03d}.txt").write_text(text, encoding="utf-8")
            wanted[shard] -= 1


def test_a_shard_killed_mid_embedding_and_run_again_completes_the_index(server: LiteServer, tmp_path: Path, embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    # The killed shard holds two batches of 32 passages, so the kill lands between them.
    uneven_corpus(corpus, {0: 40, 1: 4})
    env = {"MILVUS_URI": server.uri, "MILVUS_COLLECTION": "killed", "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus)}
    worker = citebot("build", "--shard", "0/2", "--progress-jsonl", env=env)
    assert worker.stdout is not None
    for line in worker.stdout:
        event = json.loads(line)
        if event.get("stage") == "embedding" and 0 < event["embedded"] < event["to_embed"]:
            os.kill(worker.pid, signal.SIGKILL)
            break
    else:
        pytest.fail(f"the shard finished before a batch was embedded: {worker.communicate()}")
    worker.wait()
    store = MilvusStore(server.uri, "killed")
    assert store.live() is None, "a killed shard publishes nothing"
    with pytest.raises(ShardsIncomplete, match=r"2 of 2 shards .*not built yet \(0, 1\)"):
        publish_build(corpus, embedder, 2_000_000, store, 2)

    rerun = json.loads(finished(citebot("build", "--shard", "0/2", "--json", env=env)))
    assert rerun["reused"] >= event["embedded"] > 0 and rerun["embedded"] == rerun["chunks"] - rerun["reused"] > 0
    with pytest.raises(ShardsIncomplete, match=r"1 of 2 shards .*\(1\)"):
        publish_build(corpus, embedder, 2_000_000, store, 2)
    finished(citebot("build", "--shard", "1/2", "--json", env=env))
    assert json.loads(finished(citebot("build", "--shard", "0/2", "--json", env=env)))["already_built"] is True

    publish_build(corpus, embedder, 2_000_000, store)  # the shard count found in Milvus
    sharded = store.open_live(embedder.model_id)
    one = MilvusStore(server.uri, "killed_one")
    assert build_milvus(corpus, index, embedder, 2_000_000, one).embedded == 0
    single = one.open_live(embedder.model_id)
    assert sharded.chunks == single.chunks and len(single.chunks) == 44
    questions = ["Which delegations reviewed water project 4?", "Astana and Doha: the next round of talks"]
    assert answers(Searcher(sharded, embedder), questions) == answers(Searcher(single, embedder), questions)


def test_a_shard_run_again_replaces_what_an_interrupted_run_wrote(
    server: LiteServer, corpus: Path, tmp_path: Path, seed_index: Path, embedder
):
    store, index = MilvusStore(server.uri, "partial"), with_seed_vectors(seed_index, tmp_path / "index")
    first = build_shard(corpus, index, embedder, 2_000_000, store, 0, 1)
    # As a run killed while writing leaves it: some passages staged under other keys, no record.
    store.clear_shard(first.build, 0)
    row = {"key": "stale:0", "doc_id": "stale", "start": 0, "end": 1, "terms": "x", "vector": np.zeros(embedder.dim)}
    store.stage_passages(first.build, 0, [row])
    again = build_shard(corpus, index, embedder, 2_000_000, store, 0, 1)
    assert not again.already_built and first.embedded == again.embedded == 0
    publish_build(corpus, embedder, 2_000_000, store, 1)
    assert [c.doc_id for c in store.open_live().chunks].count("stale") == 0
    assert len(store.open_live().chunks) == first.chunks


# Publishing -------------------------------------------------------------------------------


def test_publish_switches_questions_over_at_once_and_drops_old_builds(
    server: LiteServer, tmp_path: Path, seed_index: Path, embedder
):
    corpus, index = tmp_path / "corpus", with_seed_vectors(seed_index, tmp_path / "index")
    shutil.copytree(SEEDS, corpus)
    store = MilvusStore(server.uri, "switch")
    settings = CoreSettings(INDEX_BACKEND="milvus", MILVUS_URI=server.uri, MILVUS_COLLECTION="switch")
    assert index_stamp(settings) is None
    assert build_milvus(corpus, index, embedder, 2_000_000, store).embedded == 0
    first, stamp = store.live(), index_stamp(settings)
    before = open_index(settings, embedder.model_id)
    assert first is not None and stamp is not None and len(before.documents) == 5

    (corpus / "003_0f37ec3c77dfb273.txt").unlink()
    # Shard 0 of 2 alone: nothing changes for questions until every shard is in.
    build_shard(corpus, index, embedder, 2_000_000, store, 0, 2)
    with pytest.raises(ShardsIncomplete):
        publish_build(corpus, embedder, 2_000_000, store, 2)
    assert index_stamp(settings) == stamp and len(open_index(settings).documents) == 5

    build_milvus(corpus, index, embedder, 2_000_000, store)
    second = store.live()
    assert second is not None and second.previous == first.build and index_stamp(settings) != stamp
    assert len(open_index(settings).documents) == 4
    # The replaced build stays for a process that read the pointer just before; the unfinished 2-shard one went.
    assert store.builds() == {first.build, second.build}
    assert Searcher(before, embedder).search("What did Kazakhstan say about Qatar?").answered

    shutil.copy(SEEDS / "003_0f37ec3c77dfb273.txt", corpus)
    build_milvus(corpus, index, embedder, 2_000_000, store)
    assert store.builds() == {second.build, first.build}, "the same corpus as the first: its build again"
    assert store.live().build == first.build and store.live().previous == second.build


# The command line and settings ------------------------------------------------------------


def test_ask_on_a_milvus_lite_file_builds_first_and_cites(tmp_path: Path, seed_index: Path):
    index = with_seed_vectors(seed_index, tmp_path / "index")
    env = {"MILVUS_URI": str(tmp_path / "milvus.db"), "INDEX_DIR": str(index), "CORPUS_DIR": str(SEEDS)}
    run = citebot("ask", "What did Kazakhstan say about Qatar?", "--json", env=env)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "no index yet in Milvus" in err
    first = json.loads(out)["hits"][0]
    assert (first["source"], first["date"]) == ("001_c0a4decbc27cb472.txt", "2026-03-02")
    sources = citebot("sources", "--json", env=env)
    assert len(json.loads(finished(sources))) == 5


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["build", "--shard", "1/2"], {"INDEX_BACKEND": "local"}, "--shard builds into Milvus: set INDEX_BACKEND"),
        (["build", "--shard", "2/2"], {}, "with 2 workers the shard number goes from 0 to 1"),
        (["publish"], {"INDEX_BACKEND": "local"}, "publish joins shards built into Milvus"),
        (["ask", "x"], {"MILVUS_URI": "tcp://host:19530"}, "invalid setting MILVUS_URI: 'tcp://host:19530' is neither"),
    ],
)
def test_bad_backend_settings_and_options_say_what_to_do(tmp_path: Path, args, env, message):
    run = citebot(*args, env={"INDEX_DIR": str(tmp_path / "index"), "CORPUS_DIR": str(SEEDS), **env})
    _, err = run.communicate(timeout=120)
    assert run.returncode != 0 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MILVUS_URI", "data/milvus.sqlite", "a milvus-lite file must end in .db"),
        ("MILVUS_URI", "data/a-name-longer-than-thirty-six-letters.db", "at most 36 letters"),
        ("MILVUS_COLLECTION", "9lives", "not starting with a digit"),
        ("INDEX_BACKEND", "elastic", "Input should be 'local' or 'milvus'"),
    ],
)
def test_backend_settings_are_checked_at_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"invalid setting {name}: .*{re.escape(message)}"):
        load_core_settings()


def test_publish_without_shards_names_the_command(server: LiteServer, corpus: Path, embedder):
    with pytest.raises(ShardsIncomplete, match=r"run `citebot build --shard I/N`"):
        publish_build(corpus, embedder, 2_000_000, MilvusStore(server.uri, "nothing"))


def test_an_unreachable_milvus_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch):
    from index.store.milvus_lite import free_port

    monkeypatch.setenv("INDEX_BACKEND", "milvus")
    monkeypatch.setenv("MILVUS_URI", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MILVUS_COLLECTION", "unreachable")
    began = time.monotonic()
    with pytest.raises(IndexUnavailable, match=r"cannot open Milvus at http://127\.0\.0\.1"):
        open_index(load_core_settings())
    assert time.monotonic() - began < 60


def test_default_backend_settings_are_unchanged(monkeypatch: pytest.MonkeyPatch):
    for name in ("INDEX_BACKEND", "MILVUS_URI", "MILVUS_COLLECTION", "INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_core_settings()
    assert settings.index_backend == "local" and settings.milvus_address == str(Path("data/milvus.db"))

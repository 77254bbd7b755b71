"""The Milvus backend from the command line and the settings: a milvus-lite file answers a fresh
checkout, bad settings and options say what to do, and a Milvus that cannot be reached, or stops
answering, is one line for the user and never a traceback or a hang."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bot.service import RetrievalService
from index.settings import CoreSettings, SettingsError, load_core_settings
from index.store.directory import IndexUnavailable
from index.store.milvus import MilvusUnavailable
from index.store.milvus_lite import LiteServer, free_port
from tests.conftest import SEEDS
from tests.store.conftest import citebot, with_vectors_of

QATAR = "What did Kazakhstan say about Qatar?"


def test_ask_on_a_milvus_lite_file_builds_first_and_cites(tmp_path: Path, seed_index: Path):
    index = with_vectors_of(seed_index, tmp_path / "data" / "index")
    env = {"MILVUS_URI": str(tmp_path / "data" / "milvus.db"), "INDEX_DIR": str(index), "CORPUS_DIR": str(SEEDS)}
    run = citebot("ask", "What did Kazakhstan say about Qatar?", "--json", env=env)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "no index yet in Milvus" in err and "Traceback" not in err
    first = json.loads(out)["hits"][0]
    assert (first["source"], first["date"]) == ("001_c0a4decbc27cb472.txt", "2026-03-02")


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
    assert run.returncode == 1 and message in err and "Traceback" not in err


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


def test_default_backend_settings_are_unchanged(monkeypatch: pytest.MonkeyPatch):
    for name in ("INDEX_BACKEND", "MILVUS_URI", "MILVUS_COLLECTION", "MILVUS_TOKEN", "INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_core_settings()
    assert settings.index_backend == "local" and settings.milvus_address == str(Path("data/milvus.db"))
    assert settings.milvus_collection == "citebot" and settings.milvus_token is None


def test_an_unreachable_milvus_is_one_line_not_a_traceback(tmp_path: Path):
    env = {"MILVUS_URI": f"http://127.0.0.1:{free_port()}", "INDEX_DIR": str(tmp_path / "index")}
    began = time.monotonic()
    run = citebot("ask", "What did Kazakhstan say about Qatar?", env=env)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1 and "Traceback" not in err
    assert re.fullmatch(r"error: cannot open Milvus at http://127\.0\.0\.1:\d+ \(.+\)\n", err), err
    assert time.monotonic() - began < 60


def test_a_bot_whose_milvus_stops_answers_each_question_with_one_line_and_again_once_it_is_back(
    tmp_path: Path, seed_index: Path, asked, monkeypatch: pytest.MonkeyPatch
):
    from index.build.sharded import build_milvus
    from index.store import milvus

    server = LiteServer(tmp_path / "own" / "milvus.db").start()
    try:
        index = with_vectors_of(seed_index, tmp_path / "index")
        build_milvus(SEEDS, index, asked, 2_000_000, milvus.MilvusStore(server.uri, "stops"))
        settings = CoreSettings(INDEX_BACKEND="milvus", MILVUS_URI=server.uri, MILVUS_COLLECTION="stops")
        service = RetrievalService(settings, asked)
        loaded = service.load()
        assert service.search(QATAR, k=3).answered
    finally:
        server.stop()
    # pymilvus retries a lost server until a call's timeout: shortened here from READ_SECONDS.
    monkeypatch.setattr(milvus, "READ_SECONDS", 1)
    began = time.monotonic()
    for _ in range(2):
        with pytest.raises(MilvusUnavailable, match=r"^Milvus at http://127\.0\.0\.1:\d+ failed to [^\n]+$"):
            service.search(QATAR, k=3)
    with pytest.raises(IndexUnavailable, match=r"^Milvus at http://127\.0\.0\.1:\d+ failed to [^\n]+$"):
        service.load()
    assert time.monotonic() - began < 20

    monkeypatch.undo()  # back to READ_SECONDS: the restarted server loads its file first
    with LiteServer(tmp_path / "own" / "milvus.db", port=server.port):
        assert service.search(QATAR, k=3).answered
        assert service.current() is loaded, "the same build: nothing was loaded again"

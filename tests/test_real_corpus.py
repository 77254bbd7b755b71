"""The shared realistic corpus (seeds + corpus-real): the bars of the retrieval issue."""

from __future__ import annotations

import shutil

import pytest

from index.build import build_index
from index.evaluation import read_items, run_eval
from index.search import Searcher
from index.store import load_index
from tests.conftest import ROOT, SEEDS

REAL = ROOT.parent / "shared" / "eval" / "corpus-real"
REAL_SET = ROOT.parent / "shared" / "eval" / "dev_real.jsonl"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="shared realistic corpus not beside the checkout")


@pytest.fixture(scope="module")
def real_searcher(tmp_path_factory: pytest.TempPathFactory, embedder) -> Searcher:
    corpus = tmp_path_factory.mktemp("real") / "corpus"
    shutil.copytree(SEEDS, corpus)
    for path in REAL.iterdir():
        shutil.copy(path, corpus / path.name)
    index_dir = corpus.parent / "index"
    build_index(corpus, index_dir, embedder, 2_000_000)
    return Searcher(load_index(index_dir), embedder)


def test_event_date_finds_the_later_article(real_searcher: Searcher):
    question = "What did Tokayev say at the UN General Assembly on 23 September 2025 about Afghanistan?"
    sources = [h.source for h in real_searcher.search(question, k=3).hits]
    assert "103_taliban_railway_2025.txt" in sources


def test_dev_real_figures(real_searcher: Searcher):
    summary, results = run_eval(real_searcher, read_items(REAL_SET), "hybrid")
    assert summary["all"]["mrr@10"] >= 0.78 and summary["cross"]["mrr@10"] >= 0.66
    assert summary["none"]["unanswered"] == summary["none"]["n"] == 5
    assert summary["all"]["n"] - summary["all"]["answered"] <= 1
    dated = [r for r in results if r.item.kind == "date"]
    assert all(r.first_source == r.item.doc for r in dated), [(r.item.id, r.first_source) for r in dated]


def test_russian_article_is_indexed_as_russian(real_searcher: Searcher):
    langs = {d.source: d.lang for d in real_searcher.stored.documents}
    assert langs["113_oae_abudhabi_ru.txt"] == "ru"

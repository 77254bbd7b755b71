"""Is a retrieval change real? Bootstrap intervals for MRR@10 over a labelled question set.

    citebot eval ../shared/eval/dev.jsonl --corpus seeds --json > before.json    # on one commit
    citebot eval ../shared/eval/dev.jsonl --corpus seeds --json > after.json     # on another
    python bench/paired.py before.json                  # MRR@10 with its 95% interval, per kind
    python bench/paired.py before.json after.json       # the paired difference, and the questions that moved
    python bench/paired.py after.json:hybrid after.json:hybrid-sentences   # two modes of one run

With 26 or 27 answerable questions, one question moving from rank 1 to rank 2 moves MRR@10 by
0.019; the intervals say how far apart two figures must be before the question set can tell
them apart. Questions are resampled with replacement (paired: the same draw for both systems).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

RESAMPLES = 10_000


def reciprocal_ranks(spec: str) -> tuple[str, dict[str, tuple[str, float]]]:
    """`FILE[:MODE]` from `citebot eval --json` → label and, per answerable question, its kind and 1/rank."""
    path, _, mode = spec.partition(":")
    try:
        runs = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"cannot read {path}: {error}") from None
    if not isinstance(runs, dict) or not runs:
        raise SystemExit(f"{path} is not the output of `citebot eval --json`")
    mode = mode or next(iter(runs))
    if mode not in runs:
        raise SystemExit(f"{path} has no mode {mode!r} (it has {', '.join(runs)})")
    try:
        answerable = [item for item in runs[mode]["items"] if item["kind"] != "none"]
        if not answerable:
            raise SystemExit(f"{path}:{mode} holds no answerable question")
        return f"{path}:{mode}", {i["id"]: (i["kind"], 1 / i["rank"] if i["rank"] else 0.0) for i in answerable}
    except (KeyError, TypeError):
        raise SystemExit(f"{path} is not the output of `citebot eval --json`") from None


def interval(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    draws = rng.integers(0, len(values), size=(RESAMPLES, len(values)))
    means = values[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def kinds_of(ranks: dict[str, tuple[str, float]]) -> list[str]:
    return ["all", *sorted({kind for kind, _ in ranks.values()})]


def select(ranks: dict[str, tuple[str, float]], ids: list[str], kind: str) -> list[str]:
    return [i for i in ids if kind == "all" or ranks[i][0] == kind]


def describe(label: str, ranks: dict[str, tuple[str, float]], rng: np.random.Generator) -> None:
    print(label)
    for kind in kinds_of(ranks):
        values = np.array([ranks[i][1] for i in select(ranks, list(ranks), kind)])
        low, high = interval(values, rng)
        print(f"  {kind:6} n={len(values):3}  MRR@10 {values.mean():.3f}  95% interval {low:.3f} to {high:.3f}")


def compare(a: tuple[str, dict], b: tuple[str, dict], rng: np.random.Generator) -> None:
    (label_a, ranks_a), (label_b, ranks_b) = a, b
    ids = [i for i in ranks_a if i in ranks_b]
    if not ids:
        raise SystemExit("the two runs share no question")
    print(f"A = {label_a}\nB = {label_b}")
    for kind in kinds_of(ranks_a):
        chosen = select(ranks_a, ids, kind)
        diff = np.array([ranks_b[i][1] - ranks_a[i][1] for i in chosen])
        low, high = interval(diff, rng)
        mean_a = np.mean([ranks_a[i][1] for i in chosen])
        verdict = "B better" if low > 0 else "A better" if high < 0 else "no difference the set can tell"
        print(
            f"  {kind:6} n={len(chosen):3}  A {mean_a:.3f}  B {mean_a + diff.mean():.3f}  "
            f"B-A {diff.mean():+.3f}  95% interval {low:+.3f} to {high:+.3f}  ({verdict})"
        )
    moved = [(i, ranks_a[i][1], ranks_b[i][1]) for i in ids if ranks_a[i][1] != ranks_b[i][1]]

    def rank(value: float) -> str:
        return str(round(1 / value)) if value else "none"

    print("  moved: " + (", ".join(f"{i} {rank(x)}→{rank(y)}" for i, x, y in moved) or "nothing"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="FILE[:MODE] of `citebot eval --json`: one to describe, two to compare")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if len(args.runs) > 2:
        sys.exit("give one run to describe or two to compare")
    rng = np.random.default_rng(args.seed)
    runs = [reciprocal_ranks(spec) for spec in args.runs]
    if len(runs) == 1:
        describe(*runs[0], rng)
    else:
        compare(runs[0], runs[1], rng)


if __name__ == "__main__":
    main()

"""Choosing the search constants by k-fold cross-validation over labelled question sets.

Every question of every set is read and scored by the model once (`Searcher.prepare`); each
candidate configuration then only re-ranks. For each fold, the configuration with the best MRR@10
on the other folds is scored on the held-out one, and the abstention threshold is chosen the same
way; the held-out figures, beside the in-sample ones (chosen and scored on everything), say how
much the constants fit these questions rather than the task.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

import numpy as np

from index.eval.metrics import CUTOFF, EvalItem, ItemResult, first_matching_rank, summarise
from index.search.abstention import Abstention, Signals
from index.search.searcher import Prepared, SearchConfig, Searcher

# Diversity is a presentation choice (answers that span articles) that MRR can only penalise: it is
# not tuned here; `hybrid-diversity` in the ablation table shows what it costs.
# Candidate values, around the defaults, on scales that change rankings. The dense weight is the
# convex fusion's one parameter (index/fusion.py); the period bonus is in the same normalised units.
# The language lift scales the bias measured on the corpus: 0 turns it off, 1 is as measured.
GRID: dict[str, tuple[float, ...]] = {
    "dense_weight": (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8),
    "period_weight": (0.1, 0.2, 0.3, 0.5),
}
THRESHOLDS = tuple(np.round(np.arange(0.80, 0.95, 0.0025), 4))
COVERAGE_WEIGHTS = (0.0, 0.05, 0.1, 0.2)


@dataclass
class Case:
    """One labelled question, read against its own corpus's index."""

    item: EvalItem
    searcher: Searcher
    prepared: Prepared
    set_name: str


@dataclass
class Outcome:
    rank: int | None
    first_source: str | None
    signals: Signals


@dataclass
class FoldReport:
    in_sample: dict[str, dict]  # set name -> summary table
    held_out: dict[str, dict]
    chosen: SearchConfig  # chosen on every question: what ships
    per_fold: list[SearchConfig]


def prepare_cases(sets: Iterable[tuple[str, Searcher, list[EvalItem]]], mode: str) -> list[Case]:
    return [
        Case(item, searcher, searcher.prepare(" ".join(item.question.split()), mode), name)
        for name, searcher, items in sets
        for item in items
    ]


def configurations(base: SearchConfig, grid: dict[str, tuple[float, ...]] = GRID) -> list[SearchConfig]:
    """Every combination of the grid's values, in `itertools.product` order (the last name varies fastest)."""
    known = {f.name for f in fields(SearchConfig)}
    unknown = set(grid) - known
    if unknown:
        raise ValueError(f"not SearchConfig fields: {', '.join(sorted(unknown))}")
    return [replace(base, **dict(zip(grid, values, strict=True))) for values in itertools.product(*grid.values())]


def plateau_choice(scores: list[float], shape: tuple[int, ...]) -> int:
    """The best score's configuration; among ties, the one whose grid neighbours score best.

    Small folds tie many configurations; the first of them is often at the edge of the range that
    works (a period weight of 0.1, where 0.15 to 0.3 do best on every question and 1.0 nearly as
    well), and a held-out fold then finds where the edge falls. The centre of the plateau is the
    choice that moves least.
    """
    grid = np.asarray(scores, dtype=np.float64).reshape(shape)
    best = grid.max()
    tied = [index for index in np.ndindex(*shape) if grid[index] >= best - 1e-12]

    def neighbours(index: tuple[int, ...]) -> float:
        values = []
        for axis in range(len(shape)):
            for step in (-1, 1):
                near = list(index)
                near[axis] += step
                if 0 <= near[axis] < shape[axis]:
                    values.append(grid[tuple(near)])
        return float(np.mean(values)) if values else 0.0

    chosen = max(tied, key=neighbours)  # max keeps the first of equal neighbourhoods
    return int(np.ravel_multi_index(chosen, shape))


def outcome(case: Case, config: SearchConfig) -> Outcome:
    result = case.searcher.rank(case.prepared, CUTOFF, config, abstain=False, highlight=False)
    rank = first_matching_rank(result.hits, case.item)
    lifted = case.searcher._lifted(case.prepared, config)
    candidates = case.searcher._candidates(case.prepared, config, lifted)
    signals = case.searcher._signals(case.prepared, candidates, lifted)
    return Outcome(rank, result.hits[0].source if result.hits else None, signals)


def _mrr(outcomes: list[Outcome], cases: list[Case], rows: list[int]) -> float:
    answerable = [i for i in rows if cases[i].item.kind != "none"]
    return (
        float(np.mean([1 / outcomes[i].rank if outcomes[i].rank else 0.0 for i in answerable])) if answerable else 0.0
    )


def _abstention_errors(abstention: Abstention, outcomes: list[Outcome], cases: list[Case], rows: list[int]) -> int:
    errors = 0
    for i in rows:
        answered = abstention.answered(outcomes[i].signals, calibrated=cases[i].prepared.base != "lexical")
        errors += answered if cases[i].item.kind == "none" else not answered
    return errors


def choose_abstention(outcomes: list[Outcome], cases: list[Case], rows: list[int]) -> Abstention:
    """The threshold with fewest errors on `rows`; among ties, the middle one (the widest margin)."""
    best: list[tuple[int, float, float]] = []
    for weight in COVERAGE_WEIGHTS:
        for threshold in THRESHOLDS:
            errors = _abstention_errors(Abstention(threshold, weight), outcomes, cases, rows)
            best.append((errors, weight, float(threshold)))
    fewest = min(e for e, _, _ in best)
    tied = [(w, t) for e, w, t in best if e == fewest]
    weight = sorted({w for w, _ in tied})[len({w for w, _ in tied}) // 2]
    thresholds = [t for w, t in tied if w == weight]
    return Abstention(threshold=thresholds[len(thresholds) // 2], coverage_weight=weight)


def _results(cases: list[Case], outcomes: list[Outcome], abstention: Abstention, rows: list[int]) -> list[ItemResult]:
    return [
        ItemResult(
            cases[i].item,
            outcomes[i].rank,
            abstention.answered(outcomes[i].signals, calibrated=cases[i].prepared.base != "lexical"),
            outcomes[i].first_source,
        )
        for i in rows
    ]


def _by_set(cases: list[Case], results: list[ItemResult], rows: list[int]) -> dict[str, dict]:
    tables = {}
    for name in dict.fromkeys(cases[i].set_name for i in rows):
        tables[name] = summarise([r for r, i in zip(results, rows, strict=True) if cases[i].set_name == name])
    return tables


def _kind_mrr(outcomes: list[Outcome], cases: list[Case], rows: list[int]) -> dict[tuple[str, str], float]:
    groups: dict[tuple[str, str], list[float]] = {}
    for i in rows:
        if cases[i].item.kind != "none":
            rank = outcomes[i].rank
            groups.setdefault((cases[i].set_name, cases[i].item.kind), []).append(1 / rank if rank else 0.0)
    return {group: float(np.mean(values)) for group, values in groups.items()}


def cross_validate(
    cases: list[Case], base: SearchConfig, folds: int = 5, tune: bool = True, floor: list[Case] | None = None
) -> FoldReport:
    """Held-out and in-sample tables per set; `tune=False` scores `base` as it is (no choosing).

    With `floor` (the same questions in another mode, e.g. dense), a configuration is only chosen if
    it does at least as well as that mode on every kind of every set of the training folds.
    """
    candidates = configurations(base) if tune else [base]
    shape = tuple(len(values) for values in GRID.values()) if tune else (1,)
    table = [[outcome(case, config) for case in cases] for config in candidates]
    floor_outcomes = [outcome(case, base) for case in floor] if floor else None
    everyone = list(range(len(cases)))
    # Interleaved folds: each holds questions of every set and kind.
    fold_of = [i % folds for i in range(len(cases))]

    def meets_floor(outcomes: list[Outcome], rows: list[int]) -> bool:
        if floor_outcomes is None or floor is None:
            return True
        wanted = _kind_mrr(floor_outcomes, floor, rows)
        found = _kind_mrr(outcomes, cases, rows)
        return all(found[group] >= wanted[group] - 1e-9 for group in wanted)

    def choose(rows: list[int]) -> tuple[int, Abstention]:
        scores = [_mrr(outcomes, cases, rows) if meets_floor(outcomes, rows) else -1.0 for outcomes in table]
        best = plateau_choice(scores, shape)
        abstention = choose_abstention(table[best], cases, rows) if tune else base.abstention
        return best, abstention

    best, abstention = choose(everyone)
    in_sample = _by_set(cases, _results(cases, table[best], abstention, everyone), everyone)
    chosen = replace(candidates[best], abstention=abstention)
    held_results: dict[int, ItemResult] = {}
    per_fold = []
    for fold in range(folds):
        train = [i for i in everyone if fold_of[i] != fold]
        test = [i for i in everyone if fold_of[i] == fold]
        pick, fold_abstention = choose(train)
        per_fold.append(replace(candidates[pick], abstention=fold_abstention))
        for i, result in zip(test, _results(cases, table[pick], fold_abstention, test), strict=True):
            held_results[i] = result
    held_out = _by_set(cases, [held_results[i] for i in everyone], everyone)
    return FoldReport(in_sample=in_sample, held_out=held_out, chosen=chosen, per_fold=per_fold)

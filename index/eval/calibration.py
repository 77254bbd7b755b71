"""Choosing the search constants by k-fold cross-validation over labelled question sets.

Every question of every set is read and scored by the model once (`Searcher.prepare`); each
candidate configuration then only re-ranks. For each fold, the configuration with the best MRR@10
on the other folds is scored on the held-out one, and the abstention decision is chosen the same
way; the held-out figures, beside the in-sample ones (chosen and scored on everything), say how
much the constants fit these questions rather than the task.

The abstention decision (the similarity at which a name meets the corpus's name phrases, the name
penalty, the coverage weight and the threshold) is chosen for the least cost, with an explicit price:
a declined answerable question costs COST_DECLINED, an answered `none` question COST_ANSWERED_NONE.
A user told "no article mentions X" stops asking; a weak passage under a caveat is judged in a second.
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
    "name_weight": (0.0, 0.1, 0.2, 0.3),
    "bridge_weight": (0.0, 0.25, 0.5, 0.75, 1.0),
}
THRESHOLDS = tuple(np.round(np.arange(0.80, 0.95, 0.0025), 4))
COVERAGE_WEIGHTS = (0.0, 0.05, 0.1, 0.2)
# Cosines of a name and a name phrase, both read as questions; above 1 a name never meets a phrase.
NAME_SIMILARITIES = (0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92, 0.93, 0.95, 1.01)
# Taken off the score when a name is found nowhere; 1.0 is a veto.
NAME_PENALTIES = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 1.0)
# Taken off the score per share of the question's content words that no passage uses.
ABSENT_WEIGHTS = (0.0, 0.02, 0.04, 0.06, 0.1)
COST_DECLINED = 2.0
COST_ANSWERED_NONE = 1.0


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
    # Answerable declined against `none` answered on every question around the chosen setting.
    curve: list[dict]


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
    signals = case.searcher.signals_under(case.prepared, config)
    return Outcome(rank, result.hits[0].source if result.hits else None, signals)


def _mrr(outcomes: list[Outcome], cases: list[Case], rows: list[int]) -> float:
    answerable = [i for i in rows if cases[i].item.kind != "none"]
    return (
        float(np.mean([1 / outcomes[i].rank if outcomes[i].rank else 0.0 for i in answerable])) if answerable else 0.0
    )


@dataclass(frozen=True)
class Decision:
    """One abstention setting and what it costs on some questions."""

    name_similarity: float
    abstention: Abstention
    declined_answerable: int
    answered_none: int

    @property
    def cost(self) -> float:
        return COST_DECLINED * self.declined_answerable + COST_ANSWERED_NONE * self.answered_none

    def to_json(self) -> dict:
        return {
            "name_similarity": self.name_similarity,
            "threshold": self.abstention.threshold,
            "coverage_weight": self.abstention.coverage_weight,
            "name_penalty": self.abstention.name_penalty,
            "absent_weight": self.abstention.absent_weight,
            "declined_answerable": self.declined_answerable,
            "answered_none": self.answered_none,
            "cost": self.cost,
        }


def _decisions(by_similarity: dict[float, list[Outcome]], cases: list[Case], rows: list[int]) -> list[Decision]:
    """Every setting of the grid with its errors on `rows`, computed at once per similarity."""
    none = np.array([cases[i].item.kind == "none" for i in rows])
    calibrated = np.array([cases[i].searcher.calibrated(cases[i].prepared) for i in rows])
    thresholds = np.array(THRESHOLDS)[:, None]
    found: list[Decision] = []
    for similarity, outcomes in by_similarity.items():
        dense = np.array([outcomes[i].signals.dense for i in rows])
        coverage = np.array([outcomes[i].signals.coverage for i in rows])
        unknown = np.array([bool(outcomes[i].signals.unknown_names) for i in rows])
        absent = np.array([outcomes[i].signals.absent for i in rows])
        plain = (~unknown) & (coverage >= Abstention().min_coverage)
        for weight, penalty, absent_weight in itertools.product(COVERAGE_WEIGHTS, NAME_PENALTIES, ABSENT_WEIGHTS):
            score = dense + weight * coverage - penalty * unknown - absent_weight * absent
            answered = np.where(calibrated[None, :], score[None, :] >= thresholds - 1e-9, plain[None, :])
            declined = ((~answered) & ~none[None, :]).sum(axis=1)
            wrongly = (answered & none[None, :]).sum(axis=1)
            for t, threshold in enumerate(THRESHOLDS):
                found.append(
                    Decision(
                        similarity,
                        Abstention(float(threshold), weight, penalty, absent_weight),
                        int(declined[t]),
                        int(wrongly[t]),
                    )
                )
    return found


def choose_abstention(
    by_similarity: dict[float, list[Outcome]], cases: list[Case], rows: list[int]
) -> tuple[float, Abstention]:
    """The setting of least cost on `rows`; among ties, the middle value of each constant in turn
    (similarity, penalty, coverage weight, threshold): the widest margin on every side."""
    decisions = _decisions(by_similarity, cases, rows)
    least = min(d.cost for d in decisions)
    tied = [d for d in decisions if d.cost <= least + 1e-9]
    for key in (
        lambda d: d.name_similarity,
        lambda d: d.abstention.name_penalty,
        lambda d: d.abstention.absent_weight,
        lambda d: d.abstention.coverage_weight,
        lambda d: d.abstention.threshold,
    ):
        values = sorted({key(d) for d in tied})
        middle = values[(len(values) - 1) // 2]
        tied = [d for d in tied if key(d) == middle]
    return tied[0].name_similarity, tied[0].abstention


def trade_off(
    by_similarity: dict[float, list[Outcome]], cases: list[Case], similarity: float, abstention: Abstention
) -> list[dict]:
    """Answerable declined against `none` answered on every question, for each threshold and name
    penalty around the chosen setting (its similarity, coverage and absent-word weights): the README's curve."""
    rows = list(range(len(cases)))
    return [
        d.to_json()
        for d in _decisions({similarity: by_similarity[similarity]}, cases, rows)
        if d.abstention.coverage_weight == abstention.coverage_weight
        and d.abstention.absent_weight == abstention.absent_weight
    ]


def _results(cases: list[Case], outcomes: list[Outcome], abstention: Abstention, rows: list[int]) -> list[ItemResult]:
    return [
        ItemResult(
            cases[i].item,
            outcomes[i].rank,
            abstention.answered(outcomes[i].signals, calibrated=cases[i].searcher.calibrated(cases[i].prepared)),
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

    similarity_outcomes: dict[tuple[int, float], list[Outcome]] = {}

    def by_similarity(pick: int) -> dict[float, list[Outcome]]:
        """The outcomes of configuration `pick` under each name similarity (it moves BM25 and the signals)."""
        similarities = NAME_SIMILARITIES if tune else (base.name_similarity,)
        for similarity in similarities:
            if (pick, similarity) not in similarity_outcomes:
                config = replace(candidates[pick], name_similarity=similarity)
                similarity_outcomes[pick, similarity] = [outcome(case, config) for case in cases]
        return {similarity: similarity_outcomes[pick, similarity] for similarity in similarities}

    def choose(rows: list[int]) -> tuple[SearchConfig, list[Outcome], dict[float, list[Outcome]]]:
        scores = [_mrr(outcomes, cases, rows) if meets_floor(outcomes, rows) else -1.0 for outcomes in table]
        best = plateau_choice(scores, shape)
        outcomes = by_similarity(best)
        if tune:
            similarity, abstention = choose_abstention(outcomes, cases, rows)
        else:
            similarity, abstention = base.name_similarity, base.abstention
        chosen = replace(candidates[best], name_similarity=similarity, abstention=abstention)
        return chosen, outcomes[similarity], outcomes

    chosen, outcomes, everyone_by_similarity = choose(everyone)
    in_sample = _by_set(cases, _results(cases, outcomes, chosen.abstention, everyone), everyone)
    held_results: dict[int, ItemResult] = {}
    per_fold = []
    for fold in range(folds):
        train = [i for i in everyone if fold_of[i] != fold]
        test = [i for i in everyone if fold_of[i] == fold]
        fold_chosen, fold_outcomes, _ = choose(train)
        per_fold.append(fold_chosen)
        for i, result in zip(test, _results(cases, fold_outcomes, fold_chosen.abstention, test), strict=True):
            held_results[i] = result
    held_out = _by_set(cases, [held_results[i] for i in everyone], everyone)
    curve = trade_off(everyone_by_similarity, cases, chosen.name_similarity, chosen.abstention)
    return FoldReport(in_sample=in_sample, held_out=held_out, chosen=chosen, per_fold=per_fold, curve=curve)

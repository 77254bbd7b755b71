"""Answer or say "nothing relevant": evidence that the corpus answers a question, and the decision.

Four signals, all independent of the corpus size: the best cosine of a passage (lifted across
languages), the share of the question's content words found in one of the top passages, the share
of its content words that no passage uses in any form (stem, cognate, name form: "inflation",
"cryptomonnaies"), and whether the question names something that no passage mentions in any form,
nor meets through the model's similarity (`index/search/names.py`). A missing name is one piece of
evidence, not a veto: a translated name the tables miss beside strong passages is answered, under a
caveat naming it. The threshold, the weights and the name penalty are chosen by cross-validation over the
labelled question sets with an explicit cost (`index/eval/calibration.py`, `citebot cv`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signals:
    dense: float  # best lifted cosine of a passage (0 in lexical mode)
    coverage: float  # share of the question's content words found in one of the top passages
    # Names the question asks about that no passage mentions in any form and that meet no name phrase
    # of the corpus through the model.
    unknown_names: tuple[str, ...] = ()
    absent: float = 0.0  # share of the question's content words that no passage uses in any form

    def to_json(self) -> dict:
        return {
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 4),
            "absent": round(self.absent, 4),
            "unknown_names": list(self.unknown_names),
        }


@dataclass(frozen=True)
class Abstention:
    # Chosen by `citebot cv` on the tune split of bench/questions/kz.jsonl with dev.jsonl and dev_real.jsonl,
    # a declined answerable question costing twice an answered `none` one (README).
    threshold: float = 0.805
    coverage_weight: float = 0.05
    # Taken off the score when a name of the question is found nowhere: 1.0 or more is the old veto.
    name_penalty: float = 0.15
    absent_weight: float = 0.02
    # Lexical mode has no cosine; models other than the default have no calibration of their cosine scale,
    # and there a name found nowhere still declines (nothing measured says how strong a passage must be).
    min_coverage: float = 0.5

    def score(self, signals: Signals) -> float:
        penalty = self.name_penalty if signals.unknown_names else 0.0
        return signals.dense + self.coverage_weight * signals.coverage - penalty - self.absent_weight * signals.absent

    def answered(self, signals: Signals, calibrated: bool) -> bool:
        if not calibrated:
            return not signals.unknown_names and signals.coverage >= self.min_coverage
        return self.score(signals) >= self.threshold

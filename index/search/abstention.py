"""Answer or say "nothing relevant": evidence that the corpus answers a question, and the decision.

Two signals, both independent of the corpus size: the best cosine of a passage (lifted across
languages) and the share of the question's content words found in one of the top passages. A
question about a name (country, organisation, person) that no passage mentions in any language
form is not answered whatever they say: its other words are often the corpus's own.
The threshold and the coverage weight are chosen by cross-validation over both shared question
sets (`citebot cv`), not fitted to one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signals:
    dense: float  # best lifted cosine of a passage (0 in lexical mode)
    coverage: float  # share of the question's content words found in one of the top passages
    unknown_names: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 4),
            "unknown_names": list(self.unknown_names),
        }


@dataclass(frozen=True)
class Abstention:
    threshold: float = 0.85
    coverage_weight: float = 0.1
    # Lexical mode has no cosine; models other than the default have no calibration of their cosine scale.
    min_coverage: float = 0.5

    def score(self, signals: Signals) -> float:
        return signals.dense + self.coverage_weight * signals.coverage

    def answered(self, signals: Signals, calibrated: bool) -> bool:
        if signals.unknown_names:
            return False
        if not calibrated:
            return signals.coverage >= self.min_coverage
        return self.score(signals) >= self.threshold

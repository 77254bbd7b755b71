"""Passage-level retrieval metrics over a labelled JSONL question set."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from index.models import Hit
from index.search.searcher import Mode, Searcher

CUTOFF = 10


class EvalFileError(Exception):
    """The question set cannot be read; the message names the line."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    kind: str
    expected: tuple[str, ...]
    doc: str | None
    # "tune" or "heldout" (bench/questions/PROTOCOL.md); None: the question belongs to every split.
    split: str | None = None


@dataclass
class ItemResult:
    item: EvalItem
    rank: int | None
    answered: bool
    first_source: str | None

    def to_json(self) -> dict:
        return {
            "id": self.item.id,
            "kind": self.item.kind,
            "rank": self.rank,
            "answered": self.answered,
            "first_source": self.first_source,
        }


SPLITS = ("tune", "heldout")


def read_items(path: Path, split: str | None = None) -> list[EvalItem]:
    """The questions of a JSONL set; with `split`, only those of that split (and those that name none)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvalFileError(f"cannot read {path}: {error}") from None
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                EvalItem(
                    id=str(row.get("id", number)),
                    question=str(row["q"]),
                    kind=str(row.get("kind", "same")),
                    expected=tuple(str(s) for s in row.get("any", [])),
                    doc=row.get("doc"),
                    split=row.get("split"),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise EvalFileError(f"{path}:{number}: not a question item ({error})") from None
    if split is not None:
        if split not in SPLITS:
            raise EvalFileError(f"unknown split {split!r}; use {' or '.join(SPLITS)}")
        items = [item for item in items if item.split in (None, split)]
    if not items:
        raise EvalFileError(f"{path} holds no questions" + (f" of split {split!r}" if split else ""))
    return items


def first_matching_rank(hits: list[Hit], item: EvalItem) -> int | None:
    """The rank of the first passage holding one of the item's answer strings."""
    wanted = [s.lower() for s in item.expected]
    return next((hit.rank for hit in hits if any(s in hit.text.lower() for s in wanted)), None)


def evaluate_item(searcher: Searcher, item: EvalItem, mode: Mode) -> ItemResult:
    # Ranks are judged on what retrieval found, even where abstention would hide it.
    result = searcher.search(item.question, k=CUTOFF, mode=mode, abstain=False)
    hits = result.hits
    return ItemResult(item, first_matching_rank(hits, item), result.answered, hits[0].source if hits else None)


def summarise(results: list[ItemResult]) -> dict:
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        if result.item.kind != "none":
            groups["all"].append(result)
        groups[result.item.kind].append(result)
    table: dict[str, dict] = {}
    for kind, members in groups.items():
        if kind == "none":
            table[kind] = {
                "n": len(members),
                "unanswered": sum(not r.answered for r in members),
                "unanswered_share": round(sum(not r.answered for r in members) / len(members), 3),
            }
            continue
        table[kind] = {
            "n": len(members),
            "mrr@10": round(sum(1 / r.rank for r in members if r.rank) / len(members), 3),
            **{
                f"recall@{k}": round(sum(1 for r in members if r.rank and r.rank <= k) / len(members), 3)
                for k in (1, 3, 5)
            },
            "answered": sum(r.answered for r in members),
        }
    return table


def run_eval(searcher: Searcher, items: list[EvalItem], mode: Mode) -> tuple[dict, list[ItemResult]]:
    results = [evaluate_item(searcher, item, mode) for item in items]
    return summarise(results), results

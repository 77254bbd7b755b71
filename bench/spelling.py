"""Calibrate the margin at which English and French write a word alike (index/text/spelling.py).

    python bench/spelling.py          # the table, and the margin of least cost

CLDR's country names in English and French are the labelled set: a capitalised word of one
language's name is written alike when the other language's name of the same country holds it
(Canada, Iran, "Bosnia", "Herzegovina") and translated otherwise (Germany/Allemagne, Kingdom/
Royaume, Islands/Îles). For each margin, wordfreq's frequency difference calls words alike or
translated; calling a translated word alike costs COST_TRANSLATED_AS_ALIKE (the search would then
no longer meet its translation through the model, and a question could be declined), the other
mistake 1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel import Locale

from index.text.spelling import LANGUAGES, key, zipf_table

MARGINS = tuple(round(0.2 + 0.1 * step, 1) for step in range(15))
COST_TRANSLATED_AS_ALIKE = 2


def labelled_words() -> list[tuple[str, bool]]:
    """(word, written alike in the other language's name of the same country) from CLDR."""
    names = {lang: Locale(lang).territories for lang in LANGUAGES}
    found = []
    for code, first in names[LANGUAGES[0]].items():
        second = names[LANGUAGES[1]].get(code)
        if not code.isalpha() or second is None:
            continue  # regions ("001") and territories one language lacks
        for own, other in ((first, second), (second, first)):
            others = {key(word) for word in re.findall(r"\w+", other)}
            capitalised = [word for word in re.findall(r"\w+", own) if len(word) >= 3 and word[0].isupper()]
            found += [(word, key(word) in others) for word in capitalised]
    return found


def calibrate() -> list[dict]:
    """Per margin: accuracy and both mistakes on CLDR's words, and the cost."""
    tables = [zipf_table(lang) for lang in LANGUAGES]
    words = labelled_words()
    # In centibels, as index/text/spelling.py compares them: whole numbers, so a margin is exact.
    gaps = [round(abs(tables[0].get(key(w), 0.0) - tables[1].get(key(w), 0.0)) * 100) for w, _ in words]
    rows = []
    for margin in MARGINS:
        apart = round(margin * 100)
        as_alike = sum(1 for (_, alike), gap in zip(words, gaps, strict=True) if gap < apart and not alike)
        as_translated = sum(1 for (_, alike), gap in zip(words, gaps, strict=True) if gap >= apart and alike)
        rows.append(
            {
                "margin": margin,
                "words": len(words),
                "accuracy": 1 - (as_alike + as_translated) / len(words),
                "translated_called_alike": as_alike,
                "alike_called_translated": as_translated,
                "cost": COST_TRANSLATED_AS_ALIKE * as_alike + as_translated,
            }
        )
    return rows


def least_cost(rows: list[dict]) -> float:
    return min(rows, key=lambda row: (row["cost"], row["margin"]))["margin"]


def main() -> None:
    rows = calibrate()
    print(f"{rows[0]['words']} capitalised words of CLDR country names ({', '.join(LANGUAGES)})")
    print("margin  accuracy  translated→alike  alike→translated  cost")
    for row in rows:
        print(
            f"{row['margin']:>6}  {row['accuracy']:8.3f}  {row['translated_called_alike']:16d}"
            f"  {row['alike_called_translated']:16d}  {row['cost']:4d}"
        )
    print(f"least cost: {least_cost(rows)}")


if __name__ == "__main__":
    main()

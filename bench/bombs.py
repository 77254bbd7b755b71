"""Each bomb of tests/bombs.py beside the seeds: how fast its reader refuses it, and the peak RSS of
`citebot build` on the folder, against the same build without it. Prints a Markdown table.

    python bench/bombs.py            # every bomb, one build each (about 15 s a build here)
    python bench/bombs.py deep.html  # some of them
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.ingest.readers import Unreadable, read_file  # noqa: E402
from tests.bombs import BOMBS  # noqa: E402
from tests.conftest import SEEDS  # noqa: E402
from tests.ingest.test_bombs import run_measured  # noqa: E402


def refusal_seconds(name: str, data: bytes) -> float:
    started = time.perf_counter()
    try:
        read_file(data, name)
    except Unreadable:
        return time.perf_counter() - started
    raise SystemExit(f"{name} was not refused")


def build(corpus: Path, index: Path) -> tuple[dict, float, float]:
    started = time.perf_counter()
    args = [sys.executable, "-m", "citebot.cli", "build", "--corpus", str(corpus), "--index", str(index), "--json"]
    code, out, err, peak = run_measured(args, cwd=ROOT)
    if code != 0:
        raise SystemExit(err)
    return json.loads(out), peak, time.perf_counter() - started


def main(names: list[str]) -> None:
    home = Path(tempfile.mkdtemp(prefix="bombs-"))
    corpus, index = home / "corpus", home / "index"
    shutil.copytree(SEEDS, corpus)
    try:
        _, cold, seconds = build(corpus, index)
        _, warm, warm_seconds = build(corpus, index)
        print(
            f"seeds alone: {cold:.0f} MB peak embedding ({seconds:.1f} s), {warm:.0f} MB vectors cached "
            f"({warm_seconds:.1f} s)\n"
        )
        print("| file | on disk | reader refuses it in | build peak RSS | reason in `skipped` |")
        print("| --- | ---: | ---: | ---: | --- |")
        for name in names:
            data = BOMBS[name][0]()
            refused = refusal_seconds(name, data)
            (corpus / name).write_bytes(data)
            report, peak, _ = build(corpus, index)
            (corpus / name).unlink()
            reason = next(item["reason"] for item in report["skipped"] if item["source"] == name)
            assert report["documents"] == len(list(SEEDS.glob("*.txt"))), report
            print(f"| {name} | {len(data) / 1000:,.0f} kB | {refused:.2f} s | {peak:.0f} MB | {reason} |", flush=True)
    finally:
        shutil.rmtree(home)


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(BOMBS))

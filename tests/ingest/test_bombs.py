"""Bombs refused with their reason and nothing kept: files small on disk that unpack to far more.

Each bomb (tests/bombs.py) is refused by its reader before the expensive work, quickly and in little
memory, and `citebot build` lists it in `skipped` with the limit and its measure while it indexes the
folder's other articles. Memory is the peak RSS of a process of its own (wait4's figure for that
child alone, started from a small launcher): reading any bomb stays under READ_PEAK_MB, where the
reader as it was took 674 MB for a Word part that lied about its size and 2 GB for the issue's Word
file; the build of a folder holding every bomb peaks no higher than the same build without them
plus BUILD_MARGIN_MB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from index.ingest.readers import TooLarge, Unreadable, read_file
from index.settings import ReadLimits
from tests.bombs import BOMBS, docx_article, docx_bomb, long_text, pdf_pages
from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[2]
# A fresh process that imports the readers and reads a normal article peaks near 100 MB.
READ_PEAK_MB = 200
BUILD_MARGIN_MB = 100
REFUSE_SECONDS = 10


# A child's peak RSS counts the pages of the process it was forked from, even after exec: the test
# process, big by then, starts this small launcher, and the launcher the measured command.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str, float]:
    """Run a command; its exit code, output, error output and its own peak RSS in MB."""
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        run = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(peak), *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        return run.returncode, run.stdout, run.stderr, int(peak.read_text()) / 1024


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_each_bomb_refused_quickly_with_its_reason(name: str):
    make, reason = BOMBS[name]
    data = make()
    assert len(data) < 2_000_000  # under MAX_FILE_BYTES: only what it unpacks to gives it away
    started = time.perf_counter()
    with pytest.raises(Unreadable) as refused:
        read_file(data, name)
    assert time.perf_counter() - started < REFUSE_SECONDS
    assert reason in str(refused.value)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_each_bomb_read_in_little_memory(name: str, tmp_path: Path):
    path = tmp_path / name
    path.write_bytes(BOMBS[name][0]())
    script = (
        "import sys\nfrom pathlib import Path\nfrom index.ingest.readers import Unreadable, read_file\n"
        "path = Path(sys.argv[1])\ntry:\n    read_file(path.read_bytes(), path.name)\nexcept Unreadable as e:\n"
        "    print(e)\n"
    )
    code, out, err, peak = run_measured([sys.executable, "-c", script, str(path)], cwd=ROOT)
    assert code == 0, err
    assert BOMBS[name][1] in out
    assert peak < READ_PEAK_MB, f"{name}: {peak:.0f} MB"


def test_limits_refuse_with_the_limit_and_the_measure():
    limits = ReadLimits(unpacked_bytes=5_000_000, pdf_pages=10, article_chars=1_000)
    with pytest.raises(TooLarge) as refused:
        read_file(docx_bomb(inflated=6_000_000), "a.docx", limits)
    assert refused.value.setting == "MAX_UNPACKED_BYTES" and refused.value.limit == 5_000_000
    assert refused.value.measured > 6_000_000
    with pytest.raises(TooLarge) as refused:
        read_file(pdf_pages(11), "a.pdf", limits)
    assert (refused.value.setting, refused.value.measured, refused.value.limit) == ("MAX_PDF_PAGES", 11, 10)
    assert str(refused.value) == "11 pages, over MAX_PDF_PAGES=10"
    assert read_file(pdf_pages(10), "a.pdf", limits).paragraphs
    with pytest.raises(TooLarge) as refused:
        read_file(long_text(1_100), "a.txt", limits)
    assert refused.value.setting == "MAX_ARTICLE_CHARS" and not refused.value.at_least
    assert read_file(long_text(900), "a.txt", limits).paragraphs


def test_a_real_long_article_passes_every_limit():
    # Twice a long feature: 40,000 words, as text and as a Word file; a report of MAX_PDF_PAGES pages.
    assert len(read_file(long_text(250_000), "long.txt").text) > 200_000
    word = docx_article(long_text(250_000).decode().split("\n\n"))
    assert len(read_file(word, "long.docx").text) > 200_000
    assert len(read_file(pdf_pages(300), "report.pdf").paragraphs) >= 300


def test_bad_limit_settings_are_one_line(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-m", "citebot.cli", "build", "--corpus", str(SEEDS), "--index", str(tmp_path / "i")],
        cwd=ROOT,
        env={**os.environ, "MAX_HTML_DEPTH": "1000", "MAX_PDF_PAGES": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "MAX_HTML_DEPTH" in run.stderr and "MAX_PDF_PAGES" in run.stderr


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, float]]:
    """`citebot build --json` of the seeds, then of the seeds with every bomb beside them, each with
    its peak RSS. The same index folder for both: the second reuses the first's vectors."""
    home = tmp_path_factory.mktemp("bombs")
    corpus = home / "corpus"
    shutil.copytree(SEEDS, corpus)
    results = {}
    for label in ("seeds", "with bombs"):
        if label == "with bombs":
            for name, (make, _) in BOMBS.items():
                (corpus / name).write_bytes(make())
        args = ["build", "--corpus", str(corpus), "--index", str(home / "index"), "--json"]
        code, out, err, peak = run_measured([sys.executable, "-m", "citebot.cli", *args], cwd=ROOT)
        assert code == 0, err
        results[label] = (json.loads(out), peak)
    return results


def test_build_skips_every_bomb_with_its_reason_and_indexes_the_rest(builds):
    report, _ = builds["with bombs"]
    reasons = {item["source"]: item["reason"] for item in report["skipped"]}
    assert set(reasons) == set(BOMBS)
    for name, (_, reason) in BOMBS.items():
        assert reason in reasons[name], reasons[name]
    assert report["documents"] == builds["seeds"][0]["documents"] == len(list(SEEDS.glob("*.txt")))
    assert report["chunks"] == builds["seeds"][0]["chunks"]


def test_build_with_bombs_in_no_more_memory_than_without(builds):
    _, normal = builds["seeds"]
    _, bombs = builds["with bombs"]
    assert bombs < normal + BUILD_MARGIN_MB, f"{bombs:.0f} MB with the bombs, {normal:.0f} MB without"

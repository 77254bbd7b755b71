"""Drive the `citebot` command as a user would, in its own process."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEV_SET, SEEDS, needs_dev_set


def citebot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "citebot.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with the seeds and no index, like a new clone."""
    folder = tmp_path_factory.mktemp("clone")
    shutil.copytree(SEEDS, folder / "seeds")
    return folder


def test_ask_builds_the_index_first_and_cites(workdir: Path):
    run = citebot("ask", "What did Kazakhstan say about Qatar?", "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "building it" in run.stderr
    answer = json.loads(run.stdout)
    assert answer["answered"] is True
    first = answer["hits"][0]
    assert (first["source"], first["date"]) == ("001_c0a4decbc27cb472.txt", "2026-03-02")
    assert set(first) >= {"rank", "score", "source", "title", "date", "url", "lang", "text", "highlight"}
    assert (workdir / "data" / "index" / "manifest.json").exists()


def test_ask_cross_language_and_off_topic(workdir: Path):
    run = citebot(
        "ask", "Does Kazakhstan back the UN-led political process on the Sahara?", "--json", "-k", "3", cwd=workdir
    )
    hits = json.loads(run.stdout)["hits"]
    assert hits[0]["source"] == "002_afc2c321953de182.txt" and hits[0]["lang"] == "fr"
    run = citebot("ask", "Who won the football match yesterday?", "--json", cwd=workdir)
    assert json.loads(run.stdout) == {
        "query": "Who won the football match yesterday?",
        "answered": False,
        "hits": [],
        "period": None,
        "unknown_names": [],
        "unmatched_names": [],
    }
    run = citebot("ask", "Who won the football match yesterday?", cwd=workdir)
    assert "Nothing in the indexed articles" in run.stdout
    run = citebot("ask", "What is Kazakhstan's position on Venezuela?", cwd=workdir)
    assert "No indexed article mentions Venezuela." in run.stdout
    # A French question is refused in French, as the bot does (English when lingua is unsure of the language).
    run = citebot("ask", "Qu'a dit le Kazakhstan au sujet du Venezuela ?", cwd=workdir)
    assert "Aucun article indexé ne mentionne Venezuela." in run.stdout
    run = citebot("ask", "Qui a gagné le match de football hier soir ?", cwd=workdir)
    assert "Rien dans les articles indexés ne répond à cette question." in run.stdout


def test_readable_answer_shows_citations(workdir: Path):
    run = citebot("ask", "Quand la résolution 2756 a-t-elle été adoptée ?", "-k", "2", cwd=workdir)
    assert run.returncode == 0
    assert "002_afc2c321953de182.txt · 2025-04-28" in run.stdout
    run = citebot("ask", "Taliban terrorist list", "-k", "1", cwd=workdir)
    assert "date unknown" in run.stdout


def test_sources_json(workdir: Path):
    run = citebot("sources", "--json", cwd=workdir)
    rows = json.loads(run.stdout)
    assert [r["source"] for r in rows] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert {r["date"] for r in rows} == {"2026-03-01", "2026-03-02", "2025-04-28", None}
    assert all(r["chunks"] > 0 and r["lang"] in ("fr", "en") for r in rows)


def test_build_reports_skipped_files(workdir: Path, tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    run = citebot("build", "--corpus", str(corpus), "--index", str(tmp_path / "idx"), cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "indexed 5 documents" in run.stdout and "skipped empty.txt: empty file" in run.stdout


@needs_dev_set
def test_eval_reports_metrics(workdir: Path):
    run = citebot("eval", str(DEV_SET), "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    summary = report["summary"]
    assert summary["all"]["mrr@10"] >= 0.90 and summary["all"]["recall@3"] >= 0.92
    assert summary["cross"]["mrr@10"] >= 0.83
    assert summary["none"]["unanswered"] == summary["none"]["n"]
    assert summary["all"]["n"] - summary["all"]["answered"] <= 1
    assert {"id", "rank", "answered"} <= set(report["items"][0])


def test_user_errors_are_one_line_without_traceback(workdir: Path, tmp_path: Path):
    cases = [
        (("ask", "Qatar", "--index", str(tmp_path / "broken")), {"EMBEDDING_MODEL": "/no/such/model"}),
        (("build", "--corpus", str(tmp_path / "none")), {}),
        (("ask", "Qatar", "--since", "not a date"), {}),
        (("eval", str(tmp_path / "missing.jsonl")), {}),
        (("sources",), {"INDEX_DIR": str(tmp_path / "nothing")}),
        (("build",), {"MAX_FILE_BYTES": "-4"}),
    ]
    for args, env in cases:
        run = citebot(*args, cwd=workdir, env=env)
        assert run.returncode != 0, args
        assert "Traceback" not in run.stderr, run.stderr
        assert run.stderr.startswith("error: ") and len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)


def test_since_until_take_only_real_iso_dates(workdir: Path):
    for bad in ("2026-13-01", "2026-02-30", "13/01/2026", "20260113"):
        run = citebot("ask", "Qatar", "--since", bad, cwd=workdir)
        assert run.returncode == 1 and "YYYY-MM-DD" in run.stderr and "Traceback" not in run.stderr, bad
    run = citebot("ask", "Kazakhstan Gulf", "--since", "2026-03-02", "--json", cwd=workdir)
    answer = json.loads(run.stdout)
    assert {h["date"] for h in answer["hits"]} <= {"2026-03-02", None}
    assert answer["period"] == {"since": "2026-03-02", "until": None, "filter": True}
    run = citebot("ask", "Kazakhstan Gulf", "--since", "2026-03-02", cwd=workdir)
    assert run.stdout.startswith("(articles dated 2026-03-02 to …, then undated ones)")


def test_a_period_the_question_names_is_shown_as_a_preference(workdir: Path):
    run = citebot("ask", "What did Kazakhstan say in March 2026?", cwd=workdir)
    assert run.stdout.startswith("(articles dated 2026-03-01 to 2026-03-31, the period the question names, preferred)")
    run = citebot("ask", "What did Kazakhstan say in March 2026?", "--json", cwd=workdir)
    assert json.loads(run.stdout)["period"] == {"since": "2026-03-01", "until": "2026-03-31", "filter": False}
    run = citebot("ask", "What did Kazakhstan say about Qatar?", "--json", cwd=workdir)
    assert json.loads(run.stdout)["period"] is None


QUESTIONS = [
    {"id": "a", "q": "What did Kazakhstan say about Qatar?", "doc": "001_c0a4decbc27cb472.txt", "any": ["Qatar"]},
    {"id": "b", "q": "Quand la résolution 2756 a-t-elle été adoptée ?", "any": ["31 octobre 2024"], "kind": "same"},
    {"id": "c", "q": "What did Kazakhstan decide about the Taliban?", "any": ["Talibans"], "kind": "cross"},
    {"id": "d", "q": "Quel était l'objectif initial de l'OCS ?", "any": ["visaient à l’origine"], "kind": "same"},
    {"id": "e", "q": "Comment faire une pâte à crêpes ?", "any": [], "kind": "none"},
    {"id": "f", "q": "Who is the current president of Brazil?", "any": [], "kind": "none"},
]


def test_eval_on_corpus_folders_with_ablation_modes(workdir: Path, tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS), encoding="utf-8")
    modes = ["--mode", "hybrid", "--mode", "hybrid-names", "--mode", "hybrid-dates", "--mode", "dense"]
    run = citebot("eval", str(questions), "--corpus", str(SEEDS), *modes, "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert set(report) == {"hybrid", "hybrid-names", "hybrid-dates", "dense"}
    assert report["hybrid"]["summary"]["all"]["recall@3"] == 1.0
    assert report["hybrid"]["summary"]["none"]["unanswered"] == 2
    run = citebot("eval", str(questions), "--mode", "hybrid-nothing", cwd=workdir)
    assert run.returncode == 1 and "unknown mode" in run.stderr


def test_cv_reports_held_out_beside_in_sample(workdir: Path, tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS), encoding="utf-8")
    run = citebot("cv", "--set", f"{questions}={SEEDS}", "--folds", "2", "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)["hybrid"]
    assert set(report["held_out"]["q.jsonl"]) >= {"all", "none"}
    assert report["in_sample"]["q.jsonl"]["all"]["n"] == report["held_out"]["q.jsonl"]["all"]["n"] == 4
    assert len(report["per_fold"]) == 2 and "dense_weight" in report["chosen"]
    run = citebot("cv", "--set", str(questions), cwd=workdir)
    assert run.returncode == 1 and "FILE=DIR" in run.stderr


def test_the_caveat_line_names_what_no_article_names_in_the_question_language():
    from citebot.cli import caveat_line

    english = caveat_line(("Youth Council",), "en")
    assert english == "No article names \u201cYouth Council\u201d as such; the closest passages:"
    assert caveat_line(["Conseil"], "fr") == (
        "Aucun article ne nomme \u00ab\u00a0Conseil\u00a0\u00bb tel quel ; voici les passages les plus proches :"
    )


def build_threads_priorities(env: dict[str, str], index_dir: Path) -> set[tuple[int, int]]:
    """(scheduling policy, nice) of every thread of `citebot build` while it embeds."""
    build = subprocess.Popen(
        [sys.executable, "-m", "citebot.cli", "build", "--progress-jsonl", "--corpus", str(SEEDS)],
        env={**os.environ, **env, "INDEX_DIR": str(index_dir), "PYTHONPATH": str(SEEDS.parent)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert build.stdout is not None
        for line in build.stdout:
            event = json.loads(line)
            if event["event"] == "progress" and event["embedded"] > 0:  # the engine's threads are running
                threads = [int(task.name) for task in Path(f"/proc/{build.pid}/task").iterdir()]
                return {(os.sched_getscheduler(t), os.getpriority(os.PRIO_PROCESS, t)) for t in threads}
        raise AssertionError("the build ended before embedding")
    finally:
        build.kill()
        build.wait()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="per-thread priorities are Linux's")
def test_a_build_lowers_every_thread_of_its_own(tmp_path: Path):
    """BUILD_IDLE (what /reindex sets): the build and all its threads (the BLAS pool that numpy starts at
    import, the engine's) only take idle cores; BUILD_NICE lowers all of them, not the main one alone."""
    assert {policy for policy, _ in build_threads_priorities({"BUILD_IDLE": "1"}, tmp_path / "a")} == {os.SCHED_IDLE}
    expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)
    niced = build_threads_priorities({"BUILD_IDLE": "0", "BUILD_NICE": "7"}, tmp_path / "b")
    assert niced == {(os.SCHED_OTHER, expected)}

"""The `citebot` command: build, ask, sources, eval, and serve (the Telegram bot)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import textwrap
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import Field, ValidationError

from bot.render import shown_date
from bot.texts import Lang, quoted, text
from index.build.embedders import Embedder, EmbedderError, create_embedder, model_id_for
from index.build.pipeline import BuildProgress, BuildReport, ProgressCallback, build_index
from index.eval.corpora import EvalCorpusError, corpus_index
from index.eval.metrics import SPLITS, EvalFileError, read_items, run_eval
from index.ingest.sidecar import CorpusError
from index.models import SearchResult
from index.search.searcher import MODES, SearchConfig, Searcher
from index.settings import CoreSettings, SettingsError, describe_validation_error, load_core_settings
from index.store.backend import open_index
from index.store.directory import BuildInProgress, IndexUnavailable, read_manifest
from index.text.dates import Precision, date_json
from index.text.language import detect_language_confident

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from a folder of news articles.")

_USER_ERRORS = (SettingsError, CorpusError, EmbedderError, IndexUnavailable, BuildInProgress, EvalFileError)

CorpusOption = Annotated[Path | None, typer.Option("--corpus", help="Articles folder (default: CORPUS_DIR).")]
IndexOption = Annotated[Path | None, typer.Option("--index", help="Index folder (default: INDEX_DIR).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
SplitOption = Annotated[
    str | None,
    typer.Option(
        "--split",
        help=f"Only the questions of this split ({' or '.join(SPLITS)}); a question without a split is in both.",
    ),
]


# The first line of an answer whose question names something no article names (en, fr): the passages
# shown are the closest, not a passage about it.
def caveat_line(names: tuple[str, ...] | list[str], lang: str) -> str:
    """'No article names "X" as such; the closest passages:' in the question's language (en or fr)."""
    shown: Lang = "fr" if lang == "fr" else "en"
    return text("unmatched", shown, names=quoted(names, shown))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _settings(corpus: Path | None = None, index: Path | None = None) -> CoreSettings:
    settings = load_core_settings()
    if corpus is not None:
        settings.corpus_dir = corpus
    if index is not None:
        settings.index_dir = index
    return settings


def _print_build(report: BuildReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"indexed {report.documents} documents, {report.chunks} chunks into {report.location or report.index_dir} "
        f"in {report.seconds:.1f} s ({report.embedded} texts embedded, {report.reused} reused)"
    )
    for skipped in report.skipped:
        typer.echo(f"skipped {skipped.source}: {skipped.reason}")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}")


def _run_build(settings: CoreSettings, progress: ProgressCallback | None = None) -> BuildReport:
    return _build_with(settings, create_embedder(settings.embedding_model), progress)


def _build_with(settings: CoreSettings, embedder: Embedder, progress: ProgressCallback | None = None) -> BuildReport:
    """A whole build in this process, into the backend the settings choose."""
    show_progress = progress is None and sys.stderr.isatty()
    if settings.index_backend == "milvus":
        from index.build.sharded import build_milvus
        from index.store.milvus import MilvusStore

        store = MilvusStore.from_settings(settings)
        return build_milvus(
            settings.corpus_dir,
            settings.index_dir,
            embedder,
            settings.max_file_bytes,
            store,
            show_progress,
            progress,
            settings.read_limits(),
        )
    return build_index(
        settings.corpus_dir,
        settings.index_dir,
        embedder,
        settings.max_file_bytes,
        show_progress=show_progress,
        progress=progress,
        limits=settings.read_limits(),
    )


def _parse_shard(value: str) -> tuple[int, int]:
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not found or int(found.group(2)) < 1:
        raise _fail(f"--shard {value!r}: write it as I/N, shard I of N workers, I from 0 to N-1 (e.g. 0/4)")
    shard, shards = int(found.group(1)), int(found.group(2))
    if shard >= shards:
        raise _fail(f"--shard {value}: with {shards} workers the shard number goes from 0 to {shards - 1}")
    return shard, shards


def _print_progress_line(event: BuildProgress) -> None:
    # One JSON object per line, flushed at once: the bot reads them as they come.
    print(json.dumps({"event": "progress", **event.to_json()}), flush=True)


def _ensure_index(settings: CoreSettings, embedder: Embedder) -> None:
    """Build the index when there is none yet, so a fresh clone answers after the install alone."""
    if settings.index_backend == "milvus":
        from index.store.milvus import MilvusStore

        store = MilvusStore.from_settings(settings)
        if store.live() is not None:
            return
        where = f"in Milvus at {store.address} under {store.prefix!r}"
    else:
        try:
            read_manifest(settings.index_dir.resolve())
            return
        except IndexUnavailable:
            if (settings.index_dir / "manifest.json").exists():
                raise
        where = f"at {settings.index_dir}"
    typer.echo(f"no index yet {where}; building it from {settings.corpus_dir} first", err=True)
    report = _build_with(settings, embedder)
    typer.echo(f"built {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s", err=True)


def _searcher(settings: CoreSettings, build_if_missing: bool = False) -> Searcher:
    embedder = create_embedder(settings.embedding_model)
    if build_if_missing:
        _ensure_index(settings, embedder)
    return Searcher(open_index(settings, model_id=embedder.model_id), embedder)


def _parse_day(value: str | None, option: str) -> date | None:
    """A real ISO day only: a lenient parser read 2026-13-01 as 13 January."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2025-04-28)") from None


def _corpus_index(settings: CoreSettings, corpora: list[Path], embedder: Embedder) -> Path:
    """An index of one or more corpus folders for `eval`, kept under data/eval-indexes between runs."""
    try:
        home = settings.index_dir.parent / "eval-indexes"
        index, report = corpus_index(corpora, home, embedder, settings.max_file_bytes)
    except EvalCorpusError as error:
        raise _fail(str(error)) from None
    resolved = sorted(str(c.resolve()) for c in corpora)
    typer.echo(
        f"indexed {report.documents} documents, {report.chunks} chunks from {', '.join(resolved)} "
        f"({report.embedded} passages embedded, {report.reused} reused)",
        err=True,
    )
    return index


def _checked_modes(modes: list[str] | None) -> list[str]:
    chosen = modes or ["hybrid"]
    bad = [m for m in chosen if m not in MODES]
    if bad:
        raise _fail(f"unknown mode {bad[0]!r}; use {', '.join(MODES)}")
    return chosen


def _corpus_searcher(settings: CoreSettings, corpora: list[Path], embedder: Embedder) -> Searcher:
    index = _corpus_index(settings, corpora, embedder)
    # With Milvus: the same corpus there too, under collections of its own, from the vector cache the
    # build above filled (nothing embedded twice), so both backends answer the same questions.
    folder = index.parent / "corpus" if len(corpora) > 1 else corpora[0]
    eval_settings = settings.model_copy(
        update={
            "corpus_dir": folder,
            "index_dir": index,
            "milvus_collection": f"{settings.milvus_collection}_eval_{index.parent.name}",
        }
    )
    if settings.index_backend == "milvus":
        _build_with(eval_settings, embedder)
    return Searcher(open_index(eval_settings, model_id=embedder.model_id), embedder)


def _shown_date(day: date | None, precision: Precision | None, lang: str) -> str:
    return shown_date(day, precision, "fr" if lang == "fr" else "en")


def _print_result(result: SearchResult) -> None:
    lang = detect_language_confident(result.query) or "en"
    shown: Lang = "fr" if lang == "fr" else "en"
    if not result.answered:
        if result.unknown_names:
            typer.echo(text("cli_nothing_named", shown, names=", ".join(result.unknown_names)))
            return
        typer.echo(text("cli_nothing", shown))
        return
    if result.unmatched_names:
        typer.echo(caveat_line(result.unmatched_names, lang) + "\n")
    if result.period:
        since, until = result.period
        span = " to ".join(str(day) if day else "…" for day in (since, until))
        if result.period_filtered:
            typer.echo(f"(articles dated {span}, then undated ones)\n")
        else:
            typer.echo(f"(articles dated {span}, the period the question names, preferred)\n")
    for hit in result.hits:
        citation = " · ".join(
            part for part in (hit.title, hit.source, _shown_date(hit.date, hit.date_precision, lang), hit.url) if part
        )
        typer.echo(f"[{hit.rank}] {citation}")
        if hit.highlight:
            typer.echo(textwrap.fill(hit.highlight, width=100, initial_indent="  » ", subsequent_indent="    "))
        typer.echo(
            textwrap.fill(hit.text.replace("\n\n", " "), width=100, initial_indent="    ", subsequent_indent="    ")
        )
        typer.echo()


def _threads() -> list[int]:
    # Linux sets a priority per thread: the ones already running too (numpy's BLAS pool starts at import).
    return [int(task.name) for task in Path("/proc/self/task").iterdir()]


def lower_priority(increment: int) -> None:
    """Nice every thread of this process by `increment`; the threads it starts later inherit it."""
    try:
        for thread in _threads():
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + increment)
    except OSError:  # no /proc: the calling thread, as POSIX means it
        os.nice(increment)


def lower_to_idle() -> None:
    """SCHED_IDLE for every thread of this process and the ones it starts later (the engine's OpenMP pool).

    A niced build still took the cores from the answers' OpenMP threads: each of their waits let the
    build in, and the answers then waited out its time slice. At SCHED_IDLE the build runs only while
    no other thread wants the core, and a waking answer thread preempts it at once.
    """
    try:
        for thread in _threads():
            os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux: the lowest nice level is the nearest thing
        lower_priority(19)


@app.command()
def build(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    as_json: JsonOption = False,
    progress_jsonl: Annotated[
        bool,
        typer.Option(
            "--progress-jsonl", help="Print one JSON line per progress event, then the report as one JSON line."
        ),
    ] = False,
    nice: Annotated[
        int,
        typer.Option(
            "--nice",
            envvar="BUILD_NICE",
            min=0,
            max=19,
            help="Lower the build's CPU priority by this much (0-19), so a bot serving beside it stays fast.",
        ),
    ] = 10,
    idle: Annotated[
        bool,
        typer.Option(
            "--idle/--no-idle",
            envvar="BUILD_IDLE",
            help="Run the build at Linux's SCHED_IDLE priority: only on cores nothing else wants (a bot beside it).",
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="I/N: embed only shard I (0 to N-1) of N workers into Milvus (INDEX_BACKEND=milvus); "
            "then `citebot publish`.",
        ),
    ] = None,
) -> None:
    """Index every article of the corpus folder (.txt, .md, .html, .pdf, .docx), reusing vectors already computed."""
    if idle:
        lower_to_idle()
    elif nice:
        lower_priority(nice)
    settings = _settings(corpus, index)
    if shard is not None:
        _build_shard(settings, *_parse_shard(shard), as_json=as_json, progress_jsonl=progress_jsonl)
        return
    if progress_jsonl:
        report = _run_build(settings, _print_progress_line)
        print(json.dumps({"event": "done", **report.to_json()}, ensure_ascii=False), flush=True)
        return
    _print_build(_run_build(settings), as_json)


def _build_shard(settings: CoreSettings, shard: int, shards: int, as_json: bool, progress_jsonl: bool) -> None:
    if settings.index_backend != "milvus":
        raise _fail(
            "--shard builds into Milvus: set INDEX_BACKEND=milvus and MILVUS_URI (a server, for several workers)"
        )
    from index.build.sharded import build_shard
    from index.store.milvus import MilvusStore

    embedder = create_embedder(settings.embedding_model)
    report = build_shard(
        settings.corpus_dir,
        settings.index_dir,
        embedder,
        settings.max_file_bytes,
        MilvusStore.from_settings(settings),
        shard,
        shards,
        show_progress=not progress_jsonl and sys.stderr.isatty(),
        progress=_print_progress_line if progress_jsonl else None,
        limits=settings.read_limits(),
    )
    if progress_jsonl:
        print(json.dumps({"event": "done", **report.to_json()}, ensure_ascii=False), flush=True)
    elif as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif report.already_built:
        typer.echo(f"shard {shard}/{shards} of build {report.build} was already built ({report.chunks} passages)")
    else:
        typer.echo(
            f"shard {shard}/{shards} of build {report.build}: {report.documents} documents, {report.chunks} passages "
            f"staged in {report.seconds:.1f} s ({report.embedded} texts embedded, {report.reused} reused); "
            f"`citebot publish` once every shard is built"
        )
        for skipped in report.skipped:
            typer.echo(f"skipped {skipped.source}: {skipped.reason}")


@app.command()
def publish(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    shards: Annotated[
        int | None,
        typer.Option("--shards", min=1, help="How many workers built the shards (found in Milvus when omitted)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Join the shards built by `citebot build --shard I/N` into one index and switch questions over to it.

    The name phrases are embedded here, through the vector cache beside the index folder."""
    settings = _settings(corpus, index)
    if settings.index_backend != "milvus":
        raise _fail("publish joins shards built into Milvus: set INDEX_BACKEND=milvus and MILVUS_URI")
    from index.build.sharded import publish_build
    from index.store.milvus import MilvusStore

    embedder = create_embedder(settings.embedding_model)
    store = MilvusStore.from_settings(settings)
    report = publish_build(
        settings.corpus_dir,
        settings.index_dir,
        embedder,
        settings.max_file_bytes,
        store,
        shards,
        limits=settings.read_limits(),
    )
    _print_build(report, as_json)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in French or English.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    since: Annotated[str | None, typer.Option(help="Only articles dated from this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles dated up to this day (YYYY-MM-DD).")] = None,
    index: IndexOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question with cited passages; builds the index first if there is none."""
    if mode not in MODES:
        raise _fail(f"--mode must be one of {', '.join(MODES)}")
    if not question.strip():
        raise _fail("the question is empty")
    start, end = _parse_day(since, "--since"), _parse_day(until, "--until")
    if start and end and start > end:
        raise _fail("--since is after --until")
    searcher = _searcher(_settings(index=index), build_if_missing=True)
    result = searcher.search(question, k=k, mode=mode, since=start, until=end)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_result(result)


@app.command()
def sources(index: IndexOption = None, as_json: JsonOption = False) -> None:
    """List the indexed articles with their title, date, language and chunk count."""
    settings = _settings(index=index)
    stored = open_index(settings, model_id=model_id_for(settings.embedding_model))
    counts: dict[str, int] = {}
    for chunk in stored.chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    rows = [
        {
            "source": d.source,
            "title": d.title,
            "date": date_json(d.date, d.date_precision),
            "date_precision": d.date_precision if d.date else None,
            "date_source": d.date_source if d.date else None,
            "shown_date": _shown_date(d.date, d.date_precision, d.lang),
            "lang": d.lang,
            "url": d.url,
            "chunks": counts.get(d.id, 0),
        }
        for d in stored.documents
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        where = f" ({row['date_source']})" if row["date_source"] else ""
        typer.echo(f"{row['source']}  {row['shown_date']}{where}  {row['lang']}  {row['chunks']} chunks")
        typer.echo(f"    {row['title']}" + (f"  <{row['url']}>" if row["url"] else ""))


@app.command(name="eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL questions: q, any, kind (same, cross, date, none).")],
    mode: Annotated[
        list[str] | None,
        typer.Option(help=f"Modes to compare (repeatable): {', '.join(MODES)} (hybrid-X: hybrid with step X off)."),
    ] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option("--corpus", help="Evaluate on an index of these folders (repeatable), built or reused first."),
    ] = None,
    index: IndexOption = None,
    split: SplitOption = None,
    as_json: JsonOption = False,
) -> None:
    """Passage-level MRR@10 and Recall@1/3/5 per kind, and abstention on `none` items."""
    modes = _checked_modes(mode)
    items = read_items(file, split)
    settings = _settings(index=index)
    if corpus:
        searcher = _corpus_searcher(settings, corpus, create_embedder(settings.embedding_model))
    else:
        searcher = _searcher(settings, build_if_missing=True)
    report = {}
    for name in modes:
        table, results = run_eval(searcher, items, name)  # type: ignore[arg-type]
        report[name] = {"summary": table, "items": [r.to_json() for r in results]}
    if as_json:
        typer.echo(json.dumps(report if len(modes) > 1 else report[modes[0]], ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'mode':8} {'kind':6} {'n':>3} {'MRR@10':>7} {'R@1':>6} {'R@3':>6} {'R@5':>6}  unanswered")
    for name in modes:
        for kind, row in report[name]["summary"].items():
            if kind == "none":
                typer.echo(
                    f"{name:8} {kind:6} {row['n']:>3} {'':>7} {'':>6} {'':>6} {'':>6}  {row['unanswered']}/{row['n']}"
                )
            else:
                typer.echo(
                    f"{name:8} {kind:6} {row['n']:>3} {row['mrr@10']:>7.3f} {row['recall@1']:>6.3f} "
                    f"{row['recall@3']:>6.3f} {row['recall@5']:>6.3f}  {row['n'] - row['answered']}/{row['n']}"
                )


def _summary_row(label: str, table: dict) -> str:
    rows = {kind: table.get(kind, {}) for kind in ("all", "cross", "same", "date", "none")}
    mrr = "  ".join(f"{kind} {rows[kind].get('mrr@10', 0):.3f}" for kind in ("all", "cross", "same", "date"))
    none = rows["none"]
    answerable = rows["all"]
    return (
        f"  {label:9} MRR@10 {mrr}  R@1 {answerable.get('recall@1', 0):.3f}  R@3 {answerable.get('recall@3', 0):.3f}"
        f"  none unanswered {none.get('unanswered', 0)}/{none.get('n', 0)}"
        f"  answerable unanswered {answerable.get('n', 0) - answerable.get('answered', 0)}/{answerable.get('n', 0)}"
    )


@app.command(name="cv")
def cross_validation(
    sets: Annotated[
        list[str],
        typer.Option("--set", help="FILE=DIR[,DIR...]: a question set and the corpus folders it is asked of."),
    ],
    mode: Annotated[list[str] | None, typer.Option(help="Modes (repeatable), as for eval.")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Number of folds.")] = 5,
    tune: Annotated[bool, typer.Option(help="Choose the constants per fold (--no-tune scores the defaults).")] = True,
    floor: Annotated[
        str | None,
        typer.Option(help="Only choose constants that do at least as well as this mode on every kind (e.g. dense)."),
    ] = None,
    split: SplitOption = None,
    as_json: JsonOption = False,
) -> None:
    """Choose the search constants by k-fold cross-validation over several question sets.

    Prints, per set and mode, the held-out-fold figures (constants chosen on the other folds) beside
    the in-sample ones (chosen and scored on every question), and the constants chosen on all.
    """
    from index.eval.calibration import cross_validate, prepare_cases

    # Every argument checked before any index is built.
    modes = _checked_modes(mode)
    if floor is not None and floor not in MODES:
        raise _fail(f"unknown floor mode {floor!r}; use {', '.join(MODES)}")
    specs = []
    for spec in sets:
        file, _, folders = spec.partition("=")
        if not folders:
            raise _fail(f"--set {spec!r}: write it as FILE=DIR[,DIR...]")
        specs.append((Path(file), [Path(f) for f in folders.split(",")], read_items(Path(file), split)))
    settings = _settings()
    embedder = create_embedder(settings.embedding_model)
    loaded = [(file.name, _corpus_searcher(settings, folders, embedder), items) for file, folders, items in specs]
    report = {}
    for name in modes:
        floor_cases = prepare_cases(loaded, floor) if floor else None
        result = cross_validate(prepare_cases(loaded, name), SearchConfig(), folds, tune, floor_cases)
        report[name] = {
            "in_sample": result.in_sample,
            "held_out": result.held_out,
            "chosen": asdict(result.chosen),
            "per_fold": [asdict(c) for c in result.per_fold],
            "curve": result.curve,
        }
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for name, found in report.items():
        typer.echo(f"{name}: chosen on all questions {found['chosen']}")
        for set_name in found["in_sample"]:
            typer.echo(f" {set_name}")
            typer.echo(_summary_row("in-sample", found["in_sample"][set_name]))
            typer.echo(_summary_row("held-out", found["held_out"][set_name]))


feedback_app = typer.Typer(no_args_is_help=True, help="The votes users gave the bot's answers.")
app.add_typer(feedback_app, name="feedback")


class _StateSettings(CoreSettings):
    """STATE_DB and STATE_URL as the bot reads them, without needing the bot's token."""

    state_db: Path | None = Field(None, validation_alias="STATE_DB")
    state_url: str | None = Field(None, validation_alias="STATE_URL")


def _state_location(given_db: Path | None, given_url: str | None) -> Path | str:
    """The state the options name, else STATE_URL, else STATE_DB, else the file beside the index."""
    from bot.settings import default_state_path
    from bot.statedb import is_url

    if given_db is not None and given_url is not None:
        raise _fail("give --state-db or --state-url, not both")
    url, db = given_url, given_db
    if url is None and db is None:
        try:
            settings = _StateSettings()
        except ValidationError as error:
            raise SettingsError(describe_validation_error(error)) from None
        if settings.state_url and settings.state_db:
            raise _fail("set STATE_URL (PostgreSQL) or STATE_DB (an SQLite file), not both")
        url, db = settings.state_url, settings.state_db or default_state_path(settings.index_dir)
    if url is not None and not is_url(url):
        raise _fail("the state URL must be a PostgreSQL URL such as postgresql://user:password@host:5432/db")
    return url if url is not None else db  # type: ignore[return-value]


def _write_jsonl(rows: list[dict], out: Path | None) -> None:
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if out is None:
        typer.echo(lines, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(lines, encoding="utf-8")
    except OSError as error:
        raise _fail(f"cannot write {out}: {error}") from None


@feedback_app.command("export")
def feedback_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Eval JSONL file to write (default: standard output).")
    ] = None,
    state_db: Annotated[
        Path | None, typer.Option("--state-db", help="The bot's state file (default: STATE_DB).")
    ] = None,
    state_url: Annotated[
        str | None,
        typer.Option("--state-url", help="The bot's PostgreSQL state, postgresql://... (default: STATE_URL)."),
    ] = None,
    downvoted: Annotated[
        Path | None, typer.Option("--downvoted", help="Also write the questions with only 👎 votes here.")
    ] = None,
) -> None:
    """Write the bot's votes as eval questions (q, lang, doc, any, kind) that `citebot eval` reads.

    A question with a 👍 becomes an item: its doc is the file of the top-ranked passage shown with
    the 👍, `any` a piece of that passage's best sentence, its kind `same` or `cross` from the
    question's language and that article's. Questions with only 👎 have no right passage to name:
    they are counted, and listed with --downvoted.
    """
    from bot.feedback import export_votes
    from bot.state import read_votes
    from bot.statedb import StateUnavailable

    try:
        votes = read_votes(_state_location(state_db, state_url))
    except StateUnavailable as error:
        raise _fail(str(error)) from None
    export = export_votes(votes)
    _write_jsonl(export.items, out)
    if downvoted is not None:
        _write_jsonl(export.downvoted, downvoted)
    where = f" to {out}" if out else ""
    listed = f" (listed in {downvoted})" if downvoted else " (--downvoted FILE lists them)"
    typer.echo(
        f"{len(export.items)} questions written{where} from {export.up} 👍 and {export.down} 👎 votes; "
        f"{len(export.downvoted)} questions with only 👎 left out{listed}",
        err=True,
    )


@app.command()
def serve(
    webhook: Annotated[
        bool, typer.Option("--webhook", help="Receive updates on a webhook server (WEBHOOK_* settings).")
    ] = False,
) -> None:
    """Run the Telegram bot: long polling by default (builds the index first if there is none)."""
    from telegram.error import InvalidToken, NetworkError

    from bot.app import configure_logging, run
    from bot.service import RetrievalService
    from bot.settings import load_bot_settings
    from bot.startup import StartupError, check_bot_api, check_state
    from bot.statedb import StateUnavailable

    settings = load_bot_settings()
    if webhook and settings.webhook_url is None:
        raise _fail("--webhook needs WEBHOOK_URL, the public https:// address Telegram will post updates to")
    token = settings.token.get_secret_value()
    configure_logging(token)
    try:
        # Before the model and the index load: a wrong URL or token is said in a second, not after them.
        check_bot_api(settings)
        check_state(settings)
    except StartupError as error:
        raise _fail(str(error)) from None
    embedder = create_embedder(settings.embedding_model)
    _ensure_index(settings, embedder)
    service = RetrievalService(settings, embedder)
    service.load()
    try:
        run(settings, service, webhook)
    except InvalidToken:
        raise _fail("the Bot API rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
    except StateUnavailable as error:  # gone between the check and the start
        raise _fail(str(error)) from None
    except NetworkError as error:
        reason = str(error).replace(token, "<token>")
        raise _fail(f"cannot reach the Bot API at {settings.api_url}: {reason}") from None


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except _USER_ERRORS as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted; the previous index is unchanged", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

"""The `citebot` command: build, ask, sources, eval, and serve (the Telegram bot)."""

from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from index.build import BuildProgress, BuildReport, ProgressCallback, build_index
from index.corpus import CorpusError
from index.dates import parse_full_date
from index.embedders import Embedder, EmbedderError, create_embedder, model_id_for
from index.evaluation import EvalFileError, read_items, run_eval
from index.models import SearchResult
from index.search import MODES, Searcher
from index.settings import CoreSettings, SettingsError, load_core_settings
from index.store import BuildInProgress, IndexUnavailable, load_index, read_manifest

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from a folder of news articles.")

_USER_ERRORS = (SettingsError, CorpusError, EmbedderError, IndexUnavailable, BuildInProgress, EvalFileError)

CorpusOption = Annotated[Path | None, typer.Option("--corpus", help="Articles folder (default: CORPUS_DIR).")]
IndexOption = Annotated[Path | None, typer.Option("--index", help="Index folder (default: INDEX_DIR).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


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
        f"indexed {report.documents} documents, {report.chunks} chunks into {report.index_dir} "
        f"in {report.seconds:.1f} s ({report.embedded} texts embedded, {report.reused} reused)"
    )
    for skipped in report.skipped:
        typer.echo(f"skipped {skipped.source}: {skipped.reason}")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}")


def _run_build(settings: CoreSettings, progress: ProgressCallback | None = None) -> BuildReport:
    embedder = create_embedder(settings.embedding_model)
    return build_index(
        settings.corpus_dir,
        settings.index_dir,
        embedder,
        settings.max_file_bytes,
        show_progress=progress is None and sys.stderr.isatty(),
        progress=progress,
    )


def _print_progress_line(event: BuildProgress) -> None:
    # One JSON object per line, flushed at once: the bot reads them as they come.
    print(json.dumps({"event": "progress", **event.to_json()}), flush=True)


def _ensure_index(settings: CoreSettings, embedder: Embedder) -> None:
    """Build the index when there is none yet, so a fresh clone answers after the install alone."""
    try:
        read_manifest(settings.index_dir.resolve())
    except IndexUnavailable:
        if (settings.index_dir / "manifest.json").exists():
            raise
        typer.echo(f"no index yet at {settings.index_dir}; building it from {settings.corpus_dir} first", err=True)
        report = build_index(settings.corpus_dir, settings.index_dir, embedder, settings.max_file_bytes)
        typer.echo(f"built {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s", err=True)


def _searcher(settings: CoreSettings, build_if_missing: bool = False) -> Searcher:
    embedder = create_embedder(settings.embedding_model)
    if build_if_missing:
        _ensure_index(settings, embedder)
    return Searcher(load_index(settings.index_dir, model_id=embedder.model_id), embedder)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    parsed = parse_full_date(value)
    if parsed is None:
        raise _fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD")
    return parsed


def _print_result(result: SearchResult) -> None:
    if not result.answered:
        typer.echo("Nothing in the indexed articles answers this question. See `citebot sources` for what they cover.")
        return
    if result.period:
        since, until = result.period
        typer.echo(
            f"(articles dated {since if since != date.min else '…'} to {until if until != date.max else '…'},"
            " then undated ones)\n"
        )
    for hit in result.hits:
        citation = " · ".join(
            part
            for part in (hit.title, hit.source, hit.date.isoformat() if hit.date else "date unknown", hit.url)
            if part
        )
        typer.echo(f"[{hit.rank}] {citation}")
        if hit.highlight:
            typer.echo(textwrap.fill(hit.highlight, width=100, initial_indent="  » ", subsequent_indent="    "))
        typer.echo(
            textwrap.fill(hit.text.replace("\n\n", " "), width=100, initial_indent="    ", subsequent_indent="    ")
        )
        typer.echo()


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
) -> None:
    """Index every .txt and .md article of the corpus folder (reusing vectors of unchanged files)."""
    if nice:
        os.nice(nice)
    settings = _settings(corpus, index)
    if progress_jsonl:
        report = _run_build(settings, _print_progress_line)
        print(json.dumps({"event": "done", **report.to_json()}, ensure_ascii=False), flush=True)
        return
    _print_build(_run_build(settings), as_json)


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
    stored = load_index(settings.index_dir, model_id=model_id_for(settings.embedding_model))
    counts: dict[str, int] = {}
    for chunk in stored.chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    rows = [
        {
            "source": d.source,
            "title": d.title,
            "date": d.date.isoformat() if d.date else None,
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
        typer.echo(f"{row['source']}  {row['date'] or 'date unknown'}  {row['lang']}  {row['chunks']} chunks")
        typer.echo(f"    {row['title']}" + (f"  <{row['url']}>" if row["url"] else ""))


@app.command(name="eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL questions: q, any, kind (same, cross, date, none).")],
    mode: Annotated[
        list[str] | None, typer.Option(help="Modes to compare (repeatable): hybrid, dense, lexical.")
    ] = None,
    index: IndexOption = None,
    as_json: JsonOption = False,
) -> None:
    """Passage-level MRR@10 and Recall@1/3/5 per kind, and abstention on `none` items."""
    modes = mode or ["hybrid"]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise _fail(f"unknown mode {bad[0]!r}; use {', '.join(MODES)}")
    items = read_items(file)
    searcher = _searcher(_settings(index=index), build_if_missing=True)
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

    settings = load_bot_settings()
    if webhook and settings.webhook_url is None:
        raise _fail("--webhook needs WEBHOOK_URL, the public https:// address Telegram will post updates to")
    token = settings.token.get_secret_value()
    configure_logging(token)
    embedder = create_embedder(settings.embedding_model)
    _ensure_index(settings, embedder)
    service = RetrievalService(settings, embedder)
    service.load()
    try:
        run(settings, service, webhook)
    except InvalidToken:
        raise _fail("the Bot API rejected TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
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

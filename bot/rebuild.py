"""Rebuilds in their own process: `citebot build --progress-jsonl` at a lower CPU priority.

The build has its own model instance and its own cores' share, so the bot keeps answering from the
live index; the new one is loaded in a worker thread once the build has published it, then swapped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import BotSettings
from index.build.pipeline import BuildProgress
from index.store.directory import BuildInProgress, build_lock

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# Seconds a terminated build gets to exit before it is killed.
TERMINATE_GRACE = 5.0


@dataclass
class BuildOutcome:
    """How a build process ended: its final report, or why there is none."""

    report: dict | None = None
    cancelled: bool = False
    returncode: int | None = None
    last_error: str = ""


@dataclass
class RebuildJob:
    """One running `citebot build` process, as the admin commands see it."""

    process: asyncio.subprocess.Process
    started: float = field(default_factory=time.monotonic)
    last: BuildProgress | None = None
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True
        if self.process.returncode is None:
            self.process.terminate()


def lock_is_free(index_dir: Path) -> bool:
    """False while another process (`citebot build` beside the bot) holds the index's build lock."""
    try:
        with build_lock(index_dir):
            return True
    except BuildInProgress:
        return False


def build_environment(settings: BotSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CORPUS_DIR": str(settings.corpus_dir),
            "INDEX_DIR": str(settings.index_dir),
            "EMBEDDING_MODEL": settings.embedding_model,
            "MAX_FILE_BYTES": str(settings.max_file_bytes),
            "MAX_UNPACKED_BYTES": str(settings.max_unpacked_bytes),
            "MAX_UNPACKED_RATIO": str(settings.max_unpacked_ratio),
            "MAX_PDF_PAGES": str(settings.max_pdf_pages),
            "MAX_ARTICLE_CHARS": str(settings.max_article_chars),
            "MAX_HTML_DEPTH": str(settings.max_html_depth),
            "BUILD_NICE": str(settings.build_nice),
            "BUILD_IDLE": "1" if settings.build_idle else "0",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        }
    )
    # The build goes where this bot reads: the same backend, Milvus and collections.
    env.update({"INDEX_BACKEND": settings.index_backend, "MILVUS_COLLECTION": settings.milvus_collection})
    if settings.milvus_uri:
        env["MILVUS_URI"] = settings.milvus_uri
    if settings.milvus_token:
        env["MILVUS_TOKEN"] = settings.milvus_token.get_secret_value()
    if settings.build_threads:
        # The engine's OpenMP threads spin while they wait; fewer of them leave the bot its cores.
        env["OMP_NUM_THREADS"] = str(settings.build_threads)
    return env


async def start_build(settings: BotSettings) -> RebuildJob:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "citebot.cli",
        "build",
        "--progress-jsonl",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=build_environment(settings),
    )
    return RebuildJob(process)


def _progress(line: dict) -> BuildProgress | None:
    try:
        return BuildProgress(**{k: v for k, v in line.items() if k != "event"})
    except TypeError:
        return None


async def follow(job: RebuildJob, on_progress: Callable[[BuildProgress], Awaitable[None]]) -> BuildOutcome:
    """Read the build's progress lines as they come until it exits; never raises for a failed build."""
    outcome = BuildOutcome()
    errors: list[str] = []

    async def read_stderr() -> None:
        assert job.process.stderr is not None
        async for raw in job.process.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                errors.append(line)
                del errors[:-20]

    stderr_task = asyncio.create_task(read_stderr())
    assert job.process.stdout is not None
    async for raw in job.process.stdout:
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a stray print from a library; the protocol lines are JSON
        if not isinstance(line, dict):
            continue
        if line.get("event") == "done":
            outcome.report = line
        elif line.get("event") == "progress" and (progress := _progress(line)) is not None:
            job.last = progress
            await on_progress(progress)
    outcome.returncode = await job.process.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await stderr_task
    outcome.cancelled = job.cancelled
    outcome.last_error = _last_error(errors, outcome.returncode)
    if outcome.returncode != 0:
        outcome.report = None
    return outcome


def _last_error(lines: list[str], returncode: int) -> str:
    errors = [line for line in lines if line.startswith("error: ")]
    if errors:
        return errors[-1].removeprefix("error: ")
    if lines:
        return lines[-1]
    if returncode < 0:
        return f"the build process was killed by signal {-returncode}"
    return f"the build process exited with code {returncode}"


async def stop(job: RebuildJob) -> None:
    """Terminate the build, and kill it if it does not exit in time (bot shutdown)."""
    job.cancel()
    try:
        await asyncio.wait_for(job.process.wait(), TERMINATE_GRACE)
    except TimeoutError:
        job.process.kill()
        await job.process.wait()

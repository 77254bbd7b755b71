#!/usr/bin/env python3
"""Runs the Dockerfile's steps where no container engine runs: a venv stands in for the image.

    python3.11 .ci/docker_steps.py --root DIR [--build-arg NAME=VALUE ...]

The Dockerfile is read, not copied: its WORKDIR, ENV, ARG, COPY and RUN instructions are carried
out in order, COPY from the checkout (less what .dockerignore leaves out) into DIR/fs, RUN with
`sh -c` in the working folder mapped under DIR/fs, with DIR/python (a `python3.11 -m venv`, its pip
not upgraded) first on PATH in place of the image's Python. So a RUN step changed in the Dockerfile
is a step changed here. What cannot be reproduced (the base image, EXPOSE, CMD) is printed and
skipped; an instruction this script does not know stops it, rather than being skipped unseen.
RUN steps must use paths relative to WORKDIR: an absolute path would point outside DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

CONTEXT = Path(__file__).resolve().parent.parent
SKIPPED = {"EXPOSE", "CMD", "ENTRYPOINT", "LABEL", "HEALTHCHECK", "STOPSIGNAL"}
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
# The image's environment is its own: nothing from this shell may leak into the stand-in's Python.
LEAKS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHON")


class StepError(Exception):
    pass


def instructions(dockerfile: Path) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    steps: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(dockerfile.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = pending + line
        pending = ""
        keyword, _, rest = text.partition(" ")
        steps.append((start, keyword.upper(), rest.strip()))
    return steps


def ignore_patterns(context: Path) -> list[re.Pattern[str]]:
    """.dockerignore's patterns, matched against paths from the context's root as Docker does."""
    path = context / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [pattern_regex(line.strip("/")) for line in lines if line and not line.startswith(("#", "!"))]


def pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts) + r"\Z")


def ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.match(relative) for pattern in patterns)


def substitute(text: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)


def assignments(text: str) -> dict[str, str]:
    """NAME=VALUE pairs of ENV and ARG, quotes handled as a shell would."""
    pairs = {}
    for word in shlex.split(text):
        name, equals, value = word.partition("=")
        pairs[name] = value if equals else ""
    return pairs


class StandIn:
    def __init__(self, root: Path, build_args: dict[str, str], python: str) -> None:
        self.root = root
        self.fs = root / "fs"
        self.venv = root / "python"
        self.build_args = build_args
        self.python = python
        self.args: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.workdir = PurePosixPath("/")
        self.patterns = ignore_patterns(CONTEXT)

    def host(self, path: PurePosixPath) -> Path:
        return self.fs / path.relative_to("/")

    def values(self) -> dict[str, str]:
        return {**self.args, **self.env}

    def run_step(self, keyword: str, rest: str) -> None:
        if keyword == "ARG":
            for name, default in assignments(rest).items():
                self.args[name] = self.build_args.get(name, default)
        elif keyword == "FROM":
            image = substitute(rest, self.args)
            print(f"    stand-in for {image}: {self.python} -m venv {self.venv}", flush=True)
            subprocess.run([self.python, "-m", "venv", str(self.venv)], check=True)
            # ARGs declared before FROM are for FROM only, as in Docker.
            self.args = {}
        elif keyword == "WORKDIR":
            self.workdir = self.workdir / substitute(rest, self.values())
            self.host(self.workdir).mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            self.env.update({k: substitute(v, self.values()) for k, v in assignments(rest).items()})
        elif keyword == "COPY":
            self.copy(substitute(rest, self.values()).split())
        elif keyword == "RUN":
            self.run(rest)
        elif keyword in SKIPPED:
            print(f"    skipped: no container here ({keyword} {rest})", flush=True)
        else:
            raise StepError(f"{keyword} is not carried out by this stand-in: teach .ci/docker_steps.py first")

    def copy(self, words: list[str]) -> None:
        if any(word.startswith("--") for word in words):
            raise StepError(f"COPY options are not carried out by this stand-in: {' '.join(words)}")
        *sources, target = words
        destination = self.host(self.workdir / target)
        for source in sources:
            origin = CONTEXT / source
            if not origin.exists():
                raise StepError(f"COPY {source}: no such file in the build context")
            if origin.is_dir():
                shutil.copytree(origin, destination, dirs_exist_ok=True, ignore=self.copy_filter(origin))
            else:
                into = destination / origin.name if target.endswith("/") or len(sources) > 1 else destination
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into)

    def copy_filter(self, origin: Path) -> Callable[[str, list[str]], set[str]]:
        def ignore(folder: str, names: list[str]) -> set[str]:
            base = PurePosixPath(Path(folder).relative_to(CONTEXT).as_posix())
            return {name for name in names if ignored(str(base / name), self.patterns)}

        return ignore

    def run(self, command: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in LEAKS}
        env.update(self.args)
        env.update(self.env)
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        if command.startswith("["):
            raise StepError(f"RUN in exec form is not carried out by this stand-in: {command}")
        subprocess.run(["sh", "-c", command], cwd=self.host(self.workdir), env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="scratch folder for the stand-in (must not exist)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE", help="as docker build's")
    parser.add_argument("--python", default="python3.11", help="the interpreter standing in for the image's")
    parser.add_argument("--file", type=Path, default=CONTEXT / "Dockerfile")
    options = parser.parse_args()
    if options.root.exists():
        print(f"docker-steps: {options.root} exists; give a new folder", file=sys.stderr)
        return 2
    build_args = dict(arg.partition("=")[::2] for arg in options.build_arg)
    stand_in = StandIn(options.root.resolve(), build_args, options.python)
    started = time.monotonic()
    for line, keyword, rest in instructions(options.file):
        print(f"docker-steps: {options.file.name}:{line}: {keyword} {rest}", flush=True)
        step_started = time.monotonic()
        try:
            stand_in.run_step(keyword, rest)
        except StepError as error:
            print(f"docker-steps: {error}", file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as error:
            print(f"docker-steps: {options.file.name}:{line} failed with exit code {error.returncode}", file=sys.stderr)
            return 1
        if keyword in ("RUN", "FROM"):
            print(f"docker-steps: {keyword} took {time.monotonic() - step_started:.0f} s", flush=True)
    print(f"docker-steps: all steps done in {time.monotonic() - started:.0f} s; image at {options.root}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

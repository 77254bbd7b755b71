#!/usr/bin/env python3
"""Installs citebot the two ways a user gets it, each in a clean venv, and asks it a question.

    python3.11 .ci/install_checks.py [--keep]

1. The Dockerfile's steps (.ci/docker_steps.py): a `python3.11 -m venv` with the pip it ships
   (23.2 here, not upgraded) stands in for the image; requirements.lock, then a regular (not
   editable) install of the copied sources; `citebot build` in the image's /app. Then `citebot ask`
   there, as the container would, and from a folder with no sources at all.
2. The wheel: built from the files git tracks (a file left untracked is a file users won't get),
   checked to hold every tracked module, installed with requirements.lock into another clean venv,
   then `citebot build` and `citebot ask` from a folder outside the checkout.

Each ask must answer "What did Kazakhstan say about Qatar?" with the seed article on Qatar first.
TORCH_PIP_ARGS (default: none, pip's configuration finds the CPU wheel) is the Dockerfile's build-arg.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What did Kazakhstan say about Qatar?"
QATAR_ARTICLE = "001_c0a4decbc27cb472.txt"
PACKAGES = ("index", "bot", "citebot")
# Room the scratch folder needs, with a margin: two venvs, the image's /app, the wheel.
SCRATCH_BYTES = 8 * 2**30
# This shell's Python settings must not reach the venvs: PYTHONPATH pointing at the checkout
# would make a broken install look whole.
LEAKS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHON")


class CheckFailed(Exception):
    pass


def clean_env(venv: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEAKS}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, capture: bool = False) -> str:
    print(f"install-checks: $ {' '.join(command)}   (in {cwd})", flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        raise CheckFailed(f"`{' '.join(command)}` exited with {result.returncode}")
    return result.stdout if capture else ""


def check_answer(venv: Path, cwd: Path, index: Path) -> None:
    """The question is answered, from an installed citebot, with the Qatar article's passage first."""
    # -P: the folder it runs in is not put first on sys.path, as for the `citebot` command.
    where = run(
        [str(venv / "bin/python"), "-P", "-c", "import index, bot, citebot; print(index.__file__)"],
        cwd,
        clean_env(venv),
        capture=True,
    ).strip()
    if not where.startswith(str(venv)):
        raise CheckFailed(f"citebot was imported from {where}, not from the venv's site-packages")
    out = run(
        ["citebot", "ask", QUESTION, "-k", "1", "--json", "--index", str(index)], cwd, clean_env(venv), capture=True
    )
    answer = json.loads(out)
    hits = answer.get("hits") or []
    if not answer.get("answered") or not hits:
        raise CheckFailed(f"not answered from {cwd}: {out[:500]}")
    if hits[0]["source"] != QATAR_ARTICLE or "Qatar" not in hits[0]["text"]:
        raise CheckFailed(f"first hit is {hits[0]['source']}, not the Qatar article {QATAR_ARTICLE}")
    print(f"install-checks: answered from {cwd}: {hits[0]['source']}, score {hits[0]['score']}", flush=True)


def install_checks_docker(scratch: Path) -> None:
    image = scratch / "image"
    command = [sys.executable, str(ROOT / ".ci/docker_steps.py"), "--root", str(image)]
    command += ["--build-arg", f"TORCH_PIP_ARGS={os.environ.get('TORCH_PIP_ARGS', '')}"]
    run(command, ROOT)
    venv, app = image / "python", image / "fs/app"
    pip = run([str(venv / "bin/python"), "-m", "pip", "--version"], app, clean_env(venv), capture=True)
    print(f"install-checks: the stand-in image's pip: {pip.strip()}", flush=True)
    check_answer(venv, app, app / "data/index")
    outside = scratch / "outside-image"
    outside.mkdir()
    check_answer(venv, outside, app / "data/index")


def tracked_copy(destination: Path) -> list[str]:
    listing = run(["git", "ls-files", "-z"], ROOT, capture=True)
    files = [name for name in listing.split("\0") if name and (ROOT / name).is_file()]
    for name in files:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return files


def install_checks_wheel(scratch: Path, builder: Path) -> None:
    source, dist = scratch / "source", scratch / "dist"
    tracked = tracked_copy(source)
    builder_env = clean_env(builder)
    run([str(builder / "bin/python"), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), "."],
        source, builder_env)  # fmt: skip
    (wheel,) = dist.glob("citebot-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    modules = [name for name in tracked if name.endswith(".py") and name.split("/")[0] in PACKAGES]
    missing = [name for name in modules if name not in inside]
    if missing:
        raise CheckFailed(f"{wheel.name} lacks tracked modules: {', '.join(missing)}")
    print(f"install-checks: {wheel.name} holds all {len(modules)} tracked modules", flush=True)

    venv = scratch / "wheel-venv"
    run(["python3.11", "-m", "venv", str(venv)], scratch)
    install = [str(ROOT / "scripts/install.sh")]
    # No .pyc for every file of torch at install: the Dockerfile's steps above already install with them.
    env = clean_env(venv, PYTHON=str(venv / "bin/python"), PIP_NO_COMPILE="1")
    run(["sh", *install, "deps", str(ROOT / "requirements.lock"), *os.environ.get("TORCH_PIP_ARGS", "").split()],
        scratch, env)  # fmt: skip
    run(["sh", *install, "project", str(wheel)], scratch, env)
    outside = scratch / "outside-wheel"
    shutil.copytree(ROOT / "seeds", outside / "articles")
    build = ["citebot", "build", "--corpus", "articles", "--index", "index"]
    run(build, outside, clean_env(venv))
    check_answer(venv, outside, outside / "index")


def scratch_parent() -> str | None:
    """INSTALL_CHECK_DIR, else memory (/dev/shm) when it has room, else the temporary folder.

    Two venvs with torch are some 3.5 GB in 90,000 files: on this machine's disk (ext4 mounted with
    `discard`), deleting them took longer than installing them (4.5 min against 3.5, seen in CI).
    """
    if os.environ.get("INSTALL_CHECK_DIR"):
        return os.environ["INSTALL_CHECK_DIR"]
    try:
        usage = shutil.disk_usage("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if usage.free >= SCRATCH_BYTES else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (venvs, image, wheel)")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="citebot-install-", dir=scratch_parent()))
    timings: list[tuple[str, float]] = []
    try:
        for name, check in (
            ("Dockerfile steps, pip as venv ships it", lambda: install_checks_docker(scratch)),
            ("wheel in a clean venv", lambda: install_checks_wheel(scratch, scratch / "image/python")),
        ):
            started = time.monotonic()
            check()
            timings.append((name, time.monotonic() - started))
            print(f"install-checks: {name}: ok in {timings[-1][1]:.0f} s", flush=True)
    except CheckFailed as error:
        print(f"install-checks: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            print(f"install-checks: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

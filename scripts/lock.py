#!/usr/bin/env python3
"""Writes, or checks, the lock files: every package citebot installs, pinned with its hashes.

    python scripts/lock.py            # after changing pyproject.toml's dependencies: rewrite both locks
    python scripts/lock.py --upgrade  # take the newest releases the pins in pyproject.toml allow
    python scripts/lock.py --check    # CI: fail when the locks are not what pyproject.toml resolves to

requirements-dev.lock is one resolution of the runtime dependencies with the `st`, `milvus`, `postgres` and `dev` extras
(what make and CI install); requirements.lock is that same set cut down to runtime + the first three (what the
Docker image installs), taken as a constraint from the first, so a package has the same version and
hashes in both. uv resolves (fast, and one wheel from PyPI); pip installs, as it always did.

uv reads no pip configuration, so it is shown where the CPU build of torch lies: TORCH_FIND_LINKS
(a folder or an index page of wheels), by default /opt/wheels where that folder exists. Without
it uv would pick PyPI's torch, a CUDA build with several GB of nvidia-* packages: such a lock is
refused before it is written.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
DEV_LOCK = "requirements-dev.lock"
RUNTIME_LOCK = "requirements.lock"
# The extras each lock covers, beside the runtime dependencies.
LOCK_EXTRAS = {DEV_LOCK: ("st", "milvus", "postgres", "dev"), RUNTIME_LOCK: ("st", "milvus", "postgres")}
# The machine the locks are resolved for: the Docker image's, CI's and the developers'.
PYTHON_VERSION = "3.11"
PYTHON_PLATFORM = "x86_64-manylinux_2_28"
DEFAULT_TORCH_FIND_LINKS = "/opt/wheels"
DIGEST_LINE = "# pyproject-sha256: "
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==", re.MULTILINE)
CUDA_PACKAGES = re.compile(r"^(nvidia-|cuda-|triton==)", re.MULTILINE)


class LockError(Exception):
    pass


def pyproject_digest(pyproject: Path = PYPROJECT) -> str:
    """The sha256 of what the locks are resolved from: pyproject.toml's requirements, nothing else."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    extras = project.get("optional-dependencies", {})
    table = {
        "build-system": data.get("build-system", {}).get("requires", []),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": {name: extras.get(name, []) for name in LOCK_EXTRAS[DEV_LOCK]},
    }
    return hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(DIGEST_LINE):
            return line.removeprefix(DIGEST_LINE).strip()
    return None


def header(lock_name: str, digest: str) -> str:
    extras = ", ".join(LOCK_EXTRAS[lock_name])
    return (
        f"# citebot's dependencies, resolved and pinned with their hashes: runtime + extras {extras},\n"
        "# and the build backend (pyproject.toml's build-system), for installs without build isolation.\n"
        "# Written by scripts/lock.py from pyproject.toml (do not edit): after changing a dependency there,\n"
        "#   .venv/bin/python scripts/lock.py\n"
        f"# Python {PYTHON_VERSION}, {PYTHON_PLATFORM}; torch is the CPU build.\n"
        f"{DIGEST_LINE}{digest}\n"
    )


def uv_binary() -> str:
    try:
        from uv import find_uv_bin  # the uv wheel of the dev extra
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            raise LockError("uv is not installed: pip install uv (pinned in pyproject.toml's dev extra)") from None
        return found
    return find_uv_bin()


def torch_find_links() -> str:
    where = os.environ.get("TORCH_FIND_LINKS")
    if where:
        return where
    if Path(DEFAULT_TORCH_FIND_LINKS).is_dir():
        return DEFAULT_TORCH_FIND_LINKS
    raise LockError(
        "no CPU build of torch to lock: set TORCH_FIND_LINKS to a folder or index page holding "
        "torch-2.13.0+cpu (for instance https://download.pytorch.org/whl/cpu/torch/)"
    )


def compile_lock(lock_name: str, workdir: Path, upgrade: bool, constraint: Path | None) -> str:
    """Resolves one lock into workdir/lock_name; what is already there is kept where it still fits."""
    command = [
        uv_binary(),
        "pip",
        "compile",
        "pyproject.toml",
        # Standard input: the build backend, which scripts/install.sh installs from the lock as well.
        "-",
        *(arg for extra in LOCK_EXTRAS[lock_name] for arg in ("--extra", extra)),
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        PYTHON_PLATFORM,
        "--find-links",
        torch_find_links(),
        "--generate-hashes",
        "--no-header",
        "--quiet",
        "--output-file",
        str(workdir / lock_name),
    ]
    if constraint is not None:
        command += ["--constraints", str(constraint)]
    if upgrade:
        command.append("--upgrade")
    # Relative paths in the `# via` annotations, whatever folder this runs in.
    build_requires = "\n".join(tomllib.loads((workdir / "pyproject.toml").read_text())["build-system"]["requires"])
    result = subprocess.run(command, cwd=workdir, input=build_requires, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LockError(f"uv could not resolve {lock_name}:\n{result.stderr.strip()}")
    body = (workdir / lock_name).read_text(encoding="utf-8")
    if constraint is not None:
        # Every package of this lock is "via" the constraint: that says nothing.
        body = body.replace(f"    #   -c {constraint.name}\n", "").replace(f"    # via -c {constraint.name}\n", "")
    check_cpu_only(lock_name, body)
    return header(lock_name, pyproject_digest(workdir / "pyproject.toml")) + body


def check_cpu_only(lock_name: str, text: str) -> None:
    cuda = CUDA_PACKAGES.findall(text)
    torch = re.search(r"^torch==(\S+)", text, re.MULTILINE)
    if cuda or (torch is not None and not torch.group(1).endswith("+cpu")):
        raise LockError(
            f"{lock_name} would take a CUDA build of torch ({torch.group(1) if torch else '?'}, "
            f"{len(cuda)} CUDA packages): point TORCH_FIND_LINKS at the CPU wheel"
        )


def resolve(upgrade: bool) -> dict[str, str]:
    """Both locks, resolved in a scratch folder seeded with the current ones; nothing is written here."""
    with tempfile.TemporaryDirectory(prefix="citebot-lock-") as scratch:
        workdir = Path(scratch)
        shutil.copy(PYPROJECT, workdir / "pyproject.toml")
        for name in LOCK_EXTRAS:
            if (ROOT / name).exists():
                shutil.copy(ROOT / name, workdir / name)
        dev = compile_lock(DEV_LOCK, workdir, upgrade, constraint=None)
        (workdir / DEV_LOCK).write_text(dev, encoding="utf-8")
        runtime = compile_lock(RUNTIME_LOCK, workdir, upgrade, constraint=workdir / DEV_LOCK)
        return {DEV_LOCK: dev, RUNTIME_LOCK: runtime}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare a fresh resolution with the locks; write nothing")
    mode.add_argument("--upgrade", action="store_true", help="take the newest releases pyproject.toml allows")
    args = parser.parse_args()
    try:
        locks = resolve(upgrade=args.upgrade)
    except LockError as error:
        print(f"lock: {error}", file=sys.stderr)
        return 1
    if not args.check:
        for name, text in locks.items():
            (ROOT / name).write_text(text, encoding="utf-8")
            print(f"lock: wrote {name} ({len(PINNED.findall(text))} packages)")
        return 0
    return check(locks)


def without_hashes(text: str) -> list[str]:
    return [line.removesuffix(" \\") for line in text.splitlines() if "--hash=" not in line]


def check(locks: dict[str, str]) -> int:
    stale = 0
    for name, text in locks.items():
        current = (ROOT / name).read_text(encoding="utf-8") if (ROOT / name).exists() else ""
        if current == text:
            print(f"lock: {name} is what pyproject.toml resolves to")
            continue
        stale += 1
        # Hash lines left out: the version lines say what changed. (uv keeps a kept version's hashes.)
        old, new = without_hashes(current), without_hashes(text)
        print("\n".join(difflib.unified_diff(old, new, name, f"{name}, resolved now", lineterm="")), file=sys.stderr)
        print(f"lock: {name} is stale: run `python scripts/lock.py` and commit it", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

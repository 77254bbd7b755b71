#!/bin/sh
# The install steps of the Dockerfile, of make and of CI, in one place so they cannot drift apart.
#
#   scripts/install.sh deps LOCK [PIP ARGS...]   every dependency, exactly as locked, hashes checked
#   scripts/install.sh project [-e] PATH          citebot itself, from a folder or a wheel
#
# PYTHON (default: python) is the interpreter to install into. Any pip works from 23.2, the one
# `python3.11 -m venv` ships; pip is not upgraded, so the install does not change with pip's releases.
# PIP ARGS are for the CPU build of torch when pip cannot already see it, for instance
# `--extra-index-url https://download.pytorch.org/whl/cpu`: the lock pins torch==X+cpu with its hash,
# so no other build and no other file can be taken.
set -eu
PYTHON=${PYTHON:-python}

case "${1:-}" in
deps)
    [ $# -ge 2 ] || { echo "usage: $0 deps LOCK [PIP ARGS...]" >&2; exit 2; }
    lock=$2
    shift 2
    # --no-deps: the lock is the whole resolved set; nothing outside it may come in.
    "$PYTHON" -m pip install --progress-bar off --no-deps --require-hashes --requirement "$lock" "$@"
    ;;
project)
    shift
    [ $# -ge 1 ] || { echo "usage: $0 project [-e] PATH" >&2; exit 2; }
    # No build isolation: the build backend is the locked one already installed, not the newest on PyPI.
    "$PYTHON" -m pip install --progress-bar off --no-deps --no-build-isolation "$@"
    # Whatever the lock and the project's metadata disagree on stops the install here.
    "$PYTHON" -m pip check
    ;;
*)
    echo "usage: $0 deps LOCK [PIP ARGS...] | project [-e] PATH" >&2
    exit 2
    ;;
esac

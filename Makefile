# `make demo`: set up and answer a sample question. `make test`: set up and run the test suite.
# The install is requirements-dev.lock (every package pinned with its hashes, CPU torch included),
# then citebot itself, editable: scripts/install.sh, the same steps as the Dockerfile's.
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALL := PYTHON=$(PY) sh scripts/install.sh

$(VENV)/.installed: pyproject.toml requirements-dev.lock scripts/install.sh
	python3.11 -m venv $(VENV)
	$(INSTALL) deps requirements-dev.lock
	$(INSTALL) project -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/citebot ask "What did Kazakhstan say about Qatar?" -k 3

# `make -k test` (CI) runs the tests even when ruff fails, so one run shows every failure.
test: lint pytest

lint: install
	$(VENV)/bin/ruff check .

pytest: install
	$(PY) -m pytest -q

# After changing a dependency in pyproject.toml: resolve again and rewrite both lock files.
lock: install
	$(PY) scripts/lock.py

# The lock files are what pyproject.toml resolves to (asks PyPI).
lock-check: install
	$(PY) scripts/lock.py --check

# Clean venvs: the Dockerfile's steps and the wheel, each then building and answering from outside the checkout.
install-check:
	python3.11 .ci/install_checks.py

.PHONY: install demo test lint pytest lock lock-check install-check

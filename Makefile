# `make demo`: set up and answer a sample question. `make test`: set up and run the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	python3.11 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch first and pinned: unpinned, pip pulls a CUDA build of several GB.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[st,dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/citebot ask "What did Kazakhstan say about Qatar?" -k 3

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q

.PHONY: install demo test

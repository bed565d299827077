# The two commands: `make lab` and `make test`. Both build .venv from pyproject.toml
# and reinstall only when pyproject.toml changes (the stamp files record the last install).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# JupyterLab refuses to start as root without this flag (CI and containers run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# nbgrader runs helper programs (alembic) from PATH, so the environment's bin folder goes first.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The first lesson, or README until lessons exist.
FIRST_PAGE := $(firstword $(sort $(wildcard notebooks/01_*.ipynb)) README.md)

.PHONY: lab test check bench clean

lab: $(VENV)/.installed-lab
	@echo "Starting JupyterLab at the course root. Open the URL printed below (Ctrl-C stops it)."
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(ROOT_FLAG) $(FIRST_PAGE)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

check: $(VENV)/.installed-lab
	$(BIN)/peninsula check

# Performance figures, outside the test suite (about 4 minutes): prints the table and writes
# bench/results.json and bench/results.md.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Peninsula needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-lab: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e ".[test]"
	@touch $@ $(VENV)/.installed-lab

clean:
	rm -rf $(VENV) release submitted feedback gradebook.db .exchange exports
	find autograded -mindepth 1 ! -name README.md -exec rm -rf {} +

# The two commands: `make lab` and `make test`. Both build .venv from pyproject.toml
# and reinstall only when pyproject.toml changes (the stamp files record the last install).
# Both install the grader side (`.[grader]`: nbgrader, JupyterLab, Altair...); students need only
# `pip install peninsula`. `make site` builds the course as a static website into build/site/.

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
# JupyterLab reads settings overrides from the environment's share folder: the course's turn off the
# news pop-up (it would cover the lesson) and the update check (the kit works offline).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# axe-core, which the accessibility test injects into each page, from npm into a git-ignored folder.
AXE := tests/browser/vendor/node_modules/axe-core/axe.min.js

.PHONY: lab test hub-test hub-load check bench screenshots axe site clean

# default_url makes the URL JupyterLab prints open the first lesson, not the Launcher. The student profile
# (lab-settings/student) hides nbgrader's instructor tools; `make lab PROFILE=instructor` shows them.
# The contents manager keeps a lesson unmodified when its kernel starts (peninsula.lab_contents).
lab: $(VENV)/.installed-lab $(LAB_OVERRIDES)
	@echo "Starting JupyterLab at the course root. Open the URL printed below (Ctrl-C stops it)."
	$(if $(filter instructor,$(PROFILE)),,JUPYTER_CONFIG_PATH=$(CURDIR)/lab-settings/student$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))) $(BIN)/jupyter lab --ServerApp.root_dir=. $(ROOT_FLAG) --LabApp.default_url=/lab/tree/$(FIRST_PAGE) \
		--ServerApp.contents_manager_class=peninsula.lab_contents.LessonContentsManager

# The hub test (tests/hub) runs as root (CI does); elsewhere it skips. `make hub-test` runs it alone.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

hub-test: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/hub

# A deadline rush on a real hub (root; about 10 minutes on 2 cores): USERS students log in, run
# lesson 1, fetch, type and submit at once while the grader collects; writes bench/hub_load.json
# and the hub section of bench/results.md.
USERS ?= 40
hub-load: $(VENV)/.installed-test
	$(BIN)/python bench/hub_load.py --users $(USERS)

check: $(VENV)/.installed-lab
	$(BIN)/peninsula check

# Performance figures, outside the test suite (about 6 minutes): prints the table and writes
# bench/results.json and bench/results.md.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

# A screenshot tour for reviewers (about 3 minutes): each lesson's charts and widgets after Run All,
# the assignment after Validate, a feedback page and the class report, as small PNGs in
# docs/screenshots/. The accessibility test takes them as it audits each page.
screenshots: $(VENV)/.installed-test $(LAB_OVERRIDES) $(AXE)
	rm -rf docs/screenshots
	PENINSULA_TOUR=docs/screenshots $(BIN)/python -m pytest tests/browser/test_accessibility.py -q

axe: $(AXE)

# The course as an offline JupyterLite site (lessons, texts, releases, the student-side package)
# built from PyPI and npm into build/site/; its build tools go into a venv of their own,
# build/site-tools/. Serve it with: python3 -m http.server --bind 127.0.0.1 --directory build/site
site: $(VENV)/.installed-lab
	$(BIN)/python -m peninsula.grader.site build/site

$(AXE):
	npm install --prefix tests/browser/vendor --no-audit --no-fund --silent axe-core@4

$(LAB_OVERRIDES): lab-settings/overrides.json | $(VENV)/bin/python
	mkdir -p $(@D)
	cp $< $@

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Peninsula needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-lab: pyproject.toml | $(VENV)/bin/python
	@echo "Installing JupyterLab, nbgrader and the course kit into $(VENV) (first run only: about a minute)..."
	$(PIP) install -e ".[grader]"
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	@echo "Installing the kit with its test tools into $(VENV) (first run only: a minute or two)..."
	$(PIP) install -e ".[grader,test]"
	@touch $@ $(VENV)/.installed-lab

clean:
	rm -rf $(VENV) build release submitted feedback gradebook.db .exchange exports
	find autograded -mindepth 1 ! -name README.md -exec rm -rf {} +

# The two commands of the README: `make book` and `make test`.
# Both create .venv if it is missing and install the project into it.
# `make book OFFLINE=1` builds a site that needs no internet (after `npm ci`);
# `make screenshots` refreshes docs/screenshots/ from a fresh build;
# `make test-fast` runs the tests that need no kernel, book build or browser.
FAST := not browser and not nbgrader and not book

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: book test test-fast lint screenshots clean help

help:
	@echo "make book   build the HTML book into _build/html (OFFLINE=1: no internet needed)"
	@echo "make screenshots  build the book and save PNGs of it into docs/screenshots/"
	@echo "make test   run the whole test suite (lint, unit, notebooks, grading, browser)"
	@echo "make test-fast  lint and the tests that start no kernel, book build or browser (~40 s)"
	@echo "make clean  remove build outputs (not .venv)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python 3.10 or newer is needed; found: $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(INSTALLED) $@

# OFFLINE=1 copies the CDN scripts from node_modules/ into the site (run `npm ci` first).
book: $(INSTALLED)
	$(BIN)/sicourse build $(if $(filter-out 0,$(OFFLINE)),--offline)

# Landing page, a lesson and an exercise at desktop and phone widths, in Chromium
# (the browser tests' set-up: /usr/bin/chromium and `npm ci`).
screenshots: book $(TEST_INSTALLED)
	$(BIN)/python docs/screenshots/take.py --html _build/html --out docs/screenshots

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check src tests benchmarks docs/screenshots nbgrader_config.py

test: lint
	$(BIN)/pytest

# The marks are in pyproject.toml; tests/conftest.py fails a test that starts a kernel,
# nbgrader, a book build or a browser without its mark, so this tier stays quick.
test-fast: lint
	$(BIN)/pytest -m "$(FAST)"

clean:
	rm -rf _build book/generated

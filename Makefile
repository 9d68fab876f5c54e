# The two commands of the README: `make book` and `make test`.
# Both create .venv if it is missing and install the project into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: book test lint clean help

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   run the whole test suite (lint, unit, notebooks, grading, browser)"
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

book: $(INSTALLED)
	$(BIN)/sicourse build

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check src tests benchmarks nbgrader_config.py

test: lint
	$(BIN)/pytest

clean:
	rm -rf _build book/generated

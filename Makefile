# The two commands of the README: `make book` and `make test`.
# Both create .venv if it is missing and install the project into it, and run `npm ci`
# when node_modules/ is missing or older than package-lock.json (the book's JupyterLite
# site serves Pyodide from it). `make test` also sets up the system packages
# (scripts/system-packages, shared with .ci/run: as root on Debian it installs what
# is missing, otherwise it names it with the command to install it and stops).
# `make book OFFLINE=1` builds a site that needs no internet;
# `make screenshots` refreshes docs/screenshots/ from a fresh build;
# `make test-fast` runs the tests that need no kernel, book build, browser or database server.
FAST := not browser and not nbgrader and not book and not postgres

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
OFFLINE_BUILD := $(filter-out 0,$(OFFLINE))
# npm's record of what `npm ci` installed; every `npm ci` rewrites it.
NODE_MODULES := node_modules/.package-lock.json
SYSTEM_PACKAGES := PYTHON="$(PYTHON)" bash scripts/system-packages

.PHONY: book test test-fast lint screenshots system-packages clean help

help:
	@echo "make book   build the HTML book into _build/html, each edition into _build/html/<lang>,"
	@echo "            the JupyterLite site into _build/html/lite (runs npm ci if needed)"
	@echo "            (LANGS=\"en ar\": only these)"
	@echo "            (OFFLINE=1: a site that needs no internet; runs npm ci if needed)"
	@echo "make test   run the whole test suite (lint, unit, notebooks, grading, browser,"
	@echo "            packaging); first sets up what it needs: the test tools, the system"
	@echo "            packages (see make system-packages) and npm ci"
	@echo "make lint   check the Python code with ruff"
	@echo "make screenshots  build the book and save PNGs of it into docs/screenshots/"
	@echo "make test-fast  lint and the tests that start no kernel, book build, browser or"
	@echo "            PostgreSQL server (~40 s)"
	@echo "make system-packages  check the system packages the tests need (Node.js, Chromium,"
	@echo "            bubblewrap, DejaVu fonts, PostgreSQL); as root on Debian, install what is"
	@echo "            missing"
	@echo "make clean  remove build outputs (not .venv or node_modules)"

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

system-packages:
	@$(SYSTEM_PACKAGES) test

# The front-end packages package.json pins: the offline site copies them, and the
# browser tests serve them in place of the CDNs. --ignore-scripts: no third-party
# install scripts; none of these packages needs one.
$(NODE_MODULES): package-lock.json
	@$(SYSTEM_PACKAGES) node
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# node_modules/: Pyodide, which the JupyterLite site (lite/) serves itself; with OFFLINE=1
# also the CDN scripts, copied into the site. LANGS="en ar": only these languages (default:
# English and every edition).
book: $(INSTALLED) $(NODE_MODULES)
	$(BIN)/sicourse build $(if $(OFFLINE_BUILD),--offline) $(foreach l,$(LANGS),--lang $(l))

# Landing page, a lesson and an exercise at desktop and phone widths, in Chromium.
screenshots: book $(NODE_MODULES) $(TEST_INSTALLED)
	@$(SYSTEM_PACKAGES) chromium fonts
	$(BIN)/python docs/screenshots/take.py --html _build/html --out docs/screenshots

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check src tests benchmarks docs/screenshots nbgrader_config.py

test: system-packages $(NODE_MODULES) lint
	$(BIN)/pytest

# The marks are in pyproject.toml; tests/conftest.py fails a test that starts a kernel,
# nbgrader, a book build, a browser or a PostgreSQL server without its mark, so this tier stays quick.
test-fast: lint
	$(BIN)/pytest -m "$(FAST)"

clean:
	rm -rf _build book/generated

# Two entry points for a newcomer: `make suite` and `make test`. Both install what
# they need on first use: Python packages into .venv/, the Allure report generator
# into node_modules/, and (for the tests, which open a report in a real browser)
# Debian's chromium package.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: suite test install browser catalogues clean

suite: install
	$(BIN)/epix run --profile fixtures/profiles/simulator.toml

test: install browser
	$(BIN)/pytest

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 or newer with npm is needed for the HTML report (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	    else echo "The report test needs Chromium: sudo apt-get install chromium"; exit 1; fi; }

# After changing a text the statement, the matrix or the summary shows: extract the English
# texts and add them to each language's catalogue; then translate what is new there
# (tests/test_i18n.py fails on any text left untranslated or fuzzy).
catalogues: install
	$(BIN)/pybabel extract -F babel.cfg -o epix/locale/epix.pot --no-location --sort-output --omit-header --no-wrap .
	$(BIN)/pybabel update -i epix/locale/epix.pot -d epix/locale -D epix --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules

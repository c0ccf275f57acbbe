# Two entry points for a newcomer: `make suite` and `make test`. Both install what
# they need into the project (.venv/ and node_modules/) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: suite test install clean

suite: install
	$(BIN)/epix validate fixtures/documents/*.xml

test: install
	$(BIN)/pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) node_modules reports/*/

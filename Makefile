# packline station: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test quick check lint typecheck imports unit bench clean venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "packline station needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

## Start the operator terminal on the built-in BQ40Z50 emulator with a local SQLite database.
run: $(STAMP)
	$(BIN)/station run --demo --bus "sim?realtime=1"

## Static checks and the whole test suite.
test: $(STAMP) lint typecheck imports unit

lint:
	$(BIN)/ruff check station tests
	$(BIN)/ruff format --check station tests

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

unit:
	$(BIN)/pytest -q -n auto

## The layer tests a developer runs every few minutes (no campaigns, no terminal flows, no
## database matrix): under a minute on two cores. `make test` still runs everything.
QUICK := tests/bus tests/gauge tests/emulator tests/recipe tests/labels tests/sequence tests/cli
quick: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not slow" $(QUICK)

## Benchmarks against the emulator's timing model, and the dashboard's pages at 1 000 000 attempts
## on SQLite and on the throw-away PostgreSQL of .ci/postgres.sh (not part of `make test`).
bench: $(STAMP)
	pg_env=$$(.ci/postgres.sh) && eval "$$pg_env" && $(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# Two entry points for a fresh machine (see README):
#   make run   - create .venv, install relc, validate and compile the example fleet
#   make test  - install (if needed) and run the whole test suite, PostgreSQL tests included
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint golden bench
$(BIN)/relc: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/relc

install: $(BIN)/relc

run: install
	$(BIN)/relc validate
	$(BIN)/relc compile
	$(BIN)/relc validate --rendered

test: install
	$(BIN)/pytest -n 2 -q

lint: install
	$(BIN)/ruff check compiler $(wildcard relc_migrate) relc_contract tests bench
	$(BIN)/ruff format --check compiler $(wildcard relc_migrate) relc_contract tests bench
	$(BIN)/mypy compiler relc_contract relc_migrate tests bench

golden: install
	$(BIN)/relc compile

bench: install
	$(BIN)/python bench/bench_fleet.py

.PHONY: migrate-demo
migrate-demo: install
	scripts/migrate-demo.sh

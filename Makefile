# Two entry points for a fresh machine (see README):
#   make run   - create .venv, install relc, validate and compile the example fleet
#   make test  - install (if needed) and run the whole test suite, PostgreSQL tests included
# Every install goes through constraints.txt (exact pins, `make lock` refreshes it); a changed lock re-installs,
# and so does a changed compiler/__init__.py (the version, which the editable install's metadata records).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-fast lint golden bench lock
# --no-build-isolation: relc is built by the locked setuptools installed just before, not by the index's newest.
# relc.egg-info: older installs left one in the tree, where it shadows the installed metadata (version, deps).
$(BIN)/relc: pyproject.toml constraints.txt compiler/__init__.py
	rm -rf relc.egg-info
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt pip setuptools
	$(BIN)/pip install --quiet --no-build-isolation -c constraints.txt -e '.[dev]'
	touch $(BIN)/relc

install: $(BIN)/relc

run: install
	$(BIN)/relc validate
	$(BIN)/relc compile
	$(BIN)/relc validate --rendered

test: install
	$(BIN)/pytest -n 2 -q

# Everything but the tests marked postgres (relc-migrate against a real server): no PostgreSQL needed.
test-fast: install
	$(BIN)/pytest -n 2 -q -m "not postgres"

lint: install
	$(BIN)/ruff check compiler relc_contract relc_migrate tests bench
	$(BIN)/ruff format --check compiler relc_contract relc_migrate tests bench
	$(BIN)/mypy compiler relc_contract relc_migrate tests bench

# Re-resolve every dependency in a throwaway venv and rewrite constraints.txt (then run make test, commit it).
lock:
	PY=$(PY) scripts/lock.sh

golden: install
	$(BIN)/relc compile

bench: install
	$(BIN)/python bench/bench_fleet.py

.PHONY: migrate-demo
migrate-demo: install
	scripts/migrate-demo.sh

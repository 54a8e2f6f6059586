# Dangol — `make run` starts the app on http://127.0.0.1:8000, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_CUSTOMERS ?= 2000

.PHONY: install run test lint bench-quick clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Dangol needs Python 3.11 or newer: make PYTHON=python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/dangol migrate --noinput
	$(BIN)/dangol demo --if-empty --customers $(DEMO_CUSTOMERS)
	PORT=$(PORT) $(BIN)/dangol run

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/dangol makemigrations --check --dry-run

bench-quick: install
	$(BIN)/python -m benchmarks.import_orders --quick

clean:
	rm -rf $(VENV) var .pytest_cache

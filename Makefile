# Two commands a newcomer runs: `make demo` and `make test`. Both create .venv and install by themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: demo test bench lint postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

# Start the machine's PostgreSQL if it is installed and down; with none at all, tests use pgserver.
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	    for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	  fi; \
	fi

test: $(STAMP) postgres
	$(BIN)/python -m pytest

bench: $(STAMP) postgres
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_turns.py --terraform
	$(BIN)/python benchmarks/bench_turns.py --edit add
	$(BIN)/python benchmarks/bench_sandbox.py
	$(BIN)/python benchmarks/bench_bot.py

lint: $(STAMP)
	$(BIN)/ruff check accelerator tests benchmarks
	$(BIN)/ruff format --check accelerator tests benchmarks
	$(BIN)/mypy accelerator

clean:
	rm -rf $(VENV) generated .accelerator .pytest_cache

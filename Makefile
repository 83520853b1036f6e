# Two commands on a fresh machine:  `make demo`  and  `make test`.
VENV ?= .venv
PYTHON ?= python3
# The CPU build of torch, installed before everything else so pip never resolves a
# multi-GB CUDA build on a CPU machine. On a GPU machine: make setup TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: setup demo test lint postgres-start postgres-stop clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/handsoff demo

test: setup
	scripts/test.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy handsoff_core db flows annotation_app migrations

postgres-start:
	@scripts/postgres.sh start

postgres-stop:
	@scripts/postgres.sh stop

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

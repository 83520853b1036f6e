# Two commands on a fresh machine:  `make demo`  and  `make test`.
VENV ?= .venv
PYTHON ?= python3
# The CPU build of torch, installed before everything else so pip never resolves a
# multi-GB CUDA build on a CPU machine. On a GPU machine: make setup TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: setup lock demo test lint postgres-start postgres-stop clean

setup: $(VENV)/.installed

# constraints.txt pins every package (reproducible installs); `make lock` refreshes it.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt "$(TORCH_SPEC)"
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $@

# Resolve the newest versions pyproject allows in a scratch venv and pin them.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q --upgrade pip
	.venv-lock/bin/pip install -q "$(TORCH_SPEC)" && .venv-lock/bin/pip install -q -e ".[dev]"
	(echo "# Pinned versions for make setup and .ci/run (pip -c). Refresh: make lock (see README)."; \
	 .venv-lock/bin/pip freeze --exclude-editable | sed 's/+cpu$$//') > constraints.txt
	rm -rf .venv-lock

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

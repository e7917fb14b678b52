# skrb developer entry points. Every target creates/updates the local virtualenv .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.skrb-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install test demo docs lint bench clean

$(STAMP): pyproject.toml
	@echo "skrb: installing skrb and its dependencies into $(VENV) (a few minutes, once; log: $(VENV)/install.log)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/python -m pip install --quiet -e ".[test,docs]" >> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $(STAMP)

install: $(STAMP)

## Run the test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto

## The main job: the paper's DIA vs noDIA comparison on simulated stamps, with a report.
demo: $(STAMP)
	$(BIN)/skrb compare --protocol quick --report skrb_report

## Build the documentation (warnings are errors; executes the examples gallery).
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check skrb tests examples benchmarks docs
	$(BIN)/ruff format --check skrb tests examples benchmarks docs

## Benchmarks print their figures (samples/s, peak memory, accuracy).
bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf docs/_build docs/auto_examples docs/generated skrb_report

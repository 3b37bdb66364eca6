# Two commands for a newcomer: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
DEMO ?= 1
PYTEST_ARGS ?=

.PHONY: run test check bench serve venv venv-dev clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

## Migrate, load the demo dataset on the first start (DEMO=0: official units only), serve on PORT.
run: $(VENV)/.runtime
	$(PY) -m db upgrade
ifeq ($(DEMO),0)
	$(PY) -m seed units
else
	$(PY) -m seed demo --first-start
endif
	$(PY) -m ui.serve --server.port $(PORT)

## Code checks, also run first by `make test`: ruff on the code and tests, mypy on db/ and report/ (pyproject.toml).
check: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## The whole suite: SQLite, a PostgreSQL server the tests start, AppTest pages, Chromium journeys.
## STRICT=1 (used by CI) turns "component missing: skip" into a failure.
test: $(VENV)/.dev check
	$(PY) -m pytest $(if $(filter 1,$(STRICT)),--strict-components,) $(PYTEST_ARGS)

## The national-scale benchmark (bench/README.md): builds bench/data/national.sqlite3 once, prints the
## figures and writes bench/results.json. Sizes: BENCH_VILLAGES, BENCH_ACTIVITIES (100000 / 10000000).
bench: $(VENV)/.dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

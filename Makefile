# phasesim: make demo | make test | make lint | make bench | make mutate
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint pytest notebooks bench mutate install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/phasesim validate data/blueprints/*.yaml
	$(BIN)/phasesim show data/blueprints/harness-system-release.yaml
	$(BIN)/phasesim simulate data/blueprints/harness-system-release.yaml \
	  --cadence '{freq: weekly, interval: 2, weekday: monday, time: "09:00", timezone: America/Los_Angeles}' \
	  --start 2026-01-05 --releases 26 --runs 200 --seed 7 --jobs 2 --target 25d \
	  --out out/harness-simulated-log.parquet --plots out
	$(BIN)/phasesim report data/logs/harness-history.csv \
	  --blueprint data/blueprints/harness-system-release.yaml -o out/harness-history-report.html
	$(BIN)/phasesim forecast data/blueprints/harness-system-release.yaml data/logs/harness-history.csv \
	  --future 2 --runs 500 --seed 7 --out out/harness-forecast.csv --plot out/harness-forecast.png

lint: install
	$(BIN)/ruff check phasesim tests benchmarks
	$(BIN)/mypy

pytest: install
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

notebooks: install
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -p no:cacheprovider tests/notebooks_runner.py

test: lint pytest notebooks

bench: install
	$(BIN)/python benchmarks/run.py

# mutation testing (local, not CI): make mutate MODULES=phasesim/units.py TESTS=tests/test_units.py
MODULES ?=
TESTS ?= tests/
mutate: install
	$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[mutate]"
	$(BIN)/python scripts/mutate.py $(MODULES) --tests $(TESTS)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis

# phasesim: make demo | make test | make lint | make bench
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint pytest notebooks bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	mkdir -p out
	$(BIN)/phasesim validate data/blueprints/*.yaml
	$(BIN)/phasesim show data/blueprints/harness-system-release.yaml
	$(BIN)/python -c "import matplotlib; matplotlib.use('Agg'); import phasesim; \
	ax = phasesim.load_blueprint('data/blueprints/harness-system-release.yaml').plot_dag(); \
	ax.figure.savefig('out/harness-system-release-dag.png', dpi=120, bbox_inches='tight'); \
	print('wrote out/harness-system-release-dag.png')"

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

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis

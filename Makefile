# cxresearch: `make report` renders the demo study's HTML report, `make test` runs the tests.
# Both create the virtual environment (.venv) and install the project when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

STUDY ?= data/demo/study.yaml
STUDY_DIR := $(patsubst %/,%,$(dir $(STUDY)))
OUT ?= reports/$(notdir $(STUDY_DIR))
PARAMS ?=

PACKAGE_FILES := $(wildcard cxresearch/*.py cxresearch/catalog/*.yaml cxresearch/templates/*)
NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)

.PHONY: setup report test test-fast bench lab clean help

help:
	@echo "make report   render reports/demo/index.html (STUDY=path/to/study.yaml for another study)"
	@echo "make test     run the tests"
	@echo "make bench    run the benchmarks (1M respondents; minutes)"
	@echo "make lab      open JupyterLab on the notebooks"
	@echo "make clean    remove generated data, reports and the virtual environment"

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

data/demo/study.yaml: $(INSTALLED) cxresearch/demo.py cxresearch/catalog/touchpoints.yaml
	$(BIN)/cxresearch demo --out data/demo

report: $(OUT)/index.html

# The report is rebuilt only when the study's files, the notebooks or the package change.
$(OUT)/index.html: $(STUDY) $(filter-out $(STUDY),$(wildcard $(STUDY_DIR)/*)) $(NOTEBOOKS) $(PACKAGE_FILES) $(INSTALLED)
	$(BIN)/cxresearch report $(STUDY) --out $(OUT) $(PARAMS)

test: $(INSTALLED)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_gaps_drivers.py
	$(BIN)/python benchmarks/bench_segments.py
	$(BIN)/python benchmarks/bench_funnel.py

lab: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf data/demo reports/* $(VENV) .pytest_cache .hypothesis

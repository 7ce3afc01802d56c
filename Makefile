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

# The real-data examples (examples/<name>/study.yaml) read ../shared/data as it is: data
# files outside a study folder are read only from folders allowed like this.
EXAMPLE_DATA = CXRESEARCH_DATA_DIRS=$(abspath ../shared/data)
STUDY_DATA = $(if $(findstring examples/,$(STUDY)),$(EXAMPLE_DATA))

PACKAGE_FILES := $(shell find cxresearch -name '*.py' -o -name '*.yaml' -o -name '*.j2')
NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)

.PHONY: setup report reports example-reports test test-fast lint wheel-check bench bench-scale lab clean help xlsx deck pdf

help:
	@echo "make report   render reports/demo/index.html (STUDY=path/to/study.yaml for another study)"
	@echo "make reports  render every data/<name>/study.yaml into reports/<name>/"
	@echo "make report-airline-tweets   the real-data example (make example-reports: all of them)"
	@echo "make report-Brightline       the demo study's report for another brand"
	@echo "make xlsx / make deck / make pdf   reports/<name>.xlsx, .pptx, .pdf (STUDY=... as for report)"
	@echo "make test     run the tests"
	@echo "make lint     ruff (lint, import order, pyupgrade), ruff format --check, doctests"
	@echo "make wheel-check  build the wheel, install it in a fresh venv, render a report from /tmp"
	@echo "make bench    run the benchmarks (1M respondents; minutes)"
	@echo "make bench-scale  Dask at 100M respondents and 1B events, 1 and 2 workers (hours;"
	@echo "                  SCALE_ARGS=--quick: 2M and 20M, minutes)"
	@echo "make lab      open JupyterLab on the notebooks"
	@echo "make clean    remove generated data, reports and the virtual environment"

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

data/demo/study.yaml: $(INSTALLED) $(wildcard cxresearch/demo/*.py) cxresearch/data/catalog/touchpoints.yaml
	$(BIN)/cxresearch demo --out data/demo

report: $(OUT)/index.html

# The report is rebuilt only when the study's files, the notebooks or the package change.
$(OUT)/index.html: $(STUDY) $(filter-out $(STUDY),$(wildcard $(STUDY_DIR)/*)) $(NOTEBOOKS) $(PACKAGE_FILES) $(INSTALLED)
	$(STUDY_DATA) $(BIN)/cxresearch report $(STUDY) --out $(OUT) $(PARAMS)

# Every study folder under data/ (data/<name>/study.yaml -> reports/<name>/).
reports: $(INSTALLED) data/demo/study.yaml
	@for study in data/*/study.yaml; do \
	  name=$$(basename $$(dirname $$study)); \
	  $(BIN)/cxresearch report $$study --out reports/$$name --quiet || exit 1; \
	done

# The real-data examples, each into reports/<name>/.
example-reports: $(INSTALLED)
	@for study in examples/*/study.yaml; do \
	  name=$$(basename $$(dirname $$study)); \
	  $(EXAMPLE_DATA) $(BIN)/cxresearch report $$study --out reports/$$name --quiet || exit 1; \
	done

# make report-<example> renders examples/<example>/study.yaml (e.g. report-airline-tweets);
# make report-segment-<n> renders STUDY for one segment's respondents (e.g. report-segment-2);
# make report-<brand> renders STUDY for another brand (e.g. report-Brightline -> reports/demo-Brightline).
report-segment-%: $(INSTALLED) data/demo/study.yaml
	$(BIN)/cxresearch report $(STUDY) --out reports/$(notdir $(STUDY_DIR))-segment-$* -p segment $*

report-%: $(INSTALLED) data/demo/study.yaml
	$(if $(wildcard examples/$*/study.yaml),\
	  $(EXAMPLE_DATA) $(BIN)/cxresearch report examples/$*/study.yaml --out reports/$*,\
	  $(BIN)/cxresearch report $(STUDY) --out reports/$(notdir $(STUDY_DIR))-$* -p brand "$*")

# What researchers hand over: a workbook, a slide deck and a PDF of the report, from the
# report's own results (read back from the results cache when the report was rendered).
# make xlsx STUDY=examples/telco-churn/study.yaml writes reports/telco-churn.xlsx.
xlsx: $(INSTALLED) $(STUDY)
	$(STUDY_DATA) $(BIN)/cxresearch export $(STUDY) --xlsx $(OUT).xlsx $(PARAMS)

deck: $(INSTALLED) $(STUDY)
	$(STUDY_DATA) $(BIN)/cxresearch export $(STUDY) --pptx $(OUT).pptx $(PARAMS)

pdf: $(OUT)/index.html
	$(STUDY_DATA) $(BIN)/cxresearch export $(STUDY) --pdf $(OUT).pdf --report $(OUT) $(PARAMS)

test: $(INSTALLED)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "not slow"

# Guardrails (CI runs them before the tests): lint rules, formatting, and the
# examples in the package's docstrings.
lint: $(INSTALLED)
	$(BIN)/ruff check cxresearch tests benchmarks
	$(BIN)/ruff format --check cxresearch tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules cxresearch

# A user who installs the built wheel (not an editable checkout) renders a report
# from another working directory: the chapters ship inside the wheel.
wheel-check: $(INSTALLED)
	bash .ci/check-wheel

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_gaps_drivers.py
	$(BIN)/python benchmarks/bench_segments.py
	$(BIN)/python benchmarks/bench_funnel.py
	$(BIN)/python benchmarks/bench_text.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/ratios.py

# The analyses on Dask past memory (benchmarks/SCALE.md): the study is generated into
# /tmp (about 6 GB at full size) and removed afterwards unless SCALE_ARGS has --keep
# or --workdir DIR (then reused by the next run with the same sizes).
SCALE_ARGS ?=
bench-scale: $(INSTALLED)
	$(BIN)/python benchmarks/bench_scale.py $(SCALE_ARGS)

lab: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf data/demo reports/* $(VENV) .pytest_cache .hypothesis

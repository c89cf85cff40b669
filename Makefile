# posec3d-bench: the two commands a newcomer needs (README "Quick start").
#   make table4   set up .venv (first time, no caches: 21-35 min, mostly building mmcv), then build
#                 results/table4.csv on the default profile (snakemake --cores all)
#   make test     set up .venv, lint (ruff, snakemake --lint) and run the tests
#   make lint     lint only
#   make setup    set up .venv only
#   make pull     dvc pull the shared artefacts and give them back their recorded times
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# rules call the `posec3d` command: the environment's bin goes first on PATH
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup test lint table4 report bench pull

setup:
	bash tools/install.sh

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check posec3d tests benchmarks
	$(VENV)/bin/snakemake --lint

table4: setup
	$(VENV)/bin/snakemake --cores all results/table4.csv

report: setup
	$(VENV)/bin/snakemake --cores all
	$(VENV)/bin/snakemake --report results/report.html

# DVC does not keep modification times: restore Snakemake's, so that the pulled outputs are up to date
pull: setup
	$(VENV)/bin/dvc pull
	$(VENV)/bin/posec3d restore-times

bench: setup
	$(PY) benchmarks/bench_volumes.py
	$(PY) benchmarks/bench_data_path.py

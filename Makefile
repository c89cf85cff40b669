# posec3d-bench: the two commands a newcomer needs (README "Quick start").
#   make table4   set up .venv (first time: ~15 min, mostly building mmcv), then build
#                 results/table4.csv on the default profile (snakemake --cores all)
#   make test     set up .venv and run the tests
#   make setup    set up .venv only
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# rules call the `posec3d` command: the environment's bin goes first on PATH
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup test table4 report bench

setup:
	bash tools/install.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

table4: setup
	$(VENV)/bin/snakemake --cores all results/table4.csv

report: setup
	$(VENV)/bin/snakemake --cores all
	$(VENV)/bin/snakemake --report results/report.html

bench: setup
	$(PY) benchmarks/bench_volumes.py
	$(PY) benchmarks/bench_data_path.py

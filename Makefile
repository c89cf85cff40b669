# posec3d-bench: the two commands a newcomer needs (README "Quick start").
#   make test     set up .venv (first time: ~15 min, mostly building mmcv) and run the tests
#   make setup    set up .venv only
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup test bench

setup:
	bash tools/install.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/bench_volumes.py
	$(PY) benchmarks/bench_data_path.py

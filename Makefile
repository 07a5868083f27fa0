# crowdwall — every target installs what it needs, so each works on a fresh Debian machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
TEST_DEBS := memcached redis-server libmemcached-dev zlib1g-dev nginx libnginx-mod-http-ndk libnginx-mod-http-set-misc libnginx-mod-http-cache-purge libnginx-mod-nchan postgresql chromium fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji varnish varnish-modules
BENCH_DEBS := memcached redis-server wrk nginx libnginx-mod-http-ndk libnginx-mod-http-set-misc libnginx-mod-http-cache-purge libnginx-mod-nchan postgresql
PYTEST_ARGS ?=
PORT ?= 8000
# The real-world corpus (parsing only) and the browser tests (the page in Chromium) do not depend
# on the database engine: they run once, on SQLite.
PG_TESTS ?= tests/crowdwall tests/security tests/herdcache/test_lifecycle.py --ignore=tests/crowdwall/corpus --ignore=tests/crowdwall/browser
# Two distributions: herdcache (packages/herdcache, its source is src/herdcache) and crowdwall (the
# root, which pins herdcache exactly). One pip command installs both editable, so the pin is met by
# this checkout's herdcache and never looked up on an index.
HERDCACHE := packages/herdcache
PROJECTS := pyproject.toml $(HERDCACHE)/pyproject.toml

.PHONY: demo demo-port-free test acceptance lint bench format clean venv

# Debian's own Python needs python3-venv for `-m venv`: install it only if venv creation fails.
$(PY):
	$(PYTHON) -m venv $(VENV) || (scripts/ensure-debs.sh python3-venv && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip

$(DEMO_STAMP): $(PROJECTS) | $(PY)
	$(PY) -m pip install -q -e "$(HERDCACHE)[pymemcache,redis]" -e ".[demo]"
	touch $@

$(STAMP): $(PROJECTS) | $(PY)
	scripts/ensure-debs.sh $(TEST_DEBS)
	$(PY) -m pip install -q -e "$(HERDCACHE)[pymemcache,redis,pylibmc]" -e ".[test,dev,bench,pylibmc,demo]"
	touch $@ $(DEMO_STAMP)

venv: $(STAMP)

# The port is checked first, before anything is installed: taken, make demo stops at once.
demo: demo-port-free $(DEMO_STAMP)
	cd example && ../$(PY) manage.py migrate --noinput -v0
	cd example && ../$(PY) manage.py crowdwall demo --site-url http://127.0.0.1:$(PORT)
	@echo "Serving http://127.0.0.1:$(PORT)/ (live; Ctrl-C stops it)"
	cd example && ../$(PY) manage.py runserver 127.0.0.1:$(PORT)

demo-port-free:
	@$(PYTHON) scripts/port_free.py "$(PORT)"

# The whole suite on SQLite, then crowdwall's (and herdcache's remembered-URL lifecycle) again on
# PostgreSQL (started by the fixtures).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) -m pytest --db=postgres -p no:cacheprovider $(PG_TESTS)

# Behaviour scenarios in real Chromium (Debian's, from TEST_DEBS); TAGS=moderation picks a subset
# (any pytest -m expression over the feature tags: TAGS="wall and not slow").
acceptance: $(STAMP)
	$(PY) -m pytest tests/acceptance $(if $(TAGS),-m "$(TAGS)") $(PYTEST_ARGS)

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
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info $(HERDCACHE)/build $(HERDCACHE)/dist $(HERDCACHE)/src/*.egg-info

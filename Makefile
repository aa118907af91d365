# The README's two commands: `make serve` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   ?= .venv
STORE  ?= .store
HOST   ?= 127.0.0.1
PORT   ?= 8000
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages the test suite drives: headless Chromium for the browser tests, wrk for the
# endpoint load test of the benchmark smoke run.
TEST_DEBS := chromium wrk

.PHONY: serve test test-remote servers install build debian-deps node-deps screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(BIN)/kpi-registry build --store $(STORE)

serve: build
	$(BIN)/kpi-registry stats --store $(STORE)
	$(BIN)/kpi-registry serve --store $(STORE) --host $(HOST) --port $(PORT)

# Installs what is missing when run as root (CI, a fresh machine); otherwise says what is missing.
debian-deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "missing Debian packages:$$missing (run as root to install; their tests skip, or fail with CI=true)"; fi

# YASGUI from the npm registry, as pinned by tests/yasgui/package-lock.json, for tests/test_yasgui.py; npm
# (Debian's package) is installed first when missing and run as root, otherwise the test skips, or fails with CI=true.
YASGUI := tests/yasgui
node-deps:
	@if [ -f $(YASGUI)/node_modules/@zazuko/yasgui/build/yasgui.min.js ]; then exit 0; fi; \
	if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian packages: npm"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	  else echo "missing: npm (run as root to install; the YASGUI test skips, or fails with CI=true)"; exit 0; fi; \
	fi; \
	npm ci --prefix $(YASGUI) --no-audit --no-fund --loglevel=error

# The remote tests (marker `remote`) start Virtuoso and the Oxigraph server themselves (tests/remote.py),
# installing them first when missing; without root their tests skip, or fail with CI=true.
# One test worker per core (pytest-xdist): the suite is mostly CPU (stores, SHACL, servers), so two cores halve
# it. A test module goes whole to the next free worker (loadscope), so its module fixtures (the benchmark smoke
# run, built stores) are made once. Each worker starts its own servers on free ports.
test: install debian-deps node-deps
	$(BIN)/python -m pytest -q -n auto --dist loadscope

# Virtuoso Open Source 7 (apt-get, needs root) and the Oxigraph server (pip into the venv); idempotent.
servers: install
	bash tests/servers/virtuoso.sh install
	VENV=$(VENV) bash tests/servers/oxigraph.sh install

test-remote: servers
	$(BIN)/python -m pytest -q -m remote

# The national-scale benchmarks (README, Performance): about an hour, most of it the naive rdflib path.
# BENCH_SCALE=small for a quick look, international for 5,000 cities (no naive path).
BENCH_SCALE ?= national
bench: install debian-deps
	$(BIN)/python benchmarks/run.py --scale $(BENCH_SCALE) --json build/bench/$(BENCH_SCALE).json

screenshots: install debian-deps node-deps
	KPI_REGISTRY_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -m browser

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache build $(YASGUI)/node_modules

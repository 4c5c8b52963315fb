# Ledgerbridge: `make demo` runs the product, `make test` passes the tests. Needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/ledgerbridge

.PHONY: demo test lint typecheck test-sqlite test-postgres bench crash-campaign browser-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ledgerbridge demo

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "Could not install chromium: browser tests will be skipped (they fail under CI=true)"; }

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test-sqlite: $(STAMP) browser-deps
	$(BIN)/pytest -p no:cacheprovider

# The database-sensitive tests (marked `postgres`) again on PostgreSQL. Under CI=true a
# missing PostgreSQL fails the run; elsewhere it is skipped with a note.
test-postgres: $(STAMP)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL:/ledgerbridge=/postgres)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL run =="; \
	  DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -m postgres; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is required under CI=true but $(PG_URL) is not reachable"; exit 1; \
	else \
	  echo "PostgreSQL is not reachable at $(PG_URL): skipping its run (required under CI=true)"; \
	fi

test: lint typecheck test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python -m bench

# The crash campaign at full size (2,000 invoices; `make test` runs it with 300), on PostgreSQL.
crash-campaign: $(STAMP)
	DATABASE_URL=$(PG_URL) CRASH_INVOICES=2000 $(BIN)/pytest -p no:cacheprovider \
	  tests/xero/test_crash_campaign.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Every target bootstraps .venv itself: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lyceum-installed
# uv must never download an interpreter: the machine's Python is the one we use.
export UV_PYTHON_DOWNLOADS := never

.PHONY: up test lint audit bench migrate seed backup restore restore-local clean-venv

BACKUPS := backups
TIMESTAMP := $(shell date -u +%Y%m%d-%H%M%S)

$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Lyceum needs Python 3.11 or newer (set PYTHON=python3.X)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.4'
	@# The lock file pins every version; plain pip (pip install -e '.[dev]') works too.
	@$(BIN)/uv sync --frozen --all-extras --python $(BIN)/python --quiet \
		|| $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

up: $(STAMP)  ## Run everything: embedded PostgreSQL, migrations, demo data, API on :8000
	@$(BIN)/lyceum up

test: $(STAMP)  ## The whole test suite (embedded PostgreSQL unless DATABASE_URL is set)
	@# A worker per core (pytest-xdist), each with its own database and Redis; a module's tests
	@# (and the browser package) stay on one worker, so module fixtures are built once. Tests
	@# marked `serial` (probe migrations in the checkout, the OpenAPI contract) run afterwards.
	@$(BIN)/pytest -n auto --dist loadgroup -m "not serial"
	@$(BIN)/pytest -m serial

lint: $(STAMP)  ## ruff, mypy and the import contracts
	@$(BIN)/ruff check src tests migrations benchmarks
	@$(BIN)/ruff format --check src tests migrations benchmarks
	@$(BIN)/mypy
	@$(BIN)/lint-imports --no-cache

# The locked dependencies (every extra), exported with their hashes; the project itself is not
# on the index and is not exported. AUDIT_ARGS passes options, e.g. another vulnerability
# service: make audit AUDIT_ARGS='-s osv --osv-url http://mirror.example/v1/query'.
AUDIT_REQUIREMENTS := $(VENV)/audit-requirements.txt
audit: $(STAMP)  ## Known vulnerabilities in the locked dependencies (pip-audit --strict)
	@$(BIN)/uv export --frozen --all-extras --no-emit-project --format requirements-txt \
		--quiet -o $(AUDIT_REQUIREMENTS)
	@$(BIN)/pip-audit --strict --disable-pip --require-hashes --progress-spinner off \
		-r $(AUDIT_REQUIREMENTS) $(AUDIT_ARGS)

bench: $(STAMP)  ## Benchmarks, each against a baseline measured in the same run
	@$(BIN)/lyceum bench

migrate: $(STAMP)  ## Apply every migration (alembic upgrade head)
	@$(BIN)/alembic upgrade head

# `lyceum generate adaptive` runs only once the adaptive app has a data generator.
seed: $(STAMP)  ## Reference data for every app, then the adaptive app's sample data
	@$(BIN)/lyceum seed
	@$(BIN)/lyceum generate adaptive --scale small

backup: $(STAMP)  ## PostgreSQL (pg_dump) and the local SQLite database (online backup) to backups/
	@mkdir -p $(BACKUPS)
	@$(BIN)/lyceum db backup $(BACKUPS)/lyceum-$(TIMESTAMP).dump
	@$(BIN)/lyceum adaptive backup-local $(BACKUPS)/adaptive-local-$(TIMESTAMP).db

restore: $(STAMP)  ## Restore PostgreSQL: make restore BACKUP=backups/lyceum-<timestamp>.dump
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/lyceum-<timestamp>.dump"; exit 2; }
	@$(BIN)/lyceum db restore "$(BACKUP)"

restore-local: $(STAMP)  ## Restore SQLite: make restore-local BACKUP=backups/adaptive-local-<timestamp>.db
	@test -n "$(BACKUP)" || { echo "usage: make restore-local BACKUP=backups/adaptive-local-<timestamp>.db"; exit 2; }
	@$(BIN)/lyceum adaptive restore-local "$(BACKUP)"

clean-venv:
	rm -rf $(VENV)

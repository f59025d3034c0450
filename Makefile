# ALDIS developer entry points. The README's two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A database for the PostgreSQL half of `make test` (pytest-django creates test_<name> in it).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/aldis
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
DEMO_PERSONS ?= 20000

.PHONY: demo test install lint typecheck test-sqlite test-postgres serve clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Set up and serve the demo: migrate, load a synthetic country, run a month, serve on :8000.
demo: export DJANGO_DEBUG = true
demo: export ALDIS_DEMO_SIGN_IN = true
demo: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	DJANGO_LOG_LEVEL=WARNING $(BIN)/python manage.py demo_setup --persons $(DEMO_PERSONS)
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Every check and test: lint, types, the suite on SQLite, then on PostgreSQL with a real
# Celery worker on Redis (skipped with a message when those services are not running,
# except in CI, where they must be).
test: lint typecheck test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: export DJANGO_DEBUG = true
typecheck: $(STAMP)
	$(BIN)/mypy .

test-sqlite: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CACHE_URL $(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if $(BIN)/python -m aldis.probe "$(TEST_POSTGRES_URL)" "$(TEST_REDIS_URL)"; then \
		DATABASE_URL="$(TEST_POSTGRES_URL)" REDIS_URL="$(TEST_REDIS_URL)" \
			$(BIN)/python -m pytest --create-db $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
		echo "CI: PostgreSQL and Redis must be running for the production-shape suite" >&2; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL/Redis suite: start PostgreSQL and Redis (see README) to run it" >&2; \
	fi

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static .mypy_cache .ruff_cache .pytest_cache

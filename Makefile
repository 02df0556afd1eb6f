# The README's commands. `make run` for the demo, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

# Where `make run` serves the demo (links in its emails follow it): make run ADDR=127.0.0.1:8107
ADDR ?= 127.0.0.1:8000

# Tests talk to the real services on this machine; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# Test processes (pytest-xdist), each with its own test database and Redis database (counting up
# from TEST_REDIS_URL's, plus one spare: tests/redis_dbs.py). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck bench setup assets browser clean lock

setup: $(VENV)/.installed assets

$(VENV)/.installed: requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null
	# Hash-checked: every package, direct or not, is the file the lock names.
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import django, allauth, celery"  # fail here if the install did not
	touch $@

# Front-end packages come from npm and are copied into static/vendor (no CDN).
assets: static/vendor/.built

static/vendor/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	touch $@

run: setup
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) rundemo --addr $(ADDR)

browser:
	@bash scripts/ensure-chromium

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	DATABASE_URL=sqlite:///:memory: $(MANAGE) makemigrations --check --dry-run

test: setup browser lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

bench: setup
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-bench-secret-key-that-is-long-enough-for-the-production-profile} \
	ALLOWED_HOSTS=testserver,127.0.0.1,localhost SECURE_SSL_REDIRECT=false SITE_URL=http://testserver \
	FIELD_ENCRYPTION_KEYS=$${FIELD_ENCRYPTION_KEYS:-$$($(BIN)/python -c "import base64;print(base64.urlsafe_b64encode(b'b'*32).decode())")} \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/pytest tests/benchmarks -p no:cacheprovider -o addopts="" -q $(PYTEST_ARGS)

# Re-pin after changing pyproject.toml: uv resolves the ranges with hashes, keeping every
# pin that still fits. requirements.lock is what production installs (the Dockerfile);
# requirements-dev.lock adds the test and lint tools with the same versions.
# tests/test_lock.py fails while pyproject.toml asks for something the locks do not pin.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	--quiet --custom-compile-command "make lock"
lock: setup
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) node_modules static/vendor var staticfiles

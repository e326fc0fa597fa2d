# Two commands on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format bench install migrate demo messages clean worker soak

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(bin/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Front-end libraries (package-lock.json) from the npm registry; `npm ci` empties
# node_modules first, so the stamp inside it marks one install of this lockfile.
NODE_STAMP := node_modules/.installed-$(shell cksum package-lock.json | cut -d' ' -f1)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel error
	touch $(NODE_STAMP)

# Translations are compiled from the .po on every install; the .mo is not kept in git.
# Vendor browser builds are copied into static/vendor/ (not in git) for whitenoise.
install: $(STAMP) $(NODE_STAMP)
	bin/compile-translations
	bin/vendor-assets

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Serves on 127.0.0.1:8000. With REDIS_URL set a Celery worker and beat run beside it;
# without it tasks run eagerly in the web process.
run: demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	bin/serve

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# More seeds of the whole-system simulation than CI runs (PostgreSQL: set DATABASE_URL).
# SEEDS=N seeds of OPS operations on THREADS threads; SIM_SEED=… replays one.
SEEDS ?= 20
OPS ?= 2000
THREADS ?= 4
soak: install
	SIM_SEEDS=$(SEEDS) SIM_OPS=$(OPS) SIM_THREADS=$(THREADS) $(PY) -m pytest tests/simulation -q -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

messages: install
	$(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*'
	$(PY) manage.py compilemessages --ignore '.venv'

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles db.sqlite3 test-artifacts

# The front door. Every target works from a fresh clone: it makes .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Up to 4 test processes: each loads TensorFlow (about 1 GB), so more rarely pays.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_ARGS ?=

.PHONY: run test lint format migrations-check superuser bench deploy-check system-deps venv clean demo-model

venv: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "RapLyrics needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@# textgenrnn only ships the pretrained weights we load; its own pins (full tensorflow,
	@# scikit-learn) are not needed, so it is installed without them.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps textgenrnn==2.0.0
	@touch $@

## run: migrate, prepare the demo model on first use, serve on http://127.0.0.1:8000
run: venv
	$(PY) manage.py migrate --noinput
	@# First run only: register the demo model shipped in generator/demo/model/ (no training).
	$(PY) manage.py prepare_demo_model
	@echo "RapLyrics development server on http://$${GUNICORN_BIND:-127.0.0.1:8000} (DEBUG is on unless DJANGO_DEBUG=0)."
	@echo "Not for production: there, run behind Apache with DJANGO_DEBUG=0 (docs/deploy.md, docs/security.md)."
	$(VENV)/bin/gunicorn -c gunicorn.conf.py raplyrics.wsgi

## demo-model: retrain the shipped demo model (generator/demo/model/) to its best held-out loss
DEMO_BUILD := var/demo-model-build
demo-model: venv
	rm -rf $(DEMO_BUILD) && mkdir -p $(DEMO_BUILD)
	@# A scratch database and storage of its own: the result is the files it exports.
	DATABASE_URL=sqlite:///$(CURDIR)/$(DEMO_BUILD)/db.sqlite3 RAPLYRICS_DATA_DIR=$(CURDIR)/$(DEMO_BUILD) \
	ARTIFACTS_DIR=$(CURDIR)/$(DEMO_BUILD)/artifacts ARTIFACTS_S3_BUCKET= RAPLYRICS_SKIP_DEMO= \
	sh -c '$(PY) manage.py migrate --noinput -v 0 && \
	  $(PY) manage.py prepare_demo_model --retrain --export generator/demo/model'

## test: lint, migrations check and the whole suite (real PostgreSQL/Redis when reachable)
test: venv system-deps lint migrations-check
	@# loadgroup: tests marked with one xdist_group (the production stack's) share a worker.
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## lint: ruff (lint + format) and mypy (strict where pyproject.toml's [tool.mypy] says)
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: venv
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run

## superuser: create an admin account (interactive, or DJANGO_SUPERUSER_* env vars with --noinput)
superuser: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createsuperuser $(if $(DJANGO_SUPERUSER_USERNAME),--noinput,)

## bench: the benchmarks in bench/, each printing a table against its baseline
bench: venv
	@# The baselines run the textgenrnn library itself, in a Keras 2 venv of its own.
	@test -x .venv-textgenrnn/bin/python || bash bench/textgenrnn_ref/make_venv.sh .venv-textgenrnn
	$(PY) -m bench

## deploy-check: production end to end on loopback: Apache (TLS, static, proxy) before gunicorn
# The tests of tests/deploy/test_production_stack.py, which fail (not skip) when apache2, openssl
# or PostgreSQL is missing; each passing test prints what it saw.
deploy-check: venv system-deps
	DEPLOY_CHECK_REQUIRED=1 $(PY) -m pytest -p no:cacheprovider -v -rP tests/deploy/test_production_stack.py

## system-deps: Debian packages the tests drive for real (Chromium, Apache), when root and missing
system-deps:
	@bash scripts/system-packages.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-output

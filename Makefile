# Two commands for a fresh machine with only Python 3.12+: `make run` and `make test`.
# DATABASE_URL / REDIS_URL select real servers; unset, embedded ones start (config/devservices.py).

PY_CANDIDATES := python3.13 python3.12 python3 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)
PYTHON ?= $(firstword $(foreach p,$(PY_CANDIDATES),$(shell command -v $(p) >/dev/null 2>&1 \
	&& $(p) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && command -v $(p))))
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
VENV_PY := .venv/bin/python

.PHONY: run test lint format check browser sync clean
.DEFAULT_GOAL := run

$(UV):
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)."; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv>=0.9"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

sync: .venv/.synced

run: sync
	$(VENV_PY) -m config.devservices run

# Tests run with DEBUG off, as in production; the key below is only for them.
test: sync
	SECRET_KEY="$${SECRET_KEY:-tests-only-not-a-secret}" \
	$(VENV_PY) -m config.devservices exec -- $(VENV_PY) -m pytest $(PYTEST_ARGS)

lint: sync
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: sync
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# Django's checks, migrations up to date (no database writes).
check: sync
	$(VENV_PY) -m config.devservices exec -- $(VENV_PY) manage.py check
	$(VENV_PY) -m config.devservices exec -- $(VENV_PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf .venv .tools .local staticfiles

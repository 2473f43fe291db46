# Everything a fresh machine needs: `make plan` sets up .venv with the runtime
# dependencies only (requirements.txt); `make test` adds the development tools
# (requirements-dev.txt). Both files are hash-locked: pip refuses anything else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# The lock files' target: CI's Python on Linux x86-64, whatever machine compiles them.
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_17 --custom-compile-command "make lock"

.PHONY: plan test typecheck lint bench dev lock compile

# The project's own packages. Python compiles a module on every import unless a current .pyc
# exists, and a machine that sets PYTHONDONTWRITEBYTECODE never writes one; pip compiled the
# SDKs when it installed them. `compile` does the same for the project (changed files only).
SOURCES := components stacks estate policies providers

# The locks are resolved for Python 3.11 (CI's): another version stops here with the fix.
$(PY):
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(None if v == "3.11" else f"make: the locks are for Python 3.11, $(PYTHON) is {v}. Fix: make $(MAKECMDGOALS) PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Each install says what it does and how long it took; it runs again only when its lock changes.
$(RUNTIME_STAMP): requirements.txt | $(PY)
	@echo "make: installing the runtime dependencies (requirements.txt, hash-checked) into $(VENV); first run only, about a minute"
	@start=$$(date +%s); $(PIP_INSTALL) -r requirements.txt \
		&& echo "make: runtime dependencies installed in $$(( $$(date +%s) - start )) s"
	@touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	@echo "make: installing the development tools (requirements-dev.txt, hash-checked) into $(VENV); first run only, about a minute"
	@start=$$(date +%s); $(PIP_INSTALL) -r requirements-dev.txt \
		&& echo "make: development tools installed in $$(( $$(date +%s) - start )) s"
	@touch $@

compile: $(RUNTIME_STAMP)
	@$(PY) -m compileall -q $(SOURCES)

plan: compile
	$(PY) -m estate plan --stack prod --stack staging

dev: $(DEV_STAMP)

typecheck: $(DEV_STAMP)
	$(VENV)/bin/basedpyright

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(DEV_STAMP) compile typecheck lint
	$(PY) -m pytest -q

bench: $(DEV_STAMP)
	$(PY) benchmarks/plan_speed.py
	$(PY) benchmarks/suite_speed.py

# Recompile the locks after editing requirements.in or requirements-dev.in (README, "Dependencies").
# Unchanged pins keep their versions; UPGRADE="pkg ..." moves those packages to their newest allowed release.
lock: $(DEV_STAMP)
	$(UV_COMPILE) $(foreach p,$(UPGRADE),--upgrade-package $(p)) requirements.in -o requirements.txt
	$(UV_COMPILE) $(foreach p,$(UPGRADE),--upgrade-package $(p)) requirements-dev.in -o requirements-dev.txt

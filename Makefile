# Everything a fresh machine needs: `make plan` and `make test` set up .venv from
# the pinned requirements on first use.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: plan test typecheck lint bench

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

plan: $(STAMP)
	$(PY) -m estate plan --stack prod --stack staging

typecheck: $(STAMP)
	$(VENV)/bin/basedpyright

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) typecheck lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/plan_speed.py

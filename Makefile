# Two commands for a fresh machine:
#   make demo   set up .venv and run the demo (embedded PostgreSQL + Valkey, the app)
#   make test   set up .venv and run every test
# Python 3.11+ is taken from $(PYTHON).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

# Reinstall only when the dependencies change. requirements.lock pins every package that
# was tested together; pyproject.toml lists what we depend on directly.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/concierge demo

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) artifacts .pytest_cache

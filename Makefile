# Two commands for a fresh machine:
#   make demo   set up .venv and run the demo (embedded PostgreSQL + Valkey, the app)
#   make test   set up .venv and run every test
# Python 3.11+ is taken from $(PYTHON).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

# Reinstall only when the dependencies change. pyproject.toml lists what we depend on
# directly; requirements-dev.lock pins, with hashes, every package that was tested together
# (runtime + dev; requirements.lock is the runtime part, for the image). The project itself
# goes in editable and without dependencies, built by the locked setuptools; pip check then
# fails if the lock misses something pyproject.toml asks for. See docs/dependencies.md.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/concierge demo

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) artifacts .pytest_cache

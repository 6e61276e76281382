# One entry point for people and CI. `make run` builds the graph from data/ and serves it;
# `make test` sets up everything the tests need and runs them.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run setup setup-test test build serve bench clean editor

$(BIN)/llmkg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@# byte-compile the sources, as pip does for a regular install (an editable one does not):
	@# a cold `llmkg query` then starts without compiling its modules
	$(BIN)/python -m compileall -q src
	@touch $@

setup: $(BIN)/llmkg

$(VENV)/.test-deps: $(BIN)/llmkg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup-test: $(VENV)/.test-deps

build: setup
	$(BIN)/llmkg build

serve: setup
	$(BIN)/llmkg serve --host $(HOST) --port $(PORT)

run: build serve

test: setup-test
	$(BIN)/python -m pytest -q

bench: setup-test
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .llmkg .pytest_cache

# the query page's SPARQL editor (CodeMirror 6, editor/src/editor.js), bundled into the
# package's static files; the bundle is committed, so only a change of the editor needs npm
editor:
	cd editor && npm ci --silent && npm run -s build

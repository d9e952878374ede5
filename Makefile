# Oversite: `make run` serves the embedded default with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test bench clean migration layout

install: $(VENV)/.installed node_modules/.installed web/translations/.compiled

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

web/translations/.compiled: $(VENV)/.installed $(wildcard web/translations/*/LC_MESSAGES/*.po)
	$(BIN)/pybabel compile --use-fuzzy -d web/translations -f
	touch $@

run: install
	$(BIN)/oversite init
	$(BIN)/oversite demo
	$(BIN)/oversite serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python -m tests.bench.engine_bench
	$(BIN)/python -m tests.bench.reports_bench
	$(BIN)/python -m tests.bench.inbox_bench
	$(BIN)/python -m tests.bench.sink_bench
	$(BIN)/python -m tests.bench.ingest_bench

# Shipped diagrams: workflows/<family>/src/X.bpmn (written without diagram layout) →
# workflows/<family>/X.bpmn with BPMN DI, lanes included (tools/bpmn-layout.mjs).
LAYOUT_SOURCES := $(wildcard workflows/*/src/*.bpmn)
layout: node_modules/.installed
	@for src in $(LAYOUT_SOURCES); do \
		out="$$(dirname "$$(dirname "$$src")")/$$(basename "$$src")"; \
		node tools/bpmn-layout.mjs "$$src" "$$out" && echo "layout: $$src -> $$out" || exit 1; \
	done

# Regenerate the single initial migration while the schema is unreleased (developer tool).
migration: install
	rm -f /tmp/oversite-migration.sqlite3 storage/migrations/versions/*.py
	$(BIN)/python -c "import storage; from storage.migrate import revision; revision(storage.make_engine('sqlite:////tmp/oversite-migration.sqlite3'), 'initial schema')"

clean:
	rm -rf $(VENV) node_modules var .pytest_cache web/translations/.compiled

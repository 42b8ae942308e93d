# Quick start: `make demo` (local Label Studio + seed article + dataset), `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
LS_VENV := .venv-ls
LS_VERSION := 1.23.2
TK := $(VENV)/bin/toolkit
SEEDS ?= examples/seeds
DATASET := dist/news-relations
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help venv label-studio-install label-studio label-studio-stop login open ingest tasks push pull \
        validate dataset export demo test lint clean bench

help:
	@echo "make demo               fresh machine -> Label Studio running, seed article pushed, dataset built"
	@echo "make test               whole test suite (starts its own Label Studio)"
	@echo "make label-studio       start the local Label Studio (prints URL and login)"
	@echo "make label-studio-stop  stop it"
	@echo "make pull dataset       annotations from Label Studio -> annotations/ -> $(DATASET)"
	@echo "make lint               ruff + mypy"
	@echo "make test-browser       the real-browser tests only (needs /usr/bin/chromium: apt-get install chromium)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# Label Studio lives in its own virtualenv so its pins never clash with the toolkit's.
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(LS_VENV)/bin/pip install $(PIP_QUIET) 'label-studio==$(LS_VERSION)'
	touch $@

label-studio-install: $(LS_VENV)/.installed

label-studio: venv label-studio-install
	@$(TK) label-studio start
	@$(TK) label-studio login

label-studio-stop: venv
	@$(TK) label-studio stop

login: venv
	@$(TK) label-studio login

open: login
	@echo "Open the URL above, log in, click the project 'News relations', then 'Label All Tasks'."

ingest: venv
	$(TK) ingest $(SEEDS) -o build/articles.jsonl

tasks: ingest
	$(TK) tasks build/articles.jsonl -o build/tasks.jsonl

push: tasks
	$(TK) push build/tasks.jsonl --annotations annotations

pull: venv
	$(TK) pull -o annotations

validate: venv
	$(TK) validate annotations

dataset export: validate
	$(TK) export annotations -o $(DATASET)

demo: label-studio push dataset
	@$(VENV)/bin/python -c "from datasets import load_dataset; ds = load_dataset('$(DATASET)', split='train'); \
	  print(f'load_dataset($(DATASET)): {ds.num_rows} document(s), ' \
	  f'{sum(len(e) for e in ds[\"entities\"])} entities, {sum(len(r) for r in ds[\"relations\"])} relations')"
	@echo
	@echo "Label Studio is running. Open the URL above and log in with the e-mail and password printed above."
	@echo "Annotate (project 'News relations' -> Label All Tasks), then run: make pull dataset"
	@echo "Stop the server with: make label-studio-stop"

test: venv label-studio-install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check toolkit tests scripts
	$(VENV)/bin/mypy

clean:
	rm -rf build dist

bench: venv
	$(VENV)/bin/python -m toolkit.bench --tasks $${BENCH_TASKS:-20000}

release: validate
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(TK) release --version $(VERSION) annotations -o $(DATASET)

publish: venv
	@test -n "$(REPO)" || { echo "usage: make publish REPO=ORG/NAME [DRY_RUN=1]"; exit 2; }
	$(TK) publish $(DATASET) --repo-id $(REPO) $(if $(DRY_RUN),--dry-run,)

.PHONY: agreement adjudicate
agreement: venv
	$(TK) agreement annotations

adjudicate: venv
	$(TK) adjudicate annotations

# The real-browser test: Debian's Chromium (apt-get install chromium), driven by playwright.
.PHONY: test-browser screenshot preannotate-eval
test-browser: venv label-studio-install
	$(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

# docs/labeling.png, taken by the browser test just before it submits.
screenshot: venv label-studio-install
	TOOLKIT_DOCS_SCREENSHOT=docs/labeling.png $(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

preannotate-eval: venv
	$(TK) preannotate-eval --annotations annotations

# Quick start: `make demo` (local Label Studio + seed article + dataset), `make test` (whole suite).
# `make help` lists every target: it prints the `## ` comment after each target name.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
LS_VENV := .venv-ls
LS_VERSION := 1.23.2
TK := $(VENV)/bin/toolkit
SEEDS ?= examples/seeds
DATASET := dist/news-relations
PIP_QUIET := --quiet --disable-pip-version-check
FAST := not labelstudio and not browser
WATCH_PID := .labelstudio/watch.pid
HEARTBEAT := scripts/heartbeat

.PHONY: help venv label-studio-install label-studio label-studio-stop login open ingest tasks push pull \
        validate stats dataset export demo test test-fast test-browser fuzz lint clean bench release publish agreement \
        adjudicate screenshot preannotate-eval watch

help: ## list every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_ -]+:.*## / {printf "make %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(HEARTBEAT) "installing pip in .venv" $(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(HEARTBEAT) "installing the toolkit and its test tools in .venv" $(VENV)/bin/pip install $(PIP_QUIET) -e '.[test]'
	touch $@

venv: $(VENV)/.installed ## the toolkit's virtualenv (.venv) with the test tools

# Label Studio lives in its own virtualenv so its pins never clash with the toolkit's.
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(HEARTBEAT) "installing pip in $(LS_VENV)" $(LS_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(HEARTBEAT) "installing Label Studio $(LS_VERSION) in $(LS_VENV) (about 1 GB)" \
	  $(LS_VENV)/bin/pip install $(PIP_QUIET) 'label-studio==$(LS_VERSION)'
	touch $@

label-studio-install: $(LS_VENV)/.installed ## Label Studio in its own virtualenv (.venv-ls, about 1 GB)

# LABEL_STUDIO_DB=postgresql (here, in the environment or in .env) runs it on a PostgreSQL cluster the toolkit
# keeps in .labelstudio/postgres; LABEL_STUDIO_DB_URL=postgresql://... on an existing server. Make passes both on.
label-studio: venv label-studio-install ## start the local Label Studio on 127.0.0.1 and toolkit watch (LABEL_STUDIO_DB=postgresql: on PostgreSQL)
	@$(TK) label-studio start
	@$(TK) label-studio login
	@if [ -f $(WATCH_PID) ] && kill -0 "$$(cat $(WATCH_PID))" 2>/dev/null; then \
	  echo "toolkit watch already running (pid $$(cat $(WATCH_PID))), log: .labelstudio/watch.log"; \
	else \
	  umask 077; nohup $(TK) watch >> .labelstudio/watch.log 2>&1 & echo $$! > $(WATCH_PID); \
	  echo "toolkit watch started (pid $$(cat $(WATCH_PID))): problems show on the tasks; log: .labelstudio/watch.log"; \
	fi

label-studio-stop: venv ## stop toolkit watch, the local Label Studio and the PostgreSQL cluster it started
	@if [ -f $(WATCH_PID) ]; then \
	  kill "$$(cat $(WATCH_PID))" 2>/dev/null && echo "toolkit watch stopped" || echo "toolkit watch was not running"; \
	  rm -f $(WATCH_PID); \
	fi
	@$(TK) label-studio stop

watch: venv ## validate each submitted annotation and show its problems on the task in Label Studio (Ctrl-C stops)
	$(TK) watch

login: venv ## print the local Label Studio's URL, e-mail and password
	@$(TK) label-studio login

open: login ## how to start annotating
	@echo "Open the URL above, log in, click the project 'News relations', then 'Label All Tasks'."

ingest: venv ## article files (SEEDS=examples/seeds) -> build/articles.jsonl
	$(TK) ingest $(SEEDS) -o build/articles.jsonl

tasks: ingest ## build/articles.jsonl -> build/tasks.jsonl (Label Studio tasks)
	$(TK) tasks build/articles.jsonl -o build/tasks.jsonl

push: tasks ## tasks and the committed annotations -> the Label Studio project
	$(TK) push build/tasks.jsonl --annotations annotations

pull: venv ## Label Studio -> annotations/ (merged, nothing lost)
	$(TK) pull -o annotations

stats: venv ## documents per split, labels, annotators, agreement, and what is left in Label Studio
	$(TK) stats annotations

validate: venv ## check annotations/ (JSON Schema + semantic checks)
	$(TK) validate annotations

dataset export: validate ## annotations/ -> dist/news-relations (unversioned build)
	$(TK) export annotations -o $(DATASET)

demo: label-studio push dataset ## fresh machine -> Label Studio running, seed article pushed, dataset built
	@$(VENV)/bin/python -c "from datasets import load_dataset; dd = load_dataset('$(DATASET)'); \
	  print('load_dataset(\'$(DATASET)\'):', ', '.join(f'{s}: {d.num_rows} document(s), ' \
	  f'{sum(map(len, d[\"entities\"]))} entities, {sum(map(len, d[\"relations\"]))} relations' for s, d in dd.items()))"
	@echo
	@echo "Label Studio is running. Open the URL above and log in with the e-mail and password printed above."
	@echo "Annotate (project 'News relations' -> Label All Tasks), then run: make pull dataset"
	@echo "Stop the server with: make label-studio-stop"

test: venv label-studio-install ## the whole test suite (its own Label Studio on SQLite and PostgreSQL; browser tests need chromium)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: venv ## every test that needs no Label Studio and no browser (about 2 min, both cores)
	$(VENV)/bin/pytest -m "$(FAST)" -n 2 $(PYTEST_ARGS)

fuzz: venv ## the property-based tests with 3,000 examples each (make test runs 40)
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest -m fuzz $(PYTEST_ARGS)

test-browser: venv label-studio-install ## only the real-browser tests (needs /usr/bin/chromium: apt-get install chromium)
	$(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

lint: venv ## ruff, mypy and the layer contract (import-linter)
	$(VENV)/bin/ruff check toolkit tests scripts
	$(VENV)/bin/ruff format --check toolkit tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

clean: ## remove build/ and dist/
	rm -rf build dist

bench: venv label-studio-install ## throughput and peak memory of each stage against the raw limit (BENCH_STAGES=validate,export,labelstudio BENCH_TASKS=20000 BENCH_LS_TASKS=10000)
	$(VENV)/bin/python -m toolkit.bench --tasks $${BENCH_TASKS:-20000}

release: validate ## versioned release: make release VERSION=X.Y.Z
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(TK) release --version $(VERSION) annotations -o $(DATASET)

publish: venv ## upload the release to the Hub: make publish REPO=ORG/NAME [DRY_RUN=1]
	@test -n "$(REPO)" || { echo "usage: make publish REPO=ORG/NAME [DRY_RUN=1]"; exit 2; }
	$(TK) publish $(DATASET) --repo-id $(REPO) $(if $(DRY_RUN),--dry-run,)

agreement: venv ## inter-annotator agreement over annotations/
	$(TK) agreement annotations

adjudicate: venv ## one gold annotation per document with several annotators
	$(TK) adjudicate annotations

screenshot: venv label-studio-install ## docs/labeling.png and docs/problems.png, taken by the browser tests
	TOOLKIT_DOCS_SCREENSHOT=docs/labeling.png TOOLKIT_DOCS_PROBLEMS=docs/problems.png $(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

preannotate-eval: venv ## precision and recall of pre-annotation on annotations/
	$(TK) preannotate-eval --annotations annotations

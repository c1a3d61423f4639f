# The single entry point: make run | test | train | knowledge | purge | lint | format | bench | clean
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10 exactly. Override with: make PYTHON=/path/to/python3.10 ...
PYTHON ?= $(shell for c in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	$$c -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { echo $$c; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

FRONTEN := $(BIN)/fronten

# The code's own defaults are in bot/settings.py. Only what the shell (Procfile) and Rasa
# (endpoints.yml) expand themselves is set here, from the same variables.
export BOT_HOST ?= 127.0.0.1
export BOT_PORT ?= 5005
export BOT_PUBLIC_URL ?= http://$(BOT_HOST):$(BOT_PORT)
export CORS_ORIGINS ?= http://127.0.0.1:$(or $(WEB_PORT),8000) http://localhost:$(or $(WEB_PORT),8000)
export ACTION_ENDPOINT_URL ?= http://$(or $(ACTION_HOST),127.0.0.1):$(or $(ACTION_PORT),5055)/webhook
# Quieter TensorFlow, which Rasa imports even when no component uses it.
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Make's own file targets (not exported: the processes take the same defaults themselves).
BOT_DATA_DIR ?= var
KNOWLEDGE_DB ?= $(BOT_DATA_DIR)/knowledge.db

MODEL := models/assistant.tar.gz
PIPELINE_STAMP := $(BOT_DATA_DIR)/nlp-pipeline.txt
KNOWLEDGE_FILES := $(shell find knowledge -name '*.yml')
TRAINING_FILES := config.yml domain.yml $(shell find data -name '*.yml') data/nlu/lookups.yml bot/rasa/nlp.py

.PHONY: help install knowledge train run test nlu-check answer-check coverage purge lint format bench scale-test load-test audit clean python

help:
	@echo "make run    start the assistant (Rasa on :$(BOT_PORT), actions on :$(ACTION_PORT), web on :$(WEB_PORT))"
	@echo "make test   run the whole test suite"
	@echo "make train  train the model if its data changed"
	@echo "make nlu-check  intent F1 on the held-out set"
	@echo "make answer-check  right / wrong with a source / abstained on the held-out answer set"
	@echo "make coverage  every section of every seed document, with the facts that cite it"
	@echo "make purge  delete bookings older than the retention period (for cron)"
	@echo "make lint   ruff check and format check"

python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Rasa 3.6 needs Python 3.10, and no python3.10 was found."; \
		echo "Install Python 3.10, or point to it: make PYTHON=/path/to/python3.10 $(MAKECMDGOALS)"; \
		exit 1; \
	fi

# Re-installs (editable) whenever pyproject.toml changes, so a new `fronten` subcommand's
# dependencies and the `fronten` script itself are always there.
$(INSTALLED): pyproject.toml
	@$(MAKE) --no-print-directory python
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED)

# The database and the NLU lookup of service names are both built from knowledge/.
$(KNOWLEDGE_DB) data/nlu/lookups.yml &: $(INSTALLED) $(KNOWLEDGE_FILES) $(wildcard bot/knowledge/*.py)
	$(FRONTEN) knowledge build --db $(KNOWLEDGE_DB) --lookups data/nlu/lookups.yml
	@touch $(KNOWLEDGE_DB)

knowledge: $(KNOWLEDGE_DB)

# Rewritten only when the Danish spaCy pipeline changes (e.g. da_core_news_sm installed).
$(PIPELINE_STAMP): $(INSTALLED) FORCE
	@$(BIN)/python -m bot.rasa.nlp $@ 2>/dev/null | sed 's/^/Danish spaCy pipeline: /'

$(MODEL): $(INSTALLED) $(TRAINING_FILES) $(PIPELINE_STAMP)
	$(BIN)/rasa train --fixed-model-name assistant --out models
	@touch $@

train: $(MODEL)

run: $(MODEL) $(KNOWLEDGE_DB)
	$(BIN)/honcho start -f Procfile

test: $(MODEL) $(KNOWLEDGE_DB)
	$(BIN)/python -m pytest

# Deletes bookings whose appointment ended more than retention_days ago, and conversations
# idle for CONVERSATION_RETENTION_DAYS (default 30), and ratings and missed questions older
# than INSIGHTS_RETENTION_DAYS (default 90). Schedule it daily.
purge: $(INSTALLED)
	$(FRONTEN) purge

# Intent F1 on the held-out set, with every misclassified example.
nlu-check: $(MODEL)
	$(FRONTEN) evaluate tests/data/nlu_heldout.yml $(MODEL) 2>/dev/null

# Right answers, wrong answers given with a source, and abstentions, per service and in
# total, on the held-out questions and conversations (tests/answers/README.md).
ANSWER_SET ?= tests/answers/heldout
answer-check: $(MODEL) $(KNOWLEDGE_DB)
	$(FRONTEN) answer-check $(ANSWER_SET) --json $(BOT_DATA_DIR)/answer-check.json

# Every section heading of every seed document with the facts citing it; the left-out
# sections and their reasons go into knowledge/README.md.
coverage: $(INSTALLED)
	$(FRONTEN) knowledge coverage --seeds ../shared/seeds --readme knowledge/README.md

lint: $(INSTALLED)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

format: $(INSTALLED)
	$(BIN)/ruff check --fix bot tests
	$(BIN)/ruff format bot tests

# Latency, throughput, memory, load and training time, next to stock Rasa (`rasa init`), on
# loopback; both trained from scratch. Prints the table and writes bench/results.md.
bench: $(KNOWLEDGE_DB)
	$(BIN)/python -m bench.perf

# Two Rasa servers sharing a local Redis (locks) and PostgreSQL (conversations), installed
# with apt-get when missing; checks order and state across them. Writes bench/scale-results.md.
scale-test: $(MODEL) $(KNOWLEDGE_DB)
	$(BIN)/python -m bench.scale

# 200 conversations at once for 60 s on loopback; fails on any error or lost reply.
load-test: $(MODEL) $(KNOWLEDGE_DB)
	$(BIN)/python -m bench.load --conversations 200 --seconds 60

# Known vulnerabilities in the installed packages. pip-audit runs from its own venv, because
# its dependencies conflict with Rasa's pins. Exceptions: security/audit-exceptions.txt.
AUDIT_VENV := .venv-audit
audit: $(INSTALLED)
	@[ -x $(AUDIT_VENV)/bin/pip-audit ] || { python3 -m venv $(AUDIT_VENV) && $(AUDIT_VENV)/bin/pip install --quiet pip-audit==2.10.1; }
	$(AUDIT_VENV)/bin/pip-audit --strict --progress-spinner off --path $(VENV)/lib/python3.10/site-packages \
		$$(grep -oE '^(PYSEC|GHSA|CVE)-[A-Za-z0-9-]+' security/audit-exceptions.txt | sed 's/^/--ignore-vuln /')

clean:
	rm -rf models $(BOT_DATA_DIR) .pytest_cache test-artifacts

FORCE:

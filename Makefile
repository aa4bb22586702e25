# Project Nexus Workbook. `make course` opens the course; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg \
          --nbval-cell-timeout 300 --nbval-kernel-startup-timeout 120
# Notebook folders that store outputs (nbval compares them); exercises/ stores none.
NOTEBOOK_DIRS := $(wildcard notebooks solutions)

.DEFAULT_GOAL := help
.PHONY: help install course test test-fast lint services down status prepare golden run bench clean exercises

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python 3.11 or newer is needed, {sys.executable} is {v.major}.{v.minor}: run make PYTHON=python3.12 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the course (only when pyproject.toml changed)

course: install  ## install, start the services, prepare the database, open JupyterLab
	$(BIN)/nexus up
	$(BIN)/nexus prepare
	$(BIN)/nexus lab

test: install  ## run every test: toolkit, sample project, and nbval over the notebooks
	$(BIN)/python -m pytest tests $(NOTEBOOK_DIRS) $(NBVAL) --durations=25

test-fast: install  ## the Python tests only (no notebooks, no slow fault tests)
	$(BIN)/python -m pytest tests -m "not slow"

lint: install  ## ruff over the toolkit, the sample project and the tests
	$(BIN)/ruff check nexus sample_project tests bench

services: install  ## start the embedded services
	$(BIN)/nexus up

down: install  ## stop the embedded services (data stays in .nexus/)
	$(BIN)/nexus down

status: install  ## show the services
	$(BIN)/nexus status

prepare: install  ## build the course template database if out of date
	$(BIN)/nexus prepare

golden: install  ## re-execute notebooks/ and solutions/ in place (refresh stored outputs)
	$(BIN)/nexus golden $(NOTEBOOK_DIRS)

exercises: install  ## regenerate exercises/ from solutions/ (stubs, no outputs)
	$(BIN)/nexus exercises

run: install  ## run every lesson in order into build/run/ and write report.md/.html
	$(BIN)/nexus run

bench: install  ## measure the course on this machine and write bench/RESULTS.md
	$(BIN)/python -m bench.run

clean:  ## stop services and delete .nexus/ (all course data) and build/
	-$(BIN)/nexus down
	rm -rf .nexus build

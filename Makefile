# izreport: `make report` renders the default report, `make test` runs the tests,
# `make lab` starts JupyterLab for analysts. All create or refresh .venv from the pinned
# requirements first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PERIOD ?= 2021-H1
LAB_PORT ?= 8888
# JupyterLab refuses to start as root unless told to (containers, CI machines)
LAB_AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# Debian packages: WeasyPrint's text stack (present on Debian 12, installed if missing);
# the tests also open pages in headless Chromium, read PDFs with poppler, run the store
# tests against a PostgreSQL server of their own (started and stopped by the tests), sign
# with a key on a SoftHSM2 token (the PKCS#11 interface of the agencies' USB tokens) and
# open the Word output in LibreOffice Writer (about a minute to install, without recommends).
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0
TEST_DEBS := chromium poppler-utils postgresql softhsm2 libreoffice-writer

.PHONY: report test lint bench lock sample clean help lab

help:
	@echo "make report   render the $(PERIOD) half-year report into [store] outputs (outputs/)"
	@echo "make test     lint and run the test suite"
	@echo "make lab      JupyterLab on notebooks/ at http://127.0.0.1:$(LAB_PORT) (offline charts)"
	@echo "make bench    run the benchmarks (one report; all zones in parallel; national-size store)"
	@echo "make sample   regenerate the synthetic sample data in data/"
	@echo "make lock     re-pin requirements*.txt from pyproject.toml"

$(VENV)/.runtime: requirements.txt pyproject.toml
	@scripts/system-packages.sh $(RUNTIME_DEBS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@scripts/system-packages.sh $(TEST_DEBS)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# JupyterLab and the project kernel ("izreport (Python 3)") inside .venv
$(VENV)/.lab: $(VENV)/.runtime requirements-lab.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lab.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name izreport --display-name "izreport (Python 3)"
	@touch $@

report: $(VENV)/.runtime
	$(BIN)/izreport render half-year --period $(PERIOD)

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_store.py

# localhost only, no browser opened, no update or news checks (the intranet is offline)
lab: $(VENV)/.lab
	$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) $(LAB_AS_ROOT) \
		--ServerApp.root_dir=notebooks --LabApp.news_url=None \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

sample: $(VENV)/.runtime
	$(BIN)/izreport sample --out data

lock: $(VENV)/.dev
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url --no-emit-find-links -o requirements-dev.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --extra lab --no-emit-index-url --no-emit-find-links -o requirements-lab.txt pyproject.toml

clean:
	rm -rf outputs/*.html outputs/*.pdf outputs/*.ipynb outputs/failed

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
# open the Word output in LibreOffice Writer (about a minute to install, without recommends);
# logrotate checks the rotation snippet of the cron set-up (deploy/logrotate).
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0
TEST_DEBS := chromium poppler-utils postgresql softhsm2 libreoffice-writer logrotate

.PHONY: report test lint bench lock sample clean help lab messages

help:
	@echo "make report   render the $(PERIOD) half-year report into [store] outputs (outputs/)"
	@echo "make test     lint and run the test suite"
	@echo "make lab      JupyterLab (notebooks/, reports/, outputs/) at http://127.0.0.1:$(LAB_PORT)"
	@echo "make bench    run the benchmarks (one report; all zones in parallel; national-size store)"
	@echo "make sample   regenerate the synthetic sample data in data/"
	@echo "make lock     re-pin requirements*.txt from pyproject.toml"
	@echo "make messages extract the commands' messages, update and compile the vi catalogue"

# pip install -r never removes a package: when the pins change, the environment is built
# again from nothing, so that it holds what the pins say and nothing a former pin left
$(VENV)/.pins: requirements.txt requirements-dev.txt
	rm -rf $(VENV)
	@mkdir -p $(VENV)
	@touch $@

$(VENV)/.runtime: $(VENV)/.pins pyproject.toml
	@scripts/system-packages.sh $(RUNTIME_DEBS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@scripts/system-packages.sh $(TEST_DEBS)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# JupyterLab in an environment of its own (the usual Jupyter arrangement): the report
# kernel is this project's .venv, registered in .venv-lab under the notebooks' kernel name
# "python3", so that JupyterLab's own dependencies never slow the kernels down.
LAB_VENV := .venv-lab
$(LAB_VENV)/.ready: requirements-lab.txt $(VENV)/.runtime
	@test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lab.txt
	@# (it warns that the prefix is not on its own search path; JupyterLab's is)
	$(BIN)/python -m ipykernel install --prefix $(LAB_VENV) --name python3 \
		--display-name "izreport (Python 3)" >/dev/null 2>&1 || \
	$(BIN)/python -m ipykernel install --prefix $(LAB_VENV) --name python3
	@touch $@

report: $(VENV)/.runtime
	$(BIN)/izreport render half-year --period $(PERIOD)

test: $(VENV)/.dev $(LAB_VENV)/.ready
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_store.py

# localhost only, no browser opened, no update or news checks (the intranet is offline)
# The project folder, so that analysts reach notebooks/, the hand-written sections
# (reports/) and the renders (outputs/); it opens on notebooks/. jupyter-config/ turns the
# news pop-up off; nothing asks the network.
lab: $(LAB_VENV)/.ready
	@mkdir -p outputs
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(LAB_VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) $(LAB_AS_ROOT) \
		--ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
		--LabApp.news_url=None \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

sample: $(VENV)/.runtime
	$(BIN)/izreport sample --out data

lock: $(VENV)/.dev
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url --no-emit-find-links -o requirements-dev.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-lab.txt requirements-lab.in

# The commands' messages: English msgids in the code, Vietnamese in izreport.po (translate
# the new empty msgstr entries after an update); the compiled .mo is committed, and a test
# checks that it matches the .po and that the .po has every message of the code.
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Message -k file_problem --no-location --omit-header \
		-o $(VENV)/izreport.pot .
	$(BIN)/pybabel update -i $(VENV)/izreport.pot -d izreport/locale -D izreport -l vi \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d izreport/locale -D izreport

clean:
	rm -rf outputs/*.html outputs/*.pdf outputs/*.ipynb outputs/failed

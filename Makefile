# The two commands of the README. VENV can point elsewhere (CI uses a fresh one).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.qdml-installed

.PHONY: run test setup clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## run: set up, then run the main job on the bundled data
run: $(STAMP)
	$(VENV)/bin/qdml validate datasets/qd_ligand_literature.csv
	$(VENV)/bin/qdml summary

## test: set up, then run the test suite
test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info

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

## run: set up, then run the main job on the bundled data: validate, summarize, train the
## bundle (scored by nested CV), evaluate every scheme, rank ligands for a showcase QD
run: $(STAMP)
	$(VENV)/bin/qdml validate datasets/qd_ligand_literature.csv
	$(VENV)/bin/qdml summary
	$(VENV)/bin/qdml train --name default --jobs 2
	mkdir -p out
	$(VENV)/bin/qdml evaluate --jobs 2 --json out/evaluation.json --report out/evaluation.html
	$(VENV)/bin/qdml rank --qd CsPbI3 --el-color red --target eqe --by lower --top 15 --output out/rank_CsPbI3_eqe.csv --plot out/rank_CsPbI3_eqe.png

## test: set up, then lint and run the test suite
test: $(STAMP)
	$(PY) -m ruff check qdml tests benchmarks notebooks
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info

## lint: ruff on the package, tests and benchmarks
lint: $(STAMP)
	$(VENV)/bin/python -m ruff check qdml tests benchmarks notebooks

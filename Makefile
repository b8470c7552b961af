# The commands of the README. VENV can point elsewhere (CI uses a fresh one).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.qdml-installed
# Everything 'make run' writes goes under out/ (ignored by git): the repository stays clean.
OUT ?= out

.PHONY: run test test-fast setup clean lint docs notebooks

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## run: set up, then run the main job on the bundled data: validate, summarize, train a bundle
## into out/models/default (scored by nested CV), evaluate every scheme, rank ligands for a
## showcase QD. Writes only under out/.
run: $(STAMP)
	$(VENV)/bin/qdml validate datasets/qd_ligand_literature.csv
	$(VENV)/bin/qdml summary --output $(OUT)/summary.md
	$(VENV)/bin/qdml train --output-dir $(OUT)/models/default --jobs 2
	$(VENV)/bin/qdml evaluate --jobs 2 --json $(OUT)/evaluation.json --report $(OUT)/evaluation.html
	$(VENV)/bin/qdml rank --model $(OUT)/models/default --qd CsPbI3 --el-color red --by lower --top 15 --output $(OUT)/rank_CsPbI3.csv --plot $(OUT)/rank_CsPbI3.png

## test: set up, then lint and run the whole test suite (what CI runs)
test: $(STAMP)
	$(PY) -m ruff check qdml tests benchmarks notebooks
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

## test-fast: lint, then every test not marked slow (no notebooks, statistics or end-to-end runs)
test-fast: $(STAMP)
	$(PY) -m ruff check qdml tests benchmarks notebooks
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -m "not slow"

## docs: regenerate docs/features.md and docs/evaluation.md from the code (tests check they match)
docs: $(STAMP)
	$(PY) -m qdml.features.catalog > docs/features.md
	$(PY) -m qdml.evaluation.glossary > docs/evaluation.md

## notebooks: rebuild the notebooks from notebooks/make_notebooks.py and run them, outputs kept
notebooks: $(STAMP)
	$(PY) notebooks/make_notebooks.py --execute

clean:
	rm -rf $(VENV) build dist *.egg-info

## lint: ruff on the package, tests and benchmarks
lint: $(STAMP)
	$(VENV)/bin/python -m ruff check qdml tests benchmarks notebooks

"""The notebooks: built from notebooks/make_notebooks.py, committed with outputs, public API only,
and (slow) their committed outputs are what running them gives today."""

from __future__ import annotations

import copy
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

import qdml

HERE = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
NUMBER = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)")


def _maker():
    spec = importlib.util.spec_from_file_location("make_notebooks", HERE / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_retrain_with_your_data.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_built_from_the_maker_and_carries_its_outputs(path):
    book = nbformat.read(path, as_version=4)
    expected = _maker().build(_maker().NOTEBOOKS[path.name])
    assert [(c.cell_type, c.source) for c in book.cells] == [(c.cell_type, c.source) for c in expected.cells], \
        "cells differ from notebooks/make_notebooks.py: run 'make notebooks'"
    assert book.cells[0].cell_type == "markdown" and book.cells[0].source.startswith("# ")
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "committed without outputs: run 'make notebooks'"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= (3 if path.name.startswith("01") else 1)  # 01: ranking, goal, parity; 02: CV


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_only_the_public_api(path):
    book = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(from|import)\s+qdml\.", source, re.M), "import only 'qdml'"
    used = set(re.findall(r"\bqdml\.(\w+)", source))
    assert used and used <= set(qdml.__all__), used - set(qdml.__all__)


def _texts(book) -> list[list[tuple[str, str]]]:
    """Per code cell, its outputs as (kind, text); image bytes are left out (they differ by renderer)."""
    cells = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        out = []
        for o in cell.outputs:
            if o.output_type == "stream":
                # library warnings name local paths and versions: not the notebook's content
                lines = [ln for ln in o.text.splitlines() if "Warning" not in ln and "warnings.warn" not in ln]
                out.append((o.name, "\n".join(lines)))
            elif o.output_type in ("execute_result", "display_data"):
                for mime, value in sorted(o.data.items()):
                    if mime == "text/html":
                        continue  # pandas' HTML markup changes between releases; text/plain holds the values
                    out.append((mime, "<image>" if mime.startswith("image/") else value))
            else:
                out.append((o.output_type, o.get("evalue", "")))
        cells.append(out)
    return cells


def _same_text(a: str, b: str) -> bool:
    """Equal up to the last shown digit of numbers (another BLAS or library patch release may move it)."""
    pa, pb = NUMBER.split(a), NUMBER.split(b)
    if len(pa) != len(pb):
        return False
    for i, (x, y) in enumerate(zip(pa, pb)):
        if i % 2 == 0:
            if x.split() != y.split():
                return False
            continue
        fx, fy = float(x), float(y)
        decimals = len(x.split(".")[1]) if "." in x and "e" not in x.lower() else 0
        if abs(fx - fy) > max(10.0 ** -decimals, 0.01 * max(abs(fx), abs(fy))) + 1e-12:
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_fresh(path):
    """Running the notebook today gives the committed outputs (else: 'make notebooks' and commit)."""
    committed = nbformat.read(path, as_version=4)
    fresh = _maker().execute(copy.deepcopy(committed))
    for i, (old, new) in enumerate(zip(_texts(committed), _texts(fresh))):
        assert [k for k, _ in old] == [k for k, _ in new], f"code cell {i}: outputs changed kind; run 'make notebooks'"
        for (kind, a), (_, b) in zip(old, new):
            assert _same_text(a, b), f"code cell {i} ({kind}) is stale; run 'make notebooks'\n--- committed\n{a}\n--- now\n{b}"

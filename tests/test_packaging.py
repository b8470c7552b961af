"""A built wheel carries the data and the shipped model, and finds them outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel: end to end

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(r.stderr[-2000:])
    (whl,) = out.glob("qdml-*.whl")
    return whl


def test_wheel_contains_datasets_and_default_bundle(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("qdml/_bundled/datasets/qd_ligand_literature.csv", "qdml/_bundled/datasets/ligands.csv",
                   "qdml/_bundled/datasets/README.md", "qdml/_bundled/models/default/metadata.json",
                   "qdml/_bundled/models/default/checksums.sha256"):
        assert needed in names
    # Streamlit runs the web app's scripts by path: each must be a file of the installed package
    scripts = {p.name for p in (REPO / "qdml" / "app" / "scripts").glob("*.py")}
    assert len(scripts) == 6 and {f"qdml/app/scripts/{s}" for s in scripts} <= names


def test_installed_wheel_loads_data_and_model_from_elsewhere(wheel, tmp_path):
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    code = (
        "import qdml, qdml.data as d;"
        "p = d.dataset_path(); assert p.exists(), p; print(p);"
        "from qdml.validation import read_validated; print(read_validated(p).n_rows);"
        "print(qdml.load_bundle().path)"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    data_path, rows, bundle_path = r.stdout.split()
    assert data_path.startswith(str(site)) and int(rows) > 24 and bundle_path.startswith(str(site))

"""Fixtures of the web-app tests: a small bundle trained on the bundled data, the app under AppTest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the web app needs Streamlit (pip install -e '.[test]')")

from qdml.app.server import ENTRY  # noqa: E402
from qdml.data import bundled_models_dir, dataset_path  # noqa: E402


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory) -> Path:
    """PLQY and peak models (absolute and paired) on the bundled dataset; no CV, to stay quick."""
    from qdml.workflows.training import train

    out = tmp_path_factory.mktemp("app-models") / "small"
    train(targets=["plqy", "peak_nm"], out_dir=out, schemes=())
    return out


def shipped_files() -> dict[str, str]:
    """sha256 of every file of the bundled dataset folder and the shipped models."""
    roots = [dataset_path().parent, bundled_models_dir()]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def untouched_shipped_files():
    """Fails the test if it wrote to (or added a file in) the bundled data or the shipped models."""
    before = shipped_files()
    yield
    assert shipped_files() == before


@pytest.fixture
def app(small_bundle, monkeypatch):
    """The app on its first page, predicting with the small bundle."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QDML_APP_MODEL", str(small_bundle))
    return AppTest.from_file(str(ENTRY), default_timeout=120).run()

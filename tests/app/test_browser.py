"""End to end, as a chemist would use it: ``qdml app`` in a real (headless) Chromium."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

from qdml.learn.bundle import load_bundle
from qdml.workflows.prediction import predict
from tests.app.browser import (
    chromium,
    missing_browser,
    predict_pair,
    running_app,
    showing,
    wait_for,
)

WHY_NOT = missing_browser()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test skipped: {WHY_NOT}")]


def _png_width(path) -> int:
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", head[16:20])[0]


def test_a_pair_typed_in_the_browser_shows_the_libraries_plqy(small_bundle, tmp_path):
    bundle = load_bundle(small_bundle)

    def plqy(ligand, qd):
        return f"{predict(pd.DataFrame([{'ligand': ligand, 'qd': qd}]), bundle).iloc[0]['plqy_pred']:.1f}"

    with running_app(tmp_path / "server.log", model=str(small_bundle)) as (url, _), chromium() as driver:
        assert url.startswith("http://127.0.0.1:")
        driver.get(url)
        # the first page opens on SCN- on CsPbBr3, already predicted
        first = wait_for(driver, lambda d: showing(d, "SCN- on CsPbBr3"), timeout=60)
        assert first == plqy("SCN-", "CsPbBr3")
        # KBr on CsPbI3: halide exchange on a red perovskite, a pair the literature table covers
        shown = predict_pair(driver, "KBr", "CsPbI3")
        assert shown == plqy("KBr", "CsPbI3")
        shot = tmp_path / "predict.png"
        assert driver.save_screenshot(str(shot))
        assert _png_width(shot) == 1400

"""The target registry is the one place a target is defined: ranges, direction, how it is learned."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qdml.data.schema import MEASURED, check_range
from qdml.exceptions import QdmlError
from qdml.targets import DEFAULT_TARGETS, PAIRED_TARGETS, TARGETS, get_target


def test_registry_drives_the_schema_ranges():
    assert set(MEASURED) == set(TARGETS)
    assert MEASURED["plqy"][1:3] == (0.0, 100.0)
    # a PLQY of 140 % is refused by the same rule a file cell meets
    assert "out of range" in check_range("plqy", 140.0, "")
    assert check_range("peak_nm", 521.0, "") is None  # SCN- on CsPbBr3, Table 2 [137]


def test_directions_and_learning_modes_are_chemistry():
    assert get_target("fwhm_nm").lower_is_better  # a narrower emission is better for colour purity
    assert get_target("von_v").lower_is_better
    assert not get_target("eqe").lower_is_better
    assert get_target("peak_nm").learned_as == "energy-shift"
    assert get_target("peak_nm").prior_feature == "pair__peak_prior_nm"
    assert get_target("eqe").paired_space == "log"  # EQE changes by factors, not by points
    assert set(PAIRED_TARGETS) == {"plqy", "eqe", "peak_nm"}
    assert get_target("plqy").control_column == "control_plqy"
    assert get_target("fwhm_nm").control_column is None
    assert get_target("plqy").header == "PLQY (%)"


def test_unknown_target_names_the_choices():
    with pytest.raises(QdmlError, match="unknown target 'qy'.*plqy"):
        get_target("qy")


def test_fwhm_is_a_first_class_target_of_the_shipped_bundle():
    """fwhm_nm was added as one registry entry plus its data: trained, scored and predicted."""
    from qdml.learn.bundle import load_bundle
    from qdml.workflows.prediction import predict

    assert "fwhm_nm" in DEFAULT_TARGETS
    bundle = load_bundle("default")
    assert "fwhm_nm" in bundle.targets
    scored = {(e["target"], e["scheme"]) for e in bundle.metadata["cv_scores"]}
    assert ("fwhm_nm", "leave-one-ligand-out") in scored
    out = predict(pd.DataFrame({"ligand": ["SCN-"], "qd": ["CsPbBr3"], "el_color": ["green"]}), bundle)
    lo, pred, hi = (float(out.loc[0, f"fwhm_nm{s}"]) for s in ("_lo", "_pred", "_hi"))
    # Table 2 [137] measured 17 nm for this pair; the prediction is a positive width in nm
    assert math.isfinite(pred) and 0 <= lo <= pred <= hi < 200 and pred > 0

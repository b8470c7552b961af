"""LigandFeaturizer: shape, names, determinism, the estimator contract, hand-checkable values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from qdml.chemistry.ligands import knowledge_base_ligands
from qdml.exceptions import QdmlError, UnknownLigandError
from qdml.features.ligand import FEATURES, LigandFeaturizer, knowledge_base_medians

LIGANDS = ["SCN-", "Cl-", "In3+", "KI", "In(NO3)3", "Cs+/Rb+", "native", "Sn2S6 4-", "OA/OAm"]


def frame(ligands):
    return pd.DataFrame({"ligand": ligands})


def features(ligand, **kw):
    f = LigandFeaturizer(**kw).fit(frame([ligand]))
    return dict(zip(f.get_feature_names_out(), f.transform(frame([ligand]))[0]))


def test_shape_names_and_dtype():
    f = LigandFeaturizer().fit(frame(LIGANDS))
    X = f.transform(frame(LIGANDS))
    names = f.get_feature_names_out()
    assert X.shape == (len(LIGANDS), len(FEATURES)) == (len(LIGANDS), len(names))
    assert X.dtype == np.float64 and np.isfinite(X).all()
    assert all(n.startswith("ligand__") for n in names) and len(set(names)) == len(names)
    assert "ligand__charge" in names and "ligand__hsab_soft" in names and "ligand__binding_Z" in names


def test_deterministic_and_order_independent():
    f = LigandFeaturizer().fit(frame(LIGANDS))
    a = f.transform(frame(LIGANDS))
    b = clone(f).fit(frame(LIGANDS[::-1])).transform(frame(LIGANDS[::-1]))[::-1]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, f.transform(frame(LIGANDS)))


@pytest.mark.parametrize("X", [LIGANDS, np.array(LIGANDS), np.array(LIGANDS).reshape(-1, 1),
                               pd.Series(LIGANDS), frame(LIGANDS)])
def test_accepts_list_array_series_frame(X):
    out = LigandFeaturizer().fit(X).transform(X)
    np.testing.assert_array_equal(out, LigandFeaturizer().fit(frame(LIGANDS)).transform(frame(LIGANDS)))


def test_hand_checkable_values():
    scn = features("SCN-")
    assert scn["ligand__charge"] == -1 and scn["ligand__hsab_soft"] == 1 and scn["ligand__binding_X"] == 1
    assert scn["ligand__radius_pm"] == 213 and scn["ligand__radius_missing"] == 0
    assert scn["ligand__electronegativity"] == pytest.approx(2.58)  # S, Pauling
    assert scn["ligand__n_atoms"] == 3 and scn["ligand__class_pseudohalide"] == 1
    ki = features("KI")
    assert ki["ligand__charge"] == 0 and ki["ligand__abs_charge"] == 1 and ki["ligand__is_mixture"] == 1
    assert ki["ligand__radius_pm"] == pytest.approx((138 + 220) / 2)  # Shannon K+ and I-, CN VI
    assert ki["ligand__polarizability_a3"] == pytest.approx((1.33 + 6.43) / 2)
    assert ki["ligand__hsab_hard"] == 0.5 and ki["ligand__hsab_soft"] == 0.5
    ino3 = features("In(NO3)3")
    assert ino3["ligand__binding_Z"] == 1 and ino3["ligand__abs_charge"] == pytest.approx(1.5)
    assert ino3["ligand__hardness_missing"] == pytest.approx(0.75)  # no cited hardness for NO3-
    assert features("In3+")["ligand__hardness_ev"] == pytest.approx(13.70, abs=0.01)


def test_missing_values_are_imputed_and_flagged_not_nan():
    mcc = features("Sn2S6 4-")
    assert mcc["ligand__radius_missing"] == 1
    assert mcc["ligand__radius_pm"] == knowledge_base_medians()["radius_pm"]
    raw = features("Sn2S6 4-", impute_missing=False)
    assert np.isnan(raw["ligand__radius_pm"]) and raw["ligand__radius_missing"] == 1


def test_unknown_ligand_raises_with_row():
    f = LigandFeaturizer().fit(frame(["SCN-"]))
    with pytest.raises(UnknownLigandError) as info:
        f.transform(frame(["SCN-", "Cl-", "unobtainium"]))
    assert any("row 2" in note for note in info.value.__notes__)
    with pytest.raises(UnknownLigandError):
        f.transform(frame(["SCN-", None]))


def test_every_kb_ligand_featurizes():
    names = knowledge_base_ligands()
    X = LigandFeaturizer().fit(names).transform(names)
    assert X.shape == (len(names), len(FEATURES)) and np.isfinite(X).all()


def test_bad_input_raises_qdml_error():
    f = LigandFeaturizer().fit(["SCN-"])
    with pytest.raises(QdmlError):
        f.transform(np.array([["SCN-", "Cl-"]]))
    with pytest.raises(QdmlError):
        f.transform("SCN-")


# --------------------------------------------------------------------- estimator contract
def test_contract_by_hand():
    f = LigandFeaturizer(impute_missing=False)
    assert f.get_params() == {"impute_missing": False}
    assert clone(f).get_params() == f.get_params()
    with pytest.raises(NotFittedError):
        f.transform(["SCN-"])
    assert f.fit(frame(["SCN-"])) is f
    assert f.n_features_in_ == 1 and list(f.feature_names_in_) == ["ligand"]
    assert not hasattr(LigandFeaturizer().fit(["SCN-"]), "feature_names_in_")
    out = clone(f).set_output(transform="pandas").fit(frame(LIGANDS)).transform(frame(LIGANDS))
    assert list(out.columns) == list(f.get_feature_names_out())
    with pytest.raises(QdmlError):
        LigandFeaturizer(impute_missing="yes").fit(["SCN-"])


def test_pickle_round_trip():
    import pickle

    f = LigandFeaturizer().fit(frame(LIGANDS))
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(f.transform(frame(LIGANDS)), g.transform(frame(LIGANDS)))


# Every data-driven check feeds random numeric matrices with several columns; the featurizer's
# input is one column of ligand strings, so those checks are not applicable. The checks that
# remain (construction, params, cloning, repr, tags, unfitted errors) must pass.
_NUMERIC_INPUT = "feeds a numeric matrix; LigandFeaturizer takes one column of ligand strings"
EXPECTED_FAILED = {
    name: _NUMERIC_INPUT
    for name in [
        "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_complex_data",
        "check_dtype_object", "check_estimators_empty_data_messages", "check_pipeline_consistency",
        "check_estimators_nan_inf", "check_estimator_sparse_tag", "check_estimator_sparse_array",
        "check_estimator_sparse_matrix", "check_estimators_pickle", "check_f_contiguous_array_estimator",
        "check_transformer_data_not_an_array", "check_transformer_general", "check_transformer_preserve_dtypes",
        "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_fit2d_1sample",
        "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
        "check_fit1d", "check_fit2d_predict1d",
    ]
}


@parametrize_with_checks([LigandFeaturizer()], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)

"""QDFeaturizer: hand-checkable values and the scikit-learn estimator contract."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from qdml.exceptions import CompositionParseError, QdmlError
from qdml.features.qd import COLOUR_WAVELENGTH_NM, QDFeaturizer, colour_wavelength_nm


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "qd": [
                "CsPbBr3",
                "CsPb(Br0.4Cl0.6)3",
                "InP/ZnSe/ZnS",
                "CsPbBrxCl3-x",
                "FA0.8Cs0.2PbI3",
                None,
            ],
            "el_color": ["Green", "blue", None, "sky blue", "magenta", "red"],
            "size_nm": [8.0, None, 6.0, np.nan, "", 10],
            "pristine_peak_nm": [515, None, None, 470, None, None],
        }
    )


def features(table, **params):
    f = QDFeaturizer(**params).fit(table)
    return pd.DataFrame(f.transform(table), columns=f.get_feature_names_out())


def test_hand_checkable_values(table):
    out = features(table)
    assert out["qd__family=lead-halide perovskite"].tolist() == [1, 1, 0, 1, 1, 0]
    assert out["qd__family=III-V"].tolist() == [0, 0, 1, 0, 0, 0]
    assert out.loc[1, "qd__halide_Cl"] == pytest.approx(0.6)
    assert out.loc[1, "qd__halide_fractions_unknown"] == 0
    assert out.loc[3, "qd__halide_fractions_unknown"] == 1
    assert out.loc[4, "qd__a_site_FA"] == pytest.approx(0.8)
    assert out.loc[2, "qd__n_shells"] == 2
    # CsPbBr3: mean Pauling electronegativity, Cs 0.79, Pb 1.80 (mendeleev), Br 2.96
    assert out.loc[0, "qd__core_en_pauling"] == pytest.approx(
        (0.79 + 1.80 + 3 * 2.96) / 5, abs=0.01
    )
    # Goldschmidt t of CsPbBr3 with Shannon radii Cs+ XII 188, Pb2+ VI 119, Br- VI 196 pm
    assert out.loc[0, "qd__tolerance_factor"] == pytest.approx(
        (188 + 196) / (2**0.5 * (119 + 196)), abs=1e-3
    )
    assert out.loc[0, "qd__octahedral_factor"] == pytest.approx(119 / 196, abs=1e-3)
    assert (
        out.loc[2, "qd__perovskite_factors_missing"] == 1
        and out.loc[2, "qd__tolerance_factor"] == 0
    )
    assert out.loc[0, "qd__bandgap_peak_nm"] == pytest.approx(
        1239.84 / out.loc[0, "qd__bandgap_ev"], rel=1e-4
    )


def test_sample_columns_and_missing_indicators(table):
    out = features(table)
    assert out.loc[0, "qd__el_color_nm"] == COLOUR_WAVELENGTH_NM["green"]
    assert out.loc[3, "qd__el_color_nm"] == COLOUR_WAVELENGTH_NM["sky-blue"]
    # missing or unknown colour names: imputed with the untreated-peak estimate at the row's size, flagged
    assert out["qd__el_color_missing"].tolist() == [0, 0, 1, 0, 1, 0]
    assert out.loc[2, "qd__el_color_nm"] == out.loc[2, "qd__size_peak_nm"]
    # 6 nm InP cores emit far to the blue of bulk InP (922 nm)
    assert 600 < out.loc[2, "qd__size_peak_nm"] < 800 < out.loc[2, "qd__bandgap_peak_nm"]
    assert out["qd__size_missing"].tolist() == [0, 1, 0, 1, 1, 0]
    assert out.loc[1, "qd__size_nm"] == 10.0
    assert out.loc[0, "qd__size_over_bohr_diameter"] == pytest.approx(
        8.0 / 7.0
    )  # CsPbBr3: 2 aB = 7 nm
    assert out["qd__pristine_peak_missing"].tolist() == [0, 1, 1, 0, 1, 1]
    assert out.loc[1, "qd__pristine_peak_nm"] == COLOUR_WAVELENGTH_NM["blue"]
    assert out.loc[5, "qd__composition_missing"] == 1 and out.loc[5, "qd__bandgap_missing"] == 1
    assert not out.isna().any().any()


def test_qd_column_alone_is_enough():
    X = pd.DataFrame({"qd": ["CdSe/ZnS", "PbS"]})
    out = features(X)
    assert out["qd__el_color_missing"].tolist() == [1, 1]
    assert out["qd__family=IV-VI"].tolist() == [0, 1]


def test_colour_names_are_case_insensitive():
    assert colour_wavelength_nm("RED") == colour_wavelength_nm("red") == 640.0
    assert colour_wavelength_nm("Deep red") == COLOUR_WAVELENGTH_NM["deep-red"]
    assert colour_wavelength_nm("NIR") == COLOUR_WAVELENGTH_NM["nir"]
    assert np.isnan(colour_wavelength_nm(None))


def test_unparseable_composition_names_the_row():
    X = pd.DataFrame({"qd": ["CsPbBr3", "not a QD"]}, index=[10, 11])
    f = QDFeaturizer().fit(X)
    with pytest.raises(CompositionParseError, match="row 11"):
        f.transform(X)


def test_non_numeric_size_raises():
    X = pd.DataFrame({"qd": ["CsPbBr3"], "size_nm": ["big"]})
    with pytest.raises(QdmlError, match="size_nm"):
        QDFeaturizer().fit(X).transform(X)


def test_estimator_contract(table):
    f = QDFeaturizer(size_fill_nm=8.0)
    assert f.get_params() == {"size_fill_nm": 8.0}
    assert clone(f).get_params() == f.get_params()
    with pytest.raises(NotFittedError):
        f.transform(table)
    with pytest.raises(NotFittedError):
        f.get_feature_names_out()
    assert f.fit(table) is f
    assert f.n_features_in_ == 4
    assert list(f.feature_names_in_) == list(table.columns)
    names = f.get_feature_names_out()
    assert len(names) == len(set(names)) and all(n.startswith("qd__") for n in names)
    with pytest.raises(QdmlError, match="differ"):
        f.transform(table[["qd", "el_color"]])
    with pytest.raises(QdmlError, match="qd"):
        QDFeaturizer().fit(pd.DataFrame({"composition": ["CsPbBr3"]}))
    restored = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(restored.transform(table), f.transform(table))


def test_set_output_pandas_and_determinism(table):
    f = QDFeaturizer().set_output(transform="pandas").fit(table)
    out = f.transform(table)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(f.get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), QDFeaturizer().fit(table).transform(table))


def test_sklearn_checks_that_apply():
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    est = QDFeaturizer()
    check_no_attributes_set_in_init("QDFeaturizer", est)
    check_parameters_default_constructible("QDFeaturizer", est)
    check_get_params_invariance("QDFeaturizer", est)
    check_set_params("QDFeaturizer", est)


def test_citations_cover_the_data_sources():
    cites = " ".join(QDFeaturizer().citations())
    for source in ("Protesescu", "Madelung", "Kieslich", "Shannon"):
        assert source in cites


def test_many_rows_of_few_compositions_are_fast():
    import time

    qds = ["CsPbBr3", "CsPbI3", "CsPbBrxCl3-x", "InP/ZnSe/ZnS", "FA0.8Cs0.2PbI3"] * 4000
    X = pd.DataFrame({"qd": qds, "el_color": ["green", "red", None, "blue", "deep-red"] * 4000})
    f = QDFeaturizer().fit(X)
    f.transform(X.head(5))  # warm the element tables
    start = time.perf_counter()
    out = f.transform(X)
    assert out.shape[0] == 20000
    assert time.perf_counter() - start < 2.0

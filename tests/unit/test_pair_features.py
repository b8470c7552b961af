"""PairFeaturizer: interaction terms a chemist can check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from qdml.features.pair import (
    PairFeaturizer,
    composition_only,
    pair_interactions,
    treated_with_controls,
)


def features(pairs):
    frame = pd.DataFrame(pairs, columns=["ligand", "qd"])
    return PairFeaturizer().fit(frame).transform_frame(frame)


def test_names_match_columns_and_are_unique():
    X = features([("SCN-", "CsPbBr3"), ("In3+", "CsPbBrxI3-x")])
    names = PairFeaturizer().fit(pd.DataFrame({"ligand": ["SCN-"], "qd": ["CsPbBr3"]})).get_feature_names_out()
    assert list(X.columns) == list(names) and len(set(names)) == len(names)
    assert X.notna().all().all()


@pytest.mark.parametrize(
    "ligand,qd,match",
    [
        ("Zn2+", "CsPbBr3", 1.0),  # borderline acid on borderline Br- sites
        ("In3+", "CsPbBr3", 0.5),  # hard acid on borderline Br- sites
        ("Cl-", "CsPbI3", 0.5),  # hard base on borderline Pb2+
        ("Cd2+", "CdSe/ZnS", 1.0),  # soft acid on soft S2- of the ZnS shell
        ("I-", "CdSe/ZnS", 0.5),  # soft base on borderline Zn2+ of the shell
    ],
)
def test_hsab_match(ligand, qd, match):
    assert pair_interactions(ligand, qd)[0] == pytest.approx(match)


def test_radius_ratio_k_against_cs_and_halide_against_lattice():
    k_ratio = pair_interactions("K+", "CsPbI3")[3]
    i_ratio = pair_interactions("I-", "CsPbI3")[3]
    cl_ratio = pair_interactions("Cl-", "CsPbI3")[3]
    assert k_ratio < 1.0  # K+ is smaller than the Cs+ it sits beside
    assert i_ratio == pytest.approx(1.0)  # iodide against lattice iodide
    assert cl_ratio < i_ratio


def test_bandgap_prior_orders_chloride_bromide_iodide():
    X = features([("Br-", "CsPbCl3"), ("Br-", "CsPbBr3"), ("Br-", "CsPbI3")])
    nm = X["pair__bandgap_peak_nm"].to_numpy()
    assert nm[0] < nm[1] < nm[2]


def test_colour_beats_bandgap_as_peak_prior_and_composition_only_drops_it():
    frame = pd.DataFrame({"ligand": ["Na+", "Na+"], "qd": ["CsPbBr3", "CsPbBr3"], "el_color": ["green", "blue"]})
    X = PairFeaturizer().fit(frame).transform_frame(frame)
    assert X["pair__peak_prior_nm"].iloc[1] < X["pair__peak_prior_nm"].iloc[0]  # Table 2: 479 vs 512 nm
    C = composition_only(X)
    assert not any(c.startswith("qd__el_color") for c in C.columns)
    assert C["pair__peak_prior_nm"].nunique() == 1


def test_deterministic_and_clonable():
    frame = pd.DataFrame({"ligand": ["KI", "SO4 2-"], "qd": ["CsPbI3", "CsPbI3-xBrx"]})
    a = PairFeaturizer().fit(frame).transform(frame)
    b = clone(PairFeaturizer()).fit(frame).transform(frame)
    assert np.array_equal(a, b)


def test_paired_table_joins_each_treated_row_to_its_control():
    frame = pd.DataFrame(
        {"ligand": ["native", "Br-"], "qd": ["ZnSeTe/ZnSe/ZnS"] * 2, "role": ["control", "treated"],
         "pair_id": ["Zheng2023-device"] * 2, "plqy": [39.7, 86.2], "eqe": [0.74, 5.46], "peak_nm": [np.nan, 443.0]}
    )
    table = treated_with_controls(frame)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["control_plqy"], row["control_eqe"], row["plqy"]) == (39.7, 0.74, 86.2)
    X = PairFeaturizer(paired=True).fit(table).transform_frame(table)
    assert X["pair__control_eqe"].iloc[0] == 0.74 and X["pair__control_peak_nm_missing"].iloc[0] == 1


def test_a_row_does_not_depend_on_the_other_rows_of_the_call():
    train = pd.DataFrame({"ligand": ["Br-", "Cl-"], "qd": ["CsPbBr3", "CsPbI3"]})
    feat = PairFeaturizer().fit(train)
    alone = feat.transform_frame(pd.DataFrame({"ligand": ["KBr"], "qd": ["CsPbCl3"]}))
    mixed = feat.transform_frame(pd.DataFrame({"ligand": ["KBr", "SCN-"], "qd": ["CsPbCl3", "InP/ZnSe/ZnS"]}))
    pd.testing.assert_series_equal(alone.iloc[0], mixed.iloc[0], check_names=False)


def test_blocks_reassemble_the_rows_of_transform_frame():
    """A screen builds each pair from its ligand block, its composition block and the interactions:
    In3+ and SCN- on CsPbBr3 and CsPb(Br0.4Cl0.6)3, green, must equal transform_frame column for column."""
    from qdml.features.pair import InteractionTable, PairFeaturizer
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    pf = PairFeaturizer().fit(frame)
    ligands, qds = ["In3+", "SCN-"], ["CsPbBr3", "CsPb(Br0.4Cl0.6)3"]
    names = pf.block_names()
    assert sorted(sum(names.values(), [])) == sorted(pf.get_feature_names_out())
    lig, comp = pf.ligand_block(ligands), pf.composition_block(qds, {"el_color": "green"})
    inter = InteractionTable(ligands, qds)
    for i, ligand in enumerate(ligands):
        for j, qd in enumerate(qds):
            row = pf.transform_frame(pd.DataFrame({"ligand": [ligand], "qd": [qd], "el_color": ["green"]})).iloc[0]
            np.testing.assert_allclose(row[names["ligand"]].to_numpy(float), lig[i])
            np.testing.assert_allclose(row[names["composition"]].to_numpy(float), comp[j])
            np.testing.assert_allclose(row[names["interaction"]].to_numpy(float),
                                       inter.terms(np.array([i]), np.array([j]))[0])

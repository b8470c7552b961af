"""The untreated-QD peak from composition and size: sizing curves a chemist can check by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qdml.chemistry.composition import bandgap_prior_nm
from qdml.chemistry.confinement import (
    first_exciton_ev,
    halide_exchange,
    peak_from_absorption_nm,
    sizing_curves,
    untreated_peak,
)
from qdml.data import read_bundled_csv

HC = 1239.84193


def test_every_curve_and_constant_has_a_source_and_how_it_was_verified():
    curves = read_bundled_csv("sizing_curves.csv")
    assert curves["source"].str.len().min() > 10 and curves["verified"].str.len().min() > 5
    assert set(sizing_curves()) >= {"CdSe", "CdTe", "CdS", "PbS", "PbSe", "InP", "CsPbBr3"}
    ref = read_bundled_csv("qd_reference.csv")
    new = ref[ref["property"].isin(["typical_diameter_nm", "stokes_shift_mev", "exciton_binding_energy_mev",
                                    "halide_exchange_fraction"])]
    assert len(new) >= 12 and (new["source"].str.len() > 10).all()


def test_moreels_pbs_curve_by_hand():
    """Moreels et al. 2009: E1 = 0.41 + 1 / (0.0252 d^2 + 0.283 d); at 3 nm that is 1.339 eV (926 nm)."""
    e1, d, method = first_exciton_ev("PbS", 3.0)
    assert e1 == pytest.approx(0.41 + 1 / (0.0252 * 9 + 0.283 * 3))
    assert untreated_peak("PbS", 3.0).abs_nm == pytest.approx(HC / e1)
    assert d == 3.0 and "Moreels" in method


def test_yu_cdse_curve_inverts_the_published_polynomial():
    """Yu et al. 2003 give the size from the first absorption peak; qdml inverts it: d(lambda(4 nm)) = 4 nm."""
    lam = untreated_peak("CdSe", 4.0).abs_nm
    d = 1.6122e-9 * lam**4 - 2.6575e-6 * lam**3 + 1.6242e-3 * lam**2 - 0.4277 * lam + 41.57
    assert d == pytest.approx(4.0, abs=1e-3)
    assert 580 < lam < 595


@pytest.mark.parametrize("qd", ["CdSe", "InP", "PbS", "PbSe", "CsPbBr3", "CsPbI3", "CdTe"])
def test_smaller_dots_emit_bluer_and_large_ones_approach_the_bulk(qd):
    peaks = [untreated_peak(qd, d).peak_nm for d in (3.0, 4.0, 6.0, 9.0)]
    assert peaks == sorted(peaks)
    bulk = bandgap_prior_nm(qd)
    assert untreated_peak(qd, 3.0).peak_nm < bulk
    assert abs(untreated_peak(qd, 500.0).abs_nm - bulk) / bulk < 0.03


@pytest.mark.parametrize("qd", ["InP/ZnSe/ZnS", "InZnP", "PbS", "CdSe/ZnS", "CsPbBr3", "ZnSeTe/ZnSe/ZnS"])
def test_without_size_the_estimate_is_confined_never_the_bulk_gap(qd):
    """Bulk InP emits at 922 nm, bulk PbS at 3024 nm; their QDs do not."""
    est = untreated_peak(qd)
    assert not est.size_given and math.isfinite(est.diameter_nm)
    assert est.peak_nm < bandgap_prior_nm(qd) - 5
    assert "bulk band gap" not in est.method or "confinement" in est.method


def test_inp_green_and_red_emitters_sit_where_leds_use_them():
    """InP/ZnSe/ZnS QD-LEDs emit green (~530 nm) from ~2 nm cores and red (~630 nm) from ~4 nm cores."""
    assert 500 < untreated_peak("InP/ZnSe/ZnS", 2.0).peak_nm < 560
    assert 600 < untreated_peak("InP/ZnSe/ZnS", 4.0).peak_nm < 680


def test_emission_from_first_absorption_is_red_of_it():
    assert 520 < peak_from_absorption_nm("InP", 500.0) < 560  # InP: ~150 meV Stokes shift
    assert peak_from_absorption_nm("CsPbBr3", 505.0) == pytest.approx(HC / (HC / 505.0 - 0.030))


@pytest.mark.parametrize(
    "ligand,qd,direction",
    [("Cl-", "CsPbI3", "blue"), ("Br-", "CsPbI3", "blue"), ("I-", "CsPbBr3", "red"), ("KI", "CsPbBr3", "red"),
     ("GAI", "CsPbBr3", "red"), ("Br-", "CsPb(BrxCl1-x)3", "red"), ("PbCl2", "CsPbBr3", "blue")],
)
def test_halide_ligands_shift_a_perovskite_of_another_halide_the_right_way(ligand, qd, direction):
    ex = halide_exchange(ligand, qd)
    assert ex is not None and (ex.delta_gap_ev > 0) == (direction == "blue")
    assert "exchanges the lattice halide" in ex.note and direction in ex.note
    full = untreated_peak(qd).peak_nm
    assert (ex.full_peak_nm < full) == (direction == "blue")


@pytest.mark.parametrize("ligand,qd", [("Br-", "CsPbBr3"), ("ZnBr2", "CsPbBr3"), ("SCN-", "CsPbI3"),
                                       ("I-", "CsPbI3"), ("Cl-", "CdSe/ZnS"), ("K+", "CsPbBr3")])
def test_no_exchange_without_a_foreign_halide_on_a_lead_halide_perovskite(ligand, qd):
    assert halide_exchange(ligand, qd) is None


def test_size_reaches_the_featurizer_at_prediction_time():
    """A featurizer fitted on rows without a size column still uses a size given later."""
    from qdml.features.pair import PairFeaturizer
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    frame = frame.drop(columns=[c for c in ("size_nm", "pristine_peak_nm", "abs_peak_nm") if c in frame.columns])
    feat = PairFeaturizer().fit(frame)
    rows = pd.DataFrame({"ligand": ["SCN-"] * 4, "qd": ["CsPbBr3"] * 4, "size_nm": [4.0, 8.0, 15.0, 500.0]})
    prior = feat.transform_frame(rows)["pair__peak_prior_nm"].to_numpy()
    assert list(prior) == sorted(prior) and prior[-1] - prior[0] > 40

"""QD composition notation: facts a chemist can check by hand, and a fuzz test."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdml.chemistry.composition import (
    FAMILIES,
    band_gap_prior,
    bandgap_prior_nm,
    parse_qd_composition,
    plausible_peak_range_nm,
)
from qdml.exceptions import CompositionParseError, QdmlError

#: Every QD of Table 2 of the review (Zhang et al., Nanotechnology 36 (2025) 102001), as printed
#: in the extracted text (spaces, subscripts and the en dash included), with its family.
TABLE_2 = [
    ("CsPbBr ₃", "lead-halide perovskite"),
    ("CsPbI ₃", "lead-halide perovskite"),
    ("CsPbBr _x Cl _{3-x}", "lead-halide perovskite"),
    ("CsPb(I _x Br _{1-x}) ₃", "lead-halide perovskite"),
    ("CsPb(Br _x /Cl _{1-x}) ₃", "lead-halide perovskite"),
    ("InP/ZnS/ZnS", "III-V"),
    ("ZnSeTe/ZnSe/ ZnS", "II-VI"),
    ("CdSeZnS–ZnS", "II-VI"),
    ("Zn–Ag–In–Ga–S", "I-III-VI"),
    ("CsPbI _{3-x} Br _x", "lead-halide perovskite"),
    ("(Cs/FA/pF- PEA)Pb(Cl/Br) ₃", "lead-halide perovskite"),
    ("FAPbI ₃", "lead-halide perovskite"),
    ("CsPbBr _x I _{3-x}", "lead-halide perovskite"),
]

COMMON = [
    "CsPbBr3", "CsPb(Br0.4Cl0.6)3", "CsPbBr1.5I1.5", "CsPbI2Br", "FA0.8Cs0.2PbI3", "MAPbBr3",
    "FAPbI3", "CsPb0.64Zn0.36I3", "CsPbBrxCl3-x", "CsPbBrxI3-x", "CsPbI3-xBrx", "CsPb(BrxCl1-x)3",
    "CsPb(IxBr1-x)3", "(Cs/FA/pF-PEA)Pb(Cl/Br)3", "InP/ZnSe/ZnS", "InP/ZnS/ZnS", "CdSe@ZnS",
    "CdSe/ZnS", "CdSeZnS-ZnS", "CdSeZnS–ZnS", "CdSe/CdZnSeS/ZnS", "ZnSeTe/ZnSe/ZnS", "Zn-Ag-In-Ga-S",
    "Zn–Ag–In–Ga–S", "CuInS2/ZnS", "AgInS2", "PbS", "PbSe", "CdTe", "CsSnI3", "CsPbCl3:Yb",
    "Yb3+-doped CsPbCl3", "CsPbBr₃", "CsPbBr _x Cl _{3-x}",
]  # fmt: skip


@pytest.mark.parametrize("text,family", TABLE_2)
def test_every_qd_of_table_2_parses_with_its_family(text, family):
    comp = parse_qd_composition(text)
    assert comp.family == family
    assert comp.text == text


@pytest.mark.parametrize("text", COMMON)
def test_common_notations_parse(text):
    comp = parse_qd_composition(text)
    assert comp.family in FAMILIES
    assert comp.n_shells == len(comp.layers) - 1
    known = [v for v in comp.element_fractions.values()]
    assert all(0 < v <= 1 for v in known)
    assert sum(known) == pytest.approx(1.0) if comp.element_fractions_complete else sum(known) < 1.0


def test_mixed_halide_with_numbers_has_60_percent_chloride():
    comp = parse_qd_composition("CsPb(Br0.4Cl0.6)3")
    assert comp.halide_fractions == {"Br": pytest.approx(0.4), "Cl": pytest.approx(0.6)}
    assert comp.halide_fractions_known
    # Cs Pb Br1.2 Cl1.8: 5 atoms per formula unit
    assert comp.element_fractions["Cl"] == pytest.approx(1.8 / 5)


def test_cspbi2br_is_two_thirds_iodide():
    comp = parse_qd_composition("CsPbI2Br")
    assert comp.halide_fractions["I"] == pytest.approx(2 / 3)
    assert comp.halide_fractions["Br"] == pytest.approx(1 / 3)


def test_mixed_a_site_formamidinium_share():
    comp = parse_qd_composition("FA0.8Cs0.2PbI3")
    assert comp.a_site == {"FA": pytest.approx(0.8), "Cs": pytest.approx(0.2)}
    assert comp.b_site == {"Pb": 1.0}
    # FA+ = CH5N2 counts with its atoms: 0.8 * 8 + 0.2 + 1 + 3 = 10.6 atoms
    assert comp.element_fractions["N"] == pytest.approx(1.6 / 10.6)


def test_b_site_alloy():
    comp = parse_qd_composition("CsPb0.64Zn0.36I3")
    assert comp.b_site == {"Pb": pytest.approx(0.64), "Zn": pytest.approx(0.36)}
    assert comp.family == "lead-halide perovskite"


def test_core_shell_stacks():
    comp = parse_qd_composition("InP/ZnSe/ZnS")
    assert (comp.family, comp.layers, comp.n_shells) == ("III-V", ("InP", "ZnSe", "ZnS"), 2)
    for text in ("CdSe/ZnS", "CdSe@ZnS"):
        comp = parse_qd_composition(text)
        assert (comp.family, comp.layers, comp.n_shells) == ("II-VI", ("CdSe", "ZnS"), 1)
    assert parse_qd_composition("CdSeZnS–ZnS").layers == ("CdSeZnS", "ZnS")
    assert parse_qd_composition("CdSe/CdZnSeS/ZnS").n_shells == 2
    assert parse_qd_composition("CdSe/ZnS").halide_fractions == {}


def test_families_of_non_perovskite_cores():
    assert parse_qd_composition("Zn-Ag-In-Ga-S").family == "I-III-VI"
    assert parse_qd_composition("Zn-Ag-In-Ga-S").layers == ("ZnAgInGaS",)
    assert parse_qd_composition("CuInS2/ZnS").family == "I-III-VI"
    assert parse_qd_composition("AgInS2").family == "I-III-VI"
    assert parse_qd_composition("PbS").family == "IV-VI"
    assert parse_qd_composition("PbSe").family == "IV-VI"
    assert parse_qd_composition("CdTe").family == "II-VI"
    assert parse_qd_composition("CsSnI3").family == "tin-halide perovskite"
    assert parse_qd_composition("MAPbBr3").a_site == {"MA": 1.0}


def test_variable_halide_fractions_stay_unknown_not_half():
    comp = parse_qd_composition("CsPbBrxCl3-x")
    assert comp.halide_fractions == {"Br": None, "Cl": None}
    assert not comp.halide_fractions_known
    assert comp.b_site == {"Pb": 1.0}  # what the notation fixes stays known
    assert comp.element_fractions == {"Cs": pytest.approx(0.2), "Pb": pytest.approx(0.2)}
    assert not comp.element_fractions_complete
    for text in ("CsPbI3-xBrx", "CsPb(IxBr1-x)3", "CsPb(Br _x /Cl _{1-x}) ₃"):
        assert set(parse_qd_composition(text).halide_fractions.values()) == {None}


def test_slash_lists_are_unknown_shares():
    comp = parse_qd_composition("(Cs/FA/pF-PEA)Pb(Cl/Br)3")
    assert comp.a_site == {"Cs": None, "FA": None, "pF-PEA": None}
    assert comp.halide_fractions == {"Cl": None, "Br": None}
    assert set(comp.unknown_fraction_species) == {"Cs", "FA", "pF-PEA", "Cl", "Br"}


def test_alloy_without_subscripts_keeps_only_the_known_sublattice():
    comp = parse_qd_composition("ZnSeTe/ZnSe/ZnS")
    assert comp.alloy_unspecified
    assert comp.element_fractions == {"Zn": pytest.approx(0.5)}


def test_normalisation_and_dopants():
    assert parse_qd_composition("CsPbBr₃").layers == ("CsPbBr3",)
    assert parse_qd_composition("CsPbBr _x Cl _{3-x}").layers == ("CsPbBrxCl3-x",)
    for text in ("CsPbCl3:Yb", "Yb3+-doped CsPbCl3", "Yb³⁺-doped CsPbCl₃"):
        comp = parse_qd_composition(text)
        assert comp.dopants == ("Yb",)
        assert comp.layers == ("CsPbCl3",)


def test_composition_is_immutable_cached_and_picklable():
    comp = parse_qd_composition("CsPbBr3")
    assert parse_qd_composition("CsPbBr3") is comp
    with pytest.raises(TypeError):
        comp.halide_fractions["Br"] = 0.5  # type: ignore[index]
    again = pickle.loads(pickle.dumps(comp))
    assert again == comp and hash(again) == hash(comp)
    assert comp.to_dict()["halide_fractions"] == {"Br": 1.0}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "CsPb(", "CsPbBr3/", "Si", "Ag2S", "PbBr2", "CsGeI3", "CsPbBr0", "Q"],
)
def test_unreadable_compositions_raise_parse_errors(text):
    with pytest.raises(CompositionParseError):
        parse_qd_composition(text)


@pytest.mark.parametrize("value", [None, 3.0, float("nan"), ["CsPbBr3"]])
def test_non_strings_raise_parse_errors(value):
    with pytest.raises(CompositionParseError):
        parse_qd_composition(value)


# ---- band-gap prior --------------------------------------------------------------------------
def test_band_gap_orders_chloride_bromide_iodide():
    cl, br, i = (band_gap_prior(f"CsPb{x}3").eg_ev for x in ("Cl", "Br", "I"))
    assert cl > br > i
    assert bandgap_prior_nm("CsPbBr3") == pytest.approx(1239.84 / br, rel=1e-4)


def test_band_gap_is_linear_across_known_halide_fractions():
    cl, br = band_gap_prior("CsPbCl3").eg_ev, band_gap_prior("CsPbBr3").eg_ev
    prior = band_gap_prior("CsPb(Br0.4Cl0.6)3")
    assert prior.eg_ev == pytest.approx(0.4 * br + 0.6 * cl)
    assert not prior.uncertain


def test_unknown_fractions_give_midpoint_range_and_flag():
    prior = band_gap_prior("CsPbBrxCl3-x")
    cl, br = band_gap_prior("CsPbCl3").eg_ev, band_gap_prior("CsPbBr3").eg_ev
    assert prior.uncertain
    assert (prior.eg_min_ev, prior.eg_max_ev) == pytest.approx((br, cl))
    assert prior.eg_ev == pytest.approx((br + cl) / 2)


def test_core_band_gaps_of_classic_semiconductors():
    assert band_gap_prior("CdSe/ZnS").eg_ev == pytest.approx(1.74)
    assert band_gap_prior("InP/ZnSe/ZnS").eg_ev == pytest.approx(1.344)
    assert band_gap_prior("PbS").eg_ev < band_gap_prior("CdTe").eg_ev < band_gap_prior("ZnS").eg_ev
    assert band_gap_prior("FAPbI3").eg_ev < band_gap_prior("CsPbI3").eg_ev
    zst = band_gap_prior("ZnSeTe/ZnSe/ZnS")
    assert zst.uncertain and zst.eg_min_ev < band_gap_prior("ZnTe").eg_ev  # bowing dips below ZnTe


def test_plausible_window_flags_fapbi3_at_405_but_not_cspbi3_at_690():
    lo, hi = plausible_peak_range_nm("FAPbI3")
    assert not lo <= 405 <= hi
    lo, hi = plausible_peak_range_nm("CsPbI3")
    assert lo <= 690 <= hi
    lo, hi = plausible_peak_range_nm("CsPbBr3")
    assert lo <= 460 and 520 <= hi  # confined blue CsPbBr3 up to the bulk green
    assert plausible_peak_range_nm("CsPbCl3:Yb")[1] > 990  # Yb3+ emission


def test_every_table_2_peak_with_a_sound_composition_is_inside_its_window():
    rows = [("CsPbBr3", 521), ("CsPbI3", 695), ("CsPbBrxCl3-x", 468), ("CsPbI3", 640),
            ("CsPb(Brx/Cl1-x)3", 488), ("InP/ZnS/ZnS", 488), ("ZnSeTe/ZnSe/ZnS", 443),
            ("CdSeZnS-ZnS", 514), ("Zn-Ag-In-Ga-S", 628), ("CsPbI3-xBrx", 630),
            ("CsPbBr3", 479), ("CsPbBrxI3-x", 639)]  # fmt: skip
    for qd, peak in rows:
        lo, hi = plausible_peak_range_nm(qd)
        assert lo <= peak <= hi, (qd, peak, lo, hi)


# ---- fuzz ------------------------------------------------------------------------------------
FORMULA_ALPHABET = "CsPbBrClIFAMxyz0123456789.-+/()@:_ {}₃ₓ⁺–InPZnSeSTeCdGaAgCuSnPEpdoed"


def _parse_or_qdml_error(text: str) -> None:
    try:
        comp = parse_qd_composition(text)
    except QdmlError:
        return
    assert comp.family in FAMILIES
    prior = band_gap_prior(comp)
    if prior.eg_ev is not None:
        assert math.isfinite(prior.eg_ev) and prior.eg_min_ev <= prior.eg_ev <= prior.eg_max_ev
    lo, hi = plausible_peak_range_nm(comp)
    assert (lo is None) == (hi is None)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_any_text_returns_a_composition_or_raises_a_qdml_error(text):
    _parse_or_qdml_error(text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=FORMULA_ALPHABET, max_size=30))
def test_formula_like_text_returns_a_composition_or_raises_a_qdml_error(text):
    _parse_or_qdml_error(text)


def test_generic_perovskite_notation_keeps_shares_unknown():
    """A paper that says only 'perovskite QDs': APbX3, with A and X shares unknown, never invented."""
    from qdml.chemistry.composition import parse_qd_composition

    comp = parse_qd_composition("APbX3")
    assert comp.family == "lead-halide perovskite"
    assert set(comp.x_site) == {"Cl", "Br", "I"} and not comp.halide_fractions_known
    assert set(comp.a_site) == {"Cs", "FA", "MA"} and all(v is None for v in comp.a_site.values())
    assert dict(parse_qd_composition("CsPbX3").a_site) == {"Cs": 1.0}


@pytest.mark.parametrize("text, why", [
    ("CsPbBr", "charges do not balance"),      # Br1: a subscript lost
    ("CsPbBr2", "charges do not balance"),
    ("Cs13PbBr3", "charges do not balance"),
    ("CsPbBr3x", "fixed number"),              # x with no 1-x beside it
])
def test_perovskite_amounts_must_make_a_compound(text, why):
    with pytest.raises(CompositionParseError, match=why):
        parse_qd_composition(text)


@pytest.mark.parametrize("text", ["CsPbBr3", "CsSnI3", "CsPb2Br5", "Cs4PbBr6", "PEA2PbBr4", "CsPbBrxCl3-x",
                                  "CsPb(Br0.4Cl0.6)3", "FA0.8Cs0.2PbI3", "CsPb0.9Mn0.1Cl3"])
def test_charge_balanced_perovskites_and_their_relatives_parse(text):
    """Cs+ + Pb2+ = 3 Br-; Cs4PbBr6 (4 + 2 = 6) and CsPb2Br5 (1 + 4 = 5) are real phases of the same system."""
    assert parse_qd_composition(text).is_perovskite


def test_oxidation_states_come_from_the_element_table():
    from qdml.chemistry.elements import oxidation_states

    assert oxidation_states("Pb") == [2, 4] and 2 in oxidation_states("Sn") and oxidation_states("Cs") == [1]


def test_elements_of_every_layer_with_molecular_cations_by_their_atoms():
    """FA = CH(NH2)2+: FAPbI3 holds no fluorine; pF-PEA does; shells and dopants count."""
    assert parse_qd_composition("FAPbI3").elements == ("C", "H", "I", "N", "Pb")
    assert "F" in parse_qd_composition("(Cs/FA/pF-PEA)Pb(Cl/Br)3").elements
    assert set(parse_qd_composition("InP/ZnSe/ZnS").elements) == {"In", "P", "Zn", "Se", "S"}
    assert "Cd" in parse_qd_composition("CsPb(BrxCl1-x)3:Cd").elements
    assert parse_qd_composition("CsPb(IxBr1-x)3").elements == ("Br", "Cs", "I", "Pb")

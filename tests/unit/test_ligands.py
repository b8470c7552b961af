"""Ligand parsing: facts a chemist can check by hand (HSAB, CBC, stoichiometry, notation)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdml.chemistry.ligands import (
    LIGAND_CLASSES,
    BindingType,
    Ligand,
    knowledge_base,
    knowledge_base_ligands,
    normalize,
    parse_formula,
    parse_ligand,
)
from qdml.exceptions import QdmlError, UnknownLigandError


def comps(text):
    return {c.name: round(w, 6) for c, w in parse_ligand(text).components}


# --------------------------------------------------------------------- HSAB (Pearson 1963)
@pytest.mark.parametrize(
    "ion, hsab",
    [("Cl-", "hard"), ("Br-", "borderline"), ("I-", "soft"), ("F-", "hard"), ("SCN-", "soft"),
     ("In3+", "hard"), ("Zn2+", "borderline"), ("Cd2+", "soft"), ("K+", "hard"),
     ("SO4 2-", "hard"), ("NO3-", "hard"), ("CN-", "soft"), ("N3-", "borderline")],
)
def test_hsab_classes_follow_pearson(ion, hsab):
    assert parse_ligand(ion).hsab_class == hsab


def test_thiocyanate_binds_through_sulfur():
    lig = parse_ligand("SCN-")
    assert lig.binding_atom == "S" and lig.hsab_class == "soft" and not lig.hsab_inferred


def test_untabulated_hsab_is_flagged_inferred():
    assert parse_ligand("BF4-").hsab_inferred
    assert parse_ligand("Sn2S6 4-").hsab_inferred
    assert not parse_ligand("Cl-").hsab_inferred


# --------------------------------------------------------------------- CBC binding types
@pytest.mark.parametrize("ion", ["K+", "Zn2+", "In3+", "Cs+", "ZnBr2", "CdCl2", "In(NO3)3"])
def test_cations_and_metal_salts_are_z_type(ion):
    assert parse_ligand(ion).binding_type == "Z"
    assert parse_ligand(ion).binding_type is BindingType.Z


@pytest.mark.parametrize("ion", ["F-", "Cl-", "Br-", "I-", "SCN-", "SO4 2-", "KI", "KBr", "OA-"])
def test_anions_and_alkali_salts_are_x_type(ion):
    assert parse_ligand(ion).binding_type == "X"


@pytest.mark.parametrize("ion", ["OAm", "TOP", "TOPO"])
def test_amines_and_phosphines_are_l_type(ion):
    assert parse_ligand(ion).binding_type == "L"


# --------------------------------------------------------------------- salts -> ions
def test_ki_resolves_to_k_and_i():
    assert comps("KI") == {"K+": 0.5, "I-": 0.5}
    assert parse_ligand("KI").binding_atom == "I"


def test_indium_nitrate_is_one_indium_three_nitrates():
    lig = parse_ligand("In(NO3)3")
    assert comps("In(NO3)3") == {"In3+": 0.25, "NO3-": 0.75}
    assert lig.charge == 0 and lig.elements == {"In": 1, "N": 3, "O": 9}


@pytest.mark.parametrize(
    "salt, expected",
    [("NH4Br", {"NH4+": 0.5, "Br-": 0.5}), ("CsBr", {"Cs+": 0.5, "Br-": 0.5}),
     ("ZnBr2", {"Zn2+": 0.333333, "Br-": 0.666667}), ("Pb(SCN)2", {"Pb2+": 0.333333, "SCN-": 0.666667}),
     ("NaBF4", {"Na+": 0.5, "BF4-": 0.5}), ("Na2S", {"Na+": 0.666667, "S2-": 0.333333}),
     ("K2SO4", {"K+": 0.666667, "SO4 2-": 0.333333}), ("Na4Sn2S6", {"Na+": 0.8, "Sn2S6 4-": 0.2}),
     ("(NH4)3AsS3", {"NH4+": 0.75, "AsS3 3-": 0.25})],
)
def test_salts_split_stoichiometrically(salt, expected):
    assert comps(salt) == expected
    assert abs(sum(w for _, w in parse_ligand(salt).components) - 1) < 1e-12


def test_single_ion_is_its_own_component():
    lig = parse_ligand("Cl-")
    assert len(lig.components) == 1 and lig.components[0][0] is lig and lig.components[0][1] == 1.0
    assert not lig.is_mixture


# --------------------------------------------------------------------- notation
@pytest.mark.parametrize(
    "text, name",
    [("SCN-", "SCN-"), ("SCN ⁻", "SCN-"), ("thiocyanate", "SCN-"), ("NCS-", "SCN-"), ("SCN–", "SCN-"),
     ("SO4 2-", "SO4 2-"), ("SO ₄ ²⁻", "SO4 2-"), ("SO4^2-", "SO4 2-"), ("SO42-", "SO4 2-"),
     ("sulphate", "SO4 2-"), ("In3+", "In3+"), ("In ³⁺", "In3+"), ("Cl−", "Cl-"),
     ("S ₂ ⁻", "S2-"), ("Sn2S6^-", "Sn2S6 4-"), ("[Fe(CN)6]4-", "Fe(CN)6 4-"), ("Ca++", "Ca2+"),
     ("OTAc", "OTAc-"), ("oleic acid", "OA-"), (r"\text{SO}_4^{2-}", "SO4 2-"),
     ("CCCCCCCC/C=C\\CCCCCCCC(=O)[O-]", "OA-"), ("[O-]C(=O)c1ccccc1", "BA-")],
)
def test_notations_resolve(text, name):
    assert parse_ligand(text).name == name


@pytest.mark.parametrize("text", ["Cs+–Rb+", "Cs+/Rb+", "Cs ⁺ –Rb ⁺", "Cs+ + Rb+", "Cs+-Rb+"])
def test_mixtures_get_equal_weights(text):
    lig = parse_ligand(text)
    assert lig.kind == "mixture" and comps(text) == {"Cs+": 0.5, "Rb+": 0.5}
    assert lig.charge == 1.0


def test_mixture_weights_when_given():
    assert comps("0.3 Cs+ / 0.7 Rb+") == {"Cs+": 0.3, "Rb+": 0.7}


def test_mixtures_of_review_and_salt_inside_mixture():
    assert comps("NH4+/CaCl2") == {"NH4+": 0.5, "Ca2+": 0.166667, "Cl-": 0.333333}
    assert parse_ligand("BA-/K+").ligand_class == "organic-inorganic hybrid"
    assert comps("OA/OAm") == {"OA-": 0.5, "OAm": 0.5}


def test_unknown_smiles_featurizes_from_rdkit():
    lig = parse_ligand("[O-]C(=O)c1ccc(F)cc1")  # 4-fluorobenzoate, not in the table
    assert not lig.in_knowledge_base
    assert lig.charge == -1 and lig.binding_type == "X" and lig.binding_atom == "O"
    assert lig.elements == {"O": 2, "C": 7, "F": 1, "H": 4}


def test_monatomic_ion_outside_table_uses_element_data():
    lig = parse_ligand("Au+")  # Pearson's soft acid; Shannon's six-coordinate radius 137 pm
    assert not lig.in_knowledge_base and lig.hsab_class == "soft" and lig.radius_pm == 137.0
    ag = parse_ligand("Ag+")  # in the table since the third curation session, still soft with its Shannon radius
    assert ag.in_knowledge_base and ag.hsab_class == "soft" and not ag.hsab_inferred and ag.radius_pm == 115.0


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownLigandError) as info:
        parse_ligand("thiocyanat")
    assert "SCN-" in info.value.suggestions
    with pytest.raises(UnknownLigandError):
        parse_ligand("unobtainium")


def test_ion_physics_from_mendeleev_and_table():
    assert parse_ligand("In3+").hardness_ev == pytest.approx(13.70, abs=0.01)
    assert parse_ligand("Cl-").hardness_ev == pytest.approx(4.68, abs=0.01)  # neutral-atom convention
    assert parse_ligand("Cl-").radius_pm == 181.0  # Shannon CN VI
    assert parse_ligand("Cs+").polarizability_a3 == 3.34  # Tessman-Kahn-Shockley
    assert parse_ligand("SO4 2-").radius_kind == "thermochemical"


def test_formula_parser():
    assert parse_formula("Co(CN)6") == {"Co": 1, "C": 6, "N": 6}
    assert parse_formula("(NH4)4Sn2S6") == {"N": 4, "H": 16, "Sn": 2, "S": 6}
    assert parse_formula("Xy2") is None and parse_formula("Cl)") is None


def test_normalize_superscripts_and_dashes():
    assert normalize("SO ₄ ²⁻") == "SO4^2-"
    assert normalize("Cs+–Rb+") == "Cs+/Rb+"


# --------------------------------------------------------------------- the knowledge base
def test_every_row_has_a_source_and_valid_categories():
    kb = knowledge_base()
    assert len(kb) == len(knowledge_base_ligands()) >= 60
    assert (kb["source"].str.strip() != "").all()
    assert set(kb["ligand_class"]) <= set(LIGAND_CLASSES)
    assert set(kb["binding_type"]) <= {"X", "L", "Z"}
    assert set(kb["hsab_class"]) <= {"hard", "borderline", "soft"}
    assert kb["name"].is_unique


@pytest.mark.parametrize("name", knowledge_base_ligands())
def test_every_kb_ligand_parses_to_itself(name):
    lig = parse_ligand(name)
    assert lig.name == name and lig.in_knowledge_base


def test_review_table2_and_named_ligands_are_covered():
    for text in ["SCN-", "BF4-", "I-", "Br-", "Cl-", "S2-", "SO4 2-", "K+", "Na+", "Cs+", "Rb+", "Zn2+",
                 "Cu2+", "Mg2+", "In3+", "Sn2S6 4-", "In2Se4 2-", "AsS3 3-", "MoS4 2-", "Se2-", "Te2-",
                 "HS-", "PO4 3-", "MoO4 2-", "WO4 2-", "VO4 3-", "NO3-", "ClO4-", "OTf-", "F-", "N3-",
                 "CN-", "Li+", "NH4+", "Ca2+", "Sr2+", "Ba2+", "Cd2+", "Pb2+", "Mn2+", "Ni2+", "Ga3+", "Y3+",
                 "CdCl2", "ZnCl2", "PbCl2", "PbBr2", "ZnBr2", "KBr", "LiBr", "MnBr2", "GaBr3", "InBr3",
                 "InCl3", "CaCl2", "PbClx-", "Co(CN)6 3-", "Fe(CN)6 4-", "PF6-", "Ce3+", "Eu3+", "Yb3+",
                 "OA-", "OAm", "DDAB", "PEA+", "BA-", "OTAc-", "TOPO", "TOP", "DDT", "native"]:
        assert parse_ligand(text).in_knowledge_base, text


def test_kb_smiles_parse_with_their_charge():
    from rdkit import Chem

    for row in knowledge_base().to_dict(orient="records"):
        if row["smiles"]:
            mol = Chem.MolFromSmiles(row["smiles"])
            assert mol is not None and Chem.GetFormalCharge(mol) == int(row["charge"]), row["name"]


def test_parse_is_cached_and_records_are_frozen():
    assert parse_ligand("SCN-") is parse_ligand("SCN-")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_ligand("SCN-").charge = 0  # type: ignore[misc]
    assert isinstance(parse_ligand("KI"), Ligand)
    assert parse_ligand("SCN-") == parse_ligand("thiocyanate")
    hash(parse_ligand("KI"))


# --------------------------------------------------------------------- fuzz
@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_any_text_returns_a_ligand_or_a_qdml_error(text):
    try:
        lig = parse_ligand(text)
    except QdmlError:
        return
    assert isinstance(lig, Ligand)


_ALPHABET = list("SCNOIKBrlnaZPb()[]+-/ 0123456789^⁺⁻²³₄–") + ["Cs", "In", "NH4", "SO4"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=12).map("".join))
def test_chemistry_like_text_returns_a_ligand_or_a_qdml_error(text):
    try:
        lig = parse_ligand(text)
    except QdmlError:
        return
    assert isinstance(lig, Ligand)
    assert abs(sum(w for _, w in lig.components) - 1.0) < 1e-9


def test_non_string_input_raises_qdml_error():
    for bad in (None, 3, float("nan"), ["SCN-"]):
        with pytest.raises(QdmlError):
            parse_ligand(bad)  # type: ignore[arg-type]

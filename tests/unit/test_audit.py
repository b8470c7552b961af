"""``qdml audit``: the bundled data passes, and real rows mutated the ways a curator errs are caught.

Each mutation test copies real rows of the bundled dataset (with their pair partners) to a temp
file, checks the copy is clean for the column at stake, applies one mutation and requires the
specific check to report that column: a test that cannot fail proves nothing.
"""

from __future__ import annotations

import copy
import csv
import io
import re

import pytest

from qdml.audit import (
    CHECKS,
    audit_file,
    flag_vocabulary,
    from_to_pairs,
    ligand_named,
    numbers,
    paper_key,
    qd_named,
)
from qdml.data import dataset_path
from qdml.data.schema import EXCLUDING_FLAGS
from qdml.exceptions import ValidationError
from qdml.validation import read_validated

LINE = re.compile(r"^.+:\d+: column '[a-z0-9_]+': .+$")


@pytest.fixture(scope="module")
def bundled():
    text = dataset_path().read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return reader.fieldnames, list(reader)


@pytest.fixture
def rows(bundled):
    header, records = bundled
    return header, copy.deepcopy(records)


def pick(records: list[dict], **where) -> dict:
    """The one record whose cells equal ``where`` (``source_startswith`` matches a prefix)."""
    prefix = where.pop("source_startswith", "")
    hits = [r for r in records if all(r[k] == v for k, v in where.items()) and r["source"].startswith(prefix)]
    assert len(hits) == 1, (where, len(hits))
    return hits[0]


def subset(records: list[dict], *chosen: dict) -> list[dict]:
    """The chosen records plus every record of their pairs (a pair must stay complete)."""
    pairs = {r["pair_id"] for r in chosen if r["pair_id"]}
    keep = [r for r in records if any(r is c for c in chosen) or (r["pair_id"] and r["pair_id"] in pairs)]
    return keep


def write(tmp_path, header, records, name="rows.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(records)
    return path


def problems(path, column: str | None = None, check: str | None = None) -> list[str]:
    found = audit_file(path, checks=(check,) if check else CHECKS)
    for p in found:
        assert LINE.match(str(p)), str(p)
    return [str(p) for p in found if column is None or p.column == column]


# --------------------------------------------------------------------------- the bundled data


def test_bundled_dataset_passes_the_audit():
    assert [str(p) for p in audit_file()] == []


def test_flag_vocabulary_says_which_tokens_exclude_a_row():
    vocab = flag_vocabulary()
    assert 15 <= len(vocab) <= 30
    assert {t for t, (_, excluded) in vocab.items() if excluded} == set(EXCLUDING_FLAGS)
    assert {"approx", "lower-bound", "upper-bound", "not-maximum", "notation", "max-eqe"} <= set(vocab)


def test_every_flag_item_of_the_bundled_data_starts_with_a_token():
    data = read_validated(dataset_path())
    vocab = flag_vocabulary()
    for line, flags in data.frame["flags"].items():
        for item in filter(str.strip, flags.split(";")):
            assert item.split(":", 1)[0].strip() in vocab, (line, item)


def test_paper_key_prefers_the_doi_and_normalises_it():
    assert paper_key("anything", "https://doi.org/10.1039/D4SC05565A") == "10.1039/d4sc05565a"
    assert paper_key("Li Z et al", "doi: 10.1039/d4sc05565a ") == "10.1039/d4sc05565a"
    key = paper_key("(authors not shown on page) 2018, Ce3+-Doping to Modulate Photoluminescence", "")
    assert key == paper_key("(authors/year not shown on stored page) 2018, Ce3+-Doping to modulate photoluminescence", "")
    assert key.startswith("2018ce3doping") and key.isalnum() and len(key) <= 60


def test_papers_of_the_bundled_data_keep_distinct_keys():
    data = read_validated(dataset_path())
    f = data.frame
    keys = {}
    for ref, doi in zip(f["reference"], f["doi"]):
        keys.setdefault(paper_key(ref, doi), set()).add(ref)
    assert all(len(refs) == 1 for refs in keys.values()), [r for r in keys.values() if len(r) > 1]


def test_leave_one_reference_out_groups_by_paper_key():
    import pandas as pd

    from qdml.evaluation.splits import make_folds, row_keys

    frame = pd.DataFrame({
        "ligand": ["KBr", "K+/Br-", "SCN-", "Cl-", "I-", "Br-", "Na+"],
        "qd": ["CsPbBr3"] * 7,
        "reference": ["Kim D H 2022 Chem. Eng. J.", "Kim DH et al 2022", "A", "B", "C", "D", "E"],
        "doi": ["10.1016/X", "10.1016/x", "", "", "", "", ""],
    }, index=range(2, 9))
    keys = row_keys(frame)
    assert keys.reference[0] == keys.reference[1]
    folds = make_folds("leave-one-reference-out", keys)
    assert any(sorted(f.test) == [0, 1] for f in folds)


def test_numbers_skip_citations_and_formula_digits_and_join_digit_groups():
    assert numbers("SCN ⁻ | CsPbBr ₃ | 48 000 | 8.06 | [137]") == {48000, 8.06}
    assert 137 not in numbers("an EQE of 10.2% [137]") and 3 not in numbers("CsPbBr3 QDs")
    assert {11990, 11} & numbers("11[thin space (1/6-em)]990 cd m−2") == {11990}


def test_from_to_pairs_read_both_word_orders():
    assert from_to_pairs("increased the PLQY from 39.7% to 86.2% and the EQE from 0.74% to 5.46%") == [
        (39.7, 86.2), (0.74, 5.46)]
    assert from_to_pairs("was improved to 96% from 70%") == [(70, 96)]
    assert from_to_pairs("from ca. 5% to up to 97.2 ± 2.5%") == [(5, 97.2)]


def test_names_of_ligands_and_qds():
    assert ligand_named("SCN-", "SCN ⁻ | CsPbBr ₃ | Green")[0]
    assert not ligand_named("SO4 2-", "SCN ⁻ | CsPbBr ₃ | Green")[0]
    assert ligand_named("NH4+/CaCl2", "combining NH₄⁺ with CaCl₂")[0]
    assert ligand_named("KF/myristic acid", "using potassium fluoride and myristic acid in combination")[0]
    assert not ligand_named("CaCl2", "synergistic passivation effect of halide anion and alkali cation")[0]
    assert not ligand_named("Cs+", "CsPbBr3 QDs", "CsPbBr3")[0]  # the QD's own Cs names no ligand
    assert ligand_named("Cu2+", "CsPb1-xCux(Br/Cl)3 QDs", "CsPbBrxCl3-x")[0]
    assert qd_named("CsPbBrxCl3-x", "CsPb(Br/Cl)3 NCs") and qd_named("CsPbBr3", "green perovskite LEDs")
    assert qd_named("Ag-In-Ga-S", "AIGS QDs without Na+ doping") and not qd_named("CdTe", "InP QDs")


# --------------------------------------------------------------------------- mutations of real rows


def test_swapped_control_and_treated_plqy_is_caught(rows, tmp_path):
    header, records = rows
    treated = pick(records, ligand="ZnBr2", qd="CsPbBr3", role="treated", pair_id="Li2024-solution")  # "from 53.6% to 96.4%"
    chosen = subset(records, treated)
    control = next(r for r in chosen if r["role"] == "control")
    assert problems(write(tmp_path, header, chosen, "ok.csv"), "plqy") == []
    control["plqy"], treated["plqy"] = treated["plqy"], control["plqy"]
    found = problems(write(tmp_path, header, chosen), "plqy", "from-to")
    assert len(found) == 2 and all("from 53.6 to 96.4" in p for p in found)


def test_von_set_to_the_fwhm_value_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="SCN-", qd="CsPbBr3", source_startswith="review Table 2")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "von_v") == []
    row["von_v"] = row["fwhm_nm"]  # 17 is in the evidence, but in the FWHM cell
    found = problems(write(tmp_path, header, [row]), "von_v", "values")
    assert found and "not as a value of this column" in found[0]


def test_von_set_to_a_peak_in_prose_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="KF/myristic acid", qd="ZnSe/ZnS", role="treated", sample="device")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "von_v") == []
    row["von_v"] = row["peak_nm"]  # "an emission peak at 456 nm": a number in nm, not in V
    assert problems(write(tmp_path, header, [row]), "von_v", "values")


def test_lifetime_set_to_a_citation_number_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="SCN-", qd="CsPbBr3", source_startswith="review Table 2")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "lifetime_ns") == []
    row["lifetime_ns"] = "137"  # the row's evidence ends with the citation "[137]"
    found = problems(write(tmp_path, header, [row]), "lifetime_ns", "values")
    assert found and "is not in the evidence" in found[0]


def test_a_twin_under_another_ligand_spelling_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="KBr", qd="CsPbBrxI3-x")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "ligand") == []
    twin = dict(row, ligand="K+/Br-")
    found = problems(write(tmp_path, header, [row, twin]), "ligand", "twins")
    assert len(found) == 1 and "entered twice" in found[0] and ":3:" in found[0]


def test_a_twin_under_another_reference_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="KBr", qd="CsPbBrxI3-x")
    twin = dict(row, ligand="organic/KBr", reference="Kim DH et al 2022 Chem. Eng. J.")
    found = problems(write(tmp_path, header, [row, twin]), "ligand", "twins")
    assert len(found) == 1 and "under another reference" in found[0]


def test_a_ligand_the_evidence_never_names_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="SCN-", qd="CsPbBr3", source_startswith="review Table 2")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "ligand") == []
    row["ligand"] = "SO4 2-"
    found = problems(write(tmp_path, header, [row]), "ligand", "names")
    assert found and "SO4 2-" in found[0]


def test_a_notation_flag_naming_the_ligand_waives_the_name_check(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="SCN-", qd="CsPbBr3", source_startswith="review Table 2")
    row["ligand"] = "SO4 2-"
    row["flags"] += "; notation: the table lists SO4 2- (test)"
    assert problems(write(tmp_path, header, [row]), "ligand", "names") == []


def test_a_qd_the_evidence_never_names_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="InCl3", qd="CdTe")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "qd") == []
    row["qd"] = "PbS"
    assert problems(write(tmp_path, header, [row]), "qd", "names")


def test_a_flag_token_outside_the_vocabulary_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="InCl3", qd="CdTe")
    assert problems(write(tmp_path, header, [row], "ok.csv"), "flags") == []
    row["flags"] += "; approximate: a spelling the vocabulary does not have"
    found = problems(write(tmp_path, header, [row]), "flags", "flags")
    assert found and "'approximate'" in found[0]


def test_up_to_without_its_flag_token_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="NH4+/CaCl2")  # "can achieve up to 93% PLQY"
    assert problems(write(tmp_path, header, [row], "ok.csv"), "plqy") == []
    row["flags"] = "; ".join(i for i in row["flags"].split("; ") if not i.startswith("upper-bound"))
    found = problems(write(tmp_path, header, [row]), "plqy", "qualifiers")
    assert found and "'up to'" in found[0] and "upper-bound" in found[0]


def test_a_decent_value_stored_as_maximum_is_caught(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="BA-/K+")  # "reaches an EQE of 16.58% and a maximum EQE of 18.65%"
    assert problems(write(tmp_path, header, [row], "ok.csv"), "eqe") == []
    row["evidence"] = row["evidence"].replace("reaches an EQE of 16.58% and a maximum EQE of 18.65%",
                                              "reaches a decent EQE of 18.65%")
    found = problems(write(tmp_path, header, [row]), "eqe", "qualifiers")
    assert found and "not-maximum" in found[0]


def test_a_luminance_not_called_a_maximum_needs_its_token(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="FABr", qd="CsPbBr3")
    chosen = subset(records, row)
    assert problems(write(tmp_path, header, chosen, "ok.csv"), "lmax_cd_m2") == []
    row["flags"] = "; ".join(i for i in row["flags"].split("; ") if not i.startswith("not-maximum"))
    assert problems(write(tmp_path, header, chosen), "lmax_cd_m2", "qualifiers")


def test_treatment_rules(rows, tmp_path):
    header, records = rows
    treated = pick(records, ligand="ZnBr2", qd="CsPbBr3", role="treated", pair_id="Li2024-solution")
    chosen = subset(records, treated)
    control = next(r for r in chosen if r["role"] == "control")
    assert problems(write(tmp_path, header, chosen, "ok.csv"), "treatment") == []
    treated["treatment"], control["treatment"] = "", "exchange"
    assert len(problems(write(tmp_path, header, chosen), "treatment", "treatment")) == 2
    doped = pick(records, ligand="Sb3+")
    doped["treatment"] = "post-treatment"  # its flags say dopant-not-surface
    found = problems(write(tmp_path, header, [doped], "dop.csv"), "treatment", "treatment")
    assert found and "doping" in found[0]


def test_doi_rules(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="InCl3", qd="CdTe")
    row["doi"] = "https://doi.org/10.1021/acsnano.8b06692"
    assert problems(write(tmp_path, header, [row]), "doi", "doi")
    pair = [r for r in records if r["reference"].startswith("Klepzig")]
    pair[0]["doi"] = ""
    found = problems(write(tmp_path, header, pair, "pair.csv"), "doi", "doi")
    assert found and "disagree" in found[0]


def test_a_file_that_fails_validation_reports_the_validation_problems(rows, tmp_path):
    header, records = rows
    row = pick(records, ligand="InCl3", qd="CdTe")
    row["treatment"] = "soaked"
    row["size_nm"] = "0.1"
    found = problems(write(tmp_path, header, [row]))
    assert any("column 'treatment'" in p and "must be one of" in p for p in found)
    assert any("column 'size_nm'" in p and "0.5-1000" in p for p in found)


# --------------------------------------------------------------------------- the schema knows the new columns


def test_schema_reads_size_abs_peak_and_treatment(tmp_path):
    from tests.conftest import HEADER, ROW_SCN

    path = tmp_path / "lab.csv"
    path.write_text(HEADER + ",size_nm,abs_peak_nm,treatment\n" + ROW_SCN + ",8.5,505,exchange\n", encoding="utf-8")
    frame = read_validated(path).frame
    assert frame.loc[2, "size_nm"] == 8.5 and frame.loc[2, "abs_peak_nm"] == 505
    assert frame.loc[2, "treatment"] == "exchange"
    path.write_text(HEADER + ",size_nm,abs_peak_nm,treatment\n" + ROW_SCN + ",8.5,5050,dunked\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_validated(path)
    text = str(exc.value)
    assert f"{path}:2: column 'abs_peak_nm': value 5050 out of range" in text
    assert f"{path}:2: column 'treatment': treatment 'dunked' must be one of" in text

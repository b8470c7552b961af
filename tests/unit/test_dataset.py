"""The bundled dataset against the review itself, and the curation-honesty rules."""

from __future__ import annotations

import pandas as pd
import pytest

from qdml.data import dataset_path
from qdml.data.schema import COLUMNS
from qdml.validation import read_validated


@pytest.fixture(scope="module")
def data():
    return read_validated(dataset_path())


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(dataset_path(), keep_default_na=False, dtype=str)


def table2(data, ligand, qd, color=None):
    f = data.frame
    rows = f[(f["ligand"] == ligand) & (f["qd"] == qd) & f["source"].str.startswith("review Table 2")]
    if color:
        rows = rows[rows["el_color"] == color]
    assert len(rows) == 1, (ligand, qd, len(rows))
    return rows.iloc[0]


def test_columns_in_contract_order(raw):
    assert list(raw.columns[: len(COLUMNS)]) == COLUMNS


def test_table2_has_24_rows(data):
    assert data.frame["source"].str.startswith("review Table 2").sum() == 24


def test_scn_cspbbr3_row_matches_the_review(data):
    r = table2(data, "SCN-", "CsPbBr3")
    assert (r.eqe, r.plqy, r.peak_nm, r.fwhm_nm, r.von_v, r.lmax_cd_m2, r.lifetime_ns) == (17.3, 82, 521, 17, 3.0, 48000, 8.06)
    assert r.el_color == "green" and r.role == "treated"


def test_other_table2_values(data):
    assert table2(data, "Cl-", "CsPbI3").eqe == 26.1
    assert table2(data, "In3+", "CsPbBrxI3-x").plqy == 99.8
    assert table2(data, "Zn2+", "CsPbBr3").plqy == 100
    assert table2(data, "K+", "(Cs/FA/pF-PEA)Pb(Cl/Br)3", "red").plqy == 93


def test_fapbi3_row_is_flagged_and_left_out_of_training(data):
    r = table2(data, "Cs+/Rb+", "FAPbI3")
    assert "suspect-value" in r["flags"] and "implausible" in r["flags"]
    assert r.name not in data.training_rows().index


def test_red_k_row_records_the_text_conflict(data):
    assert "table-text-conflict" in table2(data, "K+", "(Cs/FA/pF-PEA)Pb(Cl/Br)3", "red")["flags"]


def test_znsete_control_row_pairs_with_the_table_row(data):
    f = data.frame
    ctrl = f[(f["qd"] == "ZnSeTe/ZnSe/ZnS") & (f["role"] == "control") & (f["plqy"] == 39.7)]
    assert len(ctrl) == 1 and ctrl.iloc[0].eqe == 0.74
    treated = f[(f["pair_id"] == ctrl.iloc[0].pair_id) & (f["role"] == "treated")]
    assert list(treated["plqy"]) == [86.2] and list(treated["eqe"]) == [5.46]


def test_text_results_are_rows(data):
    f = data.frame
    assert (f["eqe"] == 10.2).any() and (f["eqe"] == 16.48).any() and (f["eqe"] == 18.65).any()  # [172]: its maximum
    assert set(f.loc[f["plqy"].isin([12, 93]) & f["ligand"].str.startswith("NH4+"), "plqy"]) == {12, 93}


def test_every_row_has_provenance(raw):
    for col in ("reference", "source", "evidence"):
        empty = raw.index[raw[col].str.strip() == ""] + 2
        assert not len(empty), f"{col} empty on lines {list(empty)}"


def test_every_number_appears_in_its_evidence(data):
    """Each value is in its evidence as a value of its column (qdml.audit's "values" check)."""
    from qdml.audit import audit_frame

    problems = audit_frame(data, checks=("values",))
    assert not problems, [str(p) for p in problems]


def test_pairs_are_complete(data):
    f = data.frame[data.frame["pair_id"] != ""]
    for pid, g in f.groupby("pair_id"):
        assert (g["role"] == "control").sum() == 1 and (g["role"] == "treated").sum() >= 1, pid
        assert g["sample"].nunique() == 1, pid


def test_no_exact_duplicates(raw):
    assert not raw.duplicated().any()


def test_data_card_counts_are_current():
    """datasets/README.md's counts block is generated from the CSV; regenerate with `python -m qdml.workflows.datacard`."""
    from qdml.data import bundled_path
    from qdml.workflows.datacard import END, START, counts_markdown

    text = bundled_path("README.md").read_text(encoding="utf-8")
    block = text[text.index(START): text.index(END) + len(END)]
    assert block == counts_markdown(), "stale counts: run python -m qdml.workflows.datacard"


def test_data_card_shows_the_shipped_models_beside_their_best_baselines():
    """The scores block quotes the shipped bundle's metadata: every grouped entry with its best baseline."""
    import json

    from qdml.data import bundled_models_dir, bundled_path
    from qdml.workflows.datacard import SCORES_END, SCORES_START, scores_markdown

    text = bundled_path("README.md").read_text(encoding="utf-8")
    block = text[text.index(SCORES_START): text.index(SCORES_END) + len(SCORES_END)]
    assert block == scores_markdown(), "stale model scores: run python -m qdml.workflows.datacard"
    meta = json.loads((bundled_models_dir() / "default" / "metadata.json").read_text(encoding="utf-8"))
    grouped = [e for e in meta["cv_scores"] if e["scheme"] == "leave-one-reference-out" and e["n"]
               and e.get("features", "full") == "full"]
    assert grouped and sum("| leave-one-reference-out |" in line for line in block.splitlines()) == len(grouped)
    for e in grouped:
        assert e["best_baseline"] and e["best_baseline_mae"] is not None and "skill_vs_best" in e


def test_public_loader_returns_the_validated_table():
    import qdml

    frame = qdml.load_dataset()
    assert frame.index[0] == 2 and frame["eqe"].dtype == float
    assert "implausible-von" in frame.loc[21, "flags"]  # FAPbI3 [154], line 21 of the CSV

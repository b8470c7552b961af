"""Each page of the web app under Streamlit's own harness: widgets drive the same numbers as the library."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pandas as pd
import pytest

from qdml.app.evidence import cv_table, verdict_against_best
from qdml.app.server import ENTRY
from qdml.chemistry.composition import parse_qd_composition
from qdml.data import bundled_models_dir, dataset_path
from qdml.exceptions import QdmlError
from qdml.learn.bundle import load_bundle, verify_bundle
from qdml.learn.estimators import RULES
from qdml.validation import load_dataset
from qdml.workflows.prediction import predict
from qdml.workflows.ranking import rank
from tests.conftest import HEADER, ROW_CL, ROW_IN, ROW_SCN


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _expected(bundle_dir, **pair) -> pd.Series:
    return predict(pd.DataFrame([pair]), load_bundle(bundle_dir)).iloc[0]


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


# --------------------------------------------------------------------------- Predict


def test_first_page_shows_scn_on_cspbbr3_predicted(app, small_bundle):
    _no_exception(app)
    assert app.title[0].value == "Predict"
    assert app.subheader[0].value == "SCN- on CsPbBr3"
    want = _expected(small_bundle, ligand="SCN-", qd="CsPbBr3")
    shown = _metrics(app)
    assert shown["PLQY (%)"] == f"{want['plqy_pred']:.1f}"
    assert shown["peak (nm)"] == f"{want['peak_nm_pred']:.0f}"
    assert "EQE (%)" not in shown  # the small bundle has no EQE model: nothing invented
    assert any(f"{want['plqy_lo']:.1f}–{want['plqy_hi']:.1f} %" in c.value for c in app.caption)
    # Table 2's row for this very pair (line 2, Yang 2023) is the first precedent, with its quote
    text = "\n".join(m.value for m in app.markdown)
    assert "this pair; treated; line 2" in text and "Yang J-N et al 2023" in text
    assert "17.3 \\| 82 \\| 521" in text


def test_typed_pair_drives_the_prediction(app, small_bundle):
    app.text_input(key="ligand").set_value("KBr")
    app.text_input(key="qd").set_value("CsPbI3").run()
    _no_exception(app)
    assert app.subheader[0].value == "KBr on CsPbI3"
    want = _expected(small_bundle, ligand="KBr", qd="CsPbI3")
    assert _metrics(app)["PLQY (%)"] == f"{want['plqy_pred']:.1f}"
    assert _metrics(app)["peak (nm)"] == f"{want['peak_nm_pred']:.0f}"
    # KBr brings bromide to an iodide perovskite: the page warns of the colour change, as predict's note does
    assert want["note"] and want["note"] in [w.value for w in app.warning]
    predictor = load_bundle(small_bundle).predictor
    text = "\n".join(m.value for m in app.markdown)
    assert ("Predicted by a rule" in text) == any(predictor.target_info[t]["estimator"] in RULES for t in predictor.targets)


def test_the_pair_survives_a_visit_to_another_page(app):
    app.text_input(key="ligand").set_value("KBr").run()
    app.switch_page("page_dataset.py").run()
    app.switch_page("page_predict.py").run()
    _no_exception(app)
    assert app.subheader[0].value == "KBr on CsPbBr3"


def test_control_plqy_switches_to_the_paired_model(app, small_bundle):
    app.number_input(key="control_plqy").set_value(60.0).run()
    _no_exception(app)
    want = _expected(small_bundle, ligand="SCN-", qd="CsPbBr3", control_plqy=60.0)
    assert want["mode"] == "paired"
    assert _metrics(app)["PLQY (%)"] == f"{want['plqy_pred']:.1f}"
    assert any("paired model" in c.value for c in app.caption)


def test_misspelt_ligand_offers_the_clis_suggestions(app):
    app.text_input(key="ligand").set_value("thiocyanat").run()
    _no_exception(app)
    assert not app.metric  # no number for a ligand that does not resolve
    assert "unknown ligand 'thiocyanat'; did you mean SCN-" in app.error[0].value
    app.button(key="suggest_ligand_SCN-").click().run()
    assert app.text_input(key="ligand").value == "SCN-"
    assert app.subheader[0].value == "SCN- on CsPbBr3" and app.metric


def test_unreadable_qd_is_named_with_close_dataset_qds(app):
    app.text_input(key="qd").set_value("InP/ZnSe/").run()  # a shell left unwritten
    _no_exception(app)
    assert not app.metric
    with pytest.raises(QdmlError) as exc:
        parse_qd_composition("InP/ZnSe/")
    assert app.error[0].value == f"QD: {exc.value}"
    assert [b.label for b in app.button if b.key.startswith("suggest_qd_")][:1] == ["InP/ZnSe/ZnS"]


def test_out_of_domain_pair_is_flagged(app):
    # Eu3+ on PbS: a lanthanide ion on an IV-VI QD; the dataset has neither Eu nor that pairing
    app.text_input(key="ligand").set_value("Eu3+")
    app.text_input(key="qd").set_value("PbS").run()
    _no_exception(app)
    assert app.warning and "Outside the applicability domain" in app.warning[0].value


# --------------------------------------------------------------------------- Rank


def test_rank_table_matches_the_library(app, small_bundle):
    app.switch_page("page_rank.py").run()
    _no_exception(app)
    app.multiselect(key="rank_targets").set_value(["plqy"]).run()
    table = app.dataframe[0].value
    want = rank("CsPbI3", ["plqy"], model=load_bundle(small_bundle))
    assert list(table["ligand"]) == list(want["ligand"].head(20))
    assert table["plqy_pred"].to_numpy() == pytest.approx(want["plqy_pred"].head(20).to_numpy())
    assert [d.label for d in app.get("download_button")] == ["Download the ranking (CSV)"]
    # what the CLI says under its table, the page says too: verdicts, rules and tied ligands
    shown = [c.value for c in app.caption] + [i.value for i in app.info]
    for sentence in want.attrs["verdicts"] + want.attrs["notes"]:
        assert sentence in shown


def test_rank_goal_peak_adds_the_peak_and_sorts_by_distance(app, small_bundle):
    app.switch_page("page_rank.py").run()
    app.multiselect(key="rank_targets").set_value(["plqy"])
    app.checkbox(key="rank_goal_on").check().run()  # the goal field opens once the box is ticked
    app.number_input(key="rank_goal").set_value(640.0).run()
    _no_exception(app)
    assert "goal peak = 640 nm" in app.subheader[0].value
    table = app.dataframe[0].value
    want = rank("CsPbI3", ["plqy", "peak_nm"], model=load_bundle(small_bundle), goals={"peak_nm": 640.0})
    assert list(table["ligand"]) == list(want["ligand"].head(20))


# --------------------------------------------------------------------------- Your data

BAD = "\n".join([HEADER, ROW_SCN.replace(",82,", ",120,"), ROW_CL.replace("Cl-,", "Chlorid,"), ROW_IN]) + "\n"
GOOD = "\n".join([HEADER, ROW_SCN, ROW_CL, ROW_IN]) + "\n"


def test_bad_upload_lists_its_problems_by_line_and_adds_nothing(app, untouched_shipped_files):
    app.switch_page("page_yourdata.py").run()
    app.file_uploader(key="upload").set_value(("lab.csv", BAD.encode(), "text/csv")).run()
    _no_exception(app)
    lines = app.code[0].value.splitlines()
    assert lines[0].startswith("lab.csv:2: column 'plqy': value 120 out of range")
    assert lines[1].startswith("lab.csv:3: column 'ligand': unknown ligand 'Chlorid'")
    assert "nothing was added" in app.error[0].value
    assert not [b for b in app.button if b.label.startswith("Add ")]
    ws = app.session_state["qdml_workspace"]
    assert not ws.changed and ws.merged_bytes() == dataset_path().read_bytes()


def test_upload_added_to_a_working_copy_and_retrained(app, small_bundle, untouched_shipped_files):
    app.switch_page("page_yourdata.py").run()
    app.file_uploader(key="upload").set_value(("lab.csv", GOOD.encode(), "text/csv")).run()
    assert app.success[0].value == "lab.csv: 3 valid rows."
    next(b for b in app.button if b.label == "Add lab.csv to the working copy").click().run()
    _no_exception(app)
    assert f"Added 3 rows; the working copy now has {len(load_dataset()) + 3} rows" in app.success[-1].value
    ws = app.session_state["qdml_workspace"]
    assert ws.data_path != dataset_path() and not str(ws.data_path).startswith(str(dataset_path().parent))
    original = dataset_path().read_bytes()
    assert ws.merged_bytes().startswith(original.rstrip(b"\n")) and ws.rows() == len(load_dataset()) + 3

    app.multiselect(key="retrain_targets").set_value(["plqy"])
    app.selectbox(key="retrain_scheme").set_value("none (fastest: no before/after comparison)").run()
    next(b for b in app.button if b.label == "Retrain").click().run()
    _no_exception(app)
    run = app.session_state["qdml_last_run"]
    retrained = load_bundle(run["path"])
    assert retrained.metadata["targets"] == ["plqy"]
    assert retrained.metadata["rows"] == load_bundle(small_bundle).metadata["rows"] + 3
    names = zipfile.ZipFile(BytesIO(ws.bundle_zip(ws.runs[-1]))).namelist()
    assert sorted(n.split("/")[1] for n in names) == ["checksums.sha256", "metadata.json", "predictor.skops"]
    assert {d.label for d in app.get("download_button")} == {
        "Download the merged dataset (CSV)", "Download the retrained bundle (zip)"}
    # the session may predict with its own bundle; the shipped one is untouched either way
    app.toggle(key="use_retrained").set_value(True).run()
    app.switch_page("page_predict.py").run()
    _no_exception(app)
    assert list(_metrics(app)) == ["PLQY (%)"]
    assert any("your retrained bundle" in c.value for c in app.caption)


# --------------------------------------------------------------------------- Dataset


def test_dataset_filters_and_counts(app):
    app.switch_page("page_dataset.py").run()
    _no_exception(app)
    data = load_dataset()
    assert len(app.dataframe[0].value) == len(data)
    app.multiselect(key="ds_family").set_value(["III-V"]).run()
    shown = app.dataframe[0].value
    families = {parse_qd_composition(q).family for q in data["qd"]}
    assert "III-V" in families
    expected = [line for line, q in data["qd"].items() if parse_qd_composition(q).family == "III-V"]
    assert list(shown["line"]) == expected
    assert shown["evidence"].str.len().gt(0).all()
    by_family = app.dataframe[2].value
    assert list(by_family["QD family"]) == ["III-V"] and by_family["rows"].sum() == len(expected)
    app.text_input(key="ds_text").set_value("SCN").run()
    assert set(app.dataframe[0].value["line"]) <= set(expected)


def test_dataset_counts_by_treatment(app):
    data = load_dataset()
    app.switch_page("page_dataset.py").run()
    by_treatment = app.dataframe[3].value
    assert by_treatment["rows"].sum() == len(data)
    exchanged = data[data["treatment"] == "exchange"]
    assert int(by_treatment.loc[by_treatment["treatment"] == "exchange", "rows"].iloc[0]) == len(exchanged)
    app.multiselect(key="ds_treatment").set_value(["exchange"]).run()
    assert list(app.dataframe[0].value["line"]) == list(exchanged.index)


# --------------------------------------------------------------------------- Model card


def test_model_card_shows_cv_against_the_best_baseline(monkeypatch):
    """The shipped bundle carries CV scores; the card reads its metadata only (checksums verified)."""
    from streamlit.testing.v1 import AppTest

    shipped = bundled_models_dir() / "default"
    meta = verify_bundle(shipped)
    monkeypatch.setenv("QDML_APP_MODEL", str(shipped))
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.run()  # Predict first (registers the pages), then the card
    at.switch_page("page_modelcard.py").run()
    _no_exception(at)
    trained, cv = at.dataframe[0].value, at.dataframe[1].value
    assert set(trained["target"]) == set(meta["targets"])
    plqy_model = meta["target_models"]["plqy"]
    shown = trained[(trained["target"] == "plqy") & (trained["model"] == "absolute")].iloc[0]
    assert shown["estimator"] == plqy_model["estimator"] and shown["rows"] == plqy_model["rows"]
    inner = plqy_model["inner_cv_mae"]
    assert shown["inner_cv_mae"] == pytest.approx(inner[plqy_model["estimator"]] if isinstance(inner, dict) else inner)
    assert len(cv) == len(meta["cv_scores"])
    entry = next(e for e in meta["cv_scores"] if e["target"] == "plqy" and e["scheme"] == "leave-one-ligand-out"
                 and e["mode"] == "absolute")
    row = cv[(cv["target"] == "plqy") & (cv["scheme"] == "leave-one-ligand-out") & (cv["mode"] == "absolute")].iloc[0]
    assert row["model_mae"] == pytest.approx(entry["mae"])
    assert row["best_baseline_mae"] == pytest.approx(min(entry["baselines"].values()))
    assert row["verdict"] == verdict_against_best(entry)
    assert list(cv["verdict"]) == list(cv_table(meta)["verdict"])
    limits = "\n".join(m.value for m in at.markdown)
    assert f"It learned from {meta['rows']} literature rows" in limits


@pytest.mark.slow
def test_retraining_compares_cross_validation_before_and_after(app, untouched_shipped_files):
    """Leave-one-ligand-out CV of the PLQY models on the bundled data and on the working copy."""
    app.switch_page("page_yourdata.py").run()
    app.file_uploader(key="upload").set_value(("lab.csv", GOOD.encode(), "text/csv")).run()
    next(b for b in app.button if b.label == "Add lab.csv to the working copy").click().run()
    app.multiselect(key="retrain_targets").set_value(["plqy"])
    app.selectbox(key="retrain_scheme").set_value("leave-one-ligand-out").run()
    next(b for b in app.button if b.label == "Retrain").click().run(timeout=600)
    _no_exception(app)
    table = app.dataframe[-1].value
    assert set(table["mode"]) == {"absolute", "paired"} and set(table["scheme"]) == {"leave-one-ligand-out"}
    absolute = table[table["mode"] == "absolute"].iloc[0]
    assert absolute["rows_after"] == absolute["rows_before"] + 3
    assert absolute["mae_before"] > 0 and absolute["mae_after"] > 0
    assert absolute["verdict_after"].split(" (")[0] in (
        "better than the best baseline", "worse than the best baseline", "not distinguishable from the best baseline")

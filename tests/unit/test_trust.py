"""What a chemist sees: physically sane predictions, honest rules, evidence beside every number.

One small bundle trained on the bundled literature table (no nested CV) serves every test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qdml.exceptions import QdmlError
from qdml.learn.bundle import load_bundle
from qdml.workflows.prediction import explain, predict
from qdml.workflows.training import train


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "trust"
    train(targets=["plqy", "eqe", "peak_nm"], out_dir=out, schemes=())
    return load_bundle(out)


def one(bundle, **row):
    return predict(pd.DataFrame([row]), bundle).iloc[0]


def test_untreated_cdse_peak_from_composition_and_size(bundle):
    """native CdSe, 4 nm: the Yu et al. sizing curve plus the Stokes shift (about 600 nm), not bulk CdSe (713 nm)."""
    from qdml.chemistry.confinement import untreated_peak

    row = one(bundle, ligand="native", qd="CdSe", size_nm=4.0)
    assert row["peak_nm_pred"] == pytest.approx(untreated_peak("CdSe", 4.0).peak_nm)
    assert row["peak_nm_lo"] < row["peak_nm_pred"] < row["peak_nm_hi"]
    bigger = one(bundle, ligand="native", qd="CdSe", size_nm=6.0)
    assert bigger["peak_nm_pred"] > row["peak_nm_pred"] + 20


def test_no_colour_no_bulk_gap(bundle):
    """ZnCl2 on CdSe/ZnS without a colour: a visible QD peak, not the 713 nm bulk CdSe edge; InZnP not 922 nm."""
    assert one(bundle, ligand="ZnCl2", qd="CdSe/ZnS")["peak_nm_pred"] < 660
    assert one(bundle, ligand="Zn2+", qd="InZnP")["peak_nm_pred"] < 700


def test_size_moves_the_peak(bundle):
    peaks = [one(bundle, ligand="SCN-", qd="CsPbBr3", size_nm=s)["peak_nm_pred"] for s in (4, 8, 15)]
    assert peaks == sorted(peaks) and peaks[-1] - peaks[0] > 30


def test_halide_ligands_shift_cspbi3_blue_and_cspbbr3_red_with_a_note(bundle):
    scn = one(bundle, ligand="SCN-", qd="CsPbI3")
    for ligand in ("Cl-", "Br-"):
        row = one(bundle, ligand=ligand, qd="CsPbI3")
        assert row["peak_nm_pred"] < scn["peak_nm_pred"]
        assert "exchanges the lattice halide" in row["note"] and "blue" in row["note"]
    iodide = one(bundle, ligand="I-", qd="CsPbBr3")
    bromide = one(bundle, ligand="SCN-", qd="CsPbBr3")
    assert iodide["peak_nm_pred"] > bromide["peak_nm_pred"]
    assert iodide["peak_nm_hi"] > 650  # the interval reaches toward a fully exchanged, red CsPbI3
    assert "red" in iodide["note"] and scn["note"] == ""


def test_a_colour_the_composition_cannot_emit_is_out_of_domain_and_intervals_never_collapse(bundle):
    red_cl = one(bundle, ligand="SCN-", qd="CsPbCl3", el_color="red")
    assert not red_cl["in_domain"] and "el_color" in red_cl["domain_reason"]
    assert red_cl["peak_nm_hi"] - red_cl["peak_nm_lo"] >= 1
    uv = one(bundle, ligand="SCN-", qd="CsPbBr3", pristine_peak_nm=250)
    assert not uv["in_domain"] and "pristine_peak_nm" in uv["domain_reason"]
    pairs = pd.DataFrame({"ligand": ["SCN-", "Cl-", "KBr", "Zn2+", "I-"],
                          "qd": ["CsPbCl3", "CsPbI3", "CsPbBr3", "InP/ZnSe/ZnS", "PbS"],
                          "el_color": ["red", "", "green", "blue", "NIR"]})
    out = predict(pairs, bundle)
    for t in ("plqy", "eqe", "peak_nm"):
        assert ((out[f"{t}_hi"] - out[f"{t}_lo"]) > 0).all(), t


def test_impossible_control_is_refused(bundle):
    with pytest.raises(QdmlError, match="control_plqy.*150.*outside"):
        one(bundle, ligand="KBr", qd="CsPbBr3", control_plqy=150)


def test_paired_eqe_is_non_decreasing_in_the_control_and_held_to_what_the_data_has_seen(bundle):
    """KBr on CsPbBr3 from controls of 0.5-25 %: never above the best EQE in the table unless flagged."""
    controls = [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 25.0]
    rows = pd.DataFrame({"ligand": "KBr", "qd": "CsPbBr3", "control_eqe": controls})
    out = predict(rows, bundle)
    assert (out["mode"] == "paired").all()
    pred = out["eqe_pred"].to_numpy()
    assert (np.diff(pred) >= -1e-9).all()
    highest = bundle.metadata["target_models"]["eqe"]["max"]
    assert (pred <= highest + 1e-9).all()
    seen = bundle.metadata["target_models"]["paired_eqe"]["control_range"]
    far = out[out["control_eqe"] > seen[1]]
    assert len(far) and (~far["in_domain"]).all() and far["domain_reason"].str.contains("controls of the training").all()


def test_paired_model_that_ignores_the_control_says_so(bundle, caplog):
    info = bundle.metadata["target_models"]["paired_plqy"]
    out = predict(pd.DataFrame({"ligand": "KBr", "qd": "CsPbBr3", "control_plqy": [10.0, 60.0]}), bundle)
    if info["uses_control"]:
        assert out["plqy_pred"].iloc[1] >= out["plqy_pred"].iloc[0]
    else:
        assert "does not use control_plqy" in caplog.text


def test_precedents_and_nearest_precedent(bundle):
    """Cl- on CsPbI3 is in the review's Table 2 (Feng et al. 2024, 638 nm)."""
    row = one(bundle, ligand="Cl-", qd="CsPbI3", el_color="red")
    assert row["precedents"] >= 1
    assert row["nearest_precedent"]
    unseen = one(bundle, ligand="MoS4 2-", qd="CsPbBr3")
    assert unseen["precedents"] == 0 and unseen["nearest_precedent"]
    near = explain({"ligand": "Cl-", "qd": "CsPbI3", "el_color": "red"}, bundle, k=3)
    assert len(near) == 3 and (near["evidence"].str.len() > 10).all()
    assert near["distance"].is_monotonic_increasing
    assert any("Feng" in r for r in near["reference"])


def test_rank_defaults_to_inorganic_ligands_and_the_most_skilful_target(bundle):
    from qdml.workflows.ranking import candidate_ligands, default_target, rank

    default = candidate_ligands()
    for organic in ("native", "OAm", "TOPO", "OA-", "C2O4 2-", "MBrn", "ZnX2"):
        assert organic not in default
    for inorganic in ("Cl-", "SCN-", "KBr", "DDAB", "GAI", "Sn2S6 4-"):
        assert inorganic in default
    assert {"native", "OAm", "MBrn"} <= set(candidate_ligands(include_organic=True))
    meta = bundle.metadata
    saved = meta.get("cv_scores")
    meta["cv_scores"] = [
        {"target": t, "scheme": "leave-one-reference-out", "mode": "absolute", "features": "full",
         "skill_vs_best": s, "best_baseline": "family-median", "best_baseline_mae": 10.0}
        for t, s in (("plqy", 0.05), ("eqe", -0.2), ("peak_nm", 0.01))
    ]
    try:
        assert default_target(bundle) == "plqy"
        table = rank("CsPbBr3", model=bundle)
        assert table.attrs["targets"] == ["plqy"] and "native" not in set(table["ligand"])
        eqe = rank("CsPbBr3", "eqe", model=bundle)
        assert not eqe["eqe_beats_baseline"].any()
        assert any("does NOT beat its best baseline" in n for n in eqe.attrs["verdicts"])
        gai = rank("CsPbBr3", "plqy", model=bundle, candidates=["GAI", "SCN-"])
        assert "red" in gai.set_index("ligand").loc["GAI", "note"]
    finally:
        meta["cv_scores"] = saved


def test_equal_scores_are_ties_ordered_by_what_the_literature_measured(bundle):
    """A rule gives every ligand the same EQE; the rank says 'tied' and the review's Table 2 orders them:
    SCN- (17.3 %) and Br- (16.2 %) on CsPbBr3 come before ligands never measured on it."""
    from qdml.workflows.ranking import rank

    table = rank("CsPbBr3", "eqe", model=bundle, candidates=["MoS4 2-", "I-", "Br-", "SCN-"], sample={"el_color": "green"})
    score = table["score"].to_numpy()
    for i in range(len(table)):  # competition ranking: 1 + the number of strictly better scores
        assert table["rank"].iloc[i] == 1 + int((score > score[i]).sum())
    for _, tie in table.groupby("score"):
        measured = tie["measured_eqe"].to_numpy(float)
        known = measured[np.isfinite(measured)]
        assert list(known) == sorted(known, reverse=True)
        assert not np.isfinite(measured[len(known):]).any()  # unmeasured ligands come last
    if table["score"].nunique() == 1:
        assert list(table["ligand"][:2]) == ["SCN-", "Br-"]
        assert any("share one score" in n for n in table.attrs["notes"])


def test_too_few_rows_to_choose_take_the_default_rule():
    """The bundled data hold six EQE control/treated pairs: inner CV on folds of one or two pairs
    cannot rank eleven candidates, so the default rule (control plus the median change) is taken."""
    from qdml.features.context import row_keys
    from qdml.features.pair import PairFeaturizer, treated_with_controls
    from qdml.learn.estimators import MIN_SELECTION_ROWS, select_estimator
    from qdml.validation import load_training_data
    from qdml.workflows.training import rule_sentence

    frame, _, _ = load_training_data()
    pairs = treated_with_controls(frame)
    mask = (pairs["eqe"].notna() & pairs["control_eqe"].notna()).to_numpy()
    assert 0 < mask.sum() < MIN_SELECTION_ROWS
    X = PairFeaturizer(paired=True).set_output(transform="pandas").fit(pairs).transform(pairs)[mask]
    sel = select_estimator(X, pairs["eqe"].to_numpy(float)[mask], "eqe", mode="paired",
                           groups=row_keys(pairs).reference[mask])
    assert sel.name == "control+median" and sel.small_sample
    assert "too few" in rule_sentence("eqe", sel.name, paired=True, rows=int(mask.sum()))
    plqy = (pairs["plqy"].notna() & pairs["control_plqy"].notna()).to_numpy()
    assert plqy.sum() >= MIN_SELECTION_ROWS  # PLQY pairs are still chosen by inner CV
    chosen = select_estimator(PairFeaturizer(paired=True).set_output(transform="pandas")
                              .fit(pairs).transform(pairs)[plqy], pairs["plqy"].to_numpy(float)[plqy], "plqy",
                              mode="paired", groups=row_keys(pairs).reference[plqy])
    assert not chosen.small_sample


def test_default_rank_target_is_never_the_peak_and_ties_keep_the_target_order(bundle):
    """A longer peak is not a better one; when rules tie at skill 0, PLQY (first target) is ranked by."""
    from qdml.workflows.ranking import default_target

    meta = bundle.metadata
    saved = meta.get("cv_scores")
    try:
        for skills, expected in (({"plqy": 0.0, "eqe": 0.0, "peak_nm": 0.4}, "plqy"),
                                 ({"plqy": -0.1, "eqe": 0.0, "peak_nm": 0.0}, "eqe")):
            meta["cv_scores"] = [{"target": t, "scheme": "leave-one-reference-out", "mode": "absolute",
                                  "features": "full", "skill_vs_best": s} for t, s in skills.items()]
            assert default_target(bundle) == expected
    finally:
        meta["cv_scores"] = saved

"""Screening: chunked rows equal one-shot predict; Parquet and CSV agree; Dask ranks like the local run."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from qdml.learn.bundle import load_bundle
from qdml.workflows.prediction import predict
from qdml.workflows.screening import expand_template, read_output, screen, spec_from_dict

SPEC = {
    "screen": {"targets": ["plqy", "peak_nm"], "top": 5, "chunk_size": 37},
    "score": {"by": "lower", "weights": {"plqy": 1.0, "peak_nm": 0.0}},
    "ligands": {"include": ["SCN-", "Br-", "KBr", "In3+", "SO4 2-", "unobtainium"], "mixtures_of_two": True,
                "mixture_pool": ["Br-", "K+"]},
    "compositions": {"include": ["InP/ZnSe/ZnS"], "template": [{"template": "CsPb(Br{x}Cl{1-x})3", "x": {"start": 0, "stop": 1, "step": 0.25}}]},
}


@pytest.fixture(scope="module")
def bundle():
    return load_bundle("default")


@pytest.fixture(scope="module")
def spec():
    return spec_from_dict(SPEC)


def test_template_expands_to_chemists_notation():
    assert expand_template("CsPb(Br{x}Cl{1-x})3", {"x": [0, 0.4, 1]}) == ["CsPbCl3", "CsPb(Br0.4Cl0.6)3", "CsPbBr3"]
    assert len(expand_template("CsPb(Br{x}Cl{1-x})3", {"x": {"start": 0, "stop": 1, "step": 0.05}})) == 21


def test_chunked_rows_equal_predict_and_unresolved_are_skipped(bundle, spec, tmp_path):
    out = tmp_path / "s.parquet"
    result = screen(spec, model=bundle, output=out)
    rows = read_output(out)
    assert result.n_skipped == 6  # 'unobtainium' on each of the 6 compositions
    assert len(rows) == result.n_screened == spec.n_candidates - 6
    ref = predict(rows[["ligand", "qd"]].copy(), bundle)
    for t in ("plqy", "peak_nm"):
        for s in ("_pred", "_lo", "_hi"):
            np.testing.assert_allclose(rows[t + s].to_numpy(), ref[t + s].to_numpy(float), rtol=1e-6, atol=1e-6)
    assert (rows["in_domain"].to_numpy() == ref["in_domain"].to_numpy()).all()
    assert list(rows["domain_reason"].fillna("")) == list(ref["domain_reason"].fillna(""))
    # Br- on CsPbCl3 exchanges the lattice chloride: the screen says so in predict's own words
    assert list(rows["note"].fillna("")) == list(ref["note"].fillna(""))
    br_on_cl = rows[(rows["ligand"] == "Br-") & (rows["qd"] == "CsPbCl3")]["note"].iloc[0]
    assert "exchanges the lattice halide" in br_on_cl and "red shift" in br_on_cl


def test_csv_and_parquet_hold_the_same_rows(bundle, spec, tmp_path):
    """Parquet keeps full floats for programs; the CSV a chemist opens holds PLQY to 0.1 %, peaks to 1 nm."""
    screen(spec, model=bundle, output=tmp_path / "a.parquet")
    screen(spec, model=bundle, output=tmp_path / "a.csv", chunk_size=1000)
    a, b = read_output(tmp_path / "a.parquet"), read_output(tmp_path / "a.csv")
    pd.testing.assert_frame_equal(a[["candidate", "ligand", "qd"]].reset_index(drop=True),
                                  b[["candidate", "ligand", "qd"]].reset_index(drop=True), check_dtype=False)
    np.testing.assert_allclose(b["score"], a["score"], atol=5e-4 + 1e-12)
    np.testing.assert_allclose(b["plqy_pred"], a["plqy_pred"].round(1), atol=1e-9)
    np.testing.assert_allclose(b["peak_nm_lo"], a["peak_nm_lo"].round(0), atol=1e-9)
    text = (tmp_path / "a.csv").read_text()
    assert not re.search(r"\d\.\d{5,}", text)  # no 17-digit floats


def test_local_processes_and_dask_cluster_rank_identically(bundle, spec):
    distributed = pytest.importorskip("distributed")
    local = screen(spec, model=bundle)
    procs = screen(spec, model=bundle, n_jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = screen(spec, model=bundle, client=client)
    for key in local.top:
        ids = list(local.top[key]["candidate"])
        assert list(procs.top[key]["candidate"]) == ids
        assert list(remote.top[key]["candidate"]) == ids


def test_goal_scores_closeness_mean_worst_case_and_interval():
    from qdml.workflows.ranking import target_score

    pred, lo, hi = np.array([600.0, 640.0, 700.0]), np.array([580.0, 600.0, 650.0]), np.array([620.0, 660.0, 720.0])
    assert target_score("peak_nm", "mean", pred, lo, hi, goal=630).tolist() == [-30, -10, -70]
    assert target_score("peak_nm", "lower", pred, lo, hi, goal=630).tolist() == [-50, -30, -90]
    assert target_score("peak_nm", "ucb", pred, lo, hi, goal=630).tolist() == [-10, 0, -20]
    assert target_score("peak_nm", "mean", pred, lo, hi).tolist() == pred.tolist()  # no goal: larger is better


def test_spec_goals_must_name_screened_targets(bundle):
    from qdml.exceptions import QdmlError
    from qdml.workflows.screening import build_plan

    spec = spec_from_dict({**SPEC, "score": {"by": "mean", "goals": {"eqe": 20}}})
    with pytest.raises(QdmlError, match="goals name targets not screened"):
        build_plan(bundle, spec)
    with pytest.raises(QdmlError, match='goals.peak_nm = "blue": must be a number'):
        spec_from_dict({**SPEC, "score": {"goals": {"peak_nm": "blue"}}})


def test_screen_with_a_peak_goal_ranks_by_distance(bundle):
    spec = spec_from_dict({**SPEC, "score": {"by": "mean", "goals": {"peak_nm": 470}}})
    best = screen(spec, model=bundle).top["peak_nm"]
    distance = (best["peak_nm_pred"] - 470).abs().to_numpy()
    assert (np.diff(distance) >= -1e-9).all()


def test_csv_output_cells_are_spreadsheet_safe_and_read_back_as_written(tmp_path):
    """A cell a spreadsheet would run as a formula gets a leading quote; qdml reads the original back."""
    import pyarrow as pa

    from qdml.workflows.screening import _Writer

    writer = _Writer(tmp_path / "s.csv")
    ligands = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2], pa.int32()), pa.array(["=HYPERLINK(1)", "SO4 2-", "Cs+/Rb+"]))
    writer.write(pa.table({"candidate": pa.array([0, 1, 2]), "ligand": ligands,
                           "qd": pa.array(["CsPbBr3", "@SUM(A1)", "InP/ZnSe/ZnS"]), "score": pa.array([-1.5, 2.0, 0.5]),
                           "domain_reason": pa.array(["", "-x", ""])}))
    writer.close(True)
    raw = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert list(raw["ligand"]) == ["'=HYPERLINK(1)", "SO4 2-", "Cs+/Rb+"]
    assert list(raw["qd"]) == ["CsPbBr3", "'@SUM(A1)", "InP/ZnSe/ZnS"] and raw.loc[0, "score"] == "-1.5"
    back = read_output(tmp_path / "s.csv")
    assert list(back["ligand"]) == ["=HYPERLINK(1)", "SO4 2-", "Cs+/Rb+"] and back.loc[1, "domain_reason"] == "-x"
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]


def test_candidate_count_is_known_before_any_list_is_built():
    from qdml.exceptions import QdmlError
    from qdml.workflows.screening import count_compositions, count_ligands

    comp = {"template": [{"template": "CsPb(Br{x}Cl{1-x})3", "x": {"start": 0, "stop": 2**22, "step": 1}}]}
    assert count_compositions(comp) == 2**22 + 1
    assert count_ligands({"include": ["Cl-", "Br-", "I-"], "mixtures_of_two": True}) == 3 + 3
    with pytest.raises(QdmlError, match="up to 12,582,915 candidates"):
        spec_from_dict({"ligands": {"include": ["Cl-", "Br-", "I-"]}, "compositions": comp})
    spec = spec_from_dict({**SPEC, "compositions": {"include": ["CsPbBr3"]}}, max_candidates=None)
    assert spec.n_candidates == len(spec.ligands)

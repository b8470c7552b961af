"""The web app's plain logic: precedents from the dataset, verdicts against the best baseline, workspace, port."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from qdml.app.evidence import (
    best_baseline,
    compare_cv,
    dataset_keys,
    precedents,
    verdict_against_best,
)
from qdml.app.server import check_port
from qdml.app.workspace import Workspace, safe_upload_name
from qdml.data import dataset_path
from qdml.exceptions import QdmlError
from qdml.validation import load_dataset
from tests.conftest import HEADER, ROW_CL, ROW_SCN

# Leave-one-ligand-out entries of the shipped bundle (metadata cv_scores, 145 training rows).
EQE_LOLO = {"target": "eqe", "scheme": "leave-one-ligand-out", "mode": "absolute", "features": "full",
            "mae": 7.5757, "mae_ci": [6.4952, 8.6766], "n_rows": 70,
            "baselines": {"family-mean": 6.4075, "mean": 6.6682, "nearest-neighbour": 8.0555}}
PLQY_LOLO = {"target": "plqy", "scheme": "leave-one-ligand-out", "mode": "absolute", "features": "full",
             "mae": 21.8226, "mae_ci": [17.9116, 26.1051], "n_rows": 91,
             "baselines": {"family-mean": 23.0405, "mean": 25.4734, "nearest-neighbour": 21.7314}}
PEAK_LOLO = {"target": "peak_nm", "scheme": "leave-one-ligand-out", "mode": "absolute", "features": "full",
             "mae": 37.1658, "mae_ci": [20.2851, 58.7245], "n_rows": 52,
             "baselines": {"band-gap-prior": 301.88, "family-mean": 95.4829, "mean": 134.0268,
                           "nearest-neighbour": 89.8654}}


@pytest.fixture(scope="module")
def data():
    frame = load_dataset()
    return frame, dataset_keys(frame)


def test_precedents_start_with_the_pair_itself(data):
    frame, keys = data
    table = precedents("thiocyanate", "CsPbBr3", frame, keys)  # a name resolves like its ion
    first, second = table.iloc[0], table.iloc[1]
    assert (first["match"], first["line"], first["ligand"]) == ("this pair", 2, "SCN-")
    assert "17.3 | 82 | 521" in first["evidence"] and first["plqy"] == 82
    assert (second["match"], second["qd"]) == ("same ligand, same QD family", "CsPbI3")


def test_precedents_are_ordered_by_closeness(data):
    frame, keys = data
    table = precedents("KBr", "CsPbI3", frame, keys, k=10)
    order = {"this pair": 0, "same ligand, same QD family": 1, "same ligand, other QD family": 2,
             "same ligand class, same QD family": 3}
    ranks = [order[m] for m in table["match"]]
    assert ranks == sorted(ranks) and len(table) == 10
    # a lead-halide perovskite QD: every row of the same family shares it
    fam = dict(zip(frame.index, keys["qd_family"]))
    assert all(fam[line] == "lead-halide perovskite" for line, m in zip(table["line"], table["match"])
               if m != "same ligand, other QD family")


def test_no_precedent_for_what_does_not_resolve(data):
    frame, keys = data
    assert precedents("Chlorid", "CsPbBr3", frame, keys).empty
    assert precedents("Cl-", "InP/ZnSe/", frame, keys).empty


def test_verdicts_against_the_best_baseline():
    # EQE: the per-family mean (6.41 %) is below the model's whole interval (6.50-8.68 %)
    assert best_baseline(EQE_LOLO) == ("family-mean", 6.4075)
    assert verdict_against_best(EQE_LOLO).startswith("worse than the best baseline (family-mean)")
    # PLQY: nearest neighbour 21.7 % lies inside 17.9-26.1 %
    assert verdict_against_best(PLQY_LOLO).startswith("not distinguishable from the best baseline (nearest-neighbour)")
    # peak: the model's whole interval (20-59 nm) is below the nearest neighbour's 90 nm
    assert verdict_against_best(PEAK_LOLO).startswith("better than the best baseline (nearest-neighbour)")


def test_a_best_baseline_field_of_the_entry_is_used_as_given():
    assert best_baseline({**EQE_LOLO, "best_baseline": "mean"}) == ("mean", 6.6682)
    assert best_baseline({**EQE_LOLO, "best_baseline": {"name": "mean", "mae": 6.6682}}) == ("mean", 6.6682)


def test_compare_cv_matches_entries():
    after = [{**PLQY_LOLO, "mae": 20.1, "mae_ci": [16.5, 23.0], "n_rows": 94}]
    table = compare_cv([PLQY_LOLO, EQE_LOLO], after)
    plqy = table[table["target"] == "plqy"].iloc[0]
    assert (plqy["rows_before"], plqy["rows_after"], plqy["mae_after"]) == (91, 94, 20.1)
    eqe = table[table["target"] == "eqe"].iloc[0]
    assert eqe["verdict_after"] == "not evaluated"


def test_upload_names_cannot_leave_the_uploads_folder():
    assert safe_upload_name("../../etc/passwd") == "passwd.csv"
    assert safe_upload_name("my lab data.csv") == "my_lab_data.csv"
    assert safe_upload_name("") == "upload.csv"


def test_workspace_adds_to_a_copy_and_never_to_the_bundled_file():
    original = dataset_path().read_bytes()
    ws = Workspace()
    try:
        text = ("\n".join([HEADER, ROW_SCN, ROW_CL]) + "\n").encode()
        first = ws.add_upload("lab.csv", text)
        assert first.added == 2 and ws.changed and ws.rows() == len(load_dataset()) + 2
        again = ws.add_upload("lab.csv", text)  # the same file twice: every row already there
        assert again.added == 0 and again.skipped_duplicates == [2, 3]
        assert dataset_path().read_bytes() == original
        root = ws.root
    finally:
        ws.cleanup()
    assert not root.exists()


def test_a_taken_or_impossible_port_is_refused_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(QdmlError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port(port)
        r = subprocess.run([sys.executable, "-m", "qdml.cli.main", "app", "--port", str(port)],
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        f"qdml app: port {port} on 127.0.0.1 is in use; choose another with --port N"]
    with pytest.raises(QdmlError, match="between 1 and 65535"):
        check_port(70000)


def test_app_is_a_listed_subcommand_that_binds_to_loopback_only():
    r = subprocess.run([sys.executable, "-m", "qdml.cli.main", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "\n    app " in r.stdout
    from qdml.app.server import streamlit_flags

    flags = streamlit_flags(8501)
    assert flags["server.address"] == "127.0.0.1" and flags["browser.gatherUsageStats"] is False

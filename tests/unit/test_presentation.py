"""Presentation: tables that never cut a value, verdicts against the best baseline, plots that respect
physics, the docs pages generated from the code, and the report's readable feature names."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from qdml.cli.tables import Column, build_table, layout, with_interval
from qdml.evaluation.glossary import COLUMNS, SCHEME_TEXT
from qdml.evaluation.schemes import SCHEMES
from qdml.evaluation.verdict import best_baseline, compare, headline_entry, sentence, verdicts
from qdml.targets import TARGETS, column_target


def _render(table, width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, force_terminal=False, color_system=None).print(table)
    return buf.getvalue()


# Real ligands and QDs of the dataset, with long notations that used to be cut ("lig...", "CsP...").
LIGANDS = ["In(NO3)3", "Cs+/Rb+", "BA-/K+", "SO4 2-", "ZnSeTe/ZnSe/ZnS", "CC(=O)[O-]"]
QDS = ["CsPb(Br0.4Cl0.6)3", "(Cs/FA/pF-PEA)Pb(Cl/Br)3", "InP/ZnSe/ZnS", "PbS", "CsPbBrxI3-x", "FAPbI3"]


def _columns():
    cells = [with_interval("plqy", p, p - 20.05, min(p + 15.3, 100)) for p in (56.2, 82.0, 99.8, 11.2, 90.0, 35.5)]
    peaks = [with_interval("peak_nm", p, p - 31, p + 40) for p in (521, 638, 639, 1380, 405, 483)]
    return [
        Column("ligand", LIGANDS), Column("QD", QDS),
        Column(TARGETS["plqy"].header, cells, 1, "right"),
        Column(TARGETS["peak_nm"].header, peaks, 2, "right"),
        Column("in domain", ["yes", "no", "yes", "yes", "no", "yes"], 3),
        Column("model", ["paired"] * 6, 6),
    ]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_tables_fit_the_width_and_never_cut_a_value(width):
    table, dropped = build_table(_columns(), width)
    text = _render(table, width)
    assert max(len(line) for line in text.splitlines()) <= width
    flat = " ".join(text.split())
    kept = [c for c in _columns() if c.header not in {d.header for d in dropped}]
    for col in kept:
        for cell in col.cells:
            for word in cell.split():
                assert word in flat, (width, word)
    assert "…" not in text


def test_columns_drop_from_the_least_important():
    cols = _columns()
    kept, _, dropped = layout(cols, 60)
    order = [c.header for c in dropped]
    assert order and order[0] == "model"  # priority 6 goes first
    assert {"ligand", "QD"} <= {c.header for c in kept}


def test_peaks_print_as_whole_nm_and_plqy_to_a_tenth():
    assert with_interval("peak_nm", 1380.4, 1290.2, 1466.0) == "1380 (1290–1466)"
    assert with_interval("plqy", 56.23749812763412, 31.0, 80.149) == "56.2 (31.0–80.1)"
    assert with_interval("plqy", float("nan"), 1, 2) == "-"
    assert TARGETS["eqe"].format(-0.04) == "0.0"


def test_column_target_reads_output_columns():
    assert column_target("peak_nm_lo").name == "peak_nm"
    assert column_target("measured_eqe").name == "eqe"
    assert column_target("fwhm_nm_pred").name == "fwhm_nm"
    assert column_target("ligand") is None and column_target("score") is None


# --------------------------------------------------------------------------- verdicts


@pytest.fixture(scope="module")
def shipped_scores():
    from qdml.learn.bundle import load_bundle

    return load_bundle().metadata["cv_scores"]


def test_best_baseline_is_the_lowest_mae_and_the_verdict_needs_the_whole_interval(shipped_scores):
    for e in shipped_scores:
        name, mae = best_baseline(e)
        assert mae == min(v for v in e["baselines"].values() if v is not None)
        lo, hi = e["mae_ci"]
        expected = "better" if hi < mae else "worse" if lo > mae else "same"
        assert compare(e) == expected


def test_a_given_best_baseline_key_is_used(shipped_scores):
    e = dict(headline_entry(shipped_scores, "plqy"))
    e["best_baseline"] = "mean"
    assert best_baseline(e) == ("mean", e["baselines"]["mean"])
    e["best_baseline"] = {"name": "family-mean", "mae": e["baselines"]["family-mean"]}
    assert best_baseline(e)[0] == "family-mean"


def test_headline_prefers_leave_one_ligand_out_and_the_sentence_quotes_it(shipped_scores):
    e = headline_entry(shipped_scores, "peak_nm")
    assert e["scheme"] == "leave-one-ligand-out" and e["features"] == "full" and e["mode"] == "absolute"
    text = sentence(e)
    assert text.startswith("Peak: ") and "leave-one-ligand-out" in text and " nm" in text
    assert len(verdicts(shipped_scores)) == len({x["target"] for x in shipped_scores})


# --------------------------------------------------------------------------- plots


def test_interval_bars_stay_inside_what_a_quantity_can_take():
    from qdml.evaluation.plots import clipped_errors

    # a conformal interval of -20 % to 140 % around a PLQY of 90 % is drawn from 0 to 100 %
    err = clipped_errors("plqy", [90.0], [-20.0], [140.0])
    assert err[0, 0] == pytest.approx(90.0) and err[1, 0] == pytest.approx(10.0)
    err = clipped_errors("peak_nm", [521.0], [480.0], [560.0])  # nothing to clip
    assert err[:, 0].tolist() == [41.0, 39.0]


def _ranking():
    rows = {"rank": [1, 2, 3], "ligand": ["KI", "SCN-", "In3+"], "peak_nm_pred": [648.0, 662.0, 639.0],
            "peak_nm_lo": [609.0, 623.0, 600.0], "peak_nm_hi": [686.0, 712.0, 680.0],
            "plqy_pred": [97.0, 84.8, 99.8], "plqy_lo": [65.2, 58.9, 70.0], "plqy_hi": [100.0, 100.0, 100.0],
            "pareto_front": [1, 1, 2], "in_domain": [True, True, False]}
    return pd.DataFrame(rows)


def test_goal_plot_marks_the_goal():
    from qdml.evaluation.plots import ranking_figure

    fig = ranking_figure(_ranking(), "peak_nm", goal=630)
    ax = fig.axes[0]
    goal_lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [630, 630]]
    assert goal_lines and "goal 630 nm" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_pareto_plot_shows_both_targets():
    from qdml.evaluation.plots import pareto_figure

    ax = pareto_figure(_ranking(), "plqy", "peak_nm").axes[0]
    assert "PLQY (%)" in ax.get_xlabel() and "peak (nm)" in ax.get_ylabel()
    labels = {t.get_text() for t in ax.texts}
    assert {"KI", "SCN-"} <= labels and "In3+" not in labels  # only the first front is named


# --------------------------------------------------------------------------- docs generated from the code


def test_feature_catalog_describes_exactly_the_featurizers_columns():
    from qdml.features.catalog import catalog, feature_names

    names = feature_names(paired=True)
    described = catalog()
    assert sorted(set(names) - set(described)) == []  # a new feature needs a line in qdml/features/catalog.py
    assert sorted(set(described) - set(names)) == []
    for name in names:
        info = described[name]
        assert info.meaning and info.source and info.group in ("ligand", "QD", "interaction", "control")


def test_missing_indicators_fold_into_their_feature():
    from qdml.features.catalog import describe, quantities

    assert describe("ligand__polarizability_missing").readable == describe("ligand__polarizability_a3").readable
    assert describe("qd__el_color_missing").readable == "QD: nominal colour"
    groups = quantities(["ligand__radius_pm", "ligand__radius_missing", "pair__hsab_match"])
    assert groups == {"Ligand: ionic radius": [0, 1], "Interaction: HSAB match": [2]}


def test_docs_pages_match_the_code():
    """docs/features.md and docs/evaluation.md are generated; regenerate with 'make docs'."""
    from pathlib import Path

    from qdml.evaluation import glossary
    from qdml.features import catalog

    docs = Path(__file__).resolve().parents[2] / "docs"
    assert (docs / "features.md").read_text(encoding="utf-8") == catalog.markdown(), "run 'make docs'"
    assert (docs / "evaluation.md").read_text(encoding="utf-8") == glossary.markdown(), "run 'make docs'"


def test_glossary_explains_every_column_and_scheme(shipped_scores):
    from qdml.evaluation.evaluate import entries_table

    assert set(entries_table(shipped_scores).columns) == set(COLUMNS)
    assert set(SCHEME_TEXT) == set(SCHEMES)


def test_report_card_says_the_verdict_in_words(shipped_scores):
    from qdml.evaluation.report import card

    e = headline_entry(shipped_scores, "plqy")
    html = card(e, None, [])
    words = {"better": "Better than its best baseline", "same": "No better than its best baseline",
             "worse": "Worse than its best baseline"}[compare(e)]
    assert words in html and "for a ligand it has never seen" in html and "80 % intervals" in html


def test_grouped_importance_uses_readable_names():
    from qdml.evaluation.report import _grouped_importance
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    labels, kinds, means, sds, _ = _grouped_importance(frame, "peak_nm", n_repeats=2)
    assert all("__" not in label and "_missing" not in label for label in labels)
    assert set(kinds) <= {"ligand", "QD", "interaction"} and len(labels) == len(means) == len(sds)
    top = labels[int(np.argmax(means))]
    assert top in ("Interaction: peak prior", "QD: nominal colour", "QD: pristine peak", "QD: band gap",
                   "Interaction: band-gap prior")  # the peak follows its physics prior

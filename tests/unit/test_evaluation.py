"""Honest evaluation: grouped folds never leak, nested CV does not flatter noise, entries are complete."""

from __future__ import annotations

import numpy as np
import pytest

from qdml.evaluation.evaluate import ENTRY_KEYS, evaluate
from qdml.evaluation.schemes import SCHEMES
from qdml.evaluation.splits import make_folds, row_keys
from qdml.features.pair import PairFeaturizer
from qdml.validation import load_training_data


@pytest.fixture(scope="module")
def bundled():
    frame, _, _ = load_training_data()
    return frame


@pytest.fixture(scope="module")
def keys(bundled):
    return row_keys(bundled)


@pytest.mark.parametrize("scheme,attr", [("leave-one-ligand-out", "ligand"), ("leave-one-qd-out", "qd"),
                                         ("leave-one-reference-out", "reference")])
def test_grouped_folds_never_share_a_group(keys, scheme, attr):
    labels = getattr(keys, attr)
    folds = make_folds(scheme, keys)
    assert folds
    for f in folds:
        assert not set(labels[f.train]) & set(labels[f.test])


def test_element_out_folds_hold_every_row_with_the_element(keys):
    folds = make_folds("leave-one-element-out", keys)
    held = {f.group for f in folds}
    assert {"I", "Br"} <= held  # iodide and bromide perovskites are both in Table 2
    for f in folds:
        assert all(f.group in keys.elements[i] for i in f.test)
        assert not any(f.group in keys.elements[i] for i in f.train)


def test_cluster_folds_partition_rows(bundled, keys):
    X = PairFeaturizer().fit(bundled).transform(bundled)
    folds = make_folds("leave-one-cluster-out", keys, X)
    tested = np.concatenate([f.test for f in folds])
    assert len(tested) == len(set(tested))


@pytest.mark.slow
def test_shuffled_target_scores_no_better_than_the_mean(bundled):
    """If nested CV leaked, a model could 'predict' a shuffled PLQY; it must not beat the mean."""
    rng = np.random.default_rng(7)
    frame = bundled[bundled["plqy"].notna()].copy()
    frame["plqy"] = rng.permutation(frame["plqy"].to_numpy())
    (entry,) = evaluate(frame, ["plqy"], ["repeated-kfold"]).entries
    lo, hi = entry["mae_ci"]
    assert entry["mae"] >= entry["baseline_mae"] * 0.9 or hi >= entry["baseline_mae"]


@pytest.mark.slow
def test_entries_have_every_json_key_and_baselines_on_same_folds(bundled):
    result = evaluate(bundled, ["peak_nm"], ["leave-one-ligand-out"])
    assert {(e["features"]) for e in result.entries} == {"full", "composition-only"}
    for e in result.entries:
        assert set(ENTRY_KEYS) <= set(e)
        assert e["mode"] == "absolute" and e["scheme"] == "leave-one-ligand-out"
        assert {"mean", "family-mean", "family-median", "nearest-neighbour", "band-gap-prior",
                "colour-prior"} <= set(e["baselines"])
        assert e["baseline_mae"] == e["baselines"]["mean"]
        best = min(e["baselines"].values())
        assert e["best_baseline_mae"] == best and e["baselines"][e["best_baseline"]] == best
        assert e["skill_vs_best"] == pytest.approx(1 - e["mae"] / best)
        # the confinement-aware prior is far better than the bulk band gap of a nanocrystal
        assert e["baselines"]["colour-prior"] < e["baselines"]["band-gap-prior"] / 3
        assert 0 <= e["coverage"] <= 1
        lo, hi = e["mae_ci"]
        assert lo <= e["mae"] <= hi


def test_schemes_are_the_contract_names():
    assert SCHEMES == ("repeated-kfold", "leave-one-out", "leave-one-ligand-out", "leave-one-qd-out",
                       "leave-one-reference-out", "leave-one-cluster-out", "leave-one-element-out")


@pytest.mark.slow
def test_shared_model_choices_never_see_a_test_row_of_their_block(bundled, keys, monkeypatch):
    """Leave-one-out shares one inner-CV choice per block of folds; none may train on a held-out row."""
    import qdml.evaluation.crossval as crossval

    frame = bundled[bundled["plqy"].notna()].reset_index(drop=True)
    X = PairFeaturizer().fit(frame).transform_frame(frame)
    data = crossval.TargetData("plqy", X, frame["plqy"].to_numpy(float), np.array(["x"] * len(frame)),
                               frame.index.to_numpy())
    folds = make_folds("leave-one-out", row_keys(frame))
    seen = []
    real = crossval.select_estimator

    def spy(X_train, y, target, **kw):
        seen.append((set(X_train.index), set(kw["X_test"].index)))
        return real(X_train, y, target, **kw)

    monkeypatch.setattr(crossval, "select_estimator", spy)
    preds = crossval.predictions_for(data, folds, max_selections=5)
    assert len(seen) in (5, 6) and preds["selection"].nunique() == len(seen)  # ~a fifth of the rows each
    assert sorted(preds["line"]) == list(range(len(frame)))  # every row held out exactly once
    for train, tested in seen:
        assert not train & tested
        assert len(train) + len(tested) == len(frame)


def test_blocks_hold_out_at_most_a_fifth_together(keys):
    from qdml.evaluation.crossval import plan_blocks

    n = len(keys.ligand)
    rkf = make_folds("repeated-kfold", keys)
    assert len(plan_blocks(rkf, max_selections=5, n_rows=n)) == len(rkf)  # each fold already holds out a fifth
    loo = make_folds("leave-one-out", keys)
    assert len(plan_blocks(loo, max_selections=5, n_rows=n)) in (5, 6)
    assert len(plan_blocks(loo[:24], max_selections=5, n_rows=24)) == 24  # small data: fully nested
    element = make_folds("leave-one-element-out", keys)
    blocks = plan_blocks(element, max_selections=5, n_rows=n)
    assert len(blocks) < len(element)  # rare elements (Gd, Nd, Sb ...) pack together
    for block in blocks:
        held = set().union(*(set(f.test) for _, f in block))
        assert len(block) == 1 or len(held) <= n / 5
    assert sorted(i for b in blocks for i, _ in b) == list(range(len(element)))


def test_paired_entries_have_no_change_and_control_plus_median_change(bundled):
    (entry,) = evaluate(bundled, ["plqy"], ["leave-one-reference-out"], modes=("paired",)).entries
    assert {"no-change", "control-plus-median-change", "family-median"} <= set(entry["baselines"])
    assert entry["best_baseline"] in entry["baselines"]


def test_inner_model_choice_is_grouped_like_the_outer_scheme(bundled, monkeypatch):
    """Under leave-one-reference-out the inner CV gets each training row's paper as its group."""
    import qdml.evaluation.crossval as crossval

    seen = []
    real = crossval.select_estimator

    def spy(X_train, y, target, **kw):
        seen.append(kw.get("groups"))
        return real(X_train, y, target, **kw)

    monkeypatch.setattr(crossval, "select_estimator", spy)
    frame = bundled[bundled["peak_nm"].notna()]
    evaluate(frame, ["peak_nm"], ["leave-one-reference-out"])
    papers = set(row_keys(frame).reference)
    assert seen and all(g is not None and set(g) <= papers for g in seen)
    seen.clear()
    evaluate(frame, ["peak_nm"], ["repeated-kfold"])
    assert seen and all(g is None for g in seen)  # random outer folds: random inner folds

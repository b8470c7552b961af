"""The evaluation run: every (target, scheme, mode, features) entry, as the ``--json`` list.

Entry keys (a contract): target, scheme, mode, features, n, mae, rmse, r2, spearman, mae_sd,
baseline_mae, baselines, mae_ci, coverage, estimator, best_baseline, best_baseline_mae,
skill_vs_best; plus skill, verdict, n_folds, n_rows, estimator_counts, interval_width,
confidence, vs_best_ci (bootstrap 95 % interval of model MAE minus best-baseline MAE on the same
rows), worse_than_best_baseline, beats_best_baseline.

``baselines`` holds ``mean``, ``family-mean``, ``family-median`` (same family and role),
``nearest-neighbour``; for the peak ``band-gap-prior`` (bulk gap) and ``colour-prior`` (the prior
the model starts from, no fitting); in paired mode ``no-change`` and
``control-plus-median-change``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from qdml.evaluation.crossval import (
    TargetData,
    assemble_blocks,
    plan_blocks,
    run_blocks,
    summarize_predictions,
)
from qdml.evaluation.splits import SCHEMES, RowKeys, make_folds, row_keys
from qdml.exceptions import QdmlError
from qdml.features.pair import PairFeaturizer, composition_only, treated_with_controls
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.learn.predictor import peak_context
from qdml.targets import TARGETS

log = logging.getLogger(__name__)

ENTRY_KEYS = (
    "target", "scheme", "mode", "features", "n", "mae", "rmse", "r2", "spearman", "mae_sd",
    "baseline_mae", "baselines", "mae_ci", "coverage", "estimator",
    "best_baseline", "best_baseline_mae", "skill_vs_best",
)


@dataclass
class EvaluationResult:
    entries: list[dict]
    predictions: dict[tuple, pd.DataFrame] = field(default_factory=dict)
    n_rows: int = 0


def feature_sets(X: pd.DataFrame, target: str) -> dict[str, pd.DataFrame]:
    """``full`` for every target; for the peak also ``composition-only`` (no colour, size, pristine peak)."""
    sets = {"full": X}
    if TARGETS[target].learned_as == "energy-shift":
        sets["composition-only"] = composition_only(X)
    return sets


def evaluate(
    frame: pd.DataFrame,
    targets: list[str],
    schemes: list[str] | None = None,
    modes: tuple[str, ...] = ("absolute",),
    random_state: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    n_jobs: int = 1,
    progress=None,
) -> EvaluationResult:
    """Nested CV of every target under every scheme; ``frame`` is validated, flagged rows removed.

    ``progress`` (optional) is called as ``progress(description, done, total)`` as each block of
    folds ends (``total`` blocks in all); all blocks of all entries share one pool of ``n_jobs`` workers.
    """

    schemes = list(schemes or SCHEMES)
    for s in schemes:
        if s not in SCHEMES:
            raise QdmlError(f"unknown scheme {s!r}; choose from {', '.join(SCHEMES)}")
    result = EvaluationResult([], {}, len(frame))
    tasks = []
    for mode in modes:
        if mode == "absolute":
            rows = frame
        else:
            rows = treated_with_controls(frame)
        if rows.empty:
            continue
        X_all = PairFeaturizer(paired=(mode == "paired")).fit(rows).transform_frame(rows)
        keys_all = row_keys(rows)
        families = X_all.attrs.get("family", np.array([""] * len(rows), dtype=object))
        for target in targets:
            if target not in rows.columns or (mode == "paired" and not TARGETS[target].paired_space):
                continue
            present = rows[target].notna().to_numpy()
            if mode == "paired":
                present = present & rows[f"control_{target}"].notna().to_numpy()
            if present.sum() < 6:
                log.warning("%s (%s): only %d rows, not evaluated", target, mode, int(present.sum()))
                continue
            sub_keys = _subset_keys(keys_all, present)
            for fname, X in feature_sets(X_all, target).items():
                if mode == "paired" and fname != "full":
                    continue
                Xs = X[present].reset_index(drop=True)
                sub_rows = rows[present].reset_index(drop=True)
                context = None
                if TARGETS[target].learned_as == "energy-shift" and mode == "absolute":
                    context = peak_context(sub_rows, Xs)
                data = TargetData(
                    target,
                    Xs,
                    rows[target].to_numpy(float)[present],
                    np.asarray(families)[present],
                    rows.index.to_numpy()[present],
                    rows[f"control_{target}"].to_numpy(float)[present] if mode == "paired" else None,
                    rows["qd"].to_numpy(dtype=object)[present],
                    sub_rows["role"].to_numpy(dtype=object) if "role" in sub_rows else None,
                    context,
                )
                for scheme in schemes:
                    folds = make_folds(scheme, sub_keys, Xs, random_state=random_state)
                    blocks = plan_blocks(folds, random_state=random_state, n_rows=len(Xs))
                    scheme_data = replace(data, groups=inner_groups(scheme, sub_keys, folds, len(Xs)))
                    tasks.append(((target, scheme, mode, fname), scheme_data, blocks))
    # every block of every entry in one pool: entries with few blocks no longer leave a core idle
    jobs = [(i, block) for i, (_, _, blocks) in enumerate(tasks) for block in blocks]
    parts: list[list] = [[] for _ in tasks]
    calls = ((tasks[i][1], block, random_state, confidence, tasks[i][0][2]) for i, block in jobs)
    if progress:
        progress("starting", 0, len(jobs))
    for done, ((i, _), out) in enumerate(zip(jobs, run_blocks(calls, n_jobs)), start=1):
        parts[i].append(out)
        if progress:
            target, scheme, mode, fname = tasks[i][0]
            progress(f"{target} {scheme}" + ("" if mode == "absolute" else f" {mode}")
                     + ("" if fname == "full" else f" {fname}"), done, len(jobs))
    for (key, _, _), entry_parts in zip(tasks, parts):
        preds = assemble_blocks(entry_parts)
        target, scheme, mode, fname = key
        entry = {"target": target, "scheme": scheme, "mode": mode, "features": fname}
        entry.update(summarize_predictions(preds, random_state))
        entry["confidence"] = confidence
        result.entries.append(entry)
        result.predictions[key] = preds
    return result


def inner_groups(scheme: str, keys: RowKeys, folds, n: int) -> np.ndarray | None:
    """Labels that group the inner model-choice folds the way ``scheme`` groups the outer ones.

    By ligand, composition or paper for the leave-one-X-out schemes; for cluster and element
    schemes, the group of the (first) outer fold that tests each row; ``None`` (random inner
    folds) for k-fold and leave-one-out, whose outer folds are random too.
    """
    direct = {"leave-one-ligand-out": keys.ligand, "leave-one-qd-out": keys.qd,
              "leave-one-reference-out": keys.reference}
    if scheme in direct:
        return np.asarray(direct[scheme], dtype=object)
    if scheme in ("leave-one-cluster-out", "leave-one-element-out"):
        labels = np.array([f"row {i}" for i in range(n)], dtype=object)
        for fold in reversed(folds):
            labels[np.asarray(fold.test)] = fold.group
        return labels
    return None


def _subset_keys(keys, mask):
    return RowKeys(
        ligand=keys.ligand[mask],
        qd=keys.qd[mask],
        reference=keys.reference[mask],
        elements=[e for e, m in zip(keys.elements, mask) if m],
    )


def entries_table(entries: list[dict], target: str | None = None) -> pd.DataFrame:
    """The model beside its baselines, one row per entry; columns as in :data:`glossary.COLUMNS`.

    With ``target`` only that target's entries are kept and value columns carry its unit in the
    header (``MAE (%)``); numbers are rounded to the target's decimals plus one.
    """
    from qdml.evaluation.glossary import UNIT_COLUMNS
    from qdml.evaluation.verdict import SHORT, best_baseline, compare

    rows = []
    for e in entries:
        if target is not None and e["target"] != target:
            continue
        b = e.get("baselines") or {}
        ci = list(e.get("mae_ci") or []) + [None, None]
        d = TARGETS[e["target"]].decimals + 1 if e["target"] in TARGETS else 3
        best_name, best_mae = best_baseline(e)

        def r(v, d=d):
            return None if v is None else round(float(v), d)

        rows.append(
            {
                "target": e["target"],
                "scheme": e["scheme"],
                "mode": e["mode"],
                "features": e["features"],
                "n": e["n"],
                "MAE": r(e.get("mae")),
                "MAE 95% CI": "" if ci[0] is None else f"{ci[0]:.{d}f}-{ci[1]:.{d}f}",
                "best baseline": best_name or "",
                "best-baseline MAE": r(best_mae),
                "vs best baseline": SHORT[compare(e)],
                "mean MAE": r(b.get("mean")),
                "family-median MAE": r(b.get("family-median")),
                "family-mean MAE": r(b.get("family-mean")),
                "nearest-neighbour MAE": r(b.get("nearest-neighbour")),
                "prior / no-change MAE": r(b.get("colour-prior", b.get("no-change"))),
                "skill vs best": r(e.get("skill_vs_best"), 2),
                "skill": r(e.get("skill"), 2),
                "R²": r(e.get("r2"), 2),
                "Spearman ρ": r(e.get("spearman"), 2),
                "coverage": r(e.get("coverage"), 2),
                "interval width": r(e.get("interval_width")),
                "model": e.get("estimator"),
            }
        )
    table = pd.DataFrame(rows)
    if target is not None and target in TARGETS:
        unit = TARGETS[target].unit
        table = table.rename(columns={c: f"{c} ({unit})" for c in UNIT_COLUMNS})
    return table

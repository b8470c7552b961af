"""Train: one Pipeline per target (features -> conformal regressor), scored, saved as a bundle."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from qdml.evaluation.evaluate import evaluate
from qdml.exceptions import QdmlError
from qdml.features.context import row_context, row_keys
from qdml.features.pair import PairFeaturizer, treated_with_controls
from qdml.learn.bundle import (
    check_bundle_target,
    check_name,
    package_versions,
    save_bundle,
    user_models_dir,
)
from qdml.learn.domain import ApplicabilityDomain
from qdml.learn.estimators import (
    DEFAULT_CONFIDENCE,
    MIN_SELECTION_ROWS,
    RULES,
    ConformalRegressor,
    is_rule,
    select_estimator,
    uses_control,
)
from qdml.learn.predictor import Predictor
from qdml.targets import DEFAULT_TARGETS, get_target
from qdml.validation import load_training_data

log = logging.getLogger(__name__)

RANDOM_STATE = 0
#: Schemes whose scores go into a bundle's metadata at training time (the full set: ``qdml evaluate``).
#: leave-one-reference-out is the one the shipped model is chosen for, and ``rank`` reads it.
TRAIN_SCHEMES = ("repeated-kfold", "leave-one-ligand-out", "leave-one-reference-out")
#: The shipped model of each target is chosen under this grouping: what wins on papers it has not seen.
SELECTION_SCHEME = "leave-one-reference-out"


def precedent_table(frame) -> list[dict]:
    """One record per training row, in training order: what ``predict`` shows as evidence.

    Canonical ligand, composition, QD family, reference, measured values and the verbatim
    evidence quote; the applicability domain's nearest-row indices point into this list.
    """
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import parse_ligand
    from qdml.targets import TARGETS

    lig = {v: parse_ligand(v).name for v in frame["ligand"].unique()}
    fam = {v: parse_qd_composition(v).family for v in frame["qd"].unique()}
    columns = [t for t in TARGETS if t in frame.columns]
    out = []
    for _, row in frame.iterrows():
        values = {t: float(row[t]) for t in columns if row[t] == row[t] and row[t] is not None}
        out.append({
            "ligand": lig[row["ligand"]], "qd": str(row["qd"]), "family": fam[row["qd"]],
            "role": str(row.get("role", "") or ""), "reference": str(row.get("reference", "") or ""),
            "values": values, "evidence": str(row.get("evidence", "") or ""),
            "line": f"{Path(str(row['_file'])).name}:{int(row['_line'])}",
        })
    return out


def rule_sentence(target: str, name: str, paired: bool = False, rows: int | None = None) -> str | None:
    """In words, when the chosen candidate is a rule: which one, and why (no fitted model beat it,
    or ``rows`` too few to choose at all)."""
    if not is_rule(name):
        return None
    what = "paired " + target if paired else target
    head = f"{what} is predicted by a rule, not a fitted model: {RULES[name]} ({name}); "
    if rows is not None:
        return head + (f"{rows} training rows are too few to choose between candidates "
                       f"(fewer than {MIN_SELECTION_ROWS}), so the default rule is used")
    return head + f"no fitted model beat it in model selection grouped by paper ({SELECTION_SCHEME})"


def selection_text(sel) -> str:
    if sel.small_sample:
        return f"default rule: fewer than {MIN_SELECTION_ROWS} rows to choose by inner CV"
    return f"inner CV grouped by paper ({SELECTION_SCHEME})"


@dataclass
class TrainResult:
    path: Path
    metadata: dict
    entries: list[dict] = field(default_factory=list)


def train(
    data=None,
    targets: list[str] | None = None,
    name: str = "default",
    out_dir: str | os.PathLike | None = None,
    models_dir: str | os.PathLike | None = None,
    include_flagged: bool = False,
    random_state: int = RANDOM_STATE,
    schemes=TRAIN_SCHEMES,
    n_jobs: int = 1,
    progress=None,
    paired: bool = True,
) -> TrainResult:
    """Fit one Pipeline per target (features -> conformal regressor) and save the bundle.

    ``progress`` (optional) is called as ``progress(description, done, total)``.

    The bundle goes to ``out_dir``, else to ``<models folder>/<name>`` (see
    :func:`qdml.learn.bundle.user_models_dir`); ``name`` must be a plain name.
    """
    check_name(name)
    if out_dir is not None:
        out = check_bundle_target(out_dir)  # a refusal now, not after minutes of training
    else:
        out = check_bundle_target(user_models_dir(models_dir) / name)
    targets = list(targets or DEFAULT_TARGETS)
    for t in targets:
        get_target(t)
    frame, seen, _ = load_training_data(data, include_flagged)
    featurizer = PairFeaturizer().set_output(transform="pandas").fit(frame)
    X = featurizer.transform(frame)
    papers = row_keys(frame).reference

    # progress: the CV blocks, then one step per fitted model (absolute and paired)
    n_fits = len(targets) * (2 if paired else 1)
    steps = {"cv": 0}

    def cv_progress(description, done, total):
        steps["cv"] = total
        progress(f"cross-validation: {description}", done, total + n_fits)

    entries = []
    if schemes:
        modes = ("absolute", "paired") if paired else ("absolute",)
        entries = evaluate(frame, targets, list(schemes), modes=modes, random_state=random_state,
                           n_jobs=n_jobs, progress=cv_progress if progress else None).entries
    fitted = 0

    models, paired_models, target_meta = {}, {}, {}
    for target in targets:
        mask = frame[target].notna().to_numpy()
        if mask.sum() < 6:
            log.warning("%s: only %d rows; no model trained", target, int(mask.sum()))
            continue
        if progress:
            progress(f"fit {target}", steps["cv"] + fitted, steps["cv"] + n_fits)
        fitted += 2 if paired else 1
        Xt, yt = X[mask], frame[target].to_numpy(float)[mask]
        # chosen as leave-one-reference-out would choose it: inner folds never split a paper
        sel = select_estimator(Xt, yt, target, random_state=random_state, groups=papers[mask])
        chosen, estimator, fallback = sel.name, sel.estimator, None
        regressor = ConformalRegressor(estimator, random_state=random_state).fit(Xt, yt)
        pipe = Pipeline([("features", featurizer), ("regressor", regressor)])
        models[target] = pipe
        target_meta[target] = {
            "rows": int(mask.sum()),
            "estimator": chosen,
            "hyperparameters": {k: repr(v) for k, v in sorted(estimator.get_params(deep=False).items())},
            "inner_cv_mae": sel.inner_mae,
            "selection": selection_text(sel),
            "rule": rule_sentence(target, chosen, rows=int(mask.sum()) if sel.small_sample else None),
            "fallback": fallback,
            "mean": float(yt.mean()),
            "sd": float(yt.std(ddof=1)) if len(yt) > 1 else 0.0,
            "max": float(yt.max()),
            "min": float(yt.min()),
        }
        paired_rows = treated_with_controls(frame)
        if paired and get_target(target).paired_space:
            pmask = paired_rows[target].notna() & paired_rows[f"control_{target}"].notna() if len(paired_rows) else []
            if len(paired_rows) and int(np.sum(pmask)) >= 6:
                pf = PairFeaturizer(paired=True).set_output(transform="pandas").fit(paired_rows)
                Xp = pf.transform(paired_rows)[pmask.to_numpy()]
                yp = paired_rows[target].to_numpy(float)[pmask.to_numpy()]
                pgroups = row_keys(paired_rows).reference[pmask.to_numpy()]
                psel = select_estimator(Xp, yp, target, random_state=random_state, mode="paired", groups=pgroups)
                preg = ConformalRegressor(psel.estimator, random_state=random_state).fit(Xp, yp)
                paired_models[target] = Pipeline([("features", pf), ("regressor", preg)])
                controls = paired_rows[f"control_{target}"].to_numpy(float)[pmask.to_numpy()]
                target_meta[f"paired_{target}"] = {
                    "rows": int(np.sum(pmask)), "estimator": psel.name, "inner_cv_mae": psel.inner_mae,
                    "hyperparameters": {k: repr(v) for k, v in sorted(psel.estimator.get_params(deep=False).items())},
                    "selection": selection_text(psel),
                    "rule": rule_sentence(target, psel.name, paired=True,
                                          rows=int(np.sum(pmask)) if psel.small_sample else None),
                    "uses_control": uses_control(psel.name),
                    "max": float(yp.max()), "min": float(yp.min()),
                    "control_range": [float(controls.min()), float(controls.max())],
                }
    if not models:
        raise QdmlError("no target has enough rows (6) to train a model")
    elements, classes, families = row_context(frame)
    domain = ApplicabilityDomain().fit(X, elements, classes, families)
    digest = hashlib.sha256("".join(sorted(s["sha256"] for s in seen)).encode()).hexdigest()
    metadata = {
        "name": name,
        "targets": [t for t in targets if t in models],
        "paired_targets": [t for t in targets if t in paired_models],
        "dataset_sha256": seen[0]["sha256"] if len(seen) == 1 else digest,
        # file names, not absolute paths: a bundle trained from the same data is the same bundle
        "files": [{**f, "path": Path(f["path"]).name} for f in seen],
        "rows": int(len(frame)),
        "rows_seen": [f"{Path(f).name}:{int(line)}" for f, line in zip(frame["_file"], frame["_line"])],
        "include_flagged": include_flagged,
        "feature_names": [str(c) for c in X.columns],
        "versions": package_versions(),
        "random_state": random_state,
        "default_confidence": DEFAULT_CONFIDENCE,
        "target_models": target_meta,
        "cv_scores": entries,
        "precedents": precedent_table(frame),
        "domain": {"threshold": domain.threshold_, "elements": domain.elements_,
                   "ligand_classes": domain.ligand_classes_, "families": domain.families_},
    }
    predictor = Predictor(models, paired_models, domain, metadata["feature_names"], target_meta)
    save_bundle(out, predictor, metadata)
    return TrainResult(out, metadata, entries)



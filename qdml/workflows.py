"""The three uses of qdml as functions, DataFrame in and DataFrame out: train, predict, rank; and add_data.

Data flows one way: read -> validate -> featurize -> fit/evaluate -> persist -> predict/rank.
The CLI only parses arguments and prints what these return.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.exceptions import QdmlError
from qdml.models import DEFAULT_CONFIDENCE
from qdml.schema import MEASURED, TARGETS_DEFAULT, ValidatedData, read_validated

log = logging.getLogger(__name__)

RANDOM_STATE = 0
#: Schemes whose scores go into a bundle's metadata at training time (the full set: ``qdml evaluate``).
TRAIN_SCHEMES = ("repeated-kfold", "leave-one-ligand-out")
SAMPLE_COLUMNS = ("el_color", "size_nm", "pristine_peak_nm")
CONTROL_COLUMNS = tuple(f"control_{t}" for t in ("plqy", "eqe", "peak_nm"))


# --------------------------------------------------------------------------- loading


def load_training_data(paths=None, include_flagged: bool = False) -> tuple[pd.DataFrame, list[dict], list]:
    """Validate and concatenate data files; return (rows for training, files seen, warnings).

    The frame keeps ``_file`` and ``_line`` so every later message can name the source line.
    """
    from qdml.data import dataset_path

    paths = [str(p) for p in (paths or [dataset_path()])]
    frames, seen, warnings = [], [], []
    for p in paths:
        data: ValidatedData = read_validated(p)
        frame = data.training_rows(include_flagged).copy()
        frame["_file"] = p
        frame["_line"] = frame.index
        frames.append(frame)
        seen.append({"path": p, "sha256": data.sha256, "rows": data.n_rows, "rows_used": len(frame)})
        warnings.extend(data.warnings)
    frame = pd.concat(frames, ignore_index=True)
    if len(paths) > 1:
        dup = frame.duplicated(subset=[c for c in frame.columns if not c.startswith("_")], keep="first")
        if dup.any():
            log.warning("%d rows appear in more than one file; kept once", int(dup.sum()))
            frame = frame[~dup].reset_index(drop=True)
    return frame, seen, warnings


# --------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    path: Path
    metadata: dict
    entries: list[dict] = field(default_factory=list)


def _row_context(frame: pd.DataFrame):
    """Elements, ligand classes and families of each row (for the applicability domain)."""
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import parse_ligand
    from qdml.evaluation.splits import row_keys

    keys = row_keys(frame)
    classes = [parse_ligand(v).ligand_class for v in frame["ligand"]]
    families = [parse_qd_composition(v).family for v in frame["qd"]]
    return [set(e) for e in keys.elements], classes, families


def train(
    data=None,
    targets: list[str] | None = None,
    name: str = "default",
    out_dir: str | os.PathLike | None = None,
    include_flagged: bool = False,
    random_state: int = RANDOM_STATE,
    schemes=TRAIN_SCHEMES,
    n_jobs: int = 1,
    progress=None,
    paired: bool = True,
) -> TrainResult:
    """Fit one Pipeline per target (features -> conformal regressor) and write ``models/<name>/``."""
    from sklearn.pipeline import Pipeline

    from qdml.bundle import package_versions, save_bundle
    from qdml.domain import ApplicabilityDomain
    from qdml.evaluation.evaluate import evaluate
    from qdml.featurize import PairFeaturizer, paired_table
    from qdml.models import ConformalRegressor, candidate_estimators, select_estimator

    targets = list(targets or TARGETS_DEFAULT)
    for t in targets:
        if t not in MEASURED:
            raise QdmlError(f"unknown target {t!r}; numeric columns are {', '.join(MEASURED)}")
    frame, seen, _ = load_training_data(data, include_flagged)
    featurizer = PairFeaturizer().set_output(transform="pandas").fit(frame)
    X = featurizer.transform(frame)

    entries = []
    if schemes:
        modes = ("absolute", "paired") if paired else ("absolute",)
        entries = evaluate(frame, targets, list(schemes), modes=modes, random_state=random_state,
                           n_jobs=n_jobs, progress=progress).entries

    models, target_meta = {}, {}
    for target in targets:
        mask = frame[target].notna().to_numpy()
        if mask.sum() < 6:
            log.warning("%s: only %d rows; no model trained", target, int(mask.sum()))
            continue
        if progress:
            progress(f"fit {target}")
        Xt, yt = X[mask], frame[target].to_numpy(float)[mask]
        sel = select_estimator(Xt, yt, target, random_state=random_state)
        chosen, estimator, fallback = sel.name, sel.estimator, None
        lolo = next((e for e in entries if e["target"] == target and e["scheme"] == "leave-one-ligand-out"
                     and e["mode"] == "absolute" and e["features"] == "full"), None)
        if lolo and lolo.get("verdict", "").startswith("worse than the baseline"):
            fallback = "nested-CV MAE under leave-one-ligand-out is worse than the training mean beyond its 95% interval"
            chosen = "mean" if target != "peak_nm" else "prior+mean"
            estimator = candidate_estimators(target, random_state)[chosen]
        regressor = ConformalRegressor(estimator, random_state=random_state).fit(Xt, yt)
        pipe = Pipeline([("features", featurizer), ("regressor", regressor)])
        models[target] = pipe
        target_meta[target] = {
            "rows": int(mask.sum()),
            "estimator": chosen,
            "hyperparameters": {k: repr(v) for k, v in sorted(estimator.get_params(deep=False).items())},
            "inner_cv_mae": sel.inner_mae,
            "fallback": fallback,
            "mean": float(yt.mean()),
            "sd": float(yt.std(ddof=1)) if len(yt) > 1 else 0.0,
        }
        paired_rows = paired_table(frame)
        if paired:
            pmask = paired_rows[target].notna() & paired_rows[f"control_{target}"].notna() if len(paired_rows) else []
            if len(paired_rows) and int(np.sum(pmask)) >= 6:
                pf = PairFeaturizer(paired=True).set_output(transform="pandas").fit(paired_rows)
                Xp = pf.transform(paired_rows)[pmask.to_numpy()]
                yp = paired_rows[target].to_numpy(float)[pmask.to_numpy()]
                psel = select_estimator(Xp, yp, target, random_state=random_state, mode="paired")
                preg = ConformalRegressor(psel.estimator, random_state=random_state).fit(Xp, yp)
                models[f"paired_{target}"] = Pipeline([("features", pf), ("regressor", preg)])
                target_meta[f"paired_{target}"] = {
                    "rows": int(np.sum(pmask)), "estimator": psel.name, "inner_cv_mae": psel.inner_mae,
                    "hyperparameters": {k: repr(v) for k, v in sorted(psel.estimator.get_params(deep=False).items())},
                }
    if not models:
        raise QdmlError("no target has enough rows (6) to train a model")
    elements, classes, families = _row_context(frame)
    domain = ApplicabilityDomain().fit(X, elements, classes, families)
    import hashlib

    digest = hashlib.sha256("".join(sorted(s["sha256"] for s in seen)).encode()).hexdigest()
    metadata = {
        "name": name,
        "targets": [t for t in targets if t in models],
        "paired_targets": [t for t in targets if f"paired_{t}" in models],
        "dataset_sha256": seen[0]["sha256"] if len(seen) == 1 else digest,
        "files": seen,
        "rows": int(len(frame)),
        "rows_seen": [f"{Path(f).name}:{int(line)}" for f, line in zip(frame["_file"], frame["_line"])],
        "include_flagged": include_flagged,
        "feature_names": [str(c) for c in X.columns],
        "versions": package_versions(),
        "random_state": random_state,
        "default_confidence": DEFAULT_CONFIDENCE,
        "target_models": target_meta,
        "cv_scores": entries,
        "domain": {"threshold": domain.threshold_, "elements": domain.elements_,
                   "ligand_classes": domain.ligand_classes_, "families": domain.families_},
    }
    out = Path(out_dir) if out_dir else Path("models") / name
    save_bundle(out, models, metadata, domain)
    return TrainResult(out, metadata, entries)


# --------------------------------------------------------------------------- prediction


def _resolve_rows(frame: pd.DataFrame) -> pd.Series:
    """'' where the ligand and QD resolve, else the reason (one line)."""
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import parse_ligand

    reasons = []
    lig_cache, qd_cache = {}, {}
    for lig, qd in zip(frame["ligand"].astype(str), frame["qd"].astype(str)):
        why = []
        for cache, parser, value, label in ((lig_cache, parse_ligand, lig, "ligand"), (qd_cache, parse_qd_composition, qd, "qd")):
            if value not in cache:
                try:
                    parser(value)
                    cache[value] = ""
                except QdmlError as exc:
                    cache[value] = f"{label}: {exc}"
            if cache[value]:
                why.append(cache[value])
        reasons.append("; ".join(why))
    return pd.Series(reasons, index=frame.index, dtype=object)


def normalise_pairs(pairs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Clean user columns (el_color case, numbers); return the frame and warnings."""
    from qdml.schema import COLOURS

    frame = pairs.copy()
    warnings = []
    for col in ("ligand", "qd"):
        if col not in frame.columns:
            raise QdmlError(f"input needs a column {col!r} (and optionally {', '.join(SAMPLE_COLUMNS)})")
        frame[col] = frame[col].fillna("").astype(str).str.strip()
    if "el_color" in frame.columns:
        lookup = {c.lower(): c for c in COLOURS}
        clean = []
        for value in frame["el_color"].fillna("").astype(str):
            v = value.strip().lower()
            if v and v not in lookup:
                warnings.append(f"unknown el_color {value!r} treated as missing (known: {', '.join(COLOURS)})")
            clean.append(lookup.get(v, ""))
        frame["el_color"] = clean
    for col in ("size_nm", "pristine_peak_nm") + CONTROL_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame, sorted(set(warnings))


def predict(pairs: pd.DataFrame, model=None, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Predict every target of a bundle for each row of ``pairs`` (columns ligand, qd, optional extras).

    Returns the input columns unchanged, then ``<target>_pred``, ``<target>_lo``, ``<target>_hi``
    per target, ``in_domain`` and ``domain_reason``; one row per input row, in input order.
    Rows whose ligand or QD does not resolve get empty predictions and the reason.
    With ``control_<target>`` columns, rows that have them are predicted by the paired model
    (what the treatment changes) where the bundle has one; ``mode`` says which model answered.
    """
    from qdml.bundle import Bundle, load_bundle
    from qdml.domain import widen

    bundle = model if isinstance(model, Bundle) else load_bundle(model)
    frame, warnings = normalise_pairs(pairs)
    for w in warnings:
        log.warning(w)
    reasons = _resolve_rows(frame)
    ok = (reasons == "").to_numpy()
    out = pairs.copy()
    targets = bundle.metadata["targets"]
    for t in targets:
        for suffix in ("_pred", "_lo", "_hi"):
            out[f"{t}{suffix}"] = np.nan
    out["in_domain"] = False
    out["domain_reason"] = reasons.to_numpy()
    if not ok.any():
        return out
    good = frame[ok]
    first = bundle.models[targets[0]]
    X = first.named_steps["features"].transform(good)
    elements, classes, families = _row_context(good)
    assessment = bundle.domain.assess(X, elements, classes, families) if bundle.domain is not None else None
    mode = np.full(len(good), "absolute", dtype=object)
    for t in targets:
        reg = bundle.models[t].named_steps["regressor"]
        pred, lo, hi = reg.predict_interval(X, confidence)
        ctrl_col = f"control_{t}"
        if f"paired_{t}" in bundle.models and ctrl_col in good.columns:
            has = good[ctrl_col].notna().to_numpy()
            if has.any():
                pm = bundle.models[f"paired_{t}"]
                meta = bundle.metadata.get("target_models", {}).get(f"paired_{t}", {})
                if not str(meta.get("estimator", "control+")).startswith("control+"):
                    log.warning(
                        "paired %s model (%s, %s pairs) does not use control_%s: on the training pairs the "
                        "family's typical treated value predicted better than any change from the control",
                        t, meta.get("estimator"), meta.get("rows"), t,
                    )
                Xp = pm.named_steps["features"].transform(good[has])
                pp, pl, ph = pm.named_steps["regressor"].predict_interval(Xp, confidence)
                pred, lo, hi = pred.copy(), lo.copy(), hi.copy()
                pred[has], lo[has], hi[has] = pp, pl, ph
                mode[has] = "paired"
        if assessment is not None:
            lo, hi = widen(pred, lo, hi, assessment)
        if t == "peak_nm":
            pred, lo, hi = _clip_to_window(good["qd"], pred, lo, hi)
        lo, hi = _clip(t, lo), _clip(t, hi)
        out.loc[ok, f"{t}_pred"] = _clip(t, pred)
        out.loc[ok, f"{t}_lo"] = lo
        out.loc[ok, f"{t}_hi"] = hi
    if assessment is not None:
        out.loc[ok, "in_domain"] = assessment["in_domain"].to_numpy()
        out.loc[ok, "domain_reason"] = assessment["domain_reason"].to_numpy()
    else:
        out.loc[ok, "in_domain"] = True
    if any(c in frame.columns for c in CONTROL_COLUMNS):
        out["mode"] = ""
        out.loc[ok, "mode"] = mode
    out["in_domain"] = out["in_domain"].astype(bool)
    return out


def _clip_to_window(qds: pd.Series, pred, lo, hi):
    """Keep peaks inside the window the composition's band gap allows (the validator's own rule).

    Used by ``predict`` and by the evaluation alike, so the scores describe what users get.
    """
    from qdml.chemistry.composition import plausible_peak_range_nm

    windows = {q: plausible_peak_range_nm(q) for q in qds.unique()}
    w_lo = np.array([windows[q][0] if windows[q][0] is not None else -np.inf for q in qds], dtype=float)
    w_hi = np.array([windows[q][1] if windows[q][1] is not None else np.inf for q in qds], dtype=float)
    return (np.clip(pred, w_lo, w_hi), np.clip(lo, w_lo, w_hi), np.clip(hi, w_lo, w_hi))


def _clip(target: str, values: np.ndarray) -> np.ndarray:
    """Keep predictions inside the physical range of the target (PLQY and EQE 0-100 %, positive)."""
    unit, lo, hi, _ = MEASURED[target]
    return np.clip(values, lo, hi if np.isfinite(hi) else None)


# --------------------------------------------------------------------------- ranking


def measured_values(frame: pd.DataFrame, qd: str, target: str) -> dict[str, float]:
    """Measured ``target`` of each ligand (canonical name) on ``qd`` in the data (mean of repeats)."""
    from qdml.chemistry.ligands import parse_ligand

    key = qd.replace(" ", "")
    rows = frame[(frame["qd"].astype(str).str.replace(" ", "") == key) & frame[target].notna()]
    rows = rows[rows["role"] != "control"]
    out: dict[str, list[float]] = {}
    for lig, value in zip(rows["ligand"], rows[target]):
        try:
            name = parse_ligand(lig).name
        except QdmlError:
            continue
        out.setdefault(name, []).append(float(value))
    return {k: float(np.mean(v)) for k, v in out.items()}


#: Targets where smaller is better (a narrow emission, a low turn-on voltage).
LOWER_IS_BETTER = frozenset({"fwhm_nm", "von_v"})


def target_score(target: str, by: str, pred, lo, hi, goal: float | None = None) -> np.ndarray:
    """Larger is better: the prediction, the lower bound (cautious) or the upper bound (exploring).

    For targets where smaller is better (``fwhm_nm``, ``von_v``) the sign flips and the bounds
    swap. With a ``goal`` (a wanted value, such as a 630 nm emission peak) the score is minus the
    distance to it: of the prediction (mean), of the interval's farther end (lower: the worst
    case) or of the interval itself (ucb: 0 when the goal lies inside). ``rank`` and ``screen``
    both score through this function.
    """
    if goal is not None:
        pred, lo, hi = (np.asarray(v, dtype=float) for v in (pred, lo, hi))
        if by == "mean":
            return -np.abs(pred - goal)
        if by == "lower":
            return -np.maximum(np.abs(lo - goal), np.abs(hi - goal))
        return -np.maximum(0.0, np.maximum(lo - goal, goal - hi))
    if target in LOWER_IS_BETTER:
        return -np.asarray({"mean": pred, "lower": hi, "ucb": lo}[by], dtype=float)
    return np.asarray({"mean": pred, "lower": lo, "ucb": hi}[by], dtype=float)


def pareto_fronts(values: np.ndarray) -> np.ndarray:
    """Front number (1 = non-dominated) of each row; larger is better in every column."""
    n = len(values)
    front = np.zeros(n, dtype=int)
    remaining = np.arange(n)
    level = 1
    while len(remaining):
        sub = values[remaining]
        dominated = np.array([
            np.any(np.all(sub >= sub[i], axis=1) & np.any(sub > sub[i], axis=1)) for i in range(len(sub))
        ])
        front[remaining[~dominated]] = level
        remaining = remaining[dominated]
        level += 1
    return front


def rank(
    qd: str,
    targets: list[str] | str = "eqe",
    by: str = "mean",
    candidates: list[str] | None = None,
    model=None,
    weights: dict[str, float] | None = None,
    pareto: bool = False,
    top: int | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    sample: dict | None = None,
    data=None,
    goals: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Score candidate ligands (default: every knowledge-base ligand) for one QD, best first.

    ``by``: ``mean`` (the prediction), ``lower`` (a cautious chemist's lower bound) or ``ucb``
    (an exploring chemist's upper bound). Several targets: the score is the weighted sum of each
    target's score divided by its training SD (so % and nm weigh alike), weights default 1;
    ``pareto=True`` ranks by Pareto front first, that sum second. Lower is better for the
    peak FWHM and turn-on voltage, so their sign flips. ``goals`` (e.g. ``{"peak_nm": 630}``)
    turns a target into "as close to this value as possible" (see :func:`target_score`).
    """
    from qdml.bundle import Bundle, load_bundle
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import knowledge_base_ligands

    if by not in ("mean", "lower", "ucb"):
        raise QdmlError(f"--by must be mean, lower or ucb, not {by!r}")
    parse_qd_composition(qd)  # a QD that does not parse is the user's error, said at once
    targets = [targets] if isinstance(targets, str) else list(targets)
    bundle = model if isinstance(model, Bundle) else load_bundle(model)
    for t in targets:
        if t not in bundle.metadata["targets"]:
            raise QdmlError(f"model {bundle.path} has no {t!r} model (has {', '.join(bundle.metadata['targets'])})")
    goals = dict(goals or {})
    stray = sorted(set(goals) - set(targets))
    if stray:
        raise QdmlError(f"goal for {', '.join(stray)}, which is not ranked (targets: {', '.join(targets)})")
    names = list(dict.fromkeys(candidates or knowledge_base_ligands()))
    pairs = pd.DataFrame({"ligand": names, "qd": qd})
    for k, v in (sample or {}).items():
        if v is not None:
            pairs[k] = v
    preds = predict(pairs, bundle, confidence)
    weights = weights or {t: 1.0 for t in targets}
    table = pd.DataFrame({"ligand": names})
    frame, _, _ = load_training_data(data, include_flagged=True)
    score = np.zeros(len(names))
    per_target, measured_cols = [], {}
    for t in targets:
        s = target_score(t, by, *(preds[f"{t}{k}"].to_numpy(float) for k in ("_pred", "_lo", "_hi")), goal=goals.get(t))
        sd = bundle.metadata["target_models"][t].get("sd") or 1.0
        score = score + weights.get(t, 1.0) * s / (sd if len(targets) > 1 else 1.0)
        per_target.append(s)
        table[f"{t}_pred"] = preds[f"{t}_pred"]
        table[f"{t}_lo"] = preds[f"{t}_lo"]
        table[f"{t}_hi"] = preds[f"{t}_hi"]
        measured = measured_values(frame, qd, t)
        measured_cols[f"measured_{t}"] = [measured.get(_canonical(n), np.nan) for n in names]
    table["score"] = score
    for col, values in measured_cols.items():
        table[col] = values
    if pareto and len(targets) > 1:
        vals = np.column_stack(per_target)
        vals = np.where(np.isfinite(vals), vals, -np.inf)
        table["pareto_front"] = pareto_fronts(vals)
    table["in_domain"] = preds["in_domain"].to_numpy(bool)
    table["domain_reason"] = preds["domain_reason"].to_numpy()
    sort_cols = (["pareto_front", "score"] if "pareto_front" in table.columns else ["score"])
    ascending = [True, False] if len(sort_cols) == 2 else [False]
    table = table.sort_values(sort_cols, ascending=ascending, na_position="last", kind="mergesort").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    if top:
        table = table.head(top)
    return table


def _canonical(name: str) -> str:
    from qdml.chemistry.ligands import parse_ligand

    try:
        return parse_ligand(name).name
    except QdmlError:
        return name

"""Rank candidate ligands for one QD: scored predictions, weighted targets or Pareto fronts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import knowledge_base_ligands, parse_ligand
from qdml.data.schema import shown
from qdml.exceptions import QdmlError
from qdml.learn.bundle import Bundle, load_bundle
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.targets import get_target
from qdml.validation import load_training_data
from qdml.workflows.prediction import predict


def measured_values(frame: pd.DataFrame, qd: str, target: str) -> dict[str, float]:
    """Measured ``target`` of each ligand (canonical name) on ``qd`` in the data (mean of repeats)."""
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


def target_score(target: str, by: str, pred, lo, hi, goal: float | None = None) -> np.ndarray:
    """Larger is better: the prediction, the lower bound (cautious) or the upper bound (exploring).

    For targets where smaller is better (``better="lower"`` in the registry) the sign flips and the bounds
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
    if get_target(target).lower_is_better:
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


#: The scheme a default target is chosen by, and against whose best baseline targets are marked.
RANK_SCHEME = "leave-one-reference-out"


def target_skill(bundle, target: str, scheme: str = RANK_SCHEME) -> dict | None:
    """The bundle's nested-CV entry of ``target`` under ``scheme`` (absolute mode, full features), or None."""
    for e in bundle.metadata.get("cv_scores") or []:
        if e.get("target") == target and e.get("scheme") == scheme and e.get("mode") == "absolute" \
                and e.get("features") == "full":
            return e
    return None


def default_target(bundle) -> str:
    """The target whose model beats its best baseline by the most under leave-one-reference-out.

    The emission peak is left out (a longer peak is not a better one: rank by it with a goal);
    ties go to the bundle's target order (PLQY before EQE). A bundle without those scores ranks
    by its first target.
    """
    order = [t for t in bundle.predictor.targets if get_target(t).learned_as != "energy-shift"]
    order = order or list(bundle.predictor.targets)
    scored = [(e.get("skill_vs_best"), -i, t) for i, t in enumerate(order)
              if (e := target_skill(bundle, t)) is not None and e.get("skill_vs_best") is not None]
    if not scored:
        return order[0]
    return max(scored)[2]


def baseline_verdict(bundle, target: str) -> tuple[bool | None, str]:
    """(beats its best baseline?, a sentence) for ``target`` under leave-one-reference-out."""
    e = target_skill(bundle, target)
    if e is None or e.get("best_baseline") is None:
        return None, f"{target}: the bundle holds no {RANK_SCHEME} scores, so nobody knows whether its model beats a simple rule"
    skill, best, best_mae = e.get("skill_vs_best"), e["best_baseline"], e.get("best_baseline_mae")
    unit = get_target(target).unit
    if skill is not None and skill > 0:
        return True, (f"{target}: the model beats its best baseline ({best}, MAE {best_mae:.3g} {unit}) under "
                      f"{RANK_SCHEME} (skill_vs_best {skill:.2f})")
    return False, (f"{target}: the model does NOT beat its best baseline ({best}, MAE {best_mae:.3g} {unit}) "
                   f"under {RANK_SCHEME} (skill_vs_best {skill:.2f}): this ranking is no better than that rule")


def candidate_ligands(include_organic: bool = False) -> list[str]:
    """What ``rank`` scores by default: the knowledge base's inorganic ligands and the hybrids that
    carry an inorganic ion; with ``include_organic`` also organic ligands, "native" and placeholders."""
    if include_organic:
        return knowledge_base_ligands()
    return knowledge_base_ligands(include_organic=False, include_placeholders=False)


def rank(
    qd: str,
    targets: list[str] | str | None = None,
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
    models_dir=None,
    include_organic: bool = False,
) -> pd.DataFrame:
    """Score candidate ligands (default: the knowledge base's inorganic ligands) for one QD, best first.

    ``targets`` default: the bundle's target with the highest ``skill_vs_best`` under
    leave-one-reference-out (:func:`default_target`). ``include_organic`` adds the organic
    ligands, "native" and the placeholders (MBrn, ZnX2). The table's ``attrs["verdicts"]`` say, per
    target, whether its model beats its best baseline (``attrs["notes"]``: which targets a rule
    predicts), and the column
    ``<target>_beats_baseline`` holds that verdict; ``note`` holds what the chemistry says of a
    pair (a halide exchange that changes the colour), ``precedents`` and ``nearest_precedent``
    the literature beside each number.

    ``by``: ``mean`` (the prediction), ``lower`` (a cautious chemist's lower bound) or ``ucb``
    (an exploring chemist's upper bound). Several targets: the score is the weighted sum of each
    target's score divided by its training SD (so % and nm weigh alike), weights default 1;
    ``pareto=True`` ranks by Pareto front first, that sum second. Lower is better for the
    peak FWHM and turn-on voltage, so their sign flips. ``goals`` (e.g. ``{"peak_nm": 630}``)
    turns a target into "as close to this value as possible" (see :func:`target_score`).
    """
    if by not in ("mean", "lower", "ucb"):
        raise QdmlError(f"--by must be mean, lower or ucb, not {by!r}")
    parse_qd_composition(qd)  # a QD that does not parse is the user's error, said at once
    bundle = None
    if targets is None:  # the target whose model beats its best baseline by the most
        bundle = model if isinstance(model, Bundle) else load_bundle(model, models_dir)
        targets = [default_target(bundle)]
    targets = [targets] if isinstance(targets, str) else list(dict.fromkeys(targets))
    if pareto and len(targets) < 2:
        raise QdmlError(f"Pareto ranking trades targets off against each other: give two or more (got {', '.join(targets)})")
    for t in targets:
        get_target(t)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise QdmlError(f"--top {top}: must be a positive whole number")
    goals = dict(goals or {})
    weights = dict(weights) if weights else {t: 1.0 for t in targets}
    for kind, values in (("goal", goals), ("weight", weights)):
        for name, value in values.items():
            target = get_target(name)
            if name not in targets:
                raise QdmlError(f"{kind} for {name}, which is not ranked (targets: {', '.join(targets)})")
            if not np.isfinite(value):
                raise QdmlError(f"{kind} {name}={value}: must be a finite number")
            if kind == "goal" and not target.contains(value):
                raise QdmlError(f"goal {name}={shown(value)}: outside the range of {name} "
                                f"({target.low:g}-{target.high:g} {target.unit})")
    if bundle is None:
        bundle = model if isinstance(model, Bundle) else load_bundle(model, models_dir)
    for t in targets:
        if t not in bundle.predictor.targets:
            raise QdmlError(f"model {bundle.path} has no {t!r} model (has {', '.join(bundle.predictor.targets)})")
    names = list(dict.fromkeys(candidates or candidate_ligands(include_organic)))
    pairs = pd.DataFrame({"ligand": names, "qd": qd})
    for k, v in (sample or {}).items():
        if v is not None:
            pairs[k] = v
    preds = predict(pairs, bundle, confidence)
    table = pd.DataFrame({"ligand": names})
    frame, _, _ = load_training_data(data, include_flagged=True)
    score = np.zeros(len(names))
    per_target, measured_cols = [], {}
    for t in targets:
        s = target_score(t, by, *(preds[f"{t}{k}"].to_numpy(float) for k in ("_pred", "_lo", "_hi")), goal=goals.get(t))
        sd = bundle.predictor.target_info.get(t, {}).get("sd") or 1.0
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
    notes, verdicts = [], []
    for t in targets:
        beats, sentence = baseline_verdict(bundle, t)
        table[f"{t}_beats_baseline"] = beats
        verdicts.append(sentence)
        rule = bundle.predictor.target_info.get(t, {}).get("rule")
        if rule:
            notes.append(rule)
    table["in_domain"] = preds["in_domain"].to_numpy(bool)
    table["domain_reason"] = preds["domain_reason"].to_numpy()
    for col in ("note", "precedents", "nearest_precedent"):
        if col in preds.columns:
            table[col] = preds[col].to_numpy()
    # Equal scores are ties, not an order: a rule (a family median) gives every ligand the same
    # value. Ties are ranked alike and ordered by what the literature measured on this QD.
    table["score"] = np.round(table["score"].to_numpy(float), tie_decimals(targets))
    first = targets[0]
    measured = table[f"measured_{first}"].to_numpy(float)
    table["_evidence"] = target_score(first, "mean", measured, measured, measured, goal=goals.get(first))
    table["_precedents"] = pd.to_numeric(table.get("precedents", 0), errors="coerce")
    keys = ["pareto_front", "score"] if "pareto_front" in table.columns else ["score"]
    sort_cols = [*keys, "_evidence", "_precedents"]
    ascending = [k == "pareto_front" for k in keys] + [False, False]
    table = table.sort_values(sort_cols, ascending=ascending, na_position="last", kind="mergesort").reset_index(drop=True)
    group = table[keys].astype(float).fillna(-np.inf).diff().abs().sum(axis=1).gt(0).cumsum()
    table.insert(0, "rank", table.index.to_series().groupby(group).transform("min").to_numpy() + 1)
    table = table.drop(columns=["_evidence", "_precedents"])
    if len(table) > 1:
        tied_rank = int(table["rank"].mode().iloc[0])
        tied = int((table["rank"] == tied_rank).sum())
        if tied > 1:
            notes.append(_tie_note(tied, len(table), tied_rank, first, bundle))
    if top is not None:
        table = table.head(top)
    table.attrs["notes"] = notes
    table.attrs["verdicts"] = verdicts
    table.attrs["targets"] = targets
    return table


def tie_decimals(targets: list[str]) -> int:
    """Scores equal at the precision the values are shown at are ties (rank and screen; 6 decimals
    for a combined score in SD units)."""
    return get_target(targets[0]).decimals if len(targets) == 1 else 6


def _tie_note(tied: int, total: int, tied_rank: int, target: str, bundle) -> str:
    info = bundle.predictor.target_info.get(target, {})
    why = (f"the shipped {target} predictor is a rule ({info.get('estimator')}) that does not tell ligands apart"
           if info.get("rule") else "the model gives them the same value")
    return (f"{tied} of {total} ligands share one score (tied at rank {tied_rank}): {why}; "
            f"tied ligands are ordered by the {target} measured on this QD in the literature, then by the number "
            "of literature precedents, then knowledge-base order")


def _canonical(name: str) -> str:
    try:
        return parse_ligand(name).name
    except QdmlError:
        return name

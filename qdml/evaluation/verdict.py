"""Plain-words verdicts: is a model better than the best thing a chemist could do without it?

A cross-validation entry (see :mod:`qdml.evaluation.evaluate`) holds the model's MAE with a
bootstrap 95 % interval and the MAE of every baseline on the same folds. The verdict compares
the model with its *best* baseline, not with the training mean alone: a model that only beats
the mean while the nearest neighbour does as well adds nothing a lookup table would not give.
"""

from __future__ import annotations

import math

from qdml.targets import TARGETS

#: Readable names of the baselines (keys of an entry's ``baselines``).
BASELINE_NAMES = {
    "mean": "the training mean",
    "family-mean": "the QD-family mean",
    "family-median": "the QD-family median",
    "nearest-neighbour": "the nearest neighbour",
    "band-gap-prior": "the band-gap prior",
    "colour-prior": "the colour prior",
    "no-change": "no change from the control",
    "control-plus-median-change": "the control plus the median change",
}
#: Scheme a headline quotes, most relevant first: a new ligand on a known QD is qdml's question.
HEADLINE_SCHEMES = (
    "leave-one-ligand-out", "leave-one-reference-out", "leave-one-cluster-out", "leave-one-qd-out",
    "leave-one-element-out", "leave-one-out", "repeated-kfold",
)
#: Short verdict words for tables, keyed by :func:`compare` outcome.
SHORT = {"better": "better", "same": "no better", "worse": "worse", "unknown": "?"}


def _finite(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def best_baseline(entry: dict) -> tuple[str | None, float | None]:
    """(name, MAE) of the entry's lowest-MAE baseline; ``best_baseline`` is used when the entry has it."""
    baselines = {k: _finite(v) for k, v in (entry.get("baselines") or {}).items()}
    baselines = {k: v for k, v in baselines.items() if v is not None}
    given = entry.get("best_baseline")
    if isinstance(given, dict):
        name = given.get("name")
        mae = _finite(given.get("mae"))
        if name and mae is None:
            mae = baselines.get(name)
        if name:
            return name, mae
    elif isinstance(given, str) and given in baselines:
        return given, baselines[given]
    if not baselines:
        mean = _finite(entry.get("baseline_mae"))  # entries written before the baselines dict
        return ("mean", mean) if mean is not None else (None, None)
    name = min(baselines, key=baselines.get)
    return name, baselines[name]


def compare(entry: dict) -> str:
    """``better`` (whole 95 % interval of the model's MAE below the best baseline's MAE), ``worse``
    (whole interval above), ``same`` (the interval straddles it) or ``unknown``."""
    _, base = best_baseline(entry)
    lo, hi = (list(entry.get("mae_ci") or []) + [None, None])[:2]
    lo, hi = _finite(lo), _finite(hi)
    if base is None or lo is None or hi is None:
        return "unknown"
    if hi < base:
        return "better"
    if lo > base:
        return "worse"
    return "same"


def headline_entry(entries: list[dict], target: str, mode: str = "absolute") -> dict | None:
    """The entry a one-line verdict quotes: full features, the most relevant scheme present."""
    pool = [e for e in entries if e.get("target") == target and e.get("mode") == mode
            and e.get("features", "full") == "full" and e.get("mae") is not None]
    for scheme in HEADLINE_SCHEMES:
        for e in pool:
            if e.get("scheme") == scheme:
                return e
    return pool[0] if pool else None


def _num(target: str, value) -> str:
    t = TARGETS.get(target)
    v = _finite(value)
    if v is None:
        return "?"
    if t is None:
        return f"{v:.3g}"
    return f"{v:.{t.decimals}f}"


def sentence(entry: dict) -> str:
    """One plain sentence: does the model beat its best baseline, with the numbers behind it."""
    target = entry["target"]
    t = TARGETS.get(target)
    label = (t.label if t else target)
    label = label[:1].upper() + label[1:]
    unit = f" {t.unit}" if t else ""
    name, base = best_baseline(entry)
    lo, hi = (list(entry.get("mae_ci") or []) + [None, None])[:2]
    where = f"under {entry.get('scheme')} cross-validation"
    if entry.get("mode") == "paired":
        where += " (paired: from the control's value)"
    numbers = (f"MAE {_num(target, entry.get('mae'))}{unit} (95 % CI {_num(target, lo)} to {_num(target, hi)})"
               f" vs {_num(target, base)}{unit} for {BASELINE_NAMES.get(name, name)}")
    outcome = compare(entry)
    if outcome == "better":
        return f"{label}: beats its best baseline {where}: {numbers}."
    if outcome == "worse":
        return f"{label}: worse than its best baseline {where}: {numbers}; prefer the baseline."
    if outcome == "same":
        return (f"{label}: not distinguishable from its best baseline {where}: {numbers}; "
                "read predictions as rough guides.")
    return f"{label}: too few held-out rows {where} to compare with a baseline."


def target_sentences(entries: list[dict], targets) -> list[str]:
    """One sentence per target (absolute model); says so when a bundle carries no CV scores."""
    out = []
    for target in targets:
        entry = headline_entry(entries or [], target)
        if entry is None:
            label = TARGETS[target].label if target in TARGETS else target
            out.append(f"{label}: no cross-validation scores in this bundle (trained with --no-cv); "
                       "run 'qdml evaluate' to compare it with the baselines.")
        else:
            out.append(sentence(entry))
    return out


def verdicts(entries: list[dict], targets=None) -> list[str]:
    """One plain sentence per target of ``entries`` (``cv_scores`` of a bundle, or ``qdml.evaluate(...).entries``)."""
    targets = list(targets or dict.fromkeys(e["target"] for e in entries or []))
    return target_sentences(entries, targets)

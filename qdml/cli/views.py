"""What predict, rank, screen, train and evaluate print: tables with units, then plain sentences."""

from __future__ import annotations

from qdml.cli.tables import Column, is_missing, number, show, with_interval, yes_no
from qdml.targets import TARGETS

#: Priority of each default target's column (lower = kept longer on a narrow terminal).
_TARGET_PRIORITY = {"plqy": 1, "eqe": 1, "peak_nm": 2, "fwhm_nm": 4}
SAVE_HINT = "use --output FILE.csv for every row and column"


def _targets_in(frame) -> list[str]:
    return [c[: -len("_pred")] for c in frame.columns if c.endswith("_pred") and c[: -len("_pred")] in TARGETS]


def prediction_columns(preds) -> list[Column]:
    """ligand, QD, one ``value (low-high)`` column per target, in domain, mode."""
    cols = [Column("ligand", [str(v) for v in preds["ligand"]]),
            Column("QD", [str(v) for v in preds["qd"]])]
    for t in _targets_in(preds):
        cells = [with_interval(t, p, lo, hi) for p, lo, hi in zip(preds[f"{t}_pred"], preds[f"{t}_lo"], preds[f"{t}_hi"])]
        cols.append(Column(TARGETS[t].header, cells, _TARGET_PRIORITY.get(t, 5), "right"))
    cols.append(Column("in domain", [yes_no(v) for v in preds["in_domain"]], 3))
    if "mode" in preds.columns:
        cols.append(Column("model", [str(v) for v in preds["mode"]], 6))
    return cols


def score_header(targets: list[str], goals: dict) -> str:
    """The score's unit: the target's own when one target is ranked, SD units when several are summed."""
    if len(targets) == 1:
        t = TARGETS[targets[0]]
        return f"score ({t.unit})" if targets[0] not in goals else f"-distance to goal ({t.unit})"
    return "score (SD units)"


def ranking_columns(table, targets: list[str], goals: dict | None = None) -> list[Column]:
    """rank, ligand (QD), each target's prediction with its interval, Pareto front, score, measured, in domain."""
    goals = goals or {}
    cols = [Column("rank", [str(v) for v in table["rank"]], 0, "right"),
            Column("ligand", [str(v) for v in table["ligand"]])]
    if "qd" in table.columns:
        cols.append(Column("QD", [str(v) for v in table["qd"]]))
    for i, t in enumerate(targets):
        cells = [with_interval(t, p, lo, hi) for p, lo, hi in zip(table[f"{t}_pred"], table[f"{t}_lo"], table[f"{t}_hi"])]
        cols.append(Column(TARGETS[t].header, cells, 0 if i == 0 else 1, "right"))
    if "pareto_front" in table.columns:
        cols.append(Column("Pareto front", [str(int(v)) for v in table["pareto_front"]], 1, "right"))
    if "score" in table.columns:
        d = TARGETS[targets[0]].decimals if len(targets) == 1 else 2
        cols.append(Column(score_header(targets, goals), [number(v, d) for v in table["score"]], 4, "right"))
    for t in targets:
        col = f"measured_{t}"
        if col in table.columns and not all(is_missing(v) for v in table[col]):
            cols.append(Column(f"measured {TARGETS[t].header}", [TARGETS[t].format(v) for v in table[col]], 2, "right"))
    if "in_domain" in table.columns:
        cols.append(Column("in domain", [yes_no(v) for v in table["in_domain"]], 3))
    return cols


def print_verdicts(console, entries: list[dict], targets, target_info: dict | None = None) -> None:
    """One plain sentence per target: does the model beat its best baseline? And, from the bundle's
    ``target_info``, whether a rule rather than a fitted model predicts it."""
    from qdml.evaluation.verdict import target_sentences
    from qdml.learn.estimators import rule_phrase

    for target, line in zip(targets, target_sentences(entries, targets)):
        line += rule_phrase((target_info or {}).get(target, {}).get("estimator"))
        console.print(line, markup=False, highlight=False, soft_wrap=False)


# --------------------------------------------------------------------------- evaluation tables


def _mae_cell(target: str, e: dict) -> str:
    ci = list(e.get("mae_ci") or []) + [None, None]
    t = TARGETS[target]
    if is_missing(e.get("mae")):
        return ""
    if is_missing(ci[0]) or is_missing(ci[1]):
        return t.format(e["mae"])
    return f"{t.format(e['mae'])} ({t.format(ci[0])}\u2013{t.format(ci[1])})"


def evaluation_columns(target: str, entries: list[dict]) -> list[Column]:
    """One row per (scheme, mode, features) of one target; units of the target in the headers."""
    from qdml.evaluation.verdict import SHORT, best_baseline, compare

    t = TARGETS[target]
    u = t.unit
    modes = {e["mode"] for e in entries}
    features = {e["features"] for e in entries}
    best = [best_baseline(e) for e in entries]
    cols = [Column("scheme", [e["scheme"] for e in entries])]
    if len(modes) > 1:  # rows differ only by mode or features: those columns must stay
        cols.append(Column("mode", [e["mode"] for e in entries], 0))
    if len(features) > 1:
        cols.append(Column("features", [e["features"] for e in entries], 0))
    cols += [
        Column("n", [str(e.get("n", "")) for e in entries], 5, "right"),
        Column(f"MAE ({u}) (95 % CI)", [_mae_cell(target, e) for e in entries], 0, "right"),
        Column(f"best baseline: MAE ({u})", [f"{t.format(b[1])} {_baseline_label(b[0])}".strip() for b in best], 0),
        Column("vs best baseline", [SHORT[compare(e)] for e in entries], 0),
        Column("skill vs best", [number(e.get("skill_vs_best"), 2) for e in entries], 3, "right"),
        Column("coverage (%)", [number(100 * e["coverage"], 0) if not is_missing(e.get("coverage")) else ""
                                for e in entries], 4, "right"),
        Column("R²", [number(e.get("r2"), 2) for e in entries], 7, "right"),
        Column("Spearman ρ", [number(e.get("spearman"), 2) for e in entries], 7, "right"),
        Column("model", [str(e.get("estimator") or "") for e in entries], 6),
    ]
    return cols


def _baseline_label(name: str | None) -> str:
    """``nearest-neighbour`` -> ``nearest neighbour``: wraps at the space on a narrow terminal."""
    return (name or "").replace("-", " ").replace("band gap", "band-gap")


def print_evaluation(console, entries: list[dict], title_suffix: str = "") -> None:
    """One table per target (so every header carries the unit), then its plain-words verdict."""
    from qdml.evaluation.verdict import headline_entry, sentence

    for target in dict.fromkeys(e["target"] for e in entries):
        rows = [e for e in entries if e["target"] == target]
        t = TARGETS[target]
        title = f"{t.label} ({t.unit}): held-out MAE beside the best baseline on the same folds{title_suffix}"
        show(console, evaluation_columns(target, rows), title)
        head = headline_entry(rows, target)
        if head is not None:
            console.print(sentence(head), markup=False, highlight=False, soft_wrap=False)
        console.print()
    console.print(
        "'better': the whole 95 % interval of the model's MAE lies below the best baseline's MAE; "
        "'no better': the interval straddles it; coverage: share of held-out values inside the "
        "80 % interval. Glossary: docs/evaluation.md.", markup=False, highlight=False, soft_wrap=False)

"""What the pages say beside a number: literature precedents, CV verdicts against the best baseline.

Verdicts are :mod:`qdml.evaluation.verdict`'s (the CLI says the same words); this module shapes
them into the tables the pages show, and finds the literature rows beside a prediction.
"""

from __future__ import annotations

import difflib
import math

import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.evaluation.verdict import best_baseline, compare, headline_entry
from qdml.exceptions import QdmlError
from qdml.targets import TARGETS

#: Columns of the dataset shown with each precedent (measured values, then the evidence).
PRECEDENT_COLUMNS = ["match", "line", "ligand", "qd", "role", "plqy", "eqe", "peak_nm", "fwhm_nm",
                     "reference", "doi", "evidence", "flags"]

_MATCHES = {
    0: "this pair",
    1: "same ligand, same QD family",
    2: "same ligand, other QD family",
    3: "same ligand class, same QD family",
}


def _ligand_key(text: str) -> tuple[str | None, str | None]:
    try:
        lig = parse_ligand(str(text))
    except QdmlError:
        return None, None
    return lig.name, lig.ligand_class


def _qd_key(text: str) -> tuple[str | None, str | None]:
    try:
        comp = parse_qd_composition(str(text))
    except QdmlError:
        return None, None
    return comp.normalized, comp.family


def dataset_keys(data: pd.DataFrame) -> pd.DataFrame:
    """Canonical ligand, ligand class, normalised QD and QD family of every dataset row."""
    lig = {v: _ligand_key(v) for v in data["ligand"].unique()}
    qd = {v: _qd_key(v) for v in data["qd"].unique()}
    return pd.DataFrame(
        {
            "ligand_name": [lig[v][0] for v in data["ligand"]],
            "ligand_class": [lig[v][1] for v in data["ligand"]],
            "qd_name": [qd[v][0] for v in data["qd"]],
            "qd_family": [qd[v][1] for v in data["qd"]],
        },
        index=data.index,
    )


def precedents(ligand: str, qd: str, data: pd.DataFrame, keys: pd.DataFrame | None = None,
               k: int = 5) -> pd.DataFrame:
    """The literature rows nearest to a pair: the pair itself, then the same ligand on the same
    QD family, the same ligand elsewhere, the same ligand class on the same family.

    ``data`` is a validated dataset frame (indexed by file line, as :func:`qdml.validation.load_dataset`
    gives); ``keys`` its :func:`dataset_keys` (computed when absent). Treated rows come before
    controls within a tier; the result keeps the file line so a reader can find the row.
    """
    keys = dataset_keys(data) if keys is None else keys
    name, lclass = _ligand_key(ligand)
    qd_name, family = _qd_key(qd)
    if name is None or qd_name is None:
        return pd.DataFrame(columns=PRECEDENT_COLUMNS)
    same_lig = keys["ligand_name"] == name
    tier = pd.Series(math.inf, index=data.index)
    tier[(keys["ligand_class"] == lclass) & (keys["qd_family"] == family)] = 3
    tier[same_lig] = 2
    tier[same_lig & (keys["qd_family"] == family)] = 1
    tier[same_lig & (keys["qd_name"] == qd_name)] = 0
    chosen = tier[tier < math.inf]
    if chosen.empty:
        return pd.DataFrame(columns=PRECEDENT_COLUMNS)
    rows = data.loc[chosen.index].copy()
    rows.index.name = None
    rows["_tier"] = chosen
    rows["_control"] = (rows["role"] == "control").astype(int)
    rows["line"] = rows.index
    rows = rows.sort_values(["_tier", "_control", "line"], kind="mergesort").head(k)
    rows["match"] = rows["_tier"].map(_MATCHES)
    for col in PRECEDENT_COLUMNS:
        if col not in rows.columns:
            rows[col] = ""
    return rows[PRECEDENT_COLUMNS].reset_index(drop=True)


def suggest(text: str, known: list[str], n: int = 5) -> list[str]:
    """Close known names for a mistyped one (case-insensitive; spaces ignored)."""
    folded = {k.replace(" ", "").casefold(): k for k in known}
    hits = difflib.get_close_matches(text.replace(" ", "").casefold(), list(folded), n=n, cutoff=0.6)
    return [folded[h] for h in hits]


# --------------------------------------------------------------------------- CV verdicts


def verdict_against_best(entry: dict) -> str:
    """Model MAE's 95 % interval against the best baseline: better, worse or not distinguishable."""
    name, _ = best_baseline(entry)
    return {
        "better": f"better than the best baseline ({name}): whole 95 % interval below it",
        "worse": f"worse than the best baseline ({name}): whole 95 % interval above it",
        "same": f"not distinguishable from the best baseline ({name}) at this sample size",
        "unknown": "no baseline to compare with",
    }[compare(entry)]


def cv_table(metadata: dict) -> pd.DataFrame:
    """One row per CV entry of a bundle's ``cv_scores``: the model's MAE beside its best baseline."""
    rows = []
    for e in metadata.get("cv_scores") or []:
        name, base = best_baseline(e)
        ci = e.get("mae_ci") or [math.nan, math.nan]
        unit = TARGETS[e["target"]].unit if e.get("target") in TARGETS else ""
        rows.append({
            "target": e.get("target"), "unit": unit, "mode": e.get("mode", "absolute"),
            "features": e.get("features", "full"), "scheme": e.get("scheme"), "rows": e.get("n_rows"),
            "model_mae": e.get("mae"), "mae_95_lo": ci[0], "mae_95_hi": ci[1],
            "best_baseline": name, "best_baseline_mae": base,
            **{f"{k}_mae": v for k, v in sorted((e.get("baselines") or {}).items())},
            "verdict": verdict_against_best(e),
            "coverage": e.get("coverage"), "interval_width": e.get("interval_width"),
        })
    return pd.DataFrame(rows)


def model_verdict(metadata: dict, target: str, mode: str = "absolute") -> dict | None:
    """The CV entry that speaks for predictions of ``target`` (``features == 'full'``, the most
    ligand-blind scheme the bundle holds), with its best baseline and verdict; None without CV."""
    entry = headline_entry(metadata.get("cv_scores") or [], target, mode)
    if entry is None:
        return None
    name, base = best_baseline(entry)
    return {"scheme": entry.get("scheme"), "mae": entry.get("mae"), "mae_ci": entry.get("mae_ci"),
            "best_baseline": name, "best_baseline_mae": base, "n_rows": entry.get("n_rows"),
            "verdict": verdict_against_best(entry)}


def compare_cv(before: list[dict], after: list[dict]) -> pd.DataFrame:
    """Entries matched on (target, mode, features, scheme): MAE before and after new data."""
    def keyed(entries):
        return {(e["target"], e.get("mode", "absolute"), e.get("features", "full"), e["scheme"]): e
                for e in entries}

    b, a = keyed(before), keyed(after)
    rows = []
    for key in sorted(set(b) | set(a)):
        eb, ea = b.get(key, {}), a.get(key, {})
        rows.append({
            "target": key[0], "mode": key[1], "features": key[2], "scheme": key[3],
            "rows_before": eb.get("n_rows"), "mae_before": eb.get("mae"),
            "best_baseline_before": best_baseline(eb)[1] if eb else None,
            "rows_after": ea.get("n_rows"), "mae_after": ea.get("mae"),
            "best_baseline_after": best_baseline(ea)[1] if ea else None,
            "verdict_after": verdict_against_best(ea) if ea else "not evaluated",
        })
    return pd.DataFrame(rows)


def honest_limits(metadata: dict, data: pd.DataFrame, keys: pd.DataFrame | None = None) -> list[str]:
    """What a model trained on this small literature table cannot know, with this table's numbers."""
    keys = dataset_keys(data) if keys is None else keys
    n_rows = metadata.get("rows", len(data))
    refs = data["reference"].replace("", pd.NA).nunique()
    per_ref = data["reference"].replace("", pd.NA).value_counts()
    families = keys["qd_family"].value_counts()
    domain = metadata.get("domain") or {}
    out = [
        f"It learned from {n_rows} literature rows from {refs} references; the largest reference "
        f"holds {int(per_ref.max()) if len(per_ref) else 0} rows, so one group's recipe can weigh "
        "on what the model believes.",
        "QD families in training: " + ", ".join(f"{f} ({n})" for f, n in families.items())
        + ". Anything else is out of domain: its interval is widened and the page says so.",
        "Ligand classes it has seen: " + ", ".join(domain.get("ligand_classes") or []) + ".",
        "It does not see concentrations, treatment time, solvent, temperature, film thickness or "
        "device stack: two papers treating the same QD with the same ligand can differ by tens of "
        "percent, and that scatter is in the intervals.",
        "Published values are the best devices a paper chose to report, not averages: expect "
        "your first attempt to land lower.",
        "Intervals are split-conformal at the stated level, calibrated on a few dozen rows: "
        "their coverage is itself uncertain (see the coverage column).",
        "A model that is not better than its best baseline under a ligand-blind scheme tells you "
        "little beyond the family's typical value; the Predict page shows that verdict per target.",
    ]
    return out

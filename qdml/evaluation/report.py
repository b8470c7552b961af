"""A self-contained HTML evaluation report (plots inline as base64 PNG; opens offline)."""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from qdml.chemistry.ligands import parse_ligand
from qdml.data.io import atomic_write
from qdml.evaluation.evaluate import EvaluationResult, entries_table
from qdml.evaluation.plots import importance_png, parity_png, residuals_by_group_png
from qdml.features.pair import PairFeaturizer
from qdml.learn.estimators import select_estimator


def _img(png: bytes) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


def _permutation_importance(frame: pd.DataFrame, target: str, random_state: int = 0):
    """Permutation importance of a model fitted on all rows, scored by inner CV folds' held-out MAE."""
    from sklearn.base import clone
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import KFold


    rows = frame[frame[target].notna()]
    X = PairFeaturizer().set_output(transform="pandas").fit(rows).transform(rows)
    y = rows[target].to_numpy(float)
    sel = select_estimator(X, y, target, random_state=random_state)
    importances = np.zeros(X.shape[1])
    sq = np.zeros(X.shape[1])
    folds = list(KFold(n_splits=min(4, len(y)), shuffle=True, random_state=random_state).split(X))
    for tr, te in folds:
        model = clone(sel.estimator).fit(X.iloc[tr], y[tr])
        r = permutation_importance(model, X.iloc[te], y[te], scoring="neg_mean_absolute_error",
                                   n_repeats=5, random_state=random_state)
        importances += r.importances_mean
        sq += r.importances_mean ** 2
    mean = importances / len(folds)
    sd = np.sqrt(np.maximum(sq / len(folds) - mean ** 2, 0))
    return list(X.columns), mean, sd, sel.name


def write_report(path: str, result: EvaluationResult, frame: pd.DataFrame, files: list[dict]) -> None:

    table = entries_table(result.entries)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>qdml evaluation</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{margin:4px}</style></head><body>",
        "<h1>qdml evaluation report</h1>",
        f"<p>{len(frame)} training rows from: "
        + ", ".join(f"{html.escape(f['path'])} ({f['rows']} rows, sha256 {f['sha256'][:12]})" for f in files)
        + ".</p>",
        "<p><b>Small data:</b> every MAE has a bootstrap 95% interval; a model counts as better than a baseline only "
        "when the interval lies below the baseline's MAE. Grouped schemes (ligand, reference, element out) are the honest "
        "ones; random k-fold is optimistic.</p>",
        "<h2>Scores beside baselines (same folds)</h2>",
        table.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep=""),
        "<h2>Data card counts</h2>",
    ]
    counts = frame.assign(role=frame["role"].replace("", "treated")).groupby("role").size().rename("rows").to_frame()
    parts.append(counts.to_html())
    classes = {v: _cls(parse_ligand, v) for v in frame["ligand"].unique()}
    for (target, scheme, mode, features), preds in result.predictions.items():
        if preds.empty or scheme not in ("leave-one-ligand-out", "repeated-kfold", "leave-one-reference-out"):
            continue
        entry = next(e for e in result.entries if (e["target"], e["scheme"], e["mode"], e["features"]) == (target, scheme, mode, features))
        title = f"{target} | {scheme} | {mode} | {features}: MAE {entry['mae']:.3g} vs mean {entry['baseline_mae']:.3g}"
        parts.append(f"<h3>{html.escape(title)}</h3>")
        parts.append(_img(parity_png(preds, target, title, entry.get("baseline_mae"))))
        line_to_class = {line: classes.get(lig, "?") for line, lig in zip(frame.index, frame["ligand"])}
        group = preds["line"].map(line_to_class).fillna("?")
        parts.append(_img(residuals_by_group_png(preds, group, target, "residuals by ligand class")))
    parts.append("<h2>Permutation feature importance</h2>")
    for target in sorted({e["target"] for e in result.entries}):
        try:
            names, mean, sd, est = _permutation_importance(frame, target)
        except Exception as exc:  # a report section must not sink the report
            parts.append(f"<p>{target}: importance not computed ({html.escape(str(exc))})</p>")
            continue
        parts.append(_img(importance_png(names, mean, sd, f"{target} ({est}), held-out inner folds")))
    parts.append("</body></html>")
    with atomic_write(path) as fh:
        fh.write("\n".join(parts))


def _cls(parse, value):
    try:
        return parse(value).ligand_class
    except Exception:
        return "?"

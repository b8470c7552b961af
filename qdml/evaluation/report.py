"""A self-contained HTML evaluation report that explains itself (plots inline as PNG; opens offline).

Order: one headline card per target (the verdict in words, the model's MAE against its best
baseline with intervals, coverage), then the figures, what the models use (grouped feature
importance under readable names), every score, and a glossary of every column.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.chemistry.ligands import parse_ligand
from qdml.data.io import atomic_write
from qdml.evaluation.evaluate import EvaluationResult, entries_table
from qdml.evaluation.glossary import COLUMNS, SCHEME_TEXT, UNIT_COLUMNS
from qdml.evaluation.metrics import bootstrap_mae_ci, bootstrap_mae_difference_ci
from qdml.evaluation.plots import importance_png, parity_png, residuals_by_group_png
from qdml.evaluation.verdict import BASELINE_NAMES, best_baseline, compare, headline_entry
from qdml.features.catalog import describe, quantities
from qdml.features.context import row_keys
from qdml.features.pair import PairFeaturizer
from qdml.learn.estimators import RULES, is_rule, select_estimator
from qdml.targets import TARGETS

#: What a scheme's held-out rows stand for, in the words of a headline.
SITUATION = {
    "leave-one-ligand-out": "for a ligand it has never seen",
    "leave-one-reference-out": "for a paper (a lab) it has never seen",
    "leave-one-cluster-out": "for a region of chemistry it has never seen",
    "leave-one-qd-out": "for a QD composition it has never seen",
    "leave-one-element-out": "for an element it has never seen",
    "leave-one-out": "for a row left out at random (optimistic)",
    "repeated-kfold": "for rows left out at random (optimistic)",
}
VERDICT_WORDS = {
    "better": "Better than its best baseline",
    "same": "No better than its best baseline",
    "worse": "Worse than its best baseline",
    "unknown": "Too few rows to judge",
}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{margin-bottom:4px} h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.lede{color:#555;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
.card{border:1px solid #ddd;border-left:8px solid #999;border-radius:6px;padding:12px 16px;background:#fafafa}
.card.better{border-left-color:#228833}.card.same{border-left-color:#CCBB44}.card.worse{border-left-color:#CC3311}
.card h3{margin:0 0 4px 0;font-size:20px}.card .verdict{font-size:17px;font-weight:600;margin:4px 0 8px 0}
.card table{border-collapse:collapse;font-size:14px;margin:6px 0}
.card td{padding:2px 10px 2px 0;vertical-align:top}.card td.num{text-align:right;font-variant-numeric:tabular-nums}
.card .others{font-size:13px;color:#444;margin:6px 0 0 0;padding-left:18px}
.figs{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start} img{max-width:100%}
.figs.three img{max-width:32.5%} .figs.two img{max-width:49.3%}
.tablewrap{overflow-x:auto} table.scores td{white-space:nowrap}
table.scores{border-collapse:collapse;font-size:12px;margin:8px 0 16px 0}
table.scores td,table.scores th{border:1px solid #ccc;padding:2px 6px;text-align:right}
table.scores th{background:#f0f0f0}table.scores td:nth-child(-n+4){text-align:left}
dl.glossary dt{font-weight:600;margin-top:6px} dl.glossary dd{margin-left:18px}
.small{font-size:13px;color:#555}
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


def _fmt(target: str, value, extra: int = 0) -> str:
    if value is None or not np.isfinite(float(value)):
        return "?"
    d = TARGETS[target].decimals + extra if target in TARGETS else 2
    return f"{float(value):.{d}f}"


def _interval(target: str, ci, extra: int = 0) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f" (95 % CI {_fmt(target, ci[0], extra)} to {_fmt(target, ci[1], extra)})"


def _key(entry: dict) -> tuple:
    return entry["target"], entry["scheme"], entry["mode"], entry["features"]


def headline_numbers(entry: dict, preds: pd.DataFrame | None, random_state: int = 0) -> dict:
    """Model and best-baseline MAE with bootstrap intervals, and the paired interval of their difference."""
    name, base = best_baseline(entry)
    out = {"baseline": name, "baseline_mae": base, "baseline_ci": None, "difference_ci": None}
    col = f"baseline:{name}"
    if preds is not None and not preds.empty and col in preds.columns:
        y = preds["y"].to_numpy(float)
        b = preds[col].to_numpy(float)
        ok = np.isfinite(b)
        err_b = np.abs(b[ok] - y[ok])
        err_m = np.abs(preds["pred"].to_numpy(float)[ok] - y[ok])
        out["baseline_ci"] = bootstrap_mae_ci(err_b, random_state=random_state)
        out["difference_ci"] = bootstrap_mae_difference_ci(err_m, err_b, random_state=random_state)
    return out


def card(entry: dict, preds: pd.DataFrame | None, others: list[dict], paired: dict | None = None) -> str:
    """One target's headline: verdict in words, MAE against the best baseline, coverage."""
    target = entry["target"]
    t = TARGETS[target]
    outcome = compare(entry)
    nums = headline_numbers(entry, preds)
    unit = html.escape(t.unit)
    base_name = BASELINE_NAMES.get(nums["baseline"], nums["baseline"] or "?")
    situation = SITUATION.get(entry["scheme"], f"under {entry['scheme']}")
    coverage = entry.get("coverage")
    level = int(round(100 * float(entry.get("confidence") or 0.8)))
    diff = nums["difference_ci"]
    rows = [
        ("model MAE", f"{_fmt(target, entry.get('mae'))} {unit}{_interval(target, entry.get('mae_ci'))}"),
        (f"best baseline: {base_name}", f"{_fmt(target, nums['baseline_mae'])} {unit}{_interval(target, nums['baseline_ci'])}"),
    ]
    if diff and diff[0] is not None:
        rows.append(("model - baseline", f"{_fmt(target, float(entry['mae']) - float(nums['baseline_mae']))} {unit}"
                     f"{_interval(target, diff)}"))
    if coverage is not None:
        rows.append((f"{level} % intervals", f"held {100 * float(coverage):.0f} % of the held-out values "
                     f"(median width {_fmt(target, entry.get('interval_width'))} {unit})"))
    rows.append(("held out", f"{entry.get('n_rows', entry.get('n'))} rows, {entry['scheme']}"))
    cells = "".join(f"<tr><td>{html.escape(a)}</td><td class='num'>{b}</td></tr>" for a, b in rows)
    items = []
    for e in others:
        _, b = best_baseline(e)
        items.append(f"<li>{html.escape(e['scheme'])}: {html.escape({'better': 'better', 'same': 'no better', 'worse': 'worse', 'unknown': '?'}[compare(e)])}"
                     f" (MAE {_fmt(target, e.get('mae'))} vs {_fmt(target, b)} {unit})</li>")
    if paired is not None:
        _, b = best_baseline(paired)
        items.append(f"<li>from the control's value (paired, {html.escape(paired['scheme'])}): "
                     f"{html.escape({'better': 'better', 'same': 'no better', 'worse': 'worse', 'unknown': '?'}[compare(paired)])}"
                     f" (MAE {_fmt(target, paired.get('mae'))} vs {_fmt(target, b)} {unit})</li>")
    other_html = f"<p class='small'>Other schemes:</p><ul class='others'>{''.join(items)}</ul>" if items else ""
    return (
        f"<div class='card {outcome}'><h3>{html.escape(_title(t))}</h3>"
        f"<p class='verdict'>{VERDICT_WORDS[outcome]} {html.escape(situation)}.</p>"
        f"<table>{cells}</table>{other_html}</div>"
    )


def _grouped_importance(frame: pd.DataFrame, target: str, random_state: int = 0, n_repeats: int = 5):
    """Permutation importance of each readable quantity (a feature with its indicators and one-hot siblings).

    A model chosen by inner CV is refitted on 4 folds' training sides; each quantity's columns
    are shuffled together on the held-out fold and the rise of the MAE recorded.
    """
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    rows = frame[frame[target].notna()]
    X = PairFeaturizer().set_output(transform="pandas").fit(rows).transform(rows)
    y = rows[target].to_numpy(float)
    names = [str(c) for c in X.columns]
    groups = quantities(names)
    sel = select_estimator(X, y, target, random_state=random_state, groups=row_keys(rows).reference)
    rng = np.random.default_rng(random_state)
    rises = {q: [] for q in groups}
    for tr, te in KFold(n_splits=min(4, len(y)), shuffle=True, random_state=random_state).split(X):
        model = clone(sel.estimator).fit(X.iloc[tr], y[tr])
        Xte = X.iloc[te]
        base = np.abs(model.predict(Xte) - y[te]).mean()
        for q, cols in groups.items():
            for _ in range(n_repeats):
                shuffled = Xte.copy()
                perm = rng.permutation(len(te))
                shuffled.iloc[:, cols] = Xte.iloc[perm, cols].to_numpy()
                rises[q].append(np.abs(model.predict(shuffled) - y[te]).mean() - base)
    labels = list(groups)
    kinds = [describe(names[groups[q][0]]).group for q in labels]
    means = np.array([np.mean(rises[q]) for q in labels])
    sds = np.array([np.std(rises[q]) for q in labels])
    return labels, kinds, means, sds, sel.name


def _scores_table(entries: list[dict], target: str) -> str:
    table = entries_table(entries, target).drop(columns=["target"])
    return table.to_html(index=False, classes="scores", na_rep="", border=0)


def _glossary(units: bool = True) -> str:
    items = []
    for name, text in COLUMNS.items():
        suffix = " (target's unit)" if units and name in UNIT_COLUMNS else ""
        items.append(f"<dt>{html.escape(name + suffix)}</dt><dd>{html.escape(text)}</dd>")
    schemes = "".join(f"<dt>{html.escape(n)}</dt><dd>{html.escape(t)}</dd>" for n, t in SCHEME_TEXT.items())
    return (f"<h3>Columns</h3><dl class='glossary'>{''.join(items)}</dl>"
            f"<h3>Schemes</h3><dl class='glossary'>{schemes}</dl>")


def write_report(path: str, result: EvaluationResult, frame: pd.DataFrame, files: list[dict],
                 importance: bool = True) -> None:
    targets = list(dict.fromkeys(e["target"] for e in result.entries))
    cards, figures = [], []
    classes = {v: _cls(parse_ligand, v) for v in frame["ligand"].unique()}
    line_to_class = dict(zip(frame.index, frame["ligand"].map(classes)))
    for target in targets:
        head = headline_entry(result.entries, target)
        if head is None:
            continue
        others = [e for e in result.entries if e["target"] == target and e["mode"] == "absolute"
                  and e["features"] == "full" and e is not head]
        paired = headline_entry(result.entries, target, mode="paired")
        preds = result.predictions.get(_key(head))
        cards.append(card(head, preds, others, paired))
        t = TARGETS[target]
        figs = []
        for e in [head] + [o for o in others if o["scheme"] == "repeated-kfold"]:
            p = result.predictions.get(_key(e))
            if p is None or p.empty:
                continue
            name, base = best_baseline(e)
            title = f"{t.header}, {e['scheme']}: MAE {_fmt(target, e['mae'])} vs {_fmt(target, base)} ({name})"
            figs.append(_img(parity_png(p, target, title, base, BASELINE_NAMES.get(name, name)), title))
            if e is head:
                group = p["line"].map(line_to_class).fillna("?")
                figs.append(_img(residuals_by_group_png(p, group, target, f"{t.header}, {e['scheme']}: errors by ligand class"),
                                 "residuals by ligand class"))
        figures.append(f"<h3>{html.escape(_title(t))}</h3><div class='figs three'>{''.join(figs)}</div>")

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>qdml evaluation</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>How good are the models?</h1>",
        f"<p class='lede'>Nested cross-validation on {len(frame)} rows; every score is on rows the model never saw, "
        "beside baselines scored on the same folds. A model counts as better than a baseline only when the whole "
        "95 % interval of its error lies below the baseline's error.</p>",
        "<div class='cards'>", *cards, "</div>",
        "<h2>Model or rule: what wins on papers it has not seen</h2>",
        "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in verdict_sentences(result.entries)) + "</ul>",
        "<h2>Predicted against measured</h2>",
        "<p class='small'>Each point is a held-out row with its prediction interval (clipped to what the quantity can "
        "physically take); the grey band is the best baseline's mean error either side of the diagonal.</p>",
        *figures,
    ]
    if importance:
        parts.append("<h2>What the models use</h2><p class='small'>How much the held-out error rises when one "
                     "quantity is shuffled across rows (a feature together with its missing-data indicator and its "
                     "one-hot siblings), on 4 folds; bars show the spread. Colours: ligand, QD and ligand-QD "
                     "interaction features. Full list with sources: docs/features.md.</p><div class='figs two'>")
        for target in targets:
            t = TARGETS[target]
            try:
                labels, kinds, mean, sd, est = _grouped_importance(frame, target)
            except Exception as exc:  # a report section must not sink the report
                parts.append(f"<p>{html.escape(t.header)}: importance not computed ({html.escape(str(exc))})</p>")
                continue
            parts.append(_img(importance_png(labels, kinds, mean, sd, f"{t.header} ({est})", unit=t.unit),
                              f"feature importance {target}"))
        parts.append("</div>")
    parts.append("<h2>Every score</h2>")
    for target in targets:
        parts.append(f"<h3>{html.escape(_title(TARGETS[target]))}</h3>"
                     f"<div class='tablewrap'>{_scores_table(result.entries, target)}</div>")
    parts.append("<h2>Glossary</h2>" + _glossary())
    counts = frame.assign(role=frame["role"].replace("", "treated")).groupby("role").size()
    sources = ", ".join(f"{html.escape(Path(str(f['path'])).name)} ({f['rows']} rows, {f.get('rows_used', f['rows'])} used, "
                        f"sha256 {f['sha256'][:12]})" for f in files)
    parts.append(f"<h2>Data</h2><p class='small'>{sources}. Training rows by role: "
                 + ", ".join(f"{html.escape(str(k))} {v}" for k, v in counts.items())
                 + ". Flagged values are left out (see 'qdml summary').</p>")
    parts.append("</body></html>")
    with atomic_write(path) as fh:
        fh.write("\n".join(parts))


def _title(target) -> str:
    """``PLQY (%)``, ``Peak (nm)``: a target's header as a heading."""
    header = target.header
    return header[:1].upper() + header[1:]


def verdict_sentences(entries: list[dict], scheme: str = "leave-one-reference-out") -> list[str]:
    """One sentence per target under ``scheme``: does the model beat its best baseline, is it a rule?"""

    out = []
    for e in entries:
        if e.get("scheme") != scheme or e.get("features") != "full" or not e.get("n"):
            continue
        name = f"{e['target']} ({e['mode']})"
        best, best_mae, skill = e.get("best_baseline"), e.get("best_baseline_mae"), e.get("skill_vs_best")
        lo, hi = e.get("vs_best_ci") or [None, None]
        ci = "" if lo is None else f"; model minus best-baseline MAE {lo:+.3g} to {hi:+.3g} (95% bootstrap)"
        if e.get("estimator") and is_rule(e["estimator"]):
            out.append(f"{name}: a rule wins the model choice in most folds: {e['estimator']} ({RULES[e['estimator']]}); "
                       f"MAE {e['mae']:.3g} beside the best baseline {best} {best_mae:.3g}{ci}")
        elif e.get("worse_than_best_baseline"):
            out.append(f"{name}: the model is WORSE than its best baseline {best} ({e['mae']:.3g} vs {best_mae:.3g}){ci}")
        elif e.get("beats_best_baseline"):
            out.append(f"{name}: the model beats its best baseline {best} ({e['mae']:.3g} vs {best_mae:.3g}){ci}")
        else:
            out.append(f"{name}: the model ({e['mae']:.3g}) is not distinguishable from its best baseline {best} "
                       f"({best_mae:.3g}, skill_vs_best {skill:.2f}){ci}")
    return out


def _cls(parse, value):
    try:
        return parse(value).ligand_class
    except Exception:
        return "?"

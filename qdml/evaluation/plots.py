"""Figures: parity plots with intervals, residuals by ligand class, rankings, Pareto fronts, CV comparisons.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``'s
global state, so qdml neither switches a notebook's backend nor needs a screen. Each
``*_figure`` function returns the Figure (a notebook shows it); ``plot_*`` also writes a PNG when
given a path; ``*_png`` return PNG bytes for the HTML report.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from qdml.data.io import atomic_write
from qdml.targets import TARGETS

#: Colours of the three feature groups (Paul Tol's bright scheme, colour-blind safe).
GROUP_COLOURS = {"ligand": "#4477AA", "QD": "#EE6677", "interaction": "#228833", "control": "#CCBB44"}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _save(fig, path) -> None:
    with atomic_write(path, "wb", encoding=None) as fh:
        fh.write(_png(fig))


def axis_label(target: str, prefix: str = "") -> str:
    t = TARGETS.get(target)
    text = t.header if t else target
    return f"{prefix} {text}".strip()


def physical_range(target: str) -> tuple[float, float]:
    """(low, high) a value of ``target`` can take (``-inf``/``inf`` where open)."""
    t = TARGETS.get(target)
    return (t.low, t.high) if t else (-np.inf, np.inf)


def clipped_errors(target: str, pred, lo, hi) -> np.ndarray:
    """Error-bar lengths below and above ``pred`` with the interval kept inside the physical range."""
    low, high = physical_range(target)
    pred = np.asarray(pred, float)
    lo = np.clip(np.asarray(lo, float), low, high)
    hi = np.clip(np.asarray(hi, float), low, high)
    return np.clip(np.vstack([pred - lo, hi - pred]), 0, None)


def parity_figure(preds: pd.DataFrame, target: str, title: str = "", baseline_mae: float | None = None,
                  baseline_name: str = "best baseline"):
    """Measured vs predicted (held-out) with interval bars, the diagonal and a +-baseline-MAE band."""
    fig, ax = _figure(4.6, 4.2)
    y, p = preds["y"].to_numpy(float), preds["pred"].to_numpy(float)
    err = clipped_errors(target, p, preds["lo"], preds["hi"])
    ax.errorbar(y, p, yerr=err, fmt="o", ms=4, alpha=0.7, elinewidth=0.8, capsize=0, color="#4477AA")
    low, high = physical_range(target)
    lo = float(np.nanmin([y.min(), (p - err[0]).min()]))
    hi = float(np.nanmax([y.max(), (p + err[1]).max()]))
    pad = 0.05 * (hi - lo or 1)
    lim = (max(lo - pad, low) if np.isfinite(low) else lo - pad, min(hi + pad, high) if np.isfinite(high) else hi + pad)
    line = np.array(lim)
    ax.plot(line, line, "k-", lw=0.8)
    if baseline_mae:
        t = TARGETS.get(target)
        d = t.decimals if t else 2
        ax.fill_between(line, line - baseline_mae, line + baseline_mae, color="grey", alpha=0.15,
                        label=f"± MAE of {baseline_name} ({baseline_mae:.{d}f})")
        ax.legend(fontsize=7, loc="upper left")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel(axis_label(target, "measured"))
    ax.set_ylabel(axis_label(target, "predicted (held out)"))
    ax.set_title(title, fontsize=9)
    return fig


def parity_png(preds: pd.DataFrame, target: str, title: str, baseline_mae: float | None = None,
               baseline_name: str = "best baseline") -> bytes:
    return _png(parity_figure(preds, target, title, baseline_mae, baseline_name))


def plot_parity(preds: pd.DataFrame, target: str, path=None, title: str = "", baseline_mae: float | None = None,
                baseline_name: str = "best baseline"):
    """Parity plot of cross-validated predictions (``qdml.evaluate(...).predictions[key]``); PNG at ``path``."""
    fig = parity_figure(preds, target, title, baseline_mae, baseline_name)
    if path:
        _save(fig, path)
    return fig


def residuals_by_group_png(preds: pd.DataFrame, group: pd.Series, target: str, title: str) -> bytes:
    res = preds["pred"].to_numpy(float) - preds["y"].to_numpy(float)
    frame = pd.DataFrame({"group": group.to_numpy(), "res": res})
    order = frame.groupby("group")["res"].apply(lambda r: np.abs(r).mean()).sort_values().index
    fig, ax = _figure(5.5, 0.35 * len(order) + 1.2)
    data = [frame.loc[frame["group"] == g, "res"].to_numpy() for g in order]
    ax.boxplot(data, orientation="horizontal", tick_labels=list(order))
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(axis_label(target, "predicted - measured"))
    ax.set_title(title, fontsize=9)
    return _png(fig)


def importance_png(labels: list[str], groups: list[str], means: np.ndarray, sds: np.ndarray, title: str,
                   unit: str = "", top: int = 15) -> bytes:
    """Horizontal bars of the MAE increase when a feature (with its missing-data flag) is shuffled."""
    means, sds = np.asarray(means, float), np.asarray(sds, float)
    order = np.argsort(means)[::-1][:top][::-1]
    fig, ax = _figure(6.0, 0.3 * len(order) + 1.2)
    colours = [GROUP_COLOURS.get(groups[i], "#BBBBBB") for i in order]
    ax.barh([labels[i] for i in order], means[order], xerr=sds[order], color=colours)
    ax.axvline(0, color="k", lw=0.6)
    from matplotlib.patches import Patch

    present = [g for g in GROUP_COLOURS if g in {groups[i] for i in order}]
    ax.legend(handles=[Patch(color=GROUP_COLOURS[g], label=g) for g in present], fontsize=7, loc="lower right")
    ax.set_xlabel(f"MAE increase when shuffled ({unit})" if unit else "MAE increase when shuffled")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def ranking_figure(table: pd.DataFrame, target: str, title: str = "", top: int = 15, goal: float | None = None):
    """Top candidates with their intervals (measured values as crosses where known; the goal as a line)."""
    t = table.head(top).iloc[::-1]
    fig, ax = _figure(6, 0.35 * len(t) + 1.4)
    y = np.arange(len(t))
    pred = t[f"{target}_pred"].to_numpy(float)
    err = clipped_errors(target, pred, t[f"{target}_lo"], t[f"{target}_hi"])
    colours = ["#228833" if d else "#CC6677" for d in t["in_domain"]]
    ax.errorbar(pred, y, xerr=err, fmt="none", ecolor="grey", elinewidth=1)
    ax.scatter(pred, y, c=colours, zorder=3, label="prediction (green: in domain, red: outside)")
    meas = t.get(f"measured_{target}")
    if meas is not None and np.isfinite(meas.to_numpy(float)).any():
        ax.scatter(meas.to_numpy(float), y, marker="x", color="k", zorder=4, label="measured")
    if goal is not None:
        ax.axvline(goal, color="#AA3377", lw=1.2, ls="--", zorder=2, label=f"goal {goal:g} {TARGETS[target].unit}")
    ax.set_yticks(y, t["ligand"].astype(str))
    ax.set_xlabel(axis_label(target) + " with interval")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_ranking(table: pd.DataFrame, target: str, path=None, title: str = "", top: int = 15,
                 goal: float | None = None):
    """Ranking plot (see :func:`ranking_figure`); writes a PNG when ``path`` is given; returns the Figure."""
    fig = ranking_figure(table, target, title, top, goal)
    if path:
        _save(fig, path)
    return fig


def pareto_figure(table: pd.DataFrame, x_target: str, y_target: str, title: str = "", label_top: int = 8):
    """Two targets against each other, with intervals both ways; the first Pareto front joined and labelled."""
    fig, ax = _figure(6.2, 4.8)
    x, y = table[f"{x_target}_pred"].to_numpy(float), table[f"{y_target}_pred"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    front = table["pareto_front"].to_numpy(int) if "pareto_front" in table.columns else np.ones(len(table), int)
    xerr = clipped_errors(x_target, x, table[f"{x_target}_lo"], table[f"{x_target}_hi"])
    yerr = clipped_errors(y_target, y, table[f"{y_target}_lo"], table[f"{y_target}_hi"])
    first = ok & (front == 1)
    rest = ok & (front != 1)
    ax.errorbar(x[rest], y[rest], xerr=xerr[:, rest], yerr=yerr[:, rest], fmt="o", ms=3, color="#BBBBBB",
                elinewidth=0.5, alpha=0.7, label="later fronts")
    ax.errorbar(x[first], y[first], xerr=xerr[:, first], yerr=yerr[:, first], fmt="o", ms=5, color="#4477AA",
                elinewidth=0.8, label="first Pareto front")
    order = np.argsort(x[first])
    ax.plot(x[first][order], y[first][order], "-", color="#4477AA", lw=0.8)
    names = table["ligand"].astype(str).to_numpy()
    for i in np.flatnonzero(first)[:label_top]:
        ax.annotate(names[i], (x[i], y[i]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(axis_label(x_target, "predicted"))
    ax.set_ylabel(axis_label(y_target, "predicted"))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_pareto(table: pd.DataFrame, x_target: str, y_target: str, path=None, title: str = ""):
    """Pareto plot (see :func:`pareto_figure`); writes a PNG when ``path`` is given; returns the Figure."""
    fig = pareto_figure(table, x_target, y_target, title)
    if path:
        _save(fig, path)
    return fig


def cv_comparison_figure(runs: dict[str, list[dict]], targets: list[str] | None = None, features: str = "full"):
    """Held-out MAE (95 % interval) of each run, one panel per target and mode, beside each run's best baseline.

    ``runs`` maps a label ("before", "after") to evaluation entries (``qdml.evaluate(...).entries``).
    """
    from matplotlib.figure import Figure

    from qdml.evaluation.verdict import best_baseline

    labels = list(runs)
    pool = [e for entries in runs.values() for e in entries if e["features"] == features]
    targets = targets or list(dict.fromkeys(e["target"] for e in pool))
    panels = [(t, m) for t in targets for m in dict.fromkeys(e["mode"] for e in pool if e["target"] == t)]
    fig = Figure(figsize=(4.2 * len(panels), 4.0))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    colours = ["#BBBBBB", "#4477AA", "#EE6677", "#228833"]
    for ax, (target, mode) in zip(axes, panels):
        schemes = list(dict.fromkeys(e["scheme"] for e in pool if e["target"] == target and e["mode"] == mode))
        width = 0.8 / max(len(labels), 1)
        for k, label in enumerate(labels):
            for j, scheme in enumerate(schemes):
                e = next((e for e in runs[label] if e["target"] == target and e["scheme"] == scheme
                          and e["mode"] == mode and e["features"] == features), None)
                if e is None or e.get("mae") is None:
                    continue
                xpos = j + (k - (len(labels) - 1) / 2) * width
                lo, hi = e.get("mae_ci") or [None, None]
                yerr = None if lo is None else [[e["mae"] - lo], [hi - e["mae"]]]
                ax.bar(xpos, e["mae"], width=width * 0.9, yerr=yerr, capsize=3, color=colours[k % len(colours)],
                       label=f"{label} ({e.get('n_rows', e['n'])} rows)" if j == 0 else None)
                _, base = best_baseline(e)
                if base is not None:
                    ax.hlines(base, xpos - width * 0.45, xpos + width * 0.45, colors="k", linestyles="--", lw=1,
                              label="best baseline" if (j == 0 and k == 0) else None)
        ax.set_xticks(range(len(schemes)), schemes, fontsize=7)
        unit = TARGETS[target].unit if target in TARGETS else ""
        ax.set_ylabel(f"held-out MAE ({unit})" if unit else "held-out MAE")
        label = TARGETS[target].label if target in TARGETS else target
        ax.set_title(f"{label}, {mode}" + (" (from the control)" if mode == "paired" else ""), fontsize=9)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def plot_cv_comparison(runs: dict[str, list[dict]], path=None, targets: list[str] | None = None):
    """CV comparison plot (see :func:`cv_comparison_figure`); writes a PNG when ``path`` is given."""
    fig = cv_comparison_figure(runs, targets)
    if path:
        _save(fig, path)
    return fig

"""Figures: parity plots with intervals, residuals by ligand class, rankings with intervals.

matplotlib with the Agg backend (no screen needed); each function returns nothing and writes a
file, or returns PNG bytes for the HTML report.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from qdml.data.io import atomic_write

UNITS = {"plqy": "%", "eqe": "%", "peak_nm": "nm", "fwhm_nm": "nm", "von_v": "V", "lmax_cd_m2": "cd/m2", "lifetime_ns": "ns"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def parity_png(preds: pd.DataFrame, target: str, title: str, baseline_mae: float | None = None) -> bytes:
    """Measured vs predicted with interval bars; the diagonal and +-baseline-MAE band for scale."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    y, p = preds["y"].to_numpy(float), preds["pred"].to_numpy(float)
    err = np.vstack([p - preds["lo"].to_numpy(float), preds["hi"].to_numpy(float) - p])
    ax.errorbar(y, p, yerr=np.clip(err, 0, None), fmt="o", ms=4, alpha=0.7, elinewidth=0.8, capsize=0)
    lo, hi = float(np.nanmin([y.min(), p.min()])), float(np.nanmax([y.max(), p.max()]))
    pad = 0.05 * (hi - lo or 1)
    line = np.array([lo - pad, hi + pad])
    ax.plot(line, line, "k-", lw=0.8)
    if baseline_mae:
        ax.fill_between(line, line - baseline_mae, line + baseline_mae, color="grey", alpha=0.15, label=f"± mean-baseline MAE {baseline_mae:.3g}")
        ax.legend(fontsize=7, loc="upper left")
    unit = UNITS.get(target, "")
    ax.set_xlabel(f"measured {target} ({unit})")
    ax.set_ylabel(f"predicted {target} ({unit})")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def residuals_by_group_png(preds: pd.DataFrame, group: pd.Series, target: str, title: str) -> bytes:
    plt = _plt()
    res = preds["pred"].to_numpy(float) - preds["y"].to_numpy(float)
    frame = pd.DataFrame({"group": group.to_numpy(), "res": res})
    order = frame.groupby("group")["res"].apply(lambda r: np.abs(r).mean()).sort_values().index
    fig, ax = plt.subplots(figsize=(5.5, 0.35 * len(order) + 1.2))
    data = [frame.loc[frame["group"] == g, "res"].to_numpy() for g in order]
    ax.boxplot(data, orientation="horizontal", tick_labels=list(order))
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"predicted - measured {target} ({UNITS.get(target, '')})")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def importance_png(names: list[str], means: np.ndarray, sds: np.ndarray, title: str, top: int = 15) -> bytes:
    plt = _plt()
    order = np.argsort(means)[::-1][:top][::-1]
    fig, ax = plt.subplots(figsize=(5.5, 0.3 * len(order) + 1.0))
    ax.barh([names[i] for i in order], means[order], xerr=sds[order], color="#4477aa")
    ax.set_xlabel("MAE increase when the feature is shuffled")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def plot_ranking(table: pd.DataFrame, target: str, path: str, title: str = "", top: int = 15) -> None:
    """Top candidates with their intervals (measured values as crosses where known)."""

    plt = _plt()
    t = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(t) + 1.2))
    y = np.arange(len(t))
    pred = t[f"{target}_pred"].to_numpy(float)
    err = np.vstack([pred - t[f"{target}_lo"].to_numpy(float), t[f"{target}_hi"].to_numpy(float) - pred])
    colours = ["#228833" if d else "#cc6677" for d in t["in_domain"]]
    ax.errorbar(pred, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="grey", elinewidth=1)
    ax.scatter(pred, y, c=colours, zorder=3, label="prediction (red: out of domain)")
    meas = t.get(f"measured_{target}")
    if meas is not None and np.isfinite(meas.to_numpy(float)).any():
        ax.scatter(meas.to_numpy(float), y, marker="x", color="k", zorder=4, label="measured")
    ax.set_yticks(y, t["ligand"].astype(str))
    ax.set_xlabel(f"{target} ({UNITS.get(target, '')})")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    png = _png(fig)
    with atomic_write(path, "wb", encoding=None) as fh:
        fh.write(png)

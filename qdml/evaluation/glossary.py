"""Words for every column and scheme an evaluation shows: the report, ``docs/evaluation.md`` and the CLI.

``docs/evaluation.md`` is generated from this module (``python -m qdml.evaluation.glossary >
docs/evaluation.md``); a test checks the page is current and that every column of
:func:`qdml.evaluation.evaluate.entries_table` has an entry here.
"""

from __future__ import annotations

#: Columns of the score tables (report, ``entries_table``), in table order: header -> meaning.
COLUMNS: dict[str, str] = {
    "target": "The measured quantity predicted: PLQY (%), LED EQE (%), emission peak (nm), FWHM (nm).",
    "scheme": "How rows were held out (see the schemes below). Grouped schemes answer 'how good is the model "
              "for something new'; random k-fold is optimistic.",
    "mode": "absolute: the treated sample's value from ligand and QD alone. paired: the treated value from the "
            "untreated control's value as well (what a treatment changes).",
    "features": "full: every feature. composition-only (peak): without what a chemist knows of the sample "
                "(nominal colour, size, pristine peak), to show how much the peak model leans on them.",
    "n": "Held-out predictions scored (a row counts once per repeat of repeated k-fold).",
    "MAE": "Mean absolute error of the held-out predictions, in the target's unit. Lower is better.",
    "MAE 95% CI": "Bootstrap 95 % interval of the MAE over the held-out predictions: with tens of rows, "
                  "the MAE itself is uncertain by this much.",
    "best baseline": "The baseline with the lowest MAE on the same folds: the bar the model has to clear.",
    "best-baseline MAE": "MAE of the best baseline, same folds, same rows.",
    "vs best baseline": "better: the whole 95 % interval of the model's MAE lies below the best baseline's MAE. "
                        "no better: the interval contains it (indistinguishable at this sample size). "
                        "worse: the whole interval lies above it.",
    "mean MAE": "Baseline: predict the training mean for every held-out row.",
    "family-median MAE": "Baseline: predict the median of the training rows of the same QD family and role "
                         "(treated or untreated control).",
    "family-mean MAE": "Baseline: predict the training mean of the row's QD family (perovskite, II-VI, III-V ...).",
    "nearest-neighbour MAE": "Baseline: predict the value of the most similar training row in standardised "
                             "feature space (1-NN).",
    "prior / no-change MAE": "Baseline without fitting: for the peak, the colour prior (the prior the model "
                             "starts from: pristine peak, else nominal colour, else the composition's "
                             "confinement-aware estimate; the bulk band gap is in --json as band-gap-prior); in "
                             "paired mode, 'no change' (the treated value equals the control's). Paired entries "
                             "also score control-plus-median-change (the control changed by the median change).",
    "skill vs best": "1 - MAE / (best-baseline MAE): above 0 the model beats the best simple rule, 0 = as good, "
                     "negative = worse (the JSON key skill_vs_best).",
    "skill": "1 - MAE / (mean-baseline MAE), or / (no-change MAE) in paired mode: 0 = no better than that "
                     "baseline, 1 = perfect, negative = worse.",
    "R²": "Coefficient of determination of the held-out predictions (1 = perfect, 0 = the mean of the held-out "
          "values, negative = worse than that).",
    "Spearman ρ": "Rank correlation of predicted and measured values: does the model put ligands in the right "
                  "order? Ranking is what 'qdml rank' relies on.",
    "coverage": "Share of held-out values inside their 80 % prediction interval (CV+ conformal). Near 80 % = "
                "honest intervals; well below = intervals too narrow.",
    "interval width": "Median width of the 80 % prediction intervals, in the target's unit.",
    "model": "Estimator most often chosen by the inner cross-validation across the outer folds.",
}
#: Columns whose values are in the target's unit (headers get ``(unit)`` appended).
UNIT_COLUMNS = ("MAE", "MAE 95% CI", "best-baseline MAE", "mean MAE", "family-median MAE", "family-mean MAE",
                "nearest-neighbour MAE", "prior / no-change MAE", "interval width")

#: Cross-validation schemes: name -> what is held out, in words.
SCHEME_TEXT: dict[str, str] = {
    "repeated-kfold": "Random 5-fold, repeated 3 times. Optimistic: near-copies of a held-out row (same paper, "
                      "same ligand) stay in training.",
    "leave-one-out": "Each row held out alone. Optimistic for the same reason as k-fold.",
    "leave-one-ligand-out": "Every row of one ligand held out together: how well the model predicts a ligand it "
                            "has never seen (the question 'qdml rank' answers).",
    "leave-one-qd-out": "Every row of one QD composition held out together: a new composition.",
    "leave-one-reference-out": "Every row of one paper held out together: a new lab's hands, setup and "
                               "definitions.",
    "leave-one-cluster-out": "Rows clustered in feature space (k-means, Meredig et al. 2018), one cluster held "
                             "out: a new region of chemistry.",
    "leave-one-element-out": "Every row containing one element held out: the hardest extrapolation.",
}

#: Keys of each entry of ``qdml evaluate --json`` (and of ``cv_scores`` in a bundle's metadata).
JSON_KEYS: dict[str, str] = {
    "target, scheme, mode, features": "as in the table",
    "n": "held-out predictions scored",
    "n_rows": "distinct rows scored",
    "mae, rmse, r2, spearman": "scores of the held-out predictions",
    "mae_sd": "spread of the MAE across repeats (repeated k-fold) or folds",
    "mae_ci": "bootstrap 95 % interval of the MAE, [low, high]",
    "baseline_mae": "MAE of the training-mean baseline",
    "baselines": "MAE of every baseline on the same folds, by name (mean, family-mean, nearest-neighbour, "
                 "band-gap-prior, no-change)",
    "skill": "1 - mae / baseline (no-change in paired mode, else the mean)",
    "verdict": "the model against the mean (or no-change) baseline, in words",
    "worse_than_baseline": "true when the whole MAE interval lies above that baseline",
    "coverage": "share of held-out values inside their interval",
    "interval_width": "median interval width",
    "confidence": "interval level (0.8)",
    "estimator": "estimator chosen most often; estimator_counts: how often each was chosen",
    "n_folds, n_selections": "outer folds, and inner model choices made (folds share choices in blocks)",
}


def markdown() -> str:
    """The text of ``docs/evaluation.md``."""
    lines = [
        "# Reading an evaluation",
        "",
        "Generated by `python -m qdml.evaluation.glossary > docs/evaluation.md`; the HTML report of",
        "`qdml evaluate --report` carries the same glossary.",
        "",
        "Every score is a held-out score from nested cross-validation (an inner cross-validation picks",
        "the estimator on the training side only), beside baselines scored on the same folds. With tens",
        "of rows every MAE is uncertain: a model counts as better than a baseline only when the whole",
        "95 % interval of its MAE lies below the baseline's MAE.",
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    for name, text in COLUMNS.items():
        unit = " (in the target's unit)" if name in UNIT_COLUMNS else ""
        lines.append(f"| {name}{unit} | {text} |")
    lines += ["", "## Schemes", "", "| scheme | what is held out |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in SCHEME_TEXT.items()]
    lines += ["", "## JSON keys (`qdml evaluate --json`, `cv_scores` of a bundle)", "", "| key | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in JSON_KEYS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")

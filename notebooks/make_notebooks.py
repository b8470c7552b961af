"""Write the notebooks from the cells below; ``--execute`` also runs them and keeps their outputs.

Run ``python notebooks/make_notebooks.py --execute`` (or ``make notebooks``) after changing a cell,
the model or the data: the notebooks are committed with outputs so that they read on a
repository page, and ``tests/test_notebooks.py`` checks that the committed outputs are what the
code gives today.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def md(text: str) -> tuple[str, str]:
    return ("markdown", text)


def code(text: str) -> tuple[str, str]:
    return ("code", text)


QUICKSTART = [
    md("# qdml quickstart: predict and rank inorganic ligands\n\n"
       "The shipped model bundle was trained on the bundled literature data. Every prediction comes with an "
       "80 % interval and an applicability-domain verdict, and the bundle carries its own cross-validation "
       "scores, so you can see how far to trust it."),
    code("%matplotlib inline\n"
         "import pandas as pd\n"
         "import qdml\n\n"
         "bundle = qdml.load_bundle()  # the shipped bundle; its checksums are verified before loading\n"
         "bundle.metadata['targets'], bundle.metadata['rows']"),
    md("## What qdml knows about a ligand and a QD\n\n"
       "Thiocyanate binds through sulfur: a soft, X-type pseudohalide."),
    code("scn = qdml.parse_ligand('SCN-')\n"
         "scn.name, scn.charge, scn.binding_type, scn.hsab_class, scn.ligand_class"),
    code("qd = qdml.parse_qd_composition('CsPb(Br0.4Cl0.6)3')\n"
         "qd.family, qd.halide_fractions"),
    md("## Predict\n\n"
       "A pair from Table 2 of the review (SCN- on green CsPbBr3: measured PLQY 82 %, peak 521 nm) and an "
       "untested one (KI on red CsPbI3). Columns: the prediction, then the low and high ends of its 80 % "
       "interval (PLQY in %, peak in nm)."),
    code("pairs = pd.DataFrame({'ligand': ['SCN-', 'KI'], 'qd': ['CsPbBr3', 'CsPbI3'], 'el_color': ['green', 'red']})\n"
         "preds = qdml.predict(pairs, model=bundle)\n"
         "preds[['ligand', 'qd', 'plqy_pred', 'plqy_lo', 'plqy_hi', 'peak_nm_pred', 'peak_nm_lo', 'peak_nm_hi',\n"
         "       'in_domain']].round({'plqy_pred': 1, 'plqy_lo': 1, 'plqy_hi': 1, 'peak_nm_pred': 0,\n"
         "                            'peak_nm_lo': 0, 'peak_nm_hi': 0})"),
    md("How far to trust these numbers? The bundle's cross-validation compares each model with its best "
       "baseline (the training mean, the QD-family mean, the nearest neighbour, the band-gap prior) on "
       "ligands it has never seen:"),
    code("for line in qdml.verdicts(bundle.metadata['cv_scores']):\n"
         "    print(line)"),
    md("## Rank every knowledge-base ligand for red CsPbI3\n\n"
       "By a cautious score: the lower end of the EQE interval. Crosses mark ligands measured on this QD."),
    code("ranking = qdml.rank('CsPbI3', 'eqe', by='lower', model=bundle, sample={'el_color': 'red'})\n"
         "ranking[['rank', 'ligand', 'eqe_pred', 'eqe_lo', 'eqe_hi', 'measured_eqe', 'in_domain']].head(8).round(1)"),
    code("qdml.plot_ranking(ranking, 'eqe', title='CsPbI3 (red): ligands by the lower end of the EQE interval')"),
    md("## A wanted emission peak\n\n"
       "A red LED wants 630 nm: rank by closeness of the predicted peak to the goal (the dashed line)."),
    code("near = qdml.rank('CsPbI3', 'peak_nm', goals={'peak_nm': 630}, model=bundle, sample={'el_color': 'red'})\n"
         "qdml.plot_ranking(near, 'peak_nm', goal=630, title='CsPbI3 (red): peaks closest to 630 nm')"),
    md("## How good is the peak model on ligands it has never seen?\n\n"
       "A parity plot of held-out predictions under leave-one-ligand-out cross-validation (about a minute): "
       "each point is a row predicted by a model that never saw its ligand, with its interval; the grey "
       "band is the best baseline's error."),
    code("result = qdml.evaluate(targets='peak_nm', schemes='leave-one-ligand-out')\n"
         "entry = result.entries[0]  # full features, absolute mode\n"
         "print(qdml.verdicts([entry])[0])\n"
         "name, base = min(entry['baselines'].items(), key=lambda kv: kv[1])\n"
         "key = (entry['target'], entry['scheme'], entry['mode'], entry['features'])\n"
         "qdml.plot_parity(result.predictions[key], 'peak_nm', baseline_mae=base, baseline_name=name,\n"
         "                 title=f\"peak, leave-one-ligand-out: MAE {entry['mae']:.0f} nm\")"),
]

RETRAIN = [
    md("# Retrain with your own data, and compare cross-validation before and after\n\n"
       "`examples/lab_CsPbBr3_DDT.csv` is a lab-style file: an untreated control and a treated sample that "
       "share a `pair_id`, plus the lab's own `sample_id` column. The numbers are real, not invented: Park "
       "et al., *Nanoscale Adv.* 2019 (doi 10.1039/C9NA00292H) report that 1-dodecanethiol (DDT) raised the "
       "PLQY of CsPbBr3 QDs from 76.1 % to 99.8 % and shortened the PL lifetime from 3.16 to 2.42 ns; the "
       "`evidence` column quotes the abstract. These rows are not in the bundled dataset."),
    code("%matplotlib inline\n"
         "import shutil\n"
         "import tempfile\n"
         "from pathlib import Path\n\n"
         "import pandas as pd\n"
         "import qdml\n\n"
         "lab_file = Path('../examples/lab_CsPbBr3_DDT.csv')\n"
         "# validated like the bundled data: a bad cell stops here with file, line and column\n"
         "lab = qdml.read_validated(lab_file).frame\n"
         "lab[['ligand', 'qd', 'role', 'pair_id', 'plqy', 'lifetime_ns']]"),
    md("## Before: what does the shipped model expect?\n\n"
       "Give it your control's PLQY and it answers with the paired model (what a treatment changes from "
       "the control); `mode` says which model answered."),
    code("bundle = qdml.load_bundle()\n"
         "ask = pd.DataFrame({'ligand': ['DDT'], 'qd': ['CsPbBr3'], 'control_plqy': [76.1]})\n"
         "before_pred = qdml.predict(ask, model=bundle)\n"
         "before_pred[['ligand', 'qd', 'plqy_pred', 'plqy_lo', 'plqy_hi', 'mode', 'in_domain']].round(1)"),
    md("## Add your rows to your own copy of the dataset\n\n"
       "`add_data` validates the file, skips rows already present, appends the rest atomically under a "
       "file lock, and warns about a control that would land without a `pair_id`. Columns the dataset lacks "
       "(here the lab's `sample_id`) are reported and not added."),
    code("work = Path(tempfile.mkdtemp())\n"
         "mine = work / 'my_dataset.csv'\n"
         "shutil.copyfile(qdml.dataset_path(), mine)\n"
         "report = qdml.add_data(lab_file, into=mine)\n"
         "report.added, report.rows_after, report.dropped_columns, report.warnings"),
    md("## Cross-validation before and after\n\n"
       "Leave-one-reference-out holds out every paper in turn, so your lab's rows are scored the way a new "
       "lab's would be. Both the absolute model and the paired one (from the control's value) are scored, "
       "beside their baselines on the same folds. About two minutes."),
    code("settings = dict(targets=['plqy'], schemes=['leave-one-reference-out'], modes=('absolute', 'paired'))\n"
         "before = qdml.evaluate(qdml.dataset_path(), **settings)\n"
         "after = qdml.evaluate(mine, **settings)\n"
         "rows = []\n"
         "for label, run in (('before', before), ('after', after)):\n"
         "    for e in run.entries:\n"
         "        rows.append({'data': label, 'mode': e['mode'], 'rows': e['n_rows'], 'MAE (%)': round(e['mae'], 1),\n"
         "                     '95% CI (%)': f\"{e['mae_ci'][0]:.1f}-{e['mae_ci'][1]:.1f}\",\n"
         "                     'best baseline MAE (%)': round(min(e['baselines'].values()), 1)})\n"
         "pd.DataFrame(rows)"),
    code("for line in qdml.verdicts(after.entries):\n"
         "    print(line)"),
    md("## Retrain and ask again\n\n"
       "`schemes=()` skips the nested cross-validation at training time (seconds instead of minutes); "
       "the scores above already tell how far to trust the new bundle."),
    code("trained = qdml.train(data=[mine], targets=['plqy'], out_dir=work / 'models' / 'mine', schemes=())\n"
         "new = qdml.load_bundle(trained.path)\n"
         "after_pred = qdml.predict(ask, model=new)\n"
         "pd.concat([before_pred.assign(bundle='shipped'), after_pred.assign(bundle='retrained')])[\n"
         "    ['bundle', 'ligand', 'plqy_pred', 'plqy_lo', 'plqy_hi', 'mode']].round(1)"),
    md("## One plot: cross-validation before and after\n\n"
       "Bars: held-out MAE with its 95 % interval; dashed lines: the best baseline of each run. Two rows "
       "out of a hundred move honest scores by far less than their intervals: a model improves with many "
       "labs' rows, not one."),
    code("qdml.plot_cv_comparison({'before': before.entries, 'after': after.entries})"),
    code("shutil.rmtree(work)"),
]

NOTEBOOKS = {"01_quickstart.ipynb": QUICKSTART, "02_retrain_with_your_data.ipynb": RETRAIN}


def build(cells) -> nbf.NotebookNode:
    """A notebook of ``cells`` ((kind, source) pairs) with no outputs."""
    book = nbf.v4.new_notebook()
    book.metadata["kernelspec"] = dict(KERNEL)
    book.metadata["language_info"] = {"name": "python"}
    book.cells = [nbf.v4.new_markdown_cell(src) if kind == "markdown" else nbf.v4.new_code_cell(src)
                  for kind, src in cells]
    for i, cell in enumerate(book.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: a rebuild changes nothing that did not change
    return book


def execute(book: nbf.NotebookNode, timeout: int = 900) -> nbf.NotebookNode:
    """Run every cell in ``notebooks/`` (so ``../examples`` resolves) and keep the outputs."""
    from nbclient import NotebookClient

    NotebookClient(book, timeout=timeout, kernel_name=KERNEL["name"],
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    book.metadata.pop("widgets", None)
    return book


def main(argv: list[str]) -> int:
    run = "--execute" in argv
    for name, cells in NOTEBOOKS.items():
        book = build(cells)
        if run:
            book = execute(book)
        nbf.write(book, HERE / name)
        print("wrote", name, "(with outputs)" if run else "(no outputs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

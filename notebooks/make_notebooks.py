"""Write the notebooks (outputs stripped). Run: python notebooks/make_notebooks.py"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent


def nb(cells):
    book = nbf.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbf.v4.new_markdown_cell(c[1:]) if c.startswith("#") and c[1] == " " else nbf.v4.new_code_cell(c) for c in cells]
    return book


quickstart = [
    "# qdml quickstart: predict and rank inorganic ligands\n\nThe shipped model bundle was trained on the bundled literature data (`datasets/qd_ligand_literature.csv`). Every prediction comes with an 80 % interval and an applicability-domain verdict.",
    "import pandas as pd\nimport qdml\nbundle = qdml.load_bundle()  # models/default, checksums verified before loading\nbundle.metadata['targets'], bundle.metadata['rows']",
    "# What does qdml know about a ligand? Thiocyanate binds through S: a soft X-type pseudohalide.",
    "scn = qdml.parse_ligand('SCN-')\nscn.name, scn.charge, scn.binding_type, scn.hsab_class, scn.ligand_class",
    "qd = qdml.parse_qd_composition('CsPb(Br0.4Cl0.6)3')\nqd.family, qd.halide_fractions",
    "# Predict a pair from Table 2 of the review and an untested one",
    "pairs = pd.DataFrame({'ligand': ['SCN-', 'KI'], 'qd': ['CsPbBr3', 'CsPbI3'], 'el_color': ['green', 'red']})\npreds = qdml.predict(pairs, model=bundle)\npreds[['ligand', 'qd', 'plqy_pred', 'plqy_lo', 'plqy_hi', 'peak_nm_pred', 'in_domain']]",
    "# Rank every knowledge-base ligand for red CsPbI3 by a cautious lower bound on EQE",
    "ranking = qdml.rank('CsPbI3', 'eqe', by='lower', model=bundle, sample={'el_color': 'red'})\nranking.head(10)",
    "assert len(ranking) == ranking['ligand'].nunique()\nranking['in_domain'].value_counts()",
]

retrain = [
    "# Retrain with your own data, and compare cross-validation before and after\n\nHere the 'lab data' are real rows: we start from the review's Table 2 alone and add the rows curated from published abstracts, as a lab would add its own measurements. Nothing is invented.",
    "import shutil, tempfile\nfrom pathlib import Path\nimport pandas as pd\nimport qdml\nfrom qdml.data import dataset_path\nfrom qdml.workflows.merging import add_data\nfrom qdml.evaluation.evaluate import evaluate, entries_table\nfrom qdml.validation import load_training_data\nfrom qdml.workflows.training import train\nwork = Path(tempfile.mkdtemp())",
    "full = pd.read_csv(dataset_path(), keep_default_na=False, dtype=str)\nseed = full[full['source'].str.startswith('review')]\nrest = full[~full['source'].str.startswith('review')]\nfirst = rest.head(40)\nlab = rest[rest.index.isin(first.index) | rest['pair_id'].isin(set(first['pair_id']) - {''})]  # whole pairs only\nseed.to_csv(work / 'mine.csv', index=False)\nlab.to_csv(work / 'lab.csv', index=False)\nlen(seed), len(lab)",
    "before, _, _ = load_training_data([work / 'mine.csv'])\nscores_before = entries_table(evaluate(before, ['plqy', 'peak_nm'], ['leave-one-reference-out']).entries)\nscores_before",
    "report = add_data(work / 'lab.csv', into=work / 'mine.csv')  # validated, locked, atomic append\nreport.added, report.skipped_duplicates",
    "after, _, _ = load_training_data([work / 'mine.csv'])\nscores_after = entries_table(evaluate(after, ['plqy', 'peak_nm'], ['leave-one-reference-out']).entries)\nscores_after",
    "result = train(data=[work / 'mine.csv'], targets=['plqy', 'peak_nm'], out_dir=work / 'models' / 'mine', schemes=())\nresult.metadata['rows'], result.metadata['files'][0]['rows']",
    "shutil.rmtree(work)",
]

for name, cells in (("01_quickstart.ipynb", quickstart), ("02_retrain_with_your_data.ipynb", retrain)):
    nbf.write(nb(cells), HERE / name)
    print("wrote", name)

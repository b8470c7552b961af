"""``qdml app``: the web app (Predict, Rank, Your data, Dataset, Model card) on 127.0.0.1."""

from __future__ import annotations

NAME = "app"
HELP = "start the web app on 127.0.0.1 (predict, rank, add your data, browse the dataset, model card)"
DESCRIPTION = """\
Start a local web app at http://127.0.0.1:PORT (default 8501) and keep serving until
Ctrl-C. It listens on the loopback address only: other machines cannot reach it.

Pages: Predict (a ligand on a QD: every target with its interval, the domain verdict,
each model against its best baseline, the nearest literature precedents), Rank (every
candidate ligand for one QD; table, interval plot, CSV download), Your data (validate a
CSV, add it to a working copy in a temporary folder, retrain, compare cross-validation,
download the merged file and the bundle; the bundled dataset is never written), Dataset
(the literature rows with their evidence and counts) and Model card.

Needs Streamlit: pip install 'qdml[app]'.
"""


def add_args(parser) -> None:
    parser.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (default 8501)")
    parser.add_argument("--model", default=None, help="bundle name or folder (default: default)")


def run(args) -> int:
    from qdml.app.server import serve

    return serve(port=args.port, model=args.model)

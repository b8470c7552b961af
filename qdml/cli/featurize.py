"""``qdml featurize DATA.csv --output FEATURES.csv``: the numeric feature table of each row."""

from __future__ import annotations

NAME = "featurize"
HELP = "write the numeric features (ligand, QD, pair interactions) of each row of a CSV"
DESCRIPTION = """\
Featurize ligand-QD pairs. Input: a CSV with columns ligand and qd, optionally el_color
(violet ... NIR), size_nm and pristine_peak_nm. The dataset file is validated first
(same rules as 'qdml validate' when it has measured columns). Output: one row per input row,
the input's ligand and qd, then one column per feature (ligand__*, qd__*, pair__*).
Unknown ligands or QD compositions stop the command with file, line and column.
"""


def add_args(parser) -> None:
    parser.add_argument("data", metavar="DATA.csv", help="CSV with columns ligand, qd (+ optional el_color, size_nm, pristine_peak_nm)")
    parser.add_argument("--output", "-o", metavar="FEATURES.csv", required=True, help="where to write the feature table")


def run(args) -> int:
    from qdml.cli.common import console
    from qdml.data.io import check_output, write_csv
    from qdml.features.pair import PairFeaturizer
    from qdml.validation import read_pairs

    check_output(args.output, "--output", inputs=[args.data])
    frame = read_pairs(args.data)
    features = PairFeaturizer().fit(frame).transform_frame(frame)
    features.insert(0, "qd", frame["qd"].to_numpy())
    features.insert(0, "ligand", frame["ligand"].to_numpy())
    write_csv(features, args.output)
    console().print(f"wrote {len(features)} rows x {features.shape[1] - 2} features to {args.output}")
    return 0

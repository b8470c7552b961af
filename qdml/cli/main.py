"""``qdml`` command line: global options, logging, dispatch to one module per subcommand.

Subcommand modules import only argparse at module level; their heavy imports (pandas, sklearn,
rdkit) happen inside ``run`` so that ``qdml --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

#: Subcommand modules, in the order ``--help`` lists them (data flow order).
SUBCOMMANDS = [
    "validate",
    "audit",
    "summary",
    "featurize",
    "train",
    "evaluate",
    "predict",
    "add_data",
    "rank",
    "screen",
    "app",
]

DESCRIPTION = """\
qdml: choose the next inorganic surface ligand for your quantum dots.

Featurizes ligand-QD pairs (charge, ionic radius, HSAB class, X/L/Z binding type,
composition, band-gap prior), trains one regressor per target (PLQY %, LED EQE %,
emission peak nm) with honest cross-validation against baselines, and predicts,
ranks and screens untested ligands with 80 % intervals.

Data files are CSV (UTF-8, comma), one sample per row: columns ligand, qd and at least
one of eqe (%), plqy (%), peak_nm, fwhm_nm, von_v, lmax_cd_m2, lifetime_ns.
Model bundles: 'qdml train --name NAME' writes to the models folder (--models-dir, else
$QDML_MODELS_DIR, else ~/.local/share/qdml/models); '--model NAME' reads from there.
Progress bars go to stderr on a terminal only; -q silences them and every note.
Run 'qdml <command> --help' for each command's columns and units.

Model bundles: --model NAME is looked up in the user models folder ($QDML_MODELS_DIR,
else ~/.local/share/qdml/models), then among the bundles shipped with qdml; never in the
current folder. A bundle loads only allow-listed types (skops), so it cannot run code.
Outputs never replace an input, a read-only file or a folder; text cells of CSV outputs
that a spreadsheet would run as formulas (=, +, -, @) are written with a leading '.
"""


def _load(name: str):
    return importlib.import_module(f"qdml.cli.{name}")


def build_parser() -> argparse.ArgumentParser:
    from qdml.cli.common import add_quiet_arg

    parser = argparse.ArgumentParser(
        prog="qdml", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from qdml import __version__

    parser.add_argument("--version", action="version", version=f"qdml {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = _load(name)
        p = sub.add_parser(
            module.NAME,
            help=module.HELP.replace("%", "%%"),
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_args(p)
        add_quiet_arg(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # predict, rank and screen say which targets a rule predicts in their verdict lines
        logging.getLogger("qdml.rules").setLevel(logging.ERROR)
    from qdml.exceptions import QdmlError, ValidationError

    prefix = f"qdml {args.command}:"
    try:
        return int(args._module.run(args) or 0)
    except ValidationError as exc:  # data: one line per problem, FILE:LINE: column 'NAME': message
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except QdmlError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"{prefix} {line}", file=sys.stderr)
        return 1
    except OSError as exc:  # the file system said no (full disk, permissions): not a bug, say what and where
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prefix} {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prefix} out of memory; make the job smaller (fewer candidates, a smaller --chunk-size)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

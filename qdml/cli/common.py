"""Options and output helpers shared by several subcommands."""

from __future__ import annotations

import argparse


def add_data_args(parser: argparse.ArgumentParser, help_suffix: str = "") -> None:
    parser.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="dataset CSV (repeatable; rows are concatenated). Default: the bundled "
        "datasets/qd_ligand_literature.csv" + help_suffix,
    )
    parser.add_argument(
        "--include-flagged",
        action="store_true",
        help="also use rows whose values are flagged as suspect or implausible (left out by default)",
    )


#: What a chemist knows of the QDs before treating them; predict and rank take the same flags.
SAMPLE_KEYS = ("el_color", "size_nm", "pristine_peak_nm", "abs_peak_nm", "control_plqy", "control_eqe",
               "control_peak_nm")

MODELS_HELP = (
    "bundle: a name, looked up in the user models folder (--models-dir, else $QDML_MODELS_DIR, else "
    "~/.local/share/qdml/models) and then among the bundles shipped with qdml, never in the current "
    "folder; or a path to a bundle folder (anything with a '/', e.g. ./models/mine). Default: default"
)


def add_model_args(parser, default_note: str = "") -> None:
    """--model and --models-dir: which bundle, found where (never the current folder by accident)."""
    parser.add_argument("--model", default=None, metavar="NAME|PATH", help=MODELS_HELP + default_note)
    parser.add_argument("--models-dir", metavar="DIR",
                        help="user models folder to look names up in (default: $QDML_MODELS_DIR, else ~/.local/share/qdml/models)")


def resolve_model(args, fallback: str | None = None):
    """The bundle folder the user means (checked, not loaded): a path for the workflows to load."""
    from qdml.learn.bundle import resolve_bundle_dir

    return resolve_bundle_dir(args.model or fallback, getattr(args, "models_dir", None))


def add_sample_args(parser) -> None:
    """Flags describing the user's QDs: nominal colour, size, pristine peak, and the control's values."""
    g = parser.add_argument_group("what you know of your QDs (optional; used when given)")
    g.add_argument("--el-color", help="nominal emission colour: violet, blue, sky-blue, cyan, green, yellow, orange, red, deep-red, NIR")
    g.add_argument("--size-nm", metavar="NM", help="QD size, nm (0.5-1000)")
    g.add_argument("--pristine-peak-nm", metavar="NM", help="PL peak of the untreated QDs, nm (250-2500)")
    g.add_argument("--abs-peak-nm", metavar="NM", help="first excitonic absorption peak of the untreated QDs, nm (200-3000)")
    g.add_argument("--control-plqy", metavar="PCT", help="measured PLQY %% (0-100) of your untreated control (paired model)")
    g.add_argument("--control-eqe", metavar="PCT", help="measured EQE %% (0-100) of your untreated control device (paired model)")
    g.add_argument("--control-peak-nm", metavar="NM", help="measured peak (nm, 250-2500) of your untreated control (paired model)")


def load_model(args, fallback: str | None = None):
    """The bundle named by ``--model`` (or ``fallback``), looked up with ``--models-dir``, loaded.

    Loaded here (not only resolved) because the command quotes the bundle's own CV scores.
    """
    from qdml.learn.bundle import load_bundle

    return load_bundle(resolve_model(args, fallback))


def start_bundle_command() -> None:
    """The first call of a command that loads a model bundle (predict, rank, screen).

    skops is imported the lean way (:mod:`qdml.learn.skops_io`), then what the imports built
    (numpy, scipy, pandas, scikit-learn: about a million objects) is frozen out of garbage
    collection, which would otherwise walk all of it while the bundle loads (~80 ms a pass).
    """
    import gc

    from qdml.learn.skops_io import import_skops_io

    import_skops_io()
    gc.freeze()


def sample_values(args) -> dict:
    """The sample flags given, numbers checked with the range and finiteness rules of a file cell."""
    from qdml.validation import check_sample_value

    out = {}
    for key in SAMPLE_KEYS:
        value = getattr(args, key, None)
        if value is None:
            continue
        out[key] = value if key == "el_color" else check_sample_value(key, value)
    return out


def check_confidence(value: float, flag: str = "--confidence") -> float:
    """An interval level strictly between 0 and 1."""
    import math

    from qdml.data.schema import shown
    from qdml.exceptions import QdmlError

    if not math.isfinite(value) or not 0 < value < 1:
        raise QdmlError(f"{flag} {shown(value)}: must lie between 0 and 1 (e.g. 0.8)")
    return value


def check_jobs(value: int, flag: str = "--jobs") -> int:
    """joblib's process count: 1, 2, ... or -1 (every core); 0 means nothing."""
    from qdml.exceptions import QdmlError

    if value == 0:
        raise QdmlError(f"{flag} 0: give a number of processes (1, 2, ...; -1 = every core)")
    return value


def console(stderr: bool = False):
    """A rich console as wide as the terminal; when output is piped, $COLUMNS or 80 columns.

    Plain messages are not wrapped (a path or a FILE:LINE stays on one line); tables fit the
    width, and sentences meant for reading wrap at words (``soft_wrap=False`` where printed).
    """
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_frame(frame, title: str | None = None, max_rows: int = 60, priorities: dict | None = None,
                headers: dict | None = None, decimals: dict | None = None, hint: str = "") -> None:
    """Print a DataFrame as a table that fits the terminal (numbers rounded for reading)."""
    from qdml.cli.tables import frame_columns, show

    columns = frame_columns(frame.head(max_rows), priorities, headers, decimals)
    show(console(), columns, title, more_rows=max(len(frame) - max_rows, 0), hint=hint)


def print_warnings(problems, limit: int = 20) -> None:
    """One line per note on stderr (never wrapped: grep and editors rely on FILE:LINE)."""
    import sys

    for p in problems[:limit]:
        print(f"note: {p}", file=sys.stderr)
    if len(problems) > limit:
        print(f"note: ... and {len(problems) - limit} more", file=sys.stderr)


def add_quiet_arg(parser) -> None:
    """``-q/--quiet`` after the subcommand too (``qdml train -q``), same meaning as the global one."""
    import argparse

    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="only errors: no progress bar, no notes")


class progress_bar:
    """Context manager giving ``progress(description, done=None, total=None)`` backed by a rich bar.

    Drawn on stderr, and only when stderr is a terminal and ``quiet`` is false, so piped output,
    logs and tests stay clean. Without a ``total`` the bar pulses; with one it fills and says
    how long is left.
    """

    def __init__(self, title: str, quiet: bool = False):
        self.title = title
        self.quiet = quiet

    def __enter__(self):
        import sys

        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        enabled = sys.stderr.isatty() and not self.quiet
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=console(stderr=True), transient=True, disable=not enabled,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(self.title, total=None)

        def step(description: str, done: int | None = None, total: int | None = None) -> None:
            update = {"description": f"{self.title}: {description}"}
            if total is not None:
                update["total"] = total
            if done is not None:
                update["completed"] = done
            else:
                update["advance"] = 1
            self._progress.update(self._task, **update)

        return step

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc)

"""``qdml screen SPEC.toml``: virtual screening of ligand x composition candidates, in chunks."""

from __future__ import annotations

NAME = "screen"
HELP = "screen every ligand x composition of a TOML spec; stream rows to Parquet/CSV; show the best"
DESCRIPTION = """\
Virtual screening. SPEC.toml names ligand sets (knowledge base, lists, mixtures of two written
A/B), compositions (lists, and templates such as CsPb(Br{x}Cl{1-x})3 with x from 0 to 1 in
steps of 0.05), targets, the score (mean | lower | ucb, weights) and what the QDs are (sample).
Candidates are predicted in chunks (memory stays flat), in parallel over chunks on local cores
(--jobs) or on a Dask distributed cluster (--scheduler tcp://HOST:PORT). Every candidate's
row (<target>_pred/_lo/_hi, score, in_domain, domain_reason, note) streams to --output (.parquet with
full floats, or .csv rounded to 0.1 % and 1 nm); the terminal shows the best candidates per
target with their intervals, and a progress bar while it runs (on a terminal, not with -q).
A spec that makes more than --max-candidates candidates is refused before any work.
See docs/screening.md and examples/screen_small.toml.
"""


def add_args(parser) -> None:
    from qdml.cli.common import add_model_args

    parser.add_argument("spec", metavar="SPEC.toml", help="screening spec (TOML)")
    parser.add_argument("--output", "-o", metavar="OUT.parquet|OUT.csv", help="write every candidate's row here")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the chunks on this Dask distributed scheduler")
    parser.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1; -1 = every core)")
    add_model_args(parser, " (or the spec's [screen] model)")
    parser.add_argument("--top", type=int, help="candidates shown per target (default: the spec's)")
    parser.add_argument("--chunk-size", type=int, help="candidates per chunk (default: the spec's)")
    parser.add_argument("--max-candidates", type=int, metavar="N",
                        help="refuse a spec that makes more candidates than this, before any work (default 10,000,000)")


def run(args) -> int:
    from qdml.cli.common import start_bundle_command

    start_bundle_command()  # first: see its docstring
    import sys
    import time

    from qdml.cli.common import check_jobs, console, load_model, progress_bar
    from qdml.cli.tables import show
    from qdml.cli.views import print_verdicts, ranking_columns
    from qdml.exceptions import QdmlError
    from qdml.workflows.screening import DEFAULT_MAX_CANDIDATES, check_scheduler, load_spec, screen

    check_jobs(args.jobs)
    for flag, value in (("--top", args.top), ("--chunk-size", args.chunk_size), ("--max-candidates", args.max_candidates)):
        if value is not None and value < 1:
            raise QdmlError(f"{flag} {value}: must be a positive whole number")
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    limit = DEFAULT_MAX_CANDIDATES if args.max_candidates is None else args.max_candidates
    spec = load_spec(args.spec, max_candidates=limit)
    bundle = load_model(args, spec.model)
    out = console()
    out.print(f"{args.spec}: {len(spec.ligands)} ligands x {len(spec.compositions)} compositions = "
              f"{spec.n_candidates:,} candidates", markup=False)
    with progress_bar("screening", quiet=getattr(args, "quiet", False)) as bar:
        t0 = time.perf_counter()

        def progress(done, total):
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar(f"{rate:,.0f} candidates/s", done, total)

        result = screen(spec, model=bundle, output=args.output, n_jobs=args.jobs,
                        scheduler=args.scheduler, progress=progress, chunk_size=args.chunk_size, top=args.top)
    out.print(f"screened {result.n_screened:,} candidates in {result.seconds:.1f} s "
              f"({result.rate:,.0f}/s, {result.n_chunks} chunks, {result.backend})"
              + (f"; skipped {result.n_skipped:,} (unresolved ligands or compositions)" if result.n_skipped else ""),
              markup=False)
    if not getattr(args, "quiet", False):
        for kind, names in result.skipped.items():
            for name, reason in list(names.items())[:5]:
                print(f"note: skipped {kind[:-1]} {name!r}: {reason}", file=sys.stderr)
    level = int(round(result.confidence * 100))
    for key, table in result.top.items():
        ranked = result.targets if key == "score" else [key]
        goals = {t: spec.goals[t] for t in ranked if t in spec.goals}
        title = f"Best by {result.by} {key}" if key != "score" else "Best by the weighted score"
        if key in spec.goals:
            title += f" (closest to {spec.goals[key]:g})"
        shown = table.drop(columns=["score"]) if key != "score" else table
        show(out, ranking_columns(shown, ranked, goals), title=f"{title}; value ({level} % interval)")
        if not getattr(args, "quiet", False) and len(table) > 1 and _all_tied(table, key, result.targets, result.by, spec.goals):
            print(f"note: the {len(table)} best by {key} share one score: the model gives them one value, "
                  "so they are listed in the order of the spec, not by merit", file=sys.stderr)
    print_verdicts(out, bundle.metadata.get("cv_scores") or [], result.targets, bundle.predictor.target_info)
    if result.output:
        out.print(f"wrote {result.n_screened:,} rows to {result.output}", markup=False)
    return 0


def _all_tied(table, key: str, targets: list[str], by: str, goals: dict) -> bool:
    """True when every listed candidate has the same score, at the precision the values are shown."""
    import numpy as np

    from qdml.workflows.ranking import target_score, tie_decimals

    if key == "score":
        values, decimals = table["score"].to_numpy(float), tie_decimals(targets)
    else:
        values = target_score(key, by, *(table[f"{key}{k}"].to_numpy(float) for k in ("_pred", "_lo", "_hi")),
                              goal=goals.get(key))
        decimals = tie_decimals([key])
    return len(np.unique(np.round(values, decimals))) == 1

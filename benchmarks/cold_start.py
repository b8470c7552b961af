"""Cold start of ``qdml predict`` (one pair) and ``qdml rank`` beside the bare imports they cannot avoid.

    python benchmarks/cold_start.py [--repeats 5] [--model default]

Each command runs as a fresh process, interleaved with the reference
``python -c "import pandas, sklearn.ensemble, sklearn.gaussian_process"`` so that a busy machine
slows all of them alike. qdml is imported as ``PYTHONPATH`` or the install says (the children
run in a temporary folder). Children run with byte-code caching on (in a temporary
``PYTHONPYCACHEPREFIX``, after one untimed warm-up run), as an installed package runs, even
where ``PYTHONDONTWRITEBYTECODE`` is set. Printed per command: the smallest wall time and CPU time (user + sys of
the child) over the repeats, and their ratio to the reference's. Targets: predict <= 1.3x,
rank <= 2x. CPU ratios are the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

REFERENCE = [sys.executable, "-c", "import pandas, sklearn.ensemble, sklearn.gaussian_process"]
TARGETS = {"predict": 1.3, "rank": 2.0}


def commands(model: str | None) -> dict[str, list[str]]:
    qdml = [sys.executable, "-m", "qdml.cli.main"]
    extra = ["--model", model] if model else []
    return {
        "reference": REFERENCE,
        "predict": qdml + ["predict", "--ligand", "SCN-", "--qd", "CsPbBr3", *extra],
        "rank": qdml + ["rank", "--qd", "CsPbI3", "--target", "eqe", "--top", "10", *extra],
    }


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s) of one run; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=env, cwd=env["PYTHONPYCACHEPREFIX"])  # not the repo: ``-m`` imports from the cwd
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model", default=None, help="bundle name or folder (default: the shipped one)")
    args = ap.parse_args()
    cmds = commands(args.model)
    best = {name: [float("inf"), float("inf")] for name in cmds}
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(PYTHONPYCACHEPREFIX=cache, COLUMNS="200")
        for cmd in cmds.values():
            timed(cmd, env)  # warm-up: writes the byte code
        for _ in range(args.repeats):
            for name, cmd in cmds.items():
                wall, cpu = timed(cmd, env)
                best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
    ref_wall, ref_cpu = best["reference"]
    print(f"reference wall={ref_wall:.2f}s cpu={ref_cpu:.2f}s  ({' '.join(REFERENCE[1:])})")
    for name, limit in TARGETS.items():
        wall, cpu = best[name]
        verdict = "meets" if cpu / ref_cpu <= limit else "misses"
        print(f"{name:8s} wall={wall:.2f}s cpu={cpu:.2f}s  ratio_wall={wall / ref_wall:.2f} "
              f"ratio_cpu={cpu / ref_cpu:.2f}  target<={limit} ({verdict})")


if __name__ == "__main__":
    main()

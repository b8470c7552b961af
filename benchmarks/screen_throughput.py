"""Screening throughput and memory, beside a naive per-row baseline measured in the same run.

    python benchmarks/screen_throughput.py --sizes 10000 100000 1000000 [--jobs 2]

One line per size: ``n=<N> rate=<candidates/s> peak_mib=<MiB> naive_rate=<candidates/s> speedup=<ratio>``.
``rate`` counts candidate generation, featurization (the plan), prediction and writing Parquet,
not interpreter start-up or model loading. Each size runs in a fresh process; ``peak_mib`` is
the peak resident memory (RSS) of the whole process tree -- this process plus its joblib/loky
worker processes -- sampled every 10 ms with psutil during the screen, minus this process's RSS
after loading the model (so the workers' own interpreters count in full). Without psutil it falls
back to this process's ru_maxrss delta, which misses the workers (the line then says so on stderr). ``naive_rate``: ``qdml.workflows.predict`` called on one
candidate at a time (featurize + predict per row), timed on a sample of the same candidates.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

#: ~100 knowledge-base ligands x (101 Br/Cl ratios x 101 FA/Cs ratios) ~ 10^6 candidates.
SPEC = {
    "screen": {"targets": ["plqy", "eqe", "peak_nm"], "top": 10, "chunk_size": 50000},
    "score": {"by": "lower", "weights": {"eqe": 1.0, "plqy": 1.0, "peak_nm": 0.0}},
    "ligands": {"knowledge_base": True},
    "compositions": {"template": [{"template": "FA{y}Cs{1-y}Pb(Br{x}Cl{1-x})3",
                                   "x": {"start": 0, "stop": 1, "step": 0.01},
                                   "y": {"start": 0, "stop": 1, "step": 0.01}}]},
}


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class TreePeak:
    """Peak RSS (MiB) of this process and all its descendants, sampled in a background thread."""

    def __init__(self, interval: float = 0.01):
        import threading

        import psutil

        self.proc, self.interval, self.peak = psutil.Process(), interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        import psutil

        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def one(n: int, jobs: int, naive_sample: int) -> dict:
    from qdml.learn.bundle import load_bundle
    from qdml.workflows.prediction import predict
    from qdml.workflows.screening import candidate_frame, screen, spec_from_dict

    bundle = load_bundle("default")
    spec = spec_from_dict(SPEC)
    # shrink the composition grid so the plan only featurizes what n candidates need
    n_lig = len(spec.ligands)
    spec.compositions = spec.compositions[: max(1, -(-n // n_lig))]
    base = _rss_mib()
    try:
        sampler = TreePeak()
    except ImportError:
        sampler = None
        print("psutil missing: peak_mib counts this process only, not the workers", file=sys.stderr)
    with tempfile.TemporaryDirectory() as d:
        if sampler is not None:
            sampler.__enter__()
        t0 = time.perf_counter()
        result = screen(spec, model=bundle, output=os.path.join(d, "out.parquet"), n_jobs=jobs, limit=n)
        seconds = time.perf_counter() - t0
        if sampler is not None:
            sampler.__exit__(None, None, None)
    if sampler is not None:
        peak = sampler.peak - base
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    sample = candidate_frame(spec, 0, naive_sample)
    t0 = time.perf_counter()
    for i in range(len(sample)):
        predict(sample.iloc[i : i + 1].reset_index(drop=True), bundle)
    naive = len(sample) / (time.perf_counter() - t0)
    return {"n": result.n_screened, "rate": result.n_screened / seconds, "peak_mib": peak, "naive_rate": naive}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--naive-sample", type=int, default=40)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.jobs, args.naive_sample)))
        return
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--jobs", str(args.jobs),
                              "--naive-sample", str(args.naive_sample)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"n={r['n']} rate={r['rate']:.0f} peak_mib={r['peak_mib']:.0f} naive_rate={r['naive_rate']:.1f} "
              f"speedup={r['rate'] / r['naive_rate']:.0f}", flush=True)


if __name__ == "__main__":
    main()

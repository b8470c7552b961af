"""``predict --input`` at scale beside ``screen``, in the same run: rows/s, ratio and peak memory.

    python benchmarks/predict_throughput.py [--n 1000000] [--jobs 2] [--model default]

Each measurement runs in a fresh process. predict: a CSV of ``n`` pairs (knowledge-base ligands
on seven compositions, drawn at random) is read, validated, predicted and written as CSV, as
``qdml predict --input pairs.csv --output preds.csv --jobs J`` does; screen: ``n`` candidates of
``screen_throughput.py``'s spec written to Parquet. Rates count the work after the model is
loaded (reading and writing included for predict); ``peak_mib`` is the peak resident memory of
the whole process tree (workers included), interpreter and model included. Targets: predict at
least half of screen's rate, and under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

QDS = ["CsPbBr3", "CsPbI3", "CsPb(Br0.4Cl0.6)3", "FA0.8Cs0.2PbI3", "InP/ZnSe/ZnS", "CdSe/ZnS", "MAPbBr3"]


def _predict(n: int, jobs: int, model: str | None) -> dict:
    import numpy as np
    import pandas as pd

    from qdml.chemistry.ligands import knowledge_base_ligands
    from qdml.data.io import atomic_write
    from qdml.learn.bundle import load_bundle
    from qdml.validation import read_pairs
    from qdml.workflows.prediction import predict_chunks

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "pairs.csv"), os.path.join(d, "preds.csv")
        pd.DataFrame({"ligand": rng.choice(knowledge_base_ligands(), n), "qd": rng.choice(QDS, n)}).to_csv(src, index=False)
        bundle = load_bundle(model)
        with _peak() as peak:
            t0 = time.perf_counter()
            pairs = read_pairs(src, strict=False)
            with atomic_write(dst) as fh:
                for _, text in predict_chunks(pairs, bundle, n_jobs=jobs, as_csv=True):
                    fh.write(text)
            seconds = time.perf_counter() - t0
    return {"n": n, "rate": n / seconds, "seconds": seconds, "peak_mib": peak.peak}


def _screen(n: int, jobs: int, model: str | None) -> dict:
    from screen_throughput import SPEC

    from qdml.learn.bundle import load_bundle
    from qdml.workflows.screening import screen, spec_from_dict

    bundle = load_bundle(model)
    spec = spec_from_dict(SPEC)
    spec.compositions = spec.compositions[: max(1, -(-n // len(spec.ligands)))]
    with tempfile.TemporaryDirectory() as d, _peak() as peak:
        t0 = time.perf_counter()
        result = screen(spec, model=bundle, output=os.path.join(d, "out.parquet"), n_jobs=jobs, limit=n)
        seconds = time.perf_counter() - t0
    return {"n": result.n_screened, "rate": result.n_screened / seconds, "seconds": seconds, "peak_mib": peak.peak}


class _peak:
    """Peak RSS (MiB) of this process and its workers, absolute (psutil), sampled every 10 ms."""

    def __enter__(self):
        from screen_throughput import TreePeak

        self._tree = TreePeak()
        self._tree.__enter__()
        return self

    def __exit__(self, *exc):
        self._tree.__exit__(*exc)
        self.peak = self._tree.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--model", default=None)
    ap.add_argument("--one", choices=["predict", "screen"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        run = _predict if args.one == "predict" else _screen
        print(json.dumps(run(args.n, args.jobs, args.model)))
        return
    results = {}
    for what in ("screen", "predict"):
        cmd = [sys.executable, __file__, "--one", what, "--n", str(args.n), "--jobs", str(args.jobs)]
        out = subprocess.run(cmd + (["--model", args.model] if args.model else []), capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        results[what] = r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{what:8s} n={r['n']} jobs={args.jobs} seconds={r['seconds']:.1f} rate={r['rate']:.0f}/s "
              f"peak_mib={r['peak_mib']:.0f}", flush=True)
    ratio = results["predict"]["rate"] / results["screen"]["rate"]
    print(f"predict/screen rate ratio={ratio:.2f} (target >= 0.5); predict peak "
          f"{results['predict']['peak_mib'] / 1024:.2f} GiB (target < 1.5)")


if __name__ == "__main__":
    main()

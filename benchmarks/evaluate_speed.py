"""Time the default evaluation (every scheme, plqy/eqe/peak_nm, absolute and paired) on the bundled data.

One ``evaluate`` call, as ``qdml evaluate`` makes it: every block of folds of every entry shares
one pool of ``--jobs`` workers. Prints the wall time and the CPU time of this process plus its
workers (psutil, sampled every 50 ms; without psutil only this process's).
"""

from __future__ import annotations

import argparse
import threading
import time

from qdml.evaluation.evaluate import evaluate
from qdml.validation import load_training_data


class TreeCPU:
    """CPU seconds of this process and every worker it started, whether or not they are still alive."""

    def __init__(self):
        import psutil

        self.proc, self.seen, self._stop = psutil.Process(), {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = self._own()

    def _own(self) -> float:
        t = self.proc.cpu_times()
        return t.user + t.system

    def _sample(self) -> None:
        import psutil

        for child in self.proc.children(recursive=True):
            try:
                t = child.cpu_times()
                self.seen[child.pid] = t.user + t.system
            except psutil.Error:
                pass

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._sample()
        self._stop.set()
        self._thread.join()
        self.seconds = self._own() - self._start + sum(self.seen.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    try:
        cpu = TreeCPU()
    except ImportError:
        cpu = None
    t0 = time.perf_counter()
    if cpu is not None:
        cpu.__enter__()
    result = evaluate(frame, ["plqy", "eqe", "peak_nm"], modes=("absolute", "paired"), n_jobs=args.jobs)
    total = time.perf_counter() - t0
    if cpu is not None:
        cpu.__exit__(None, None, None)
    folds = sum(e["n_folds"] for e in result.entries)
    choices = sum(e.get("n_selections") or 0 for e in result.entries)
    print(f"rows={len(frame)} entries={len(result.entries)} outer_folds={folds} model_choices={choices}")
    cpu_text = f" cpu_seconds={cpu.seconds:.1f} target_cpu_seconds=100" if cpu is not None else ""
    print(f"total_seconds={total:.1f} target_seconds=60 ratio_to_target={total / 60:.2f}{cpu_text}")


if __name__ == "__main__":
    main()

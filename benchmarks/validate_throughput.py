"""``qdml validate`` of a million rows: seconds, rows/s and peak memory, in a fresh process.

    python benchmarks/validate_throughput.py [--n 1000000]

The file is the bundled dataset's real rows repeated until there are ``n`` (every column but the
long ``evidence``, ``source`` and ``doi`` texts, as a lab's own file has none), each copy made
distinct by its ``reference`` and ``pair_id`` so that no row is an exact duplicate: the flagged
rows stay flagged, so the warnings path is timed too. The time counts reading, every rule and
the chemistry checks; ``peak_mib`` is the process's peak resident memory, interpreter included.
Targets: 10^6 rows under 60 s and under 1 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def write_file(path: str, n: int) -> int:
    from qdml.data import dataset_path

    with open(dataset_path(), encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    keep = [i for i, c in enumerate(header) if c not in ("evidence", "source", "doi")]
    ref, pid = header.index("reference"), header.index("pair_id")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([header[i] for i in keep])
        written, copy = 0, 0
        while written < n:
            whole = (copy + 1) * len(body) <= n  # a cut copy loses its pairs' ids (no half pairs)
            for row in body[: n - written]:
                row = list(row)
                row[ref] = f"{row[ref]} #{copy}"
                if row[pid]:
                    row[pid] = f"{row[pid]}-{copy}" if whole else ""
                w.writerow([row[i] for i in keep])
            written += min(len(body), n - (copy * len(body)))
            copy += 1
    return os.path.getsize(path)


def one(path: str) -> dict:
    from qdml.validation import read_validated

    t0 = time.perf_counter()
    data = read_validated(path)
    seconds = time.perf_counter() - t0
    return {"rows": data.n_rows, "flagged": len(data.warnings), "seconds": seconds,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "lab.csv")
        size = write_file(path, args.n)
        out = subprocess.run([sys.executable, __file__, "--one", path], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"rows={r['rows']} file_mib={size / 2**20:.0f} flagged={r['flagged']} seconds={r['seconds']:.1f} "
          f"rate={r['rows'] / r['seconds']:.0f}/s peak_mib={r['peak_mib']:.0f} (targets: < 60 s, < 1024 MiB)")


if __name__ == "__main__":
    main()

"""``add_data``: append a user's validated rows to a dataset, atomically, under a file lock.

Existing lines stay byte-identical (new rows are appended, old ones never re-serialised); a
failed validation changes nothing; two runs at once queue on the lock and no row is lost.
"""

from __future__ import annotations

import csv
import io
import os
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from qdml.data import dataset_path
from qdml.data.io import atomic_write, read_csv_text
from qdml.data.schema import MEASURED
from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.validation import validate_records

LOCK_TIMEOUT_S = 120


@dataclass
class MergeReport:
    into: str
    added: int
    skipped_duplicates: list[int] = field(default_factory=list)  # lines in the new file
    dropped_columns: list[str] = field(default_factory=list)
    rows_after: int = 0


def _row_key(values: dict, columns: list[str]) -> tuple:
    """Compare rows by meaning: numbers as floats (17.30 == 17.3), text stripped."""
    key = []
    for c in columns:
        v = str(values.get(c, "") or "").strip()
        if c in MEASURED and v:
            try:
                v = repr(float(v.replace(" ", "")))
            except ValueError:
                pass
        key.append(v)
    return tuple(key)


def _inside_installed_package(path: Path) -> bool:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    try:
        path.resolve().relative_to(site)
        return True
    except ValueError:
        return False


def add_data(new: str | os.PathLike, into: str | os.PathLike | None = None) -> MergeReport:
    """Validate ``new`` like any dataset and append its rows to ``into`` (default: the bundled data)."""
    from filelock import FileLock, Timeout


    target = Path(into) if into else Path(dataset_path())
    if into is None and _inside_installed_package(target):
        raise QdmlError(
            f"{target} is inside the installed package; pass --into YOUR_DATASET.csv (copy the bundled one first)"
        )
    new_raw = read_csv_text(new)
    validate_records(new_raw, check_pairs=False)  # same rules, same messages: file, line, column
    lock = FileLock(str(target) + ".lock")
    try:
        with lock.acquire(timeout=LOCK_TIMEOUT_S):
            return _merge_locked(Path(new), new_raw, target)
    except Timeout:
        raise QdmlError(f"{target}: another add-data holds the lock for over {LOCK_TIMEOUT_S} s") from None


def _merge_locked(new_path: Path, new_raw, target: Path) -> MergeReport:
    old_bytes = target.read_bytes()
    old_raw = read_csv_text(target, old_bytes)
    header = old_raw.header
    old_keys = {_row_key(dict(zip(header, rec)), header) for rec in old_raw.records}
    dropped = [c for c in new_raw.header if c not in header]
    report = MergeReport(str(target), 0, [], dropped)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=old_raw.delimiter, lineterminator="\n")
    for line, rec in zip(new_raw.lines, new_raw.records):
        values = dict(zip(new_raw.header, rec))
        if "source" in header and not str(values.get("source", "")).strip():
            values["source"] = f"user file {new_path.name}, line {line}"
        row = [str(values.get(c, "") or "") for c in header]
        key = _row_key(dict(zip(header, row)), header)
        if key in old_keys:
            report.skipped_duplicates.append(line)
            continue
        old_keys.add(key)
        writer.writerow(row)
        report.added += 1
    if not report.added:
        report.rows_after = len(old_raw.records)
        return report
    sep = b"" if old_bytes.endswith(b"\n") or not old_bytes else b"\n"
    encoding_bom = old_bytes.startswith(b"\xef\xbb\xbf")
    merged = old_bytes + sep + buffer.getvalue().encode("utf-8")
    if encoding_bom and not merged.startswith(b"\xef\xbb\xbf"):
        merged = b"\xef\xbb\xbf" + merged
    try:
        checked = validate_records(read_csv_text(target, merged))
    except ValidationError as exc:
        # Problems of the merged file concern the new rows (the old file was valid): say so.
        raise ValidationError(
            [Problem(str(new_path), None, p.column, f"after merging into {target}: {p.message}") for p in exc.problems]
        ) from None
    with atomic_write(target, "wb", encoding=None) as fh:
        fh.write(merged)
    report.rows_after = checked.n_rows
    return report

"""``add_data``: append a user's validated rows to a dataset, atomically, under a file lock.

Existing lines stay byte-identical (new rows are appended, old ones never re-serialised); a
failed validation changes nothing; two runs at once queue on the lock and no row is lost, and
no lock file is left behind. A missing, read-only or folder target is refused before any work.
"""

from __future__ import annotations

import csv
import io
import os
import sysconfig
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qdml.data import dataset_path
from qdml.data.io import atomic_write, guard_cell, is_read_only, read_csv_text
from qdml.data.schema import MEASURED, parse_number
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
    warnings: list[str] = field(default_factory=list)  # FILE:LINE: message, e.g. an unpaired control


def pairing_warnings(path: str, header: list[str], records: list[list[str]], lines: list[int], into: str) -> list[str]:
    """Rows that will not pair: a control without ``pair_id``, or an untreated sample not marked as control.

    A control pairs with its treated rows through a shared ``pair_id``; without one the paired
    model (what a treatment changes from the control) never sees it. Validation cannot refuse
    these rows (an unpaired control is a legal row), so they are warned about, with the fix.
    """
    from qdml.chemistry.ligands import parse_ligand

    out = []
    stem = Path(path).stem
    for line, rec in zip(lines, records):
        values = dict(zip(header, rec))
        role = str(values.get("role", "") or "").strip()
        pair = str(values.get("pair_id", "") or "").strip()
        ligand = str(values.get("ligand", "") or "").strip()
        qd = str(values.get("qd", "") or "").strip().replace(" ", "")
        suggestion = f"{stem}-{qd}" if qd else f"{stem}-1"
        if role == "control" and not pair:
            out.append(
                f"{path}:{line}: column 'pair_id': control row ({ligand} on {qd}) landed in {into} without a "
                f"pair_id, so no treated row pairs with it and the paired model cannot learn from it; to pair it, "
                f"give it and its treated rows one shared pair_id (e.g. '{suggestion}') in {into}"
            )
            continue
        if role != "control":
            try:
                untreated = parse_ligand(ligand).name == "native"
            except QdmlError:
                untreated = False
            if untreated:
                out.append(
                    f"{path}:{line}: column 'role': ligand '{ligand}' reads as the untreated sample but role is "
                    f"'{role or 'empty'}', so it landed in {into} as a treatment; if it is your control, set "
                    f"role=control and a pair_id shared with its treated rows (e.g. '{suggestion}') there"
                )
    return out


def _row_key(values: dict, columns: list[str], decimal: str = ".") -> tuple:
    """Compare rows by meaning: numbers as floats (17.30 == 17.3), text stripped."""
    key = []
    for c in columns:
        v = str(values.get(c, "") or "").strip()
        if c in MEASURED and v:
            number = parse_number(v, decimal)
            if isinstance(number, float):
                v = repr(number)
        key.append(v)
    return tuple(key)


def _inside_installed_package(path: Path) -> bool:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    try:
        path.resolve().relative_to(site)
        return True
    except ValueError:
        return False


def _check_target(target: Path, new: Path) -> None:
    """Refuse, before reading anything, a dataset add-data must not or cannot change."""
    flag = f"--into {target}"
    if target.is_dir():
        raise QdmlError(f"{flag}: is a folder, not a dataset file")
    if not target.exists():
        if not target.parent.is_dir():
            raise QdmlError(f"{flag}: folder {target.parent} does not exist (add-data creates no folders)")
        raise QdmlError(f"{flag}: file not found; add-data extends an existing dataset "
                        "(copy the bundled datasets/qd_ligand_literature.csv to start one)")
    if not target.is_file():
        raise QdmlError(f"{flag}: is not a regular file")
    if is_read_only(target):
        raise QdmlError(f"{flag}: file is read-only; refusing to change it")
    if is_read_only(target.parent):
        raise QdmlError(f"{flag}: folder {target.parent} is read-only (the merged file is written beside "
                        "the dataset and renamed over it)")
    try:
        if os.path.samefile(target, new):
            raise QdmlError(f"{flag}: is also NEW.csv; nothing to add")
    except OSError:
        pass


def add_data(new: str | os.PathLike, into: str | os.PathLike | None = None) -> MergeReport:
    """Validate ``new`` like any dataset and append its rows to ``into`` (default: the bundled data)."""

    target = Path(into) if into is not None else Path(dataset_path())
    if into is None and _inside_installed_package(target):
        raise QdmlError(
            f"{target} is inside the installed package; pass --into YOUR_DATASET.csv (copy the bundled one first)"
        )
    _check_target(target, Path(new))
    new_raw = read_csv_text(new)
    validate_records(new_raw, check_pairs=False)  # same rules, same messages: file, line, column
    with dataset_lock(target, LOCK_TIMEOUT_S):
        return _merge_locked(Path(new), new_raw, target)


@contextmanager
def dataset_lock(target: Path, timeout: float):
    """Hold an exclusive lock on ``target`` (a ``TARGET.lock`` file), and leave no lock file behind.

    Removing a lock file is safe only while holding it, and a waiter that wakes up holding a
    removed file must try again, or two runs could each hold "the" lock. On POSIX that is done
    here with ``flock``; elsewhere ``filelock`` (which removes its file on Windows) does it.
    """
    lock_path = target.with_name(target.name + ".lock")
    if os.name != "posix":  # pragma: no cover - exercised on Windows only
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(lock_path)).acquire(timeout=timeout):
                yield
        except Timeout:
            raise QdmlError(f"{target}: another add-data holds the lock for over {timeout:g} s") from None
        return
    import fcntl

    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise QdmlError(f"{target}: cannot create the lock file {lock_path} ({exc.strerror})") from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise QdmlError(f"{target}: another add-data holds the lock for over {timeout:g} s") from None
                    time.sleep(0.05)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
                break  # the file we lock is the one at lock_path: the lock is ours
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the previous holder removed it: lock the new one
    try:
        yield
    finally:
        try:
            os.unlink(lock_path)
        except FileNotFoundError:
            pass
        os.close(fd)


def _convert_decimal(text: str, mark_from: str, mark_to: str) -> str:
    """A number cell written with the target file's decimal mark (82,5 -> 82.5), as given otherwise."""
    if mark_from == mark_to or not isinstance(parse_number(text, mark_from), float):
        return text
    return text.strip().replace(mark_from, mark_to)


def _merge_locked(new_path: Path, new_raw, target: Path) -> MergeReport:
    old_bytes = target.read_bytes()
    old_raw = read_csv_text(target, old_bytes)
    header = old_raw.header
    old_keys = {_row_key(dict(zip(header, rec)), header, old_raw.decimal) for rec in old_raw.records}
    dropped = [c for c in new_raw.header if c not in header]
    report = MergeReport(str(target), 0, [], dropped)
    added_records, added_lines = [], []
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=old_raw.delimiter, lineterminator="\n")
    appended: list[int] = []  # line in NEW.csv of each appended row
    for line, rec in zip(new_raw.lines, new_raw.records):
        values = dict(zip(new_raw.header, rec))
        if "source" in header and not str(values.get("source", "")).strip():
            values["source"] = f"user file {new_path.name}, line {line}"
        row = [str(values.get(c, "") or "") for c in header]
        row = [_convert_decimal(v, new_raw.decimal, old_raw.decimal) if c in MEASURED else v for c, v in zip(header, row)]
        key = _row_key(dict(zip(header, row)), header, old_raw.decimal)
        if key in old_keys:
            report.skipped_duplicates.append(line)
            continue
        old_keys.add(key)
        writer.writerow([guard_cell(v) for v in row])
        appended.append(line)
        report.added += 1
        added_records.append(rec)
        added_lines.append(line)
    if not report.added:
        report.rows_after = len(old_raw.records)
        return report
    sep = b"" if old_bytes.endswith(b"\n") or not old_bytes else b"\n"
    encoding_bom = old_bytes.startswith(b"\xef\xbb\xbf")
    merged = old_bytes + sep + buffer.getvalue().encode("utf-8")
    if encoding_bom and not merged.startswith(b"\xef\xbb\xbf"):
        merged = b"\xef\xbb\xbf" + merged
    merged_raw = read_csv_text(target, merged)
    try:
        checked = validate_records(merged_raw)
    except ValidationError as exc:
        raise ValidationError(_locate(exc.problems, merged_raw, appended, new_path, target)) from None
    with atomic_write(target, "wb", encoding=None) as fh:
        fh.write(merged)
    report.rows_after = checked.n_rows
    report.warnings = pairing_warnings(str(new_path), new_raw.header, added_records, added_lines, str(target))
    return report


def _locate(problems: list[Problem], merged, appended: list[int], new_path: Path, target: Path) -> list[Problem]:
    """Problems of the merged file, each pointed at a line of NEW.csv (the old file was valid).

    A problem of an appended row names that row's line in NEW.csv; a pair that starts in the old
    file names the first new row of the same pair; anything else names the dataset's line.
    """
    n_old = len(merged.lines) - len(appended)
    origin = dict(zip(merged.lines[n_old:], appended))
    records = dict(zip(merged.lines, merged.records))
    pid = merged.header.index("pair_id") if "pair_id" in merged.header else None
    out = []
    for p in problems:
        where = f"after merging into {target}"
        if p.line in origin:
            out.append(Problem(str(new_path), origin[p.line], p.column, f"{p.message} ({where}, its line {p.line})"))
            continue
        if p.column == "pair_id" and pid is not None and p.line in records:
            value = records[p.line][pid].strip()
            mates = [origin[line] for line in merged.lines[n_old:] if records[line][pid].strip() == value]
            if mates:
                out.append(Problem(str(new_path), mates[0], p.column,
                                   f"{p.message} ({where}; the pair starts at its line {p.line})"))
                continue
        out.append(Problem(str(target), p.line, p.column, f"after merging {new_path}: {p.message}"))
    return out

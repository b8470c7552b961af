"""Reading CSV text strictly (encoding, delimiter, field counts) and writing files atomically.

Every problem is reported with the file, the line as an editor shows it (header = line 1) and
the column, because the people who fix these files do it by hand in a spreadsheet or editor.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qdml.exceptions import Problem, ValidationError


@dataclass
class RawTable:
    """A CSV file read as strings: header, records and the file line where each record starts."""

    path: str
    header: list[str]
    records: list[list[str]]
    lines: list[int]
    delimiter: str
    raw_bytes: bytes


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            [
                Problem(
                    path,
                    line,
                    None,
                    f"file is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                    "save it as 'CSV UTF-8' in your spreadsheet program",
                )
            ]
        ) from None


def _sniff_delimiter(header_line: str) -> str:
    """Comma by default; a header with semicolons and no comma is a European-locale export."""
    if "," not in header_line and header_line.count(";") >= 1:
        return ";"
    if "," not in header_line and header_line.count("\t") >= 1:
        return "\t"
    return ","


def read_csv_text(path: str | os.PathLike, data: bytes | None = None) -> RawTable:
    """Read a CSV file into strings, refusing anything that would be half-read.

    Raises
    ------
    ValidationError
        With one :class:`Problem` per bad line (wrong field count), or for a file that is
        missing, empty, header-only or not UTF-8.
    """
    spath = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise ValidationError([Problem(spath, None, None, "file not found")]) from None
        except IsADirectoryError:
            raise ValidationError([Problem(spath, None, None, "is a directory, not a CSV file")]) from None
    text = _decode(spath, data)
    if not text.strip():
        raise ValidationError([Problem(spath, None, None, "file is empty: expected a header line and data rows")])
    first_line = text.splitlines()[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1
    try:
        for fields in reader:
            this_start, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line: nothing to read, nothing lost
            if header is None:
                header = [f.strip() for f in fields]
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(
                        spath,
                        this_start,
                        None,
                        f"row has {len(fields)} fields but the header has {len(header)}"
                        + (" (an unquoted comma inside a value?)" if len(fields) > len(header) else ""),
                    )
                )
                continue
            records.append(fields)
            lines.append(this_start)
    except csv.Error as exc:
        problems.append(Problem(spath, reader.line_num, None, f"malformed CSV: {exc}"))
    if header is None:
        problems.append(Problem(spath, None, None, "file is empty: expected a header line and data rows"))
    elif not records and not problems:
        problems.append(Problem(spath, 1, None, "file has a header but no data rows"))
    if header is not None:
        seen: set[str] = set()
        for name in header:
            if name in seen:
                problems.append(Problem(spath, 1, name, "column appears twice in the header"))
            seen.add(name)
            if not name:
                problems.append(Problem(spath, 1, None, "header has an empty column name"))
    if problems:
        raise ValidationError(problems)
    return RawTable(spath, header, records, lines, delimiter, data)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Write to a temporary file in the same folder, then rename over ``path``.

    Readers see the old file or the new one, never a half-written one; on any exception the
    target is untouched and the temporary file removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        kwargs = {"encoding": encoding, "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:  # mkstemp makes the file private; a new file gets the usual umask
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

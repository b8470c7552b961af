"""Reading CSV text strictly (encoding, delimiter, field counts) and writing files atomically.

Every problem is reported with the file, the line as an editor shows it (header = line 1) and
the column, because the people who fix these files do it by hand in a spreadsheet or editor.
"""

from __future__ import annotations

import array
import csv
import hashlib
import itertools
import logging
import math
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.exceptions import Problem, QdmlError, ValidationError

log = logging.getLogger(__name__)


@dataclass
class RawTable:
    """A CSV file read as strings: header, records and the file line where each record starts."""

    path: str
    header: list[str]
    records: list[list[str]]
    lines: list[int]
    delimiter: str
    raw_bytes: bytes
    #: decimal mark of the file's numbers: "," in a semicolon export from a European spreadsheet
    decimal: str = "."
    notes: list[Problem] = field(default_factory=list)


def _utf16_kind(data: bytes) -> str | None:
    """"UTF-16LE"/"UTF-16BE"/"UTF-32" when the bytes are wide-character text, else None.

    A UTF-16 file without a byte-order mark decodes as "valid" UTF-8 (NUL is a character), and
    then fails with a baffling field-count error; NUL bytes never occur in a text CSV, so their
    place says what the file is.
    """
    head = data[:4096]
    for bom, kind in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16LE"), (b"\xfe\xff", "UTF-16BE")):
        if head.startswith(bom):
            return kind
    if b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return "UTF-16LE" if odd > even else "UTF-16BE"


def _decode(path: str, data: bytes) -> str:
    wide = _utf16_kind(data)
    if wide:
        raise ValidationError(
            [Problem(path, None, None, f"file is {wide} text, not UTF-8; save it as 'CSV UTF-8' in your spreadsheet program")]
        )
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


# --------------------------------------------------------------------------- decimal commas

_COMMA_NUMBER = re.compile(r"[+-]?[0-9]+,[0-9]+")


def _compact(text: str) -> str:
    return text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")


def _decimal_mark(delimiter: str, records: list[list[str]]) -> tuple[str, str | None]:
    """The file's decimal mark and a cell that shows it.

    A European spreadsheet exports semicolon-separated files with decimal commas (``82,5``).
    Only a file that is not comma-separated can hold them unquoted, and only an unambiguous cell
    decides: ``48,000`` may be 48000 (a thousands separator) or 48.0, so a file whose comma
    numbers all have three digits after the comma keeps the decimal point (and those cells fail
    as numbers, with a hint).
    """
    if delimiter == ",":
        return ".", None
    for rec in records:
        for cell in rec:
            c = _compact(cell)
            if _COMMA_NUMBER.fullmatch(c):
                whole, frac = c.lstrip("+-").split(",")
                if len(frac) != 3 or whole.lstrip("0") == "":
                    return ",", cell.strip()
    return ".", None


# --------------------------------------------------------------------------- spreadsheet safety

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def guard_cell(value):
    """A text cell as a spreadsheet must show it: ``'=A1`` for ``=A1`` (the OWASP rule).

    Numbers (``-3.5``) and text that does not start with ``= + - @`` (``SO4 2-``) are unchanged;
    :func:`unguard_cell` undoes it, so qdml reads back the original value.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def unguard_cell(value: str) -> str:
    """The value :func:`guard_cell` protected: ``'=A1`` -> ``=A1``; anything else unchanged."""
    if len(value) > 1 and value[0] == "'" and value[1] in "".join(FORMULA_START):
        return value[1:]
    return value


def guard_frame(frame):
    """A copy of ``frame`` whose text cells and column names are spreadsheet-safe."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(guard_cell)
    out.columns = [guard_cell(str(c)) for c in out.columns]
    return out


def csv_text(frame, index: bool = False) -> str:
    """``frame`` as CSV text with spreadsheet-safe cells (for downloads; files use :func:`write_csv`)."""
    return guard_frame(frame).to_csv(index=index)


def write_csv(frame, path: str | os.PathLike, index: bool = False) -> None:
    """Write ``frame`` as CSV atomically with spreadsheet-safe text (every qdml CSV output goes here)."""
    with atomic_write(path) as fh:
        guard_frame(frame).to_csv(fh, index=index)


# --------------------------------------------------------------------------- reading

#: One physical line with its terminator, as ``io.StringIO(text, newline="")`` yields them
#: (``\r\n``, ``\r`` or ``\n``), without StringIO's copy of the whole text at 4 bytes a character.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
#: One line as ``str.splitlines`` cuts them (its terminator matched, not kept in group 1).
_SPLITLINE = re.compile("([^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*)(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|$)")
_EMPTY = "file is empty: expected a header line and data rows"


def _first_filled_line(text: str) -> str | None:
    """``next(line for line in text.splitlines() if line.strip())``, without splitting it all."""
    for m in _SPLITLINE.finditer(text):
        if m.group(1).strip():
            return m.group(1)
        if m.end() == len(text):
            break
    return None


def _unreadable(spath: str, exc: OSError) -> ValidationError:
    """The one-line problem of a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        why = "file not found"
    elif isinstance(exc, IsADirectoryError):
        why = "is a folder, not a CSV file"
    else:
        why = f"cannot read the file ({exc.strerror or exc})"
    return ValidationError([Problem(spath, None, None, why)])


def _read_bytes(spath: str, path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(spath, exc) from None


def _parse(spath: str, first_line: str, lines, add) -> tuple[list[str], str]:
    """Check and parse CSV lines, calling ``add(fields, line)`` for every record; return (header, delimiter).

    The one implementation of the rules of :func:`read_csv_text`: every problem is collected
    and raised together. ``first_line`` (the first line with text) names the delimiter;
    ``lines`` yields the text line by line, terminators kept. The header's cells are unguarded
    here, the records' by ``add``.
    """
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    n_records = 0
    problems: list[Problem] = []
    start = 1
    try:
        for fields in reader:
            this_start, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line: nothing to read, nothing lost
            if header is None:
                header = [unguard_cell(f.strip()) for f in fields]
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
            add(fields, this_start)
            n_records += 1
    except csv.Error as exc:
        problems.append(Problem(spath, reader.line_num, None, f"malformed CSV: {exc}"))
    if header is None:
        problems.append(Problem(spath, None, None, _EMPTY))
    elif not n_records and not problems:
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
    return header, delimiter


def _decimal_notes(spath: str, delimiter: str, decimal: str, example: str | None) -> list[Problem]:
    notes = []
    if decimal == ",":
        notes.append(Problem(spath, None, None, f"decimal commas read as decimal points ({example!r} is "
                                                f"{_compact(example).replace(',', '.')}): a {'semicolon' if delimiter == ';' else 'tab'}-separated export"))
        for note in notes:
            log.warning("%s", note)
    return notes


def read_csv_text(path: str | os.PathLike, data: bytes | None = None) -> RawTable:
    """Read a CSV file into strings, refusing anything that would be half-read.

    Cells that :func:`guard_cell` protected are read back as written by the user.

    Raises
    ------
    ValidationError
        With one :class:`Problem` per bad line (wrong field count), or for a file that is
        missing, empty, header-only, not UTF-8 or not a file.
    """
    spath = str(path)
    if data is None:
        data = _read_bytes(spath, path)
    text = _decode(spath, data)
    if not text.strip():
        raise ValidationError([Problem(spath, None, None, _EMPTY)])
    records: list[list[str]] = []
    lines: list[int] = []

    def add(fields, line):
        records.append([unguard_cell(f) for f in fields])
        lines.append(line)

    header, delimiter = _parse(spath, _first_filled_line(text), (m.group() for m in _LINE.finditer(text)), add)
    decimal, example = _decimal_mark(delimiter, records)
    return RawTable(spath, header, records, lines, delimiter, data, decimal,
                    _decimal_notes(spath, delimiter, decimal, example))


@dataclass
class ColumnTable:
    """A CSV file read as columns of text (pandas ``str`` Series), for files of a million rows.

    The same checks, unguarding and decimal mark as :func:`read_csv_text`; a million rows of
    text cost their bytes (Arrow buffers, where pyarrow is installed), not a Python object per cell.
    """

    path: str
    header: list[str]
    columns: list[pd.Series]
    lines: np.ndarray
    delimiter: str
    sha256: str
    decimal: str = "."
    notes: list[Problem] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.lines)

    @classmethod
    def from_raw(cls, raw: RawTable) -> ColumnTable:
        columns = [pd.Series([rec[j] for rec in raw.records], dtype="str") for j in range(len(raw.header))]
        return cls(raw.path, raw.header, columns, np.asarray(raw.lines, dtype=np.int64), raw.delimiter,
                   hashlib.sha256(raw.raw_bytes).hexdigest(), raw.decimal, list(raw.notes))


class _Columns:
    """Collects records block by block into per-column text Series, unguarding cells on the way."""

    BLOCK = 16384

    def __init__(self):
        self.block: list[list[str]] = []
        self.lines = array.array("q")
        self.parts: list[list[pd.Series]] = []

    def add(self, fields, line) -> None:
        self.block.append(fields)
        self.lines.append(line)
        if len(self.block) >= self.BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self.block:
            return
        if not self.parts:
            self.parts = [[] for _ in self.block[0]]
        for j, values in enumerate(zip(*self.block)):
            col = pd.Series(values, dtype="str")
            guarded = col.str.startswith("'").to_numpy(dtype=bool)
            if guarded.any():
                col[guarded] = [unguard_cell(v) for v in col[guarded]]
            self.parts[j].append(col)
        self.block = []

    def columns(self, width: int) -> list[pd.Series]:
        self.flush()
        if not self.parts:
            return [pd.Series([], dtype="str") for _ in range(width)]
        out = []
        for j in range(len(self.parts)):
            parts, self.parts[j] = self.parts[j], []
            out.append(pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])
        return out


def _decimal_mark_columns(delimiter: str, columns: list[pd.Series]) -> tuple[str, str | None]:
    """:func:`_decimal_mark` on columns: the first deciding cell in row order, then column order."""
    if delimiter == ",":
        return ".", None
    best: tuple[int, int, str] | None = None
    for j, col in enumerate(columns):
        maybe = np.flatnonzero(col.str.contains(",", regex=False).to_numpy(dtype=bool))
        for i in maybe:
            if best is not None and i > best[0]:
                break
            decimal, example = _decimal_mark(delimiter, [[col.iat[i]]])
            if decimal == ",":
                best = min(best or (i, j, example), (i, j, example))
                break
    return (",", best[2]) if best else (".", None)


_CHUNK = 1 << 23


def _pieces(spath: str, path, sha):
    """The file's text in pieces that end at a ``\n``, hashing the bytes on the way.

    The whole file is never in memory (a million-row file is hundreds of MB, and its text up to
    four times that). Wide-character and non-UTF-8 files are reported as :func:`read_csv_text`
    reports them (from the whole file, read again: it is about to be refused anyway).
    """
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise _unreadable(spath, exc) from None
    with fh:
        carry, first = b"", True
        while True:
            try:
                block = fh.read(_CHUNK)
            except OSError as exc:
                raise _unreadable(spath, exc) from None
            sha.update(block)
            data = carry + block
            if first and _utf16_kind(data):
                _decode(spath, data)  # raises: wide-character text
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if block and not cut:
                carry = data
                continue
            piece, carry = data[:cut], data[cut:]
            try:
                yield piece.decode("utf-8-sig" if first else "utf-8")
            except UnicodeDecodeError:
                _decode(spath, _read_bytes(spath, path))  # raises the usual message
                raise
            first = False
            if not block:
                return


def read_csv_columns(path: str | os.PathLike) -> ColumnTable:
    """Read a CSV file into columns, with every check of :func:`read_csv_text` (same problems).

    The file is read in pieces of 8 MB; memory is the text of the columns, not the file.
    """
    spath = str(path)
    sha = hashlib.sha256()
    pieces = _pieces(spath, path, sha)
    seen: list[str] = []
    first_line = None
    for text in pieces:  # the first line with text names the delimiter
        seen.append(text)
        first_line = _first_filled_line(text)
        if first_line is not None:
            break
    if first_line is None:
        raise ValidationError([Problem(spath, None, None, _EMPTY)])
    lines = (m.group() for text in itertools.chain(seen, pieces) for m in _LINE.finditer(text))
    sink = _Columns()
    header, delimiter = _parse(spath, first_line, lines, sink.add)
    for _ in pieces:  # hash to the end (a file may end in blank lines the reader stopped before)
        pass
    columns = sink.columns(len(header))
    decimal, example = _decimal_mark_columns(delimiter, columns)
    return ColumnTable(spath, header, columns, np.asarray(sink.lines, dtype=np.int64), delimiter,
                       sha.hexdigest(), decimal, _decimal_notes(spath, delimiter, decimal, example))


# --------------------------------------------------------------------------- writing


def is_read_only(path: str | os.PathLike) -> bool:
    """True when ``path`` exists and must not be written.

    Besides the permission check, a file (or folder) with no write bit at all counts as read-only:
    root may write anything, but ``chmod 444`` says what its owner meant.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError:
        return False
    return not os.access(p, os.W_OK) or not mode & 0o222


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_output(
    path: str | os.PathLike, flag: str = "--output", inputs=(), create_parent: bool = True
) -> Path:
    """Refuse, before any work, an output path that cannot or must not be written.

    Refused: an empty path, a folder, one of the command's ``inputs`` (writing there would
    destroy the input), a read-only file, a parent that is a file or a read-only folder, and a
    missing parent folder when ``create_parent`` is False.
    """
    if not str(path).strip():
        raise QdmlError(f"{flag}: empty file name")
    p = Path(path)
    if p.is_dir():
        raise QdmlError(f"{flag} {path}: is a folder; give a file name")
    for inp in inputs:
        if inp is not None and str(inp) and _same_file(p, Path(inp)):
            raise QdmlError(f"{flag} {path}: is also an input of this command ({inp}); "
                            "write the output to another file")
    if p.exists() and is_read_only(p):
        raise QdmlError(f"{flag} {path}: file is read-only; refusing to replace it")
    parent = p.parent
    if (parent / "metadata.json").is_file() and (parent / "checksums.sha256").is_file():
        raise QdmlError(f"{flag} {path}: is inside the model bundle {parent}; write the output elsewhere")
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing != parent and not create_parent:
        raise QdmlError(f"{flag} {path}: folder {parent} does not exist")
    if not existing.is_dir():
        raise QdmlError(f"{flag} {path}: {existing} is not a folder")
    if is_read_only(existing):
        raise QdmlError(f"{flag} {path}: folder {existing} is read-only")
    return p


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Write to a temporary file in the same folder, then rename over ``path``.

    Readers see the old file or the new one, never a half-written one; on any exception the
    target is untouched and the temporary file removed. A folder or a read-only file at ``path``
    is refused (a rename would replace a read-only file without asking).
    """
    target = Path(path)
    if target.is_dir():
        raise QdmlError(f"{target}: is a folder; refusing to replace it with a file")
    if is_read_only(target):
        raise QdmlError(f"{target}: file is read-only; refusing to replace it")
    if is_read_only(target.parent):
        raise QdmlError(f"{target}: folder {target.parent} is read-only")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise QdmlError(f"{target}: cannot write here ({exc.strerror or exc})") from None
    try:
        kwargs = {"encoding": encoding, "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            else:  # mkstemp makes the file private; a new file gets the usual umask
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except OSError as exc:
            raise QdmlError(f"{target}: cannot replace the file ({exc.strerror or exc})") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

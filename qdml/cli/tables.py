"""Terminal tables that fit the terminal: cells wrap at spaces, low-priority columns drop, no value is cut.

Rich squeezes a table that is too wide by cutting cells ("lig..."); a chemist then cannot read
the ligand or the number. Here each column's narrowest width is its longest word (a value is
never split), columns are dropped from the least important up until the rest fits, and the
table says which columns it left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich import box
from rich.cells import cell_len
from rich.table import Table

from qdml.targets import TARGETS, Target

#: Width used when the output is not a terminal and $COLUMNS is not set.
DEFAULT_WIDTH = 80


@dataclass
class Column:
    """One column: header, cell texts, and how much it matters (0 = never dropped)."""

    header: str
    cells: list[str]
    priority: int = 0
    justify: str = "left"
    min_width: int = field(init=False)
    max_width: int = field(init=False)

    def __post_init__(self):
        words = [w for text in [self.header, *self.cells] for w in str(text).split()]
        self.min_width = max([cell_len(w) for w in words] + [1])
        lines = [line for text in [self.header, *self.cells] for line in str(text).splitlines() or [""]]
        self.max_width = max([cell_len(line) for line in lines] + [1])


def _table_width(widths: list[int]) -> int:
    # box.SIMPLE_HEAD without edges or edge padding: one pad either side of each inner column
    # boundary and a one-character divider between columns
    n = len(widths)
    return sum(widths) + 3 * (n - 1) if n else 0


def layout(columns: list[Column], width: int) -> tuple[list[Column], list[int], list[Column]]:
    """(kept columns, their widths, dropped columns) so that the table fits ``width``."""
    kept = list(columns)
    dropped: list[Column] = []
    while _table_width([c.min_width for c in kept]) > width:
        candidates = [c for c in kept if c.priority > 0]
        if not candidates:
            break  # only essential columns left: wider than the terminal, but nothing is cut
        worst = max(candidates, key=lambda c: (c.priority, kept.index(c)))
        kept.remove(worst)
        dropped.append(worst)
    widths = [c.max_width for c in kept]
    while _table_width(widths) > width:
        slack = [(w - c.min_width, w, i) for i, (c, w) in enumerate(zip(kept, widths)) if w > c.min_width]
        if not slack:
            break
        _, _, i = max(slack, key=lambda s: (s[1], s[0]))  # narrow the widest column that can wrap
        widths[i] -= 1
    return kept, widths, dropped


def build_table(columns: list[Column], width: int) -> tuple[Table, list[Column]]:
    """A rich Table of the columns that fit ``width`` (and the columns left out)."""
    kept, widths, dropped = layout(columns, width)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col, w in zip(kept, widths):
        table.add_column(col.header, justify=col.justify, width=w, overflow="fold")
    n = max((len(c.cells) for c in kept), default=0)
    for i in range(n):
        table.add_row(*[c.cells[i] if i < len(c.cells) else "" for c in kept])
    return table, dropped


def show(console, columns: list[Column], title: str | None = None, more_rows: int = 0, hint: str = "") -> None:
    """Print the table on ``console``; say which columns did not fit and how many rows are not shown."""
    table, dropped = build_table(columns, console.width)
    if title:  # above the table, wrapped at words to the terminal (a table title wraps to the table)
        console.print(title, markup=False, highlight=False, soft_wrap=False, style="bold")
    console.print(table, soft_wrap=False)
    notes = []
    if more_rows:
        notes.append(f"{more_rows} more row(s) not shown")
    if dropped:
        notes.append("columns left out to fit the terminal: " + ", ".join(c.header for c in dropped))
    if notes:
        console.print("; ".join(notes) + (f" ({hint})" if hint else ""), markup=False, highlight=False,
                      soft_wrap=False)


# --------------------------------------------------------------------------- cell formats


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def number(value, decimals: int) -> str:
    """A number with ``decimals`` places; '' for missing (never ``nan`` or ``1.38e+03``)."""
    if is_missing(value):
        return ""
    text = f"{float(value):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def compact(value, max_decimals: int = 3) -> str:
    """At most ``max_decimals`` places, trailing zeros dropped: 1380, 2.8, 0.125 (never 1.38e+03)."""
    text = number(value, max_decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def value(target: Target | str, v) -> str:
    t = TARGETS[target] if isinstance(target, str) else target
    return t.format(v)


def with_interval(target: Target | str, pred, lo, hi) -> str:
    """``56.2 (31.0–80.1)``: the prediction, then its interval; '-' where there is no prediction."""
    t = TARGETS[target] if isinstance(target, str) else target
    if is_missing(pred):
        return "-"
    if is_missing(lo) or is_missing(hi):
        return t.format(pred)
    return f"{t.format(pred)} ({t.format(lo)}–{t.format(hi)})"


def yes_no(flag) -> str:
    return "yes" if bool(flag) else "no"


def frame_columns(frame, priorities: dict | None = None, headers: dict | None = None,
                  decimals: dict | None = None, default_decimals: int = 3) -> list[Column]:
    """Columns of a plain DataFrame (summary tables): numbers rounded, target columns by their decimals."""
    from qdml.targets import column_target

    priorities, headers, decimals = priorities or {}, headers or {}, decimals or {}
    out = []
    for col in frame.columns:
        series = frame[col]
        kind = series.dtype.kind
        if kind in "iub":
            cells = ["" if is_missing(v) else str(int(v)) if kind != "b" else yes_no(v) for v in series]
        elif kind == "f":
            target = column_target(col)
            if col in decimals or target is not None:
                d = decimals.get(col, target.decimals if target is not None else default_decimals)
                cells = [number(v, d) for v in series]
            else:
                cells = [compact(v, default_decimals) for v in series]
        else:
            cells = ["" if v is None else str(v) for v in series]
        out.append(Column(headers.get(col, str(col)), cells, priorities.get(col, 0),
                          "right" if kind in "iuf" else "left"))
    return out

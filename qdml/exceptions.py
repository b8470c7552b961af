"""Errors qdml raises on purpose; anything else escaping is a bug."""

from __future__ import annotations

from dataclasses import dataclass


class QdmlError(Exception):
    """Base class: every error qdml raises deliberately derives from it."""


@dataclass(frozen=True)
class Problem:
    """One problem in a data file, located as a user sees it in an editor.

    ``line`` counts the header as line 1; ``column`` is the header name (or None
    when the problem concerns the whole file).
    """

    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": column '{self.column}'"
        return f"{where}: {self.message}"


class ValidationError(QdmlError):
    """A data file failed validation; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownLigandError(QdmlError, ValueError):
    """A ligand name that neither the knowledge base nor a SMILES parse resolves."""

    def __init__(self, text: str, suggestions: list[str] | None = None):
        self.text = text
        self.suggestions = list(suggestions or [])
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown ligand {text!r}{hint}")


class CompositionParseError(QdmlError, ValueError):
    """A QD composition string that the notation parser cannot read."""

    def __init__(self, text: str, reason: str = ""):
        self.text = text
        self.reason = reason
        super().__init__(f"cannot parse QD composition {text!r}" + (f": {reason}" if reason else ""))


class BundleError(QdmlError):
    """A model bundle that is missing, incomplete, or changed since it was written."""

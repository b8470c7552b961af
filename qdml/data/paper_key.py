"""One key per paper, so that a paper entered twice (under two reference spellings) groups as one.

``paper_key(reference, doi)`` is the normalised DOI when the row has one (lower case, without a
``https://doi.org/`` or ``doi:`` prefix), else a normalised reference: lower case, alphanumerics
only, the curators' "(authors not shown on page)" notes dropped, first 60 characters.
Cross-validation (leave-one-reference-out) and ``qdml audit`` group rows by this key.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters of the normalised reference kept in the key.
REFERENCE_KEY_LENGTH = 60

_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_NOT_SHOWN = re.compile(r"\([^()]*not shown[^()]*\)", re.IGNORECASE)


def normalise_doi(doi: str) -> str:
    """``"https://doi.org/10.1039/D4SC05565A "`` -> ``"10.1039/d4sc05565a"`` ('' stays '')."""
    text = _DOI_PREFIX.sub("", str(doi or "")).strip().rstrip(".").lower()
    return text


def normalise_reference(reference: str) -> str:
    """Lower-case alphanumerics of a reference, without "(... not shown ...)" notes."""
    text = _NOT_SHOWN.sub(" ", str(reference or ""))
    text = unicodedata.normalize("NFKD", text).lower()
    return re.sub(r"[^a-z0-9]", "", text)


def paper_key(reference: str, doi: str = "") -> str:
    """The grouping key of a paper: its DOI when known, else its normalised reference ('' if neither)."""
    key = normalise_doi(doi)
    if key:
        return key
    return normalise_reference(reference)[:REFERENCE_KEY_LENGTH]

"""One neutraliser for every CSV the app writes (the web export, `recovery_report`).

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return before one) as a formula: a candidate named `=HYPERLINK(...)` would become a
link that sends the sheet's data away (CSV injection, OWASP). Such a cell is written with a
leading apostrophe, which spreadsheets read as "this is text" and do not show.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

# ASCII starts, and their full-width forms, which some spreadsheets also take as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value: Any) -> str:
    """The value as a CSV cell that no spreadsheet will run; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Writer:
    """`csv.writer`, with every cell of every row through `cell()`."""

    def __init__(self, out, **kwargs) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([cell(value) for value in row])

"""CSV that a spreadsheet opens as data, never as formulas (OWASP, "CSV Injection").

Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)` in an instruction or a
can't-judge reason would become a live link). Such a cell gets a leading single quote, as
OWASP recommends: the spreadsheet then shows the text as typed. Only text is changed:
numbers, booleans and empty cells are written as they are, so a negative number stays a
number. Every text cell is also wrapped in double quotes (embedded quotes doubled), as OWASP
advises and so that a carriage return inside a cell cannot end a row; numbers stay bare.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value to write in a cell: text starting with a formula prefix gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """`rows` as CSV text with a header, every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return buffer.getvalue()

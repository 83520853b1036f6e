"""Read `handsoff report`'s text output back: tables (title, header, rows) and the line
number of everything, so a test can check each line and then prove that no line holding a
number went unchecked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPLIT = re.compile(r"\s{2,}")


@dataclass
class TextTable:
    title: str
    title_line: int
    columns: list[str]
    rows: list[list[str]]
    row_lines: list[int]

    def by_first(self, *keys: str) -> dict[tuple[str, ...], dict[str, str]]:
        """Rows as dicts keyed by their first `len(keys)` cells... keyed by named columns."""
        out = {}
        for row in self.rows:
            record = dict(zip(self.columns, row, strict=True))
            out[tuple(record[k] for k in keys)] = record
        return out


@dataclass
class ParsedReport:
    lines: list[str]
    tables: dict[str, TextTable] = field(default_factory=dict)
    checked: set[int] = field(default_factory=set)

    def table(self, title_prefix: str) -> TextTable:
        matches = [t for title, t in self.tables.items() if title.startswith(title_prefix)]
        assert len(matches) == 1, f"{len(matches)} tables titled {title_prefix!r}"
        return matches[0]

    def line_index(self, text: str) -> int:
        found = [i for i, line in enumerate(self.lines) if line == text]
        assert len(found) == 1, f"{len(found)} lines equal to {text!r}"
        return found[0]

    def check_line(self, text: str) -> None:
        self.checked.add(self.line_index(text))

    def check_table_structure(self, table: TextTable) -> None:
        """Title, header and rule lines carry no data: mark them checked."""
        self.checked.update({table.title_line, table.title_line + 1, table.title_line + 2})

    def unchecked_lines_with_numbers(self) -> list[str]:
        return [
            line
            for i, line in enumerate(self.lines)
            if i not in self.checked and re.search(r"\d", line)
        ]


def parse_report(text: str) -> ParsedReport:
    lines = text.splitlines()
    parsed = ParsedReport(lines)
    i = 0
    while i < len(lines):
        is_table = (
            lines[i].endswith(":")
            and i + 2 < len(lines)
            and re.fullmatch(r"-+(  -+)*", lines[i + 2]) is not None
        )
        if not is_table:
            i += 1
            continue
        columns = _SPLIT.split(lines[i + 1].strip())
        rows, row_lines = [], []
        j = i + 3
        while j < len(lines) and lines[j] and not lines[j].startswith("note:"):
            cells = _SPLIT.split(lines[j].strip())
            assert len(cells) == len(columns), f"line {j}: {cells} vs {columns}"
            rows.append(cells)
            row_lines.append(j)
            j += 1
        title = lines[i][:-1]
        parsed.tables[title] = TextTable(title, i, columns, rows, row_lines)
        i = j
    return parsed

"""A `Report` as plain text, Markdown or CSV blocks.

Text tables separate columns by at least two spaces and never leave a cell empty, so a
reader (or a test) can split a row on runs of two or more spaces.
"""

from __future__ import annotations

import csv
import io

from db.queries.csv_safe import neutralise
from flows.report.model import Figure, Paragraph, RateFigure, Report, SweepFigure, Table


def render_text(report: Report, *, figure_files: dict[str, str] | None = None) -> str:
    lines = [report.title, "=" * len(report.title), ""]
    lines += _missing_lines(report, bullet="- ")
    for section in report.sections:
        lines += [section.title, "-" * len(section.title)]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lines += [block.text, ""]
            elif isinstance(block, Table):
                lines += [*_text_table(block), ""]
            elif isinstance(block, SweepFigure | RateFigure):
                lines += [_figure_line(block, figure_files), ""]
    return "\n".join(lines).rstrip() + "\n"


def _missing_lines(report: Report, *, bullet: str) -> list[str]:
    if not report.missing:
        return []
    return ["Partial report: what is missing", *(bullet + m for m in report.missing), ""]


def _cell(text: str) -> str:
    # Two spaces separate columns: collapse runs inside a cell; "-" stands for empty.
    return " ".join(text.split()) or "-"


def _text_table(table: Table) -> list[str]:
    header = [_cell(c) for c in table.columns]
    rows = [[_cell(c) for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [f"{table.title}:", line(header), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    if not rows:
        out.append("(no rows)")
    out += [f"note: {note}" for note in table.notes]
    return out


def _figure_line(figure: Figure, figure_files: dict[str, str] | None) -> str:
    where = (figure_files or {}).get(figure.key)
    return f"[figure: {figure.title}" + (f" -> {where}]" if where else " (written with --out)]")


def render_markdown(report: Report, *, figure_files: dict[str, str] | None = None) -> str:
    lines = [f"# {report.title}", ""]
    if report.missing:
        lines += ["**Partial report: what is missing**", ""]
        lines += [f"- {m}" for m in report.missing] + [""]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lines += [block.text, ""]
            elif isinstance(block, Table):
                lines += [*_markdown_table(block), ""]
            elif isinstance(block, SweepFigure | RateFigure):
                where = (figure_files or {}).get(block.key)
                lines += [f"![{block.title}]({where})" if where else f"*{block.title}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_table(table: Table) -> list[str]:
    out = [f"**{_markdown_escape(table.title)}**", ""]
    out.append("| " + " | ".join(_markdown_escape(c) or " " for c in table.columns) + " |")
    out.append("|" + "|".join("---" for _ in table.columns) + "|")
    out += ["| " + " | ".join(_markdown_escape(c) for c in row) + " |" for row in table.rows]
    if not table.rows:
        out.append("| " + " | ".join("" for _ in table.columns) + " |")
    out += [""] + [f"*{_markdown_escape(note)}*" for note in table.notes] if table.notes else []
    return out


def table_csv(table: Table) -> str:
    """The table's raw values (not its display strings) as CSV."""
    buffer = io.StringIO()
    fields = list(dict.fromkeys(key for record in table.records for key in record))
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in table.records:
        writer.writerow({k: ("" if v is None else neutralise(v)) for k, v in record.items()})
    return buffer.getvalue()


def render_csv(report: Report) -> str:
    """Every table as a CSV block after a `# key: title` line, blocks separated by a blank
    line (with --out each table is its own file instead)."""
    blocks = []
    if report.missing:
        blocks.append("# missing\n" + "".join(f"# - {m}\n" for m in report.missing))
    for table in report.tables():
        blocks.append(f"# {table.key}: {table.title}\n" + table_csv(table))
    return "\n".join(blocks)

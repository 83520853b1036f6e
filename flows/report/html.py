"""A `Report` as one self-contained HTML page: tables, paragraphs and the figures embedded
as base64 PNGs (the page can be mailed or archived as a single file)."""

from __future__ import annotations

import base64
from html import escape

from flows.report.model import Paragraph, RateFigure, Report, SweepFigure, Table

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
.missing { background: #fff6e0; border: 1px solid #e8c070; padding: 0.5em 1em; }
.note { color: #555; font-size: 0.85em; }
img { max-width: 100%; }
"""


def render_html(report: Report, *, figure_png: dict[str, bytes]) -> str:
    """`figure_png`: PNG bytes per figure key (figures without one are named, not drawn)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    if report.missing:
        items = "".join(f"<li>{escape(m)}</li>" for m in report.missing)
        parts.append(
            f'<div class="missing"><strong>Partial report: what is missing</strong>'
            f"<ul>{items}</ul></div>"
        )
    for section in report.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(f"<p>{escape(block.text)}</p>")
            elif isinstance(block, Table):
                parts.append(_table(block))
            elif isinstance(block, SweepFigure | RateFigure):
                png = figure_png.get(block.key)
                if png is None:
                    parts.append(f'<p class="note">[figure: {escape(block.title)}]</p>')
                else:
                    data = base64.b64encode(png).decode("ascii")
                    parts.append(
                        f'<figure><img alt="{escape(block.title)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>'
                        f"{escape(block.title)}</figcaption></figure>"
                    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in table.notes)
    return (
        f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>{notes}"
    )

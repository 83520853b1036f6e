"""Report figures as PNG bytes, drawn with matplotlib's object API (`matplotlib.figure.Figure`
renders through Agg without touching pyplot's global state, so it is safe off the main
thread and needs no display)."""

from __future__ import annotations

import io
import math

from flows.report.model import Figure, RateFigure, SweepFigure

_COLUMNS = 4  # panels per row in a sweep figure


def figure_png(figure: Figure) -> bytes:
    if isinstance(figure, SweepFigure):
        return _sweep_png(figure)
    return _rates_png(figure)


def _save(fig: object) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _sweep_png(figure: SweepFigure) -> bytes:
    from matplotlib.figure import Figure as MplFigure

    panels = max(len(figure.series), 1)
    rows = math.ceil(panels / _COLUMNS)
    columns = min(panels, _COLUMNS)
    # Fixed margins: matplotlib's constrained layout costs seconds for a dozen panels.
    fig = MplFigure(figsize=(3.4 * columns, 2.8 * rows + 0.8))
    fig.subplots_adjust(
        left=0.06,
        right=0.98,
        top=1 - 0.75 / (2.8 * rows + 0.8),
        bottom=0.7 / (2.8 * rows + 0.8),
        hspace=0.55,
        wspace=0.3,
    )
    axes = fig.subplots(rows, columns, squeeze=False)
    for index, series in enumerate(figure.series):
        ax = axes[index // _COLUMNS][index % _COLUMNS]
        # Error bars from the bootstrap interval; a point without one gets none.
        below = [
            m - lo if lo is not None else 0.0 for m, lo in zip(series.mean, series.low, strict=True)
        ]
        above = [
            hi - m if hi is not None else 0.0
            for m, hi in zip(series.mean, series.high, strict=True)
        ]
        ax.errorbar(
            series.x, series.mean, yerr=[below, above], marker="o", capsize=3, label="sweep"
        )
        for position, (name, level) in enumerate(series.references.items()):
            ax.axhline(level, linestyle="--", linewidth=0.8, color=f"C{position + 1}", label=name)
        ax.set_title(series.label, fontsize=9)
        ax.set_xlabel(figure.parameter, fontsize=8)
        ax.tick_params(labelsize=7)
    for index in range(len(figure.series), rows * columns):
        axes[index // _COLUMNS][index % _COLUMNS].set_visible(False)
    if figure.series:
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8
        )
    fig.suptitle(figure.title, fontsize=10)
    return _save(fig)


def _rates_png(figure: RateFigure) -> bytes:
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(1.6 + 1.4 * len(figure.categories), 3.2))
    fig.subplots_adjust(left=0.15, right=0.97, top=0.88, bottom=0.12)
    ax = fig.subplots()
    positions = list(range(len(figure.categories)))
    below = [r - lo for r, lo in zip(figure.rates, figure.low, strict=True)]
    above = [hi - r for r, hi in zip(figure.rates, figure.high, strict=True)]
    ax.bar(positions, figure.rates, yerr=[below, above], capsize=4, color="C0")
    ax.set_xticks(positions, figure.categories, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel(figure.ylabel, fontsize=8)
    ax.set_title(figure.title, fontsize=9)
    return _save(fig)

"""An oversight report for print: its header, the checkpoint it was computed from, its figures,
and each table, with a chart where a chart reads better than a table (uses over time, refusals
by memo section, uses per provider).

Charts are drawn with matplotlib's Agg renderer straight onto a figure object (no pyplot, no
display, no state shared between threads) and placed as PNG images. A report that counts uses
and their results carries the lead-only notice atop its first page and in every footer (memo
4.D.2), in the house layout of `frsgate.reports.pdf`.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.reports import pdf
from frsgate.reports.oversight.model import Chart, Report, Table
from frsgate.reports.oversight.render import cell_text

PDF_ROWS = 500  # rows of one table printed; the JSON and CSV carry every row
CHART_BARS = 25  # bars drawn; the table beside the chart lists them all


def chart_png(table: Table, chart: Chart) -> bytes | None:
    """The chart of `table` as PNG bytes, or None when it has nothing to draw."""
    keys = [k for k, _ in table.columns]
    at = keys.index(chart.value)
    points = [(str(row[0]), row[at]) for row in table.rows if isinstance(row[at], int | float)]
    if not points:
        return None
    if chart.kind == "bar":
        points = points[:CHART_BARS]
    labels = [p[0] for p in points]
    values = [float(v) for _, v in points]  # type: ignore[arg-type]
    figure = MplFigure(figsize=(6.5, 2.6), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if chart.kind == "line":
        axes.plot(range(len(values)), values, marker="o", color="#1f4e79")
        axes.set_xticks(range(len(values)), labels, rotation=45, ha="right", fontsize=7)
    else:
        axes.bar(range(len(values)), values, color="#1f4e79")
        axes.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=7)
    axes.set_ylabel(chart.label, fontsize=8)
    axes.set_title(table.title, fontsize=9)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", linewidth=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _chart(table: Table) -> list[Flowable]:
    if table.chart is None:
        return []
    png = chart_png(table, table.chart)
    if png is None:
        return []
    return [Image(io.BytesIO(png), width=6.5 * inch, height=2.6 * inch), Spacer(1, 4)]


def _table(table: Table) -> list[Flowable]:
    story: list[Flowable] = [pdf.para(table.title, "h2")]
    story += _chart(table)
    if not table.rows:
        return [*story, pdf.para("None in this period.")]
    shown = table.rows[:PDF_ROWS]
    widths = [1 / len(table.columns)] * len(table.columns)
    story.append(
        pdf.grid_table(
            [label for _, label in table.columns],
            [[cell_text(v) for v in row] for row in shown],
            widths,
        )
    )
    notes = [table.note] if table.note else []
    if len(shown) < len(table.rows):
        notes.append(f"{len(shown)} of {len(table.rows)} rows printed; the JSON and CSV hold all")
    story += [pdf.para(n) for n in notes]
    return story


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    cp, check = report.checkpoint, report.verification
    footer = (
        LEAD_ONLY_NOTICE
        if report.shows_results
        else f"FRS Gate {report.kind.value} report, ledger checkpoint {cp.tree_size}"
    )
    story: list[Flowable] = []
    if report.shows_results:
        story.append(pdf.para(LEAD_ONLY_NOTICE, "notice"))
    story += [
        pdf.para(report.title, "title"),
        pdf.field_table(
            [
                ("Period (UTC)", f"{report.period.first} to {report.period.last}"),
                ("Scope", report.scope),
                ("Run by", report.generated_by),
                ("Run at", report.generated_at.isoformat()),
                ("Computed in", f"{report.seconds:.3f} s"),
                ("Ledger", cp.origin),
                ("Checkpoint tree size", str(cp.tree_size)),
                ("Checkpoint root", cp.root),
                ("Verification", f"{check.method}: {'OK' if check.ok else 'FAILED'}"),
                ("What was checked", check.statement),
            ]
        ),
        pdf.para("Figures", "h2"),
        pdf.grid_table(
            ["Figure", "Value", "How it is counted"],
            [[f.label, cell_text(f.value), f.note] for f in report.figures],
            [0.4, 0.15, 0.45],
        ),
    ]
    for table in report.tables:
        parts = _table(table)
        # The title stays with its chart and the start of its table.
        story.append(KeepTogether(parts[:3]))
        story += parts[3:]
    story += [pdf.para(n) for n in report.notes]
    return pdf.build(story, title=report.title, notice=footer, banner=None)

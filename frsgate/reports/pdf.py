"""The page layout shared by every PDF FRS Gate renders (ROI entries, disclosure packages).

Every page carries the lead-only notice in its footer (memo 4.D.2), and a page of a result that
came from the sandbox FRS carries a banner saying so: a printed page travels alone, so each one
must say what it is. Text from records is escaped before it reaches reportlab's paragraph
markup, so a rationale containing ``<`` or ``&`` prints as written.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 0.75 * inch
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

STYLES: dict[str, ParagraphStyle] = {
    "title": ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=15, leading=19,
                            spaceAfter=6),
    "h2": ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=12, leading=15,
                         spaceBefore=10, spaceAfter=4),
    "h3": ParagraphStyle("h3", fontName="Helvetica-Bold", fontSize=10, leading=13,
                         spaceBefore=6, spaceAfter=3),
    "body": ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5),
    "cell": ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10),
    "cellbold": ParagraphStyle("cellbold", fontName="Helvetica-Bold", fontSize=8, leading=10),
    "mono": ParagraphStyle("mono", fontName="Courier", fontSize=7.5, leading=9.5),
    "notice": ParagraphStyle("notice", fontName="Helvetica-Bold", fontSize=11, leading=14,
                             borderColor=colors.black, borderWidth=1.2, borderPadding=6,
                             spaceBefore=4, spaceAfter=12, alignment=1),
    "banner": ParagraphStyle("banner", fontName="Helvetica-Bold", fontSize=11, leading=14,
                             textColor=colors.white, backColor=colors.HexColor("#b00020"),
                             borderPadding=6, spaceBefore=4, spaceAfter=12, alignment=1),
}  # fmt: skip


def markup(text: str) -> str:
    """`text` as paragraph markup: escaped, its line breaks kept."""
    return "<br/>".join(escape(line) for line in text.replace("\r\n", "\n").split("\n"))


def para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(markup(text), STYLES[style])


# A table cell cannot run onto the next page: a longer value is cut here and says where the
# whole of it is, so no stored text, however long, can make a document fail to render.
CELL_MAX_CHARS = 2000  # a value beside its label, across most of the page
GRID_CELL_MAX_CHARS = 300  # a value in one narrow column of a grid


def cell(text: str, limit: int = CELL_MAX_CHARS) -> Paragraph:
    if len(text) > limit:
        text = f"{text[:limit]} … [{len(text) - limit} more characters: see the JSON record]"
    return para(text, "cell")


def field_table(rows: Sequence[tuple[str, str]]) -> Table:
    """A two-column table of labelled values."""
    data = [[para(label, "cellbold"), cell(value)] for label, value in rows]
    table = Table(data, colWidths=[1.9 * inch, CONTENT_WIDTH - 1.9 * inch], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def grid_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               widths: Sequence[float]) -> Table:  # fmt: skip
    """A table whose header row repeats on every page it runs onto (long lists paginate).

    `widths` are fractions of the content width.
    """
    data = [[para(h, "cellbold") for h in header]]
    data += [[cell(value, GRID_CELL_MAX_CHARS) for value in row] for row in rows]
    table = Table(data, colWidths=[w * CONTENT_WIDTH for w in widths], repeatRows=1,
                  hAlign="LEFT")  # fmt: skip
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def build(story: list[Flowable], *, title: str, notice: str, banner: str | None) -> bytes:
    """Lay `story` out on Letter pages: `notice` in every footer, `banner` (if any) across the
    top of every page. The document is built with reportlab's invariant mode, so the same
    story gives the same bytes (no creation time, no random document id)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + (0.3 * inch if banner else 0),
        bottomMargin=MARGIN + 0.2 * inch,
        title=title,
        author="FRS Gate",
        subject=notice,
        invariant=True,
    )

    def decorate(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        # memo 4.D.2: the notice on every page, so no page can be read as an identification.
        canvas.setFont("Helvetica-Bold", 8.5)
        canvas.drawString(MARGIN, 0.5 * inch, notice)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 0.5 * inch, f"Page {document.page}")
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 0.68 * inch, PAGE_WIDTH - MARGIN, 0.68 * inch)
        if banner:
            canvas.setFillColor(colors.HexColor("#b00020"))
            canvas.rect(MARGIN, PAGE_HEIGHT - 0.75 * inch, CONTENT_WIDTH, 0.3 * inch, stroke=0,
                        fill=1)  # fmt: skip
            canvas.setFillColor(colors.white)
            canvas.setFont("Helvetica-Bold", 9)
            canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 0.65 * inch, banner)
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()

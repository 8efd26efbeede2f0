"""The panel report as a Word document: heading styles, numbered paragraphs, real tables with
repeating header rows, and one picture per chart with alt text, so Word's accessibility checker
has nothing to flag."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Length, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ..config import Settings
from .report import (
    LANDSCAPE,
    PORTRAIT,
    Bullets,
    Figure,
    Heading,
    Landscape,
    Page,
    Para,
    Report,
    Table,
)
from .report_images import ReportImages
from .table_layout import column_widths


def _repeat_header(table: DocxTable, caption: str) -> None:
    for row in table.rows:  # a row is never split across pages (as in the PDF)
        keep = OxmlElement("w:cantSplit")
        keep.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(keep)
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    tbl_pr = table._tbl.tblPr
    for tag, value in (("w:tblCaption", caption), ("w:tblDescription", caption)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value[:250])
        tbl_pr.append(element)


def _text_width_cm(document: DocxDocument) -> float:
    section = document.sections[-1]
    parts = (section.page_width, section.left_margin, section.right_margin)
    width, left, right = (Length(p or 0) for p in parts)
    return Length(width - left - right).cm


def _set_widths(table: DocxTable, widths: list[float]) -> None:
    """Fix the column widths: the grid, every cell and a fixed layout, which LibreOffice needs
    as well as Word (either one alone is ignored by one of them)."""
    table.autofit = False  # w:tblLayout type="fixed"
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(int(Cm(w).twips) for w in widths)))
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _table(document: DocxDocument, block: Table) -> None:
    document.add_paragraph(block.caption, style="Caption").paragraph_format.keep_with_next = True
    frame = block.frame
    table = document.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
    for record in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, record, strict=True):
            cell.text = (
                "" if value is None or (isinstance(value, float) and value != value) else str(value)
            )
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9.5)
    _set_widths(table, column_widths(frame, _text_width_cm(document)))
    _repeat_header(table, block.caption)
    # Word needs a paragraph between tables; a small one, so that a table that fills a page does
    # not push it onto a page of its own.
    _tiny(document.add_paragraph())


def _tiny(paragraph: Paragraph) -> None:
    """A paragraph that takes (almost) no room: between tables, and for a section break."""
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(1)
    for run in paragraph.runs:
        run.font.size = Pt(1)


def _page(section: Section, page: Page) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if page.width > page.height else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(page.width), Cm(page.height)
    section.top_margin = section.bottom_margin = Cm(page.margin_y)
    section.left_margin = section.right_margin = Cm(page.margin_x)


def _landscape(document: DocxDocument, on: bool) -> None:
    _page(document.add_section(WD_SECTION.NEW_PAGE), LANDSCAPE if on else PORTRAIT)
    # The break is a paragraph of its own at the end of the section before: keep it from
    # spilling onto a blank page after a table that fills its page.
    _tiny(document.paragraphs[-1])


def _figure(document: DocxDocument, block: Figure) -> Run:
    """The figure's paragraph, its picture to come (see `_picture`), and its caption."""
    place = document.add_paragraph().add_run()  # as Document.add_picture makes it
    caption = document.add_paragraph(style="Caption")
    caption.add_run(f"Figure {block.number}: {block.chart.title}. ").bold = True
    caption.add_run(block.chart.caption)
    return place


def _picture(place: Run, block: Figure, image: bytes) -> None:
    shape = place.add_picture(io.BytesIO(image), width=Cm(block.width_cm))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", block.chart.caption)
    doc_pr.set("title", block.chart.title)


def write_docx(report: Report, target: Path | io.BytesIO, settings: Settings | None = None) -> None:
    """Write the report as .docx; `settings` name the Chromium that renders the charts. The
    charts are drawn while the document is built, and put in their places at the end."""
    drawing = ReportImages(report, "png", settings)
    places: list[tuple[Run, Figure]] = []
    document = Document()
    styles = document.styles
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(11)
    for section in document.sections:
        _page(section, PORTRAIT)  # A4, not the template's US Letter
    document.core_properties.title = report.title
    document.core_properties.language = "en-GB"
    panel = document.add_paragraph()
    panel.add_run(report.panel_line).bold = True
    document.add_heading(report.title, level=0)
    in_appendix = first_page = False
    blocks = list(report.blocks)
    if blocks and blocks[-1] == Landscape(False):
        blocks.pop()  # the report ends on its last landscape page, not on an empty portrait one
    for block in blocks:
        if isinstance(block, Heading):
            heading = document.add_heading(block.text, level=block.level)
            if in_appendix and block.level == 2:
                # One page per recommendation; the first shares its page with the appendix title.
                heading.paragraph_format.page_break_before = not first_page
                first_page = False
        elif isinstance(block, Para):
            document.add_paragraph(block.text, style="List Number" if block.numbered else None)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, Figure):
            places.append((_figure(document, block), block))
        elif isinstance(block, Landscape):
            _landscape(document, block.on)
            in_appendix = first_page = block.on
    images = drawing.get()
    for place, block in places:
        _picture(place, block, images[block.number])
    document.save(str(target) if isinstance(target, Path) else target)

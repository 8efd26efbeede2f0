"""The panel report as PDF: the same blocks laid out as HTML with CSS paged media and printed by
headless Chromium. Chromium is already running (the export server draws the charts: as SVG
here, so they print as vectors) and prints named pages, so the timelines get landscape pages
without a second tool."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from ..config import Settings, load_settings
from . import export_server
from . import report as blocks  # the report's block types
from .report_images import ReportImages

IMAGE_FORMAT = "svg"
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}

PAGES = (
    f"@page {{ size: A4 portrait; margin: {blocks.PORTRAIT.margin_y}cm {blocks.PORTRAIT.margin_x}cm; }}\n"
    f"@page wide {{ size: A4 landscape; margin: {blocks.LANDSCAPE.margin_y}cm {blocks.LANDSCAPE.margin_x}cm; }}\n"
)
CSS = (
    PAGES
    + """
body { font-family: "Liberation Sans", Arial, sans-serif; font-size: 11pt; color: #000; }
.panel { font-weight: bold; }
h1.title { font-size: 17pt; margin: 6pt 0 12pt; }
h1 { font-size: 14pt; margin: 14pt 0 6pt; break-after: avoid; }
h2 { font-size: 12pt; margin: 10pt 0 6pt; break-after: avoid; }
p.num { margin: 0 0 8pt 2.2em; text-indent: -2.2em; }
p.num .n { display: inline-block; width: 2.2em; text-indent: 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 0 0 12pt; }
caption { caption-side: top; text-align: left; font-weight: bold; font-size: 10pt; padding-bottom: 4pt; }
th, td { border: 0.5pt solid #444; padding: 3pt 4pt; text-align: left; vertical-align: top; }
th { background: #e8ebef; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
figure { margin: 6pt 0 12pt; break-inside: avoid; }
figure img { display: block; }
figcaption { font-size: 9.5pt; margin-top: 4pt; }
.wide { page: wide; }
.wide section + section { break-before: page; }
"""
)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    return html.escape(str(value))


def _table(block: blocks.Table) -> str:
    head = "".join(f'<th scope="col">{_cell(c)}</th>' for c in block.frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in record) + "</tr>"
        for record in block.frame.itertuples(index=False)
    )
    return f"<table><caption>{_cell(block.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def to_html(report: blocks.Report, images: dict[int, bytes], fmt: str = IMAGE_FORMAT) -> str:
    """The report as one self-contained HTML page (images, of format `fmt`, inlined)."""
    parts = [
        f'<p class="panel">{_cell(report.panel_line)}</p>',
        f'<h1 class="title">{_cell(report.title)}</h1>',
    ]
    number = 0
    wide = in_section = False
    for block in report.blocks:
        if isinstance(block, blocks.Heading):
            if wide and block.level == 2:
                parts.append("</section><section>" if in_section else "<section>")
                in_section = True
            parts.append(f"<h{block.level}>{_cell(block.text)}</h{block.level}>")
        elif isinstance(block, blocks.Para):
            if block.numbered:
                number += 1
                parts.append(
                    f'<p class="num"><span class="n">{number}.</span>{_cell(block.text)}</p>'
                )
            else:
                parts.append(f"<p>{_cell(block.text)}</p>")
        elif isinstance(block, blocks.Bullets):
            parts.append("<ul>" + "".join(f"<li>{_cell(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, blocks.Table):
            parts.append(_table(block))
        elif isinstance(block, blocks.Figure):
            data = base64.b64encode(images[block.number]).decode()
            parts.append(
                f'<figure><img src="data:{MEDIA_TYPES[fmt]};base64,{data}" style="width:{block.width_cm}cm" '
                f'alt="{_cell(block.chart.caption)}"><figcaption><strong>Figure {block.number}: '
                f"{_cell(block.chart.title)}.</strong> {_cell(block.chart.caption)}</figcaption></figure>"
            )
        elif isinstance(block, blocks.Landscape):
            wide = block.on
            parts.append(
                '<div class="wide">'
                if block.on
                else ("</section></div>" if in_section else "</div>")
            )
            in_section = False
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{_cell(report.title)}</title>'
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def html_to_pdf(page: str, target: Path, settings: Settings | None = None) -> None:
    """Print an HTML page to PDF with the export server's headless Chromium (see
    export_server.print_pdf: the page is written to the scratch folder, removed afterwards)."""
    target.write_bytes(export_server.print_pdf(page, settings))


def write_pdf(report: blocks.Report, target: Path, settings: Settings | None = None) -> None:
    """Write the report as PDF; `settings` name the Chromium and its scratch folder."""
    settings = settings or load_settings()
    images = ReportImages(report, IMAGE_FORMAT, settings).get()
    html_to_pdf(to_html(report, images, IMAGE_FORMAT), target, settings)

"""Static and interactive chart files: PNG, SVG and PDF drawn by the export server (kaleido
driving the system Chromium, one per process: see `export_server`), HTML with plotly.js inlined.
Figures are sized for print here, on the figure's dict, and drawn in batches: a report's
figures go to Chromium in one call."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import plotly.graph_objects as go

from ..config import Settings
from . import export_server

FORMATS = ("png", "svg", "pdf", "html")
CM_PER_INCH = 2.54
CSS_DPI = 96
MIN_FONT_PX = 12  # 9 pt when a figure made at its print width is placed at that width


def cm_to_px(cm: float) -> int:
    """CSS pixels for a length on paper (96 per inch)."""
    return round(cm / CM_PER_INCH * CSS_DPI)


def print_spec(
    fig: go.Figure, width_cm: float = 16.0, min_font_px: int = MIN_FONT_PX
) -> dict[str, Any]:
    """The figure's dict (a copy) sized for a page `width_cm` wide, with no text smaller than
    `min_font_px`. Worked on the dict: a figure object would validate every property again,
    which took longer than drawing the image."""
    spec = fig.to_dict()
    layout = spec.setdefault("layout", {})
    layout["width"] = cm_to_px(width_cm)
    layout.setdefault("font", {})["size"] = max(min_font_px, 12)
    for annotation in layout.get("annotations") or ():
        font = annotation.setdefault("font", {})
        if font.get("size") is None or font["size"] < min_font_px:
            font["size"] = min_font_px
    for trace in spec.get("data") or ():
        size = (trace.get("textfont") or {}).get("size")
        if size is not None and size < min_font_px:
            trace["textfont"]["size"] = min_font_px
    title = layout.get("title")
    size = ((title.get("font") or {}).get("size")) if isinstance(title, dict) else None
    if size is not None and size < min_font_px + 2:
        title["font"]["size"] = min_font_px + 2
    return spec


def for_print(fig: go.Figure, width_cm: float = 16.0, min_font_px: int = MIN_FONT_PX) -> go.Figure:
    """A copy sized for a page `width_cm` wide, with no text smaller than `min_font_px`."""
    return go.Figure(print_spec(fig, width_cm, min_font_px))


def warm_up(settings: Settings | None = None) -> export_server.ExportServer:
    """Start the export server in the background (Chromium and plotly.js take a second or two
    to load), so a command can build its figures meanwhile; later calls wait until it is up.
    `settings` (default: `load_settings()`) name the Chromium and the scratch folder of the
    process's one server."""
    return export_server.start(settings)


def images_later(
    figures: Sequence[tuple[go.Figure, float]],
    fmt: str,
    *,
    scale: float = 2.0,
    settings: Settings | None = None,
) -> Future[list[bytes]]:
    """Each (figure, width on the page in cm) as a PNG, SVG or PDF file, drawn in one batch
    while the caller goes on (the files are the future's result); `scale` multiplies a PNG's
    pixels (2: sharp in print and on high-density screens)."""
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"unknown image format '{fmt}'; use png, svg or pdf")
    specs = [print_spec(fig, width_cm) for fig, width_cm in figures]
    return export_server.draw_later(specs, fmt, scale if fmt == "png" else 1.0, settings)


def images(
    figures: Sequence[tuple[go.Figure, float]],
    fmt: str,
    *,
    scale: float = 2.0,
    settings: Settings | None = None,
) -> list[bytes]:
    """Each (figure, width on the page in cm) as a PNG, SVG or PDF file, drawn in one batch
    (see `images_later`)."""
    return images_later(figures, fmt, scale=scale, settings=settings).result()


def to_bytes(
    fig: go.Figure,
    fmt: str,
    *,
    width_cm: float = 16.0,
    scale: float = 2.0,
    settings: Settings | None = None,
) -> bytes:
    """The figure as a file of format `fmt` (png, svg, pdf or html), sized for A4 Word pages;
    `settings` are used if this call starts the export server (see `warm_up`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}")
    if fmt == "html":
        return (
            for_print(fig, width_cm)
            .to_html(
                include_plotlyjs=True,
                full_html=True,
                config={"displaylogo": False, "responsive": True},
            )
            .encode("utf-8")
        )
    return images([(fig, width_cm)], fmt, scale=scale, settings=settings)[0]

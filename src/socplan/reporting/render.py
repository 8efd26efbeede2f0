"""Static and interactive chart files: PNG, SVG and PDF through kaleido (the system Chromium),
HTML with plotly.js inlined. One export server per process; calls are serialised by a lock
because the server mixes up concurrent requests (an upstream bug).

The server runs the Chromium the settings name, with its profile in the settings' scratch
folder. Kaleido also writes the page it loads (plotly.js, no plan data: figures go over a pipe)
to a folder of its own in the system's temporary folder; it has no option for that folder.
"""

from __future__ import annotations

import copy
import threading
import warnings

import plotly.graph_objects as go

from ..config import Settings, load_settings

FORMATS = ("png", "svg", "pdf", "html")
CM_PER_INCH = 2.54
CSS_DPI = 96
MIN_FONT_PX = 12  # 9 pt when a figure made at its print width is placed at that width

_lock = threading.Lock()
_server_started = False


def cm_to_px(cm: float) -> int:
    """CSS pixels for a length on paper (96 per inch)."""
    return round(cm / CM_PER_INCH * CSS_DPI)


def for_print(fig: go.Figure, width_cm: float = 16.0, min_font_px: int = MIN_FONT_PX) -> go.Figure:
    """A copy sized for a page `width_cm` wide, with no text smaller than `min_font_px`."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    out.update_layout(width=cm_to_px(width_cm), font={"size": max(min_font_px, 12)})
    for annotation in out.layout.annotations or ():
        size = annotation.font.size
        if size is None or size < min_font_px:
            annotation.font.size = min_font_px
    for trace in out.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is not None and textfont.size is not None and textfont.size < min_font_px:
            textfont.size = min_font_px
    if out.layout.title.font.size is not None and out.layout.title.font.size < min_font_px + 2:
        out.layout.title.font.size = min_font_px + 2
    return out


def _ensure_server(settings: Settings | None) -> None:
    global _server_started
    if not _server_started:
        import kaleido

        from ..browser import chromium, scratch

        settings = settings or load_settings()
        folder = scratch(settings)
        kaleido.start_sync_server(
            silence_warnings=True,
            path=chromium(settings),
            **({"tmp_dir": str(folder)} if folder else {}),
        )
        _server_started = True


def warm_up(settings: Settings | None = None) -> threading.Thread:
    """Start the export server in the background (it takes a second or two), so a command can
    build its figures meanwhile; later calls wait on the lock until it is up. `settings` (default:
    `load_settings()`) name the Chromium and the scratch folder of the process's one server."""

    def start() -> None:
        with _lock:
            _ensure_server(settings)

    thread = threading.Thread(target=start, name="socplan-export-server", daemon=True)
    thread.start()
    return thread


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
    printable = for_print(fig, width_cm)
    if fmt == "html":
        return printable.to_html(
            include_plotlyjs=True, full_html=True, config={"displaylogo": False, "responsive": True}
        ).encode("utf-8")
    height = printable.layout.height or 400
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _ensure_server(settings)
        return printable.to_image(
            format=fmt,
            width=printable.layout.width,
            height=height,
            scale=scale if fmt == "png" else 1,
        )

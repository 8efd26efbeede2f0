"""Render every figure of a report once, for whichever renderer needs them."""

from __future__ import annotations

from ..config import Settings
from .render import to_bytes
from .report import Report


def render_images(
    report: Report, fmt: str = "png", settings: Settings | None = None
) -> dict[int, bytes]:
    """Figure number -> image bytes, each sized for its width on the page."""
    return {
        block.number: to_bytes(
            block.chart.figure, fmt, width_cm=block.width_cm, scale=2.0, settings=settings
        )
        for block in report.figures
    }

"""Render every figure of a report once, for whichever renderer needs them."""

from __future__ import annotations

from concurrent.futures import Future

from ..config import Settings
from .render import images_later
from .report import Report


class ReportImages:
    """A report's figures being drawn in one batch (started when made); `get()` waits for them."""

    def __init__(self, report: Report, fmt: str = "png", settings: Settings | None = None):
        self.numbers = [block.number for block in report.figures]
        self._drawn: Future[list[bytes]] = images_later(
            [(block.chart.figure, block.width_cm) for block in report.figures],
            fmt,
            scale=2.0,
            settings=settings,
        )

    def get(self) -> dict[int, bytes]:
        """Figure number -> image bytes, each sized for its width on the page."""
        return dict(zip(self.numbers, self._drawn.result(), strict=True))


def render_images(
    report: Report, fmt: str = "png", settings: Settings | None = None
) -> dict[int, bytes]:
    """Figure number -> image bytes, each sized for its width on the page, drawn in one batch."""
    return ReportImages(report, fmt, settings).get()

"""The export server: one headless Chromium per process, driven by kaleido, that draws chart
images and prints the PDF report.

It runs on an event loop in a thread of its own and starts in the background (`start`), so a
command builds its figures while Chromium and plotly.js load (about a second). Every call
waits on a future of its own, so threads never get one another's images (kaleido's own sync
server mixes them up under threads: an upstream bug) and need no lock around a render.

A batch of figures (`draw`) is drawn by kaleido's own page script, all of them in one call on
one page: kaleido's per-figure calls reload the page after each figure, which took as long as
drawing it. PNG and SVG need no reload (the script keeps no state between them); a figure as
PDF goes through kaleido's own call, which prints the page and reloads it.

The browser runs the Chromium the settings name, with its profile in the settings' scratch
folder. Kaleido also writes the page it loads (plotly.js, no plan data: figures go over a pipe)
to a folder of its own in the system's temporary folder; it has no option for that folder.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from ..browser import chromium, scratch
from ..config import Settings, load_settings

T = TypeVar("T")

# plotly.js holding only the trace types socplan's charts use (scripts/build_plotly.sh): the
# browser loads it in half the time of the full bundle plotly carries. The dashboard serves it too.
PLOTLY_JS = Path(__file__).resolve().parent / "vendor" / "plotly.min.js"

DRAW_TIMEOUT = 120.0  # seconds for one call: a batch of figures or a report to print
CLOSE_TIMEOUT = 10.0

# kaleido_scopes.plotly is kaleido's own render function (kaleido 1.x page script): the same
# figure and options give the same image as kaleido's calc_fig.
_DRAW_ALL = "Promise.all(({specs}).map((spec) => kaleido_scopes.plotly(spec)))"


class ExportError(RuntimeError):
    """Chromium could not draw a figure or print a page."""


class ExportServer:
    """A kaleido browser on an event loop in a daemon thread; see the module's docstring."""

    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="socplan-export-server", daemon=True
        )
        self._thread.start()
        self._broken = False
        self.pid = os.getpid()
        self.ready: Future[Any] = asyncio.run_coroutine_threadsafe(self._open(settings), self._loop)

    @staticmethod
    async def _open(settings: Settings) -> Any:
        import kaleido

        folder = scratch(settings)
        browser = kaleido.Kaleido(
            n=1,
            path=chromium(settings),
            plotlyjs=str(PLOTLY_JS),
            mathjax=False,  # no chart uses it, and kaleido's default fetches it from a CDN
            **({"tmp_dir": str(folder)} if folder else {}),
        )
        await browser.open()
        return browser

    @property
    def failed(self) -> bool:
        """True when the browser could not be started, or stopped answering (it crashed, say)."""
        return self._broken or (self.ready.done() and self.ready.exception() is not None)

    def submit(self, work: Callable[[Any], Awaitable[T]]) -> Future[T]:
        """Run `work(browser)` on the server's loop once the browser is up; its future."""

        async def run() -> T:
            browser = await asyncio.wrap_future(self.ready)
            try:
                return await asyncio.wait_for(work(browser), DRAW_TIMEOUT)
            except ExportError:
                raise  # a figure or page Chromium refused: the browser is fine
            except BaseException:
                self._broken = True  # the next call starts a new browser (see `start`)
                raise

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def call(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run `work(browser)` on the server's loop once the browser is up, and wait for it."""
        return self.submit(work).result()

    def close(self) -> None:
        """Close the browser (its profile folder goes with it) and stop the loop."""

        async def shut() -> None:
            await (await asyncio.wrap_future(self.ready)).close()

        with contextlib.suppress(Exception):  # closing: nothing more to do about a failure
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(CLOSE_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT)


_server: ExportServer | None = None
_server_lock = threading.Lock()


def start(settings: Settings | None = None) -> ExportServer:
    """The process's export server, started (in the background) if it is not running yet or
    has failed; `settings` (default: `load_settings()`) name its Chromium and scratch folder."""
    global _server
    with _server_lock:
        if _server is not None and _server.pid != os.getpid():
            _server = None  # forked: the thread and browser are the parent's, not this process's
        if _server is None or _server.failed:
            if _server is None:
                atexit.register(stop)
            else:  # what is left of a failed one goes, without holding up this call
                threading.Thread(target=_server.close, daemon=True).start()
            _server = ExportServer(settings or load_settings())
        return _server


def stop() -> None:
    """Close the process's export server, if one is running; the next call starts a new one."""
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        server.close()


def _spec(figure: dict[str, Any], fmt: str, scale: float) -> str:
    """A figure and its options as kaleido's page script takes them, as JSON."""
    from plotly.io.json import to_json_plotly

    layout = figure.get("layout", {})
    options = {
        "format": fmt,
        "width": layout.get("width") or 700,
        "height": layout.get("height") or 400,
        "scale": scale,
    }
    return json.dumps(options)[:-1] + ', "data": ' + to_json_plotly(figure) + "}"


async def _draw(browser: Any, specs: Sequence[str], fmt: str) -> list[bytes]:
    tab = await browser.tabs_ready.get()  # one of kaleido's tabs, its page loaded
    try:
        reply = await tab.tab.send_command(
            "Runtime.evaluate",
            params={
                "expression": _DRAW_ALL.format(specs="[" + ",".join(specs) + "]"),
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
    finally:
        browser.tabs_ready.put_nowait(tab)
    result = reply.get("result", {})
    if "error" in reply or "exceptionDetails" in result:
        raise ExportError(f"Chromium could not draw the charts: {reply.get('error') or result}")
    out = []
    for drawn in result["result"]["value"]:
        if drawn.get("code"):
            raise ExportError(f"Chromium could not draw a chart: {drawn.get('message')}")
        data = drawn["result"]
        out.append(data.encode("utf-8") if fmt == "svg" else base64.b64decode(data))
    return out


def draw_later(
    figures: Sequence[dict[str, Any]],
    fmt: str,
    scale: float = 1.0,
    settings: Settings | None = None,
) -> Future[list[bytes]]:
    """Each figure (a plotly figure's dict, its layout sized) as PNG, SVG or PDF, in order,
    drawn while the caller goes on: the images are the future's result."""
    if not figures:
        nothing: Future[list[bytes]] = Future()
        nothing.set_result([])
        return nothing
    server = start(settings)
    if fmt == "pdf":  # kaleido's own call: it prints the page, then reloads it

        async def each(browser: Any) -> list[bytes]:
            return [
                await browser.calc_fig(
                    figure,
                    opts={
                        "format": "pdf",
                        "width": figure["layout"].get("width") or 700,
                        "height": figure["layout"].get("height") or 400,
                        "scale": 1,
                    },
                )
                for figure in figures
            ]

        return server.submit(each)
    specs = [_spec(figure, fmt, scale) for figure in figures]
    return server.submit(lambda browser: _draw(browser, specs, fmt))


def draw(
    figures: Sequence[dict[str, Any]],
    fmt: str,
    scale: float = 1.0,
    settings: Settings | None = None,
) -> list[bytes]:
    """Each figure (a plotly figure's dict, its layout sized) as PNG, SVG or PDF, in order."""
    return draw_later(figures, fmt, scale, settings).result()


async def _print(browser: Any, url: str) -> bytes:
    tab = await browser.create_tab(window=True)
    try:
        # Nothing on the page runs: the report is markup and images only, and kaleido's
        # browser runs without web security (its page reads files).
        await tab.send_command("Emulation.setScriptExecutionDisabled", params={"value": True})
        await tab.send_command("Page.enable")
        loaded = tab.subscribe_once("Page.loadEventFired")
        reply = await tab.send_command("Page.navigate", params={"url": url})
        if "error" in reply or reply.get("result", {}).get("errorText"):
            raise ExportError(f"Chromium could not open the report page: {reply}")
        await loaded
        printed = await tab.send_command(
            "Page.printToPDF",
            params={
                "preferCSSPageSize": True,  # the page's @page rules: A4, landscape pages
                "printBackground": True,
                "displayHeaderFooter": False,
                "generateTaggedPDF": True,  # accessible: headings, tables, figures' alt text
            },
        )
    finally:
        await browser.close_tab(tab.target_id)
    if "error" in printed:
        raise ExportError(f"Chromium could not print the report: {printed['error']}")
    return base64.b64decode(printed["result"]["data"])


def print_pdf(page: str, settings: Settings | None = None) -> bytes:
    """An HTML page (self-contained: styles and images inline) printed to PDF by the export
    server's Chromium. The page is written to a new folder in the scratch folder (see
    browser.scratch), removed afterwards."""
    settings = settings or load_settings()
    server = start(settings)
    with tempfile.TemporaryDirectory(prefix="socplan-pdf-", dir=scratch(settings)) as work:
        source = Path(work) / "report.html"
        source.write_text(page, encoding="utf-8")
        return server.call(lambda browser: _print(browser, source.as_uri()))

"""Exports for reports: chart files, the panel report (DOCX and PDF), data with publication control.
Each test opens what was produced."""

from __future__ import annotations

import csv
import io
import struct
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest
from conftest import P

from socplan.cli import main
from socplan.model import DeliveryPlan
from socplan.reporting.charts import build_chart
from socplan.reporting.render import cm_to_px, to_bytes
from socplan.store import Store

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def plan(demo_db) -> DeliveryPlan:
    return DeliveryPlan.from_store(Store(demo_db))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_is_twice_a_16cm_page_width(plan):
    data = to_bytes(build_chart(plan, "status").figure, "png")
    width, height = png_size(data)
    assert width == 2 * cm_to_px(16) == 1210 and height > 300


def test_svg_pdf_html_files(plan):
    figure = build_chart(plan, "trend").figure
    root = ET.fromstring(to_bytes(figure, "svg"))
    assert root.tag.endswith("svg")
    assert to_bytes(figure, "pdf").startswith(b"%PDF")
    page = to_bytes(figure, "html").decode()
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined
    import re

    external = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=[\"']?(?:https?:)?//", page)
    assert not external, external  # plotly.js is inlined; nothing is fetched


def test_print_sizing_keeps_fonts_at_least_9pt(plan):
    from socplan.reporting.render import for_print

    fig = for_print(build_chart(plan, "burnup").figure)
    assert fig.layout.width == cm_to_px(16)
    assert fig.layout.font.size >= 12  # 12 CSS px = 9 pt at this width
    sizes = [t.textfont.size for t in fig.data if t.textfont.size is not None]
    assert all(size >= 12 for size in sizes)


def test_print_spec_is_the_validated_figure_sized_for_print(plan):
    """The renderer sizes figures on their dicts (no second validation); the result is what the
    validated figure gives."""
    import json

    from plotly.io.json import to_json_plotly

    from socplan.reporting.charts import chart_names
    from socplan.reporting.render import for_print, print_spec

    for name, _ in chart_names(plan):
        fig = build_chart(plan, name).figure
        fast = json.loads(to_json_plotly(print_spec(fig, 25.0)))
        checked = json.loads(to_json_plotly(for_print(fig, 25.0).to_dict()))
        assert fast == checked, name


def test_a_batch_of_images_comes_back_in_order(plan):
    from socplan.reporting.render import images

    charts = [build_chart(plan, n) for n in ("burnup", "status", "timeline-R3", "by-owner")]
    widths = [16.0, 8.0, 25.0, 16.0]
    drawn = images([(c.figure, w) for c, w in zip(charts, widths, strict=True)], "svg")
    for svg, item, width in zip(drawn, charts, widths, strict=True):
        root = ET.fromstring(svg)
        assert item.title in " ".join(root.itertext()), f"{item.name} came back as another chart"
        assert int(float(root.get("width"))) == cm_to_px(width)
    pngs = images([(c.figure, w) for c, w in zip(charts, widths, strict=True)], "png")
    assert [png_size(p)[0] for p in pngs] == [2 * cm_to_px(w) for w in widths]


def test_eight_threads_each_get_their_own_chart(plan):
    names = [
        "status",
        "by-theme",
        "by-owner",
        "trend",
        "burnup",
        "changes",
        "timeline-R1",
        "timeline-R8",
    ]
    charts = [build_chart(plan, n) for n in names]

    def render(item):
        return item.title, to_bytes(item.figure, "svg")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, charts))
    for (title, svg), item in zip(results, charts, strict=True):
        assert title == item.title
        text = " ".join(t for t in ET.fromstring(svg).itertext())
        assert item.title in text, f"{item.name} came back as another chart"


def test_a_browser_that_died_is_replaced_on_the_next_call(plan):
    """Chromium killed under the server (out of memory, say): the call that finds it gone
    fails, and the one after starts a new browser rather than failing for good."""
    from socplan.reporting import export_server

    figure = build_chart(plan, "status").figure
    to_bytes(figure, "svg")
    server = export_server.start()
    browser = server.ready.result()
    browser.subprocess.kill()
    browser.subprocess.wait()
    with pytest.raises(Exception):  # noqa: B017 (whichever error choreographer raises)
        to_bytes(figure, "svg")
    assert export_server.start() is not server
    assert ET.fromstring(to_bytes(figure, "svg")).tag.endswith("svg")


def test_chart_command(runner, demo_db, tmp_path):
    listing = runner.invoke(main, ["chart", "--list", "--db", demo_db])
    assert (
        listing.exit_code == 0 and "burnup" in listing.output and "timeline-R14" in listing.output
    )
    out = tmp_path / "by-theme.png"
    result = runner.invoke(
        main, ["chart", "by-theme", "--format", "png", "-o", str(out), "--db", demo_db]
    )
    assert result.exit_code == 0, result.output
    assert png_size(out.read_bytes())[0] == 1210
    wide = tmp_path / "timeline.png"
    runner.invoke(main, ["chart", "timeline-R8", "-o", str(wide), "--db", demo_db])
    assert png_size(wide.read_bytes())[0] == 2 * cm_to_px(25)
    bad = runner.invoke(main, ["chart", "pie", "-o", str(out), "--db", demo_db])
    assert bad.exit_code == 2 and "there is no chart 'pie'" in bad.output


@pytest.fixture(scope="module")
def report_docx(demo_db, tmp_path_factory) -> Path:
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("report") / "report.docx"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--format",
            "docx",
            "-o",
            str(out),
            "--db",
            demo_db,
            "--meeting-date",
            "10 December 2020",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_docx_has_the_shape_of_a_panel_paper(report_docx):
    document = docx.Document(str(report_docx))
    paragraphs = document.paragraphs
    assert paragraphs[0].text == "POLICE AND CRIME PANEL 10 DECEMBER 2020"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    for expected in (
        "Recommendation",
        "Background",
        "Summary of progress",
        "Exceptions",
        "Changes since 2020/21 Q1",
        "Updates not received",
        "Status definitions",
        "Next steps",
        "Supporting information",
        "Contact points",
        "Appendix A: milestone timelines",
    ):
        assert expected in headings
    numbered = [p for p in paragraphs if p.style.name == "List Number"]
    assert len(numbered) >= 8 and numbered[0].text.startswith("Members of the Panel are invited")
    assert sum(p.style.name == "Heading 2" for p in paragraphs) == 14  # one timeline page each


def test_docx_tables_have_header_rows(report_docx):
    document = docx.Document(str(report_docx))
    assert len(document.tables) >= 5
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.find(f"{W}trPr/{W}tblHeader") is not None
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert document.tables[0].rows[0].cells[0].text == "Theme"


def _table_by_header(document, header: str):
    return next(t for t in document.tables if header in [c.text for c in t.rows[0].cells])


def test_docx_columns_are_sized_to_their_content(report_docx):
    """Narrow refs, dates and statuses; the long text columns take the rest; widths fixed in the
    grid, in every cell and by a fixed layout, so that LibreOffice keeps them as Word does."""
    document = docx.Document(str(report_docx))
    body = document.element.body
    for table in document.tables:
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
        assert len(set(grid)) > 1, "equal column widths"
        assert table._tbl.tblPr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
        for row in table.rows:
            assert [c.width.twips for c in row.cells] == grid
        # The table fits the text width of the section it is in.
        section = next(
            s for s in body.iter(f"{W}sectPr") if body.index(table._tbl) < _position(body, s)
        )
        size, margins = section.find(f"{W}pgSz"), section.find(f"{W}pgMar")
        text_width = (
            int(size.get(f"{W}w")) - int(margins.get(f"{W}left")) - int(margins.get(f"{W}right"))
        )
        assert sum(grid) <= text_width + 5
    exceptions = _table_by_header(document, "Reason, corrective action and latest update")
    heads = [c.text for c in exceptions.rows[0].cells]
    width = dict(zip(heads, (c.width for c in exceptions.rows[0].cells), strict=True))
    text = ("Milestone", "Reason, corrective action and latest update")
    for narrow in ("Exception", "Ref", "Due or expected"):
        assert all(width[t] > width[narrow] for t in text), (narrow, width)
    assert width["Reason, corrective action and latest update"] == max(width.values())
    timeline = _table_by_header(document, "Agreed due")
    heads = [c.text for c in timeline.rows[0].cells]
    width = dict(zip(heads, (c.width for c in timeline.rows[0].cells), strict=True))
    assert width["Milestone"] == max(width.values())
    assert width["Ref"] < width["Status"] < width["Owner"] < width["Milestone"]


def _position(body, sect_pr) -> int:
    """Where a section ends: the index of the paragraph holding its sectPr (or the body's)."""
    parent = sect_pr.getparent()
    while parent is not body:
        sect_pr, parent = parent, parent.getparent()
    return body.index(sect_pr)


def test_wide_tables_go_on_landscape_pages(plan):
    from socplan.config import load_settings
    from socplan.reporting.report import Landscape, Table, build_report

    blocks = build_report(plan, load_settings()).blocks
    at = next(
        i
        for i, b in enumerate(blocks)
        if isinstance(b, Table) and b.caption == "Table 2: exceptions"
    )
    assert blocks[at - 1] == Landscape(True) and blocks[at + 1] == Landscape(False)
    narrow = next(
        i
        for i, b in enumerate(blocks)
        if isinstance(b, Table) and b.title == "status definitions in force"
    )
    assert not isinstance(blocks[narrow - 1], Landscape)


DATES = "date changes this quarter"
CANCELLED = "milestones cancelled this quarter"
MISSING = "owners with missing updates"


@pytest.mark.parametrize(
    ("owners", "period", "left_out"),
    [
        ((), "2020/21 Q1", set()),  # every table
        (("Public health",), "2020/21 Q1", {CANCELLED, MISSING}),
        (("Public health",), "2020/21 Q2", {"exceptions", DATES, CANCELLED, MISSING}),
    ],
)
def test_report_tables_are_numbered_without_gaps(plan, owners, period, left_out):
    """Tables are numbered 1, 2, 3… as they are added, so one left out leaves no gap, and every
    "Table N" in the text names the numbered table that follows it, in Word and PDF alike."""
    import re

    from socplan.config import load_settings
    from socplan.reporting.report import Para, Table, build_report
    from socplan.reporting.report_pdf import to_html

    content = build_report(plan.filtered(owners=owners), load_settings(), period)
    blocks = content.blocks
    numbered = [b for b in blocks if isinstance(b, Table) and b.number is not None]
    assert numbered == content.tables
    assert [t.number for t in numbered] == list(range(1, len(numbered) + 1))
    assert all(t.caption == f"Table {t.number}: {t.title}" for t in numbered)
    titles = {t.title for t in numbered}
    assert not titles & left_out and "status definitions in force" in titles
    assert len(numbered) == 6 - len(left_out)
    cited = 0
    for at, block in enumerate(blocks):
        if isinstance(block, Para):
            for number in map(int, re.findall(r"\bTable (\d+)", block.text)):
                following = next(
                    b for b in blocks[at:] if isinstance(b, Table) and b.number is not None
                )
                assert following.number == number, block.text
                cited += 1
    assert cited == ("exceptions" not in left_out)
    page = to_html(content, dict.fromkeys((f.number for f in content.figures), b""))
    captions = [int(n) for n in re.findall(r"<caption>Table (\d+): ", page)]
    assert captions == [t.number for t in numbered]
    assert {int(n) for n in re.findall(r"\bTable (\d+)", page)} <= set(captions)


def test_column_widths_share_the_page_as_a_browser_would():
    import pandas as pd

    from socplan.reporting.table_layout import column_widths, min_width_cm, text_width_cm

    frame = pd.DataFrame(
        {
            "Ref": ["R1.1", "R12.4"],
            "Milestone": [
                "Map the county lines running into and out of each policing area " * 2,
                "x",
            ],
            "Due": ["30 September 2020", "1 June 2021"],
        }
    )
    widths = column_widths(frame, 16.0)
    assert abs(sum(widths) - 16.0) < 1e-9
    assert widths[0] < widths[2] < widths[1]
    assert widths[2] >= text_width_cm("30 September")  # breaks before the year, not inside
    assert min_width_cm(frame) < 16.0
    assert column_widths(frame.iloc[:, :0], 16.0) == []


def test_docx_has_one_picture_per_chart_with_alt_text(report_docx):
    document = docx.Document(str(report_docx))
    shapes = document.inline_shapes
    captions = [
        p.text
        for p in document.paragraphs
        if p.style.name == "Caption" and p.text.startswith("Figure")
    ]
    assert len(shapes) == len(captions) == 5 + 14
    for shape in shapes:
        descr = shape._inline.docPr.get("descr")
        assert descr and len(descr) > 20
    landscape = [s for s in document.sections if s.page_width > s.page_height]
    assert landscape


def test_pdf_pages_render_and_are_not_blank(demo_db, tmp_path, runner):
    out = tmp_path / "report.pdf"
    result = runner.invoke(main, ["report", "--format", "pdf", "-o", str(out), "--db", demo_db])
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 15
    assert "Tagged:          yes" in info  # headings, tables and figures' alt text for readers
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(out), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    for image in images:
        raw = image.read_bytes()
        pixels = raw.split(b"\n", 3)[3]
        assert min(pixels) < 128, f"{image.name} is blank"
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Members of the Panel are invited" in text and "Appendix A" in text


def test_public_report_and_export_leave_out_private_items(demo_db, tmp_path, runner, plan):
    from socplan.config import load_settings
    from socplan.reporting.report import Heading, Para, build_report

    content = build_report(plan, load_settings(), public=True)
    appendix = [b.text for b in content.blocks if isinstance(b, Heading) and b.level == 2]
    private = set(plan.recommendations_at()[~plan.recommendations_at()["public"]]["ref"])
    assert private and not any(h.split(":")[0] in private for h in appendix)
    notes = [b.text for b in content.blocks if isinstance(b, Para) and "for publication" in b.text]
    assert notes and "left out" in notes[0]
    out = tmp_path / "public.csv"
    result = runner.invoke(
        main, ["export", "--format", "csv", "--public", "-o", str(out), "--db", demo_db]
    )
    assert result.exit_code == 0 and "not for publication are left out" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and all(r["Public"] == "Yes" for r in rows)
    assert not any(r["Recommendation"] in private for r in rows)


def test_csvw_metadata_describes_the_csv(demo_db, tmp_path, runner):
    import json

    out = tmp_path / "plan.csv"
    runner.invoke(main, ["export", "--format", "csv", "-o", str(out), "--db", demo_db])
    meta = json.loads((tmp_path / "plan.csv-metadata.json").read_text())
    assert meta["url"] == "plan.csv" and meta["tableSchema"]["primaryKey"] == "ref"
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [c["titles"] for c in meta["tableSchema"]["columns"]] == header
    due = next(c for c in meta["tableSchema"]["columns"] if c["name"] == "due")
    assert due["datatype"] == "date"


def test_dashboard_download_routes(demo_db):
    from dashboard.app import create_app

    client = create_app({"db": demo_db, "require_sign_in": False}).server.test_client()
    svg = client.get(f"{P}/export/chart/by-theme.svg?theme=Pursue")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "attachment" in svg.headers["Content-Disposition"]
    data = client.get(f"{P}/export/data.csv?theme=Pursue&period=2020%2F21+Q1")
    rows = list(csv.DictReader(io.StringIO(data.get_data(as_text=True))))
    assert rows and {r["Theme"] for r in rows} == {"Pursue"}
    xlsx = client.get(f"{P}/export/data.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get(f"{P}/export/chart/nonsense.png").status_code == 404
    assert client.get(f"{P}/export/chart/status.exe").status_code == 404
    word = client.get(f"{P}/export/report.docx?owner=Public+health")
    assert word.status_code == 200 and word.data[:2] == b"PK"


def test_a_report_asked_again_comes_from_the_cache(demo_db, monkeypatch):
    """The same report for the same plan version and filters is made once: asked again, by the
    same query or another that draws the same (no period and the newest period's label, owners
    in another order), it comes from the cache; another period is another report."""
    import dashboard.exports as exports
    from dashboard.app import create_app

    made: list[tuple[str, str]] = []

    def report(plan, period, public, fmt):
        made.append((str(period), fmt))
        return b"PK stand-in"

    monkeypatch.setattr(exports, "_report", report)
    client = create_app({"db": demo_db, "require_sign_in": False}).server.test_client()
    owners = "owner=Public+health&owner=West+Mercia+Police"
    reversed_owners = "owner=West+Mercia+Police&owner=Public+health"
    for query in (
        f"?{owners}",
        f"?{owners}",
        f"?{reversed_owners}&period=2020%2F21+Q2",
        f"?period=2020/21+Q2&{owners}&period=nonsense",
    ):
        assert client.get(f"{P}/export/report.docx{query}").data == b"PK stand-in"
    assert made == [("2020/21 Q2", "docx")]
    client.get(f"{P}/export/report.docx?{owners}&period=2020%2F21+Q1")
    client.get(f"{P}/export/report.pdf?{owners}")
    assert made == [("2020/21 Q2", "docx"), ("2020/21 Q1", "docx"), ("2020/21 Q2", "pdf")]


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_chromium_is_found_as_before_or_named_by_the_setting(tmp_path, monkeypatch):
    from socplan import browser
    from socplan.config import load_settings

    if Path(browser.DEBIAN_CHROMIUM).exists():  # Debian's program, not its launcher script
        assert browser.find_chromium() == browser.DEBIAN_CHROMIUM
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", str(tmp_path / "absent"))
    fake = _script(tmp_path / "chromium-browser", "exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert browser.find_chromium() == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="SOCPLAN_CHROMIUM_PATH"):
        browser.chromium(load_settings())
    monkeypatch.setenv("SOCPLAN_CHROMIUM_PATH", str(fake))
    assert browser.chromium(load_settings()) == str(fake)
    monkeypatch.setenv("SOCPLAN_CHROMIUM_PATH", str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError, match=r"SOCPLAN_CHROMIUM_PATH: .*nothing"):
        browser.chromium(load_settings())


def test_pdf_is_printed_by_the_chromium_setting_with_its_profile_in_scratch(tmp_path):
    """The export server (one per process; started here by the first call after `stop`) runs
    the Chromium the settings name, with its profile in the scratch folder; the page printed is
    written there too, and both are gone when they are done with."""
    from socplan.browser import chromium
    from socplan.config import Settings
    from socplan.reporting import export_server
    from socplan.reporting.report_pdf import html_to_pdf

    log = tmp_path / "args.txt"
    real = chromium(Settings())
    wrapper = _script(tmp_path / "logged-chromium", f'echo "$@" > {log}\nexec {real} "$@"\n')
    settings = Settings(chromium_path=str(wrapper), state_dir=str(tmp_path / "state"))
    scratch = tmp_path / "state" / "scratch"
    export_server.stop()
    try:
        html_to_pdf("<p>Scratch test</p>", tmp_path / "out.pdf", settings)
        assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")
        args = log.read_text().split()
        profile = Path(
            next(a.removeprefix("--user-data-dir=") for a in args if "user-data-dir" in a)
        )
        assert profile.parent == scratch and "--headless" in args
        assert list(scratch.iterdir()) == [profile]  # the page's folder is gone
    finally:
        export_server.stop()
    assert scratch.is_dir() and not any(scratch.iterdir())  # the profile went with the browser


def test_the_printed_page_runs_no_script(tmp_path):
    """The report page is printed with scripts off: kaleido's browser runs without web security."""
    from socplan.reporting.report_pdf import html_to_pdf

    page = (
        '<p id="x">as written</p>'
        '<script>document.getElementById("x").textContent = "changed by a script"</script>'
    )
    html_to_pdf(page, tmp_path / "out.pdf")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "as written" in text and "changed by a script" not in text


def test_chart_server_runs_the_chromium_setting_with_its_profile_in_scratch(tmp_path, monkeypatch):
    import kaleido

    from socplan.config import Settings
    from socplan.reporting import export_server, render

    started: list[dict] = []

    class Browser:  # stands in for kaleido.Kaleido: records how it was made
        def __init__(self, **kwargs):
            started.append(kwargs)

        async def open(self):
            pass

        async def close(self):
            pass

    monkeypatch.setattr(kaleido, "Kaleido", Browser)
    fake = _script(tmp_path / "chromium", "exit 0\n")
    settings = Settings(chromium_path=str(fake), state_dir=str(tmp_path / "state"))
    export_server.stop()
    try:
        render.warm_up(settings).ready.result()
    finally:
        export_server.stop()
    assert started == [
        {
            "n": 1,
            "path": str(fake),
            "plotlyjs": str(export_server.PLOTLY_JS),  # socplan's own build: it loads sooner
            "mathjax": False,
            "tmp_dir": str(settings.scratch_path),
        }
    ]
    assert settings.scratch_path.is_dir()


def test_a_report_with_nothing_left_by_the_filters_still_writes(plan, tmp_path):
    """Filters that leave no milestone (an owner with nothing public) give a report that says so,
    in Word and PDF, not a crash."""
    from socplan.config import load_settings
    from socplan.reporting.report import build_report
    from socplan.reporting.report_docx import write_docx
    from socplan.reporting.report_pdf import write_pdf

    nothing = plan.filtered([], ["No such owner"], public_only=True)
    assert nothing.milestones(plan.latest).empty
    content = build_report(nothing, load_settings(), plan.latest)
    write_docx(content, tmp_path / "empty.docx")
    write_pdf(content, tmp_path / "empty.pdf")
    assert docx.Document(str(tmp_path / "empty.docx")).paragraphs
    assert (tmp_path / "empty.pdf").read_bytes().startswith(b"%PDF")


def test_nothing_to_download_before_anything_is_published(tmp_path, monkeypatch):
    """A viewer of a plan with no signed-off period gets 404, not an empty file labelled with
    some quarter."""
    from builders import basic_milestones, recs

    from dashboard.app import create_app
    from socplan.periods import Period
    from socplan.store import Store

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'draft.db'}"
    Store(url).commit_import(
        recs(), basic_milestones(), Period(2019, 3), data=b"d", file_name="d", imported_by="t"
    )
    client = create_app({"db": url, "require_sign_in": False}).server.test_client()
    for path in ("/export/data.csv", "/export/chart/status.svg", "/export/report.docx"):
        response = client.get(P + path)
        assert (
            response.status_code == 404
            and "nothing to download yet" in response.get_json()["error"]
        )

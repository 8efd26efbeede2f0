"""The public site (`socplan site`): public items only, escaped, the same bytes twice, open data
with CSVW, and a folder that is never someone else's."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from builders import milestone, milestones, recs, template_bytes

from socplan.cli import main
from socplan.config import load_settings
from socplan.intake.importer import import_bytes
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.reporting.site import page_names, published_plan, write_site
from socplan.reporting.site_folder import MARKER, SiteError, write_folder
from socplan.reporting.site_svg import clean_svg
from socplan.signoffs import sign_off
from socplan.store import Store

T = pd.Timestamp
Q1, Q2, Q3 = Period(2020, 1), Period(2020, 2), Period(2020, 3)

# Distinctive texts of items that are not for publication: none may appear anywhere in the site.
SECRET_REC = "Quokka covert surveillance recommendation"
SECRET_REC_MS = "Quokka covert milestone under a private recommendation"
SECRET_MS = "Wombat informant handling milestone"
SECRET_OWNER = "Numbat Covert Unit"
MADE_PRIVATE = "Platypus milestone public last quarter, private now"
LATER = "Echidna milestone first reported in a later quarter"
SECRETS = (SECRET_REC, SECRET_REC_MS, SECRET_MS, SECRET_OWNER, MADE_PRIVATE, LATER, "R3.1", "R1.9")

# Workbook text is hostile.
SCRIPT_REC = "<script>alert('rec')</script> Disrupt county lines"
HYPERLINK = '=HYPERLINK("http://evil.example/","click me")'
JS_UPDATE = "javascript:alert(document.cookie)"
IMG_OWNER = "<img src=x onerror=alert(1)>Police"
LINK_REASON = '<a href="javascript:alert(3)">delayed</a>'
LINK_REF = "<a href=javascript:alert(4)>R4</a>"  # plotly makes a link of a label like this


def _recommendations(period: Period) -> pd.DataFrame:
    frame = recs(4)
    frame.loc[0, ["text", "lead", "partners"]] = [SCRIPT_REC, "<b>Lead</b>", "javascript:void(0)"]
    frame.loc[2, ["text", "public"]] = [SECRET_REC, False]
    frame.loc[3, "ref"] = LINK_REF
    if period == Q3:  # a recommendation added later, published
        extra = recs(5).iloc[[4]]
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


def _milestones(period: Period) -> pd.DataFrame:
    rows = [
        milestone(
            "R1.1",
            milestone=HYPERLINK,
            owner=IMG_OWNER,
            update=JS_UPDATE,
            forecast=T("2020-09-30"),
            reason=LINK_REASON,
            status="At risk",
        ),
        milestone("R1.2", status="Complete", progress=100.0, completed=T("2020-05-01")),
        milestone("R1.9", milestone=SECRET_MS, owner=SECRET_OWNER, public=False),
        milestone("R2.1", status="Off track", update="Corrective action: more staff"),
        milestone("R2.2", milestone=MADE_PRIVATE, public=period == Q1),
        milestone("R3.1", milestone=SECRET_REC_MS),
        milestone(f"{LINK_REF}.1", recommendation=LINK_REF, status="Not started", progress=0.0),
    ]
    if period == Q3:
        rows += [milestone("R5.1", milestone=LATER)]
    return milestones(*rows)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three quarters: Q2 is the one published; Q3 holds later (draft) news."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site-db') / 'plan.db'}"
    store = Store(url)
    for period in (Q1, Q2, Q3):
        data = template_bytes(period, _recommendations(period), _milestones(period))
        outcome = import_bytes(store, data, "plan.xlsx", period=period, imported_by="test")
        assert outcome.revision is not None, outcome.report.lines()
    for period in (Q1, Q2):  # Q3 stays a draft: the panel has not seen it
        sign_off(store, period, "policy lead")
    return url


@pytest.fixture(scope="module")
def plan(db: str) -> DeliveryPlan:
    return DeliveryPlan.from_store(Store(db))


@pytest.fixture(scope="module")
def sites(plan: DeliveryPlan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The Q2 site written twice, into two folders."""
    first = tmp_path_factory.mktemp("site") / "one"
    second = tmp_path_factory.mktemp("site") / "two"
    for folder in (first, second):
        write_site(plan, Q2, load_settings(), folder, title="Test <plan> & co")
    return first, second


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_runs_give_the_same_bytes(sites):
    first, second = files(sites[0]), files(sites[1])
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert not different
    assert any(name.startswith("recommendations/") for name in first)
    assert sum(b"<svg" in data and b'role="img"' in data for data in first.values()) >= 2


def test_writing_again_over_a_site_changes_nothing(plan, sites):
    before = files(sites[0])
    written = write_site(plan, Q2, load_settings(), sites[0], title="Test <plan> & co")
    assert written.removed == ()
    assert files(sites[0]) == before
    assert set(written.files) == set(before)


def test_no_item_that_is_not_public_appears_anywhere(sites):
    site = files(sites[0])
    assert {"index.html", "data/milestones.csv", "data/recommendations.csv"} <= set(site)
    for name, data in site.items():
        text = data.decode("utf-8")
        found = [secret for secret in SECRETS if secret in text]
        assert not found, f"{name} holds {found}"


def test_the_overview_says_what_was_left_out(sites):
    index = (sites[0] / "index.html").read_text()
    # R3 (private), with R3.1; R1.9 (private); R2.2 (private now). R5 is a later quarter's.
    assert "1 recommendation and 3 milestones are not published." in index
    assert "Delivery progress as at 30 September 2020" in index
    assert "Test &lt;plan&gt; &amp; co" in index


def test_published_plan_has_no_later_quarters_nor_items_since_made_private(plan):
    public = published_plan(plan, Q2)
    assert public.periods == [Q1, Q2]
    assert "R2.2" not in set(public.snapshots["ref"])  # public in Q1, private in Q2
    assert set(public.snapshots["ref"]) == {"R1.1", "R1.2", "R2.1", f"{LINK_REF}.1"}
    assert set(public.recommendations["ref"]) == {"R1", "R2", LINK_REF}
    counts = public.trend().set_index("period").sum(axis=1)
    assert counts.to_dict() == {"2020/21 Q1": 4, "2020/21 Q2": 4}


class _Tags(HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(data: bytes) -> _Tags:
    parser = _Tags()
    parser.feed(data.decode("utf-8"))
    return parser


FORBIDDEN = {"script", "iframe", "object", "embed", "img", "image", "use", "foreignobject", "form"}
SCHEME = re.compile(r"^\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def test_hostile_workbook_text_is_only_ever_text(sites):
    site = files(sites[0])
    pages = {n: d for n, d in site.items() if n.endswith(".html")}
    texts = ""
    for name, data in pages.items():
        assert b"<script" not in data.lower(), name
        parsed = _parse(data)
        texts += " ".join(parsed.text)
        for tag, attrs in parsed.tags:
            assert tag not in FORBIDDEN, (name, tag)
            for key, value in attrs.items():
                assert not key.startswith("on"), (name, tag, key)
                if key in ("href", "src", "xlink:href", "action"):
                    assert value is not None and not SCHEME.match(value), (name, tag, key, value)
                    assert not value.startswith("//"), (name, value)
    # The hostile strings are there, as text.
    for hostile in (SCRIPT_REC, HYPERLINK, JS_UPDATE, IMG_OWNER, LINK_REASON):
        assert hostile in texts, hostile
    assert "&lt;script&gt;alert(&#x27;rec&#x27;)&lt;/script&gt;" in site["index.html"].decode()


def test_charts_are_inline_svg_without_links_scripts_or_handlers(sites):
    site = files(sites[0])
    svgs = re.findall(rb"<svg xmlns=.*?</svg>", b"".join(site.values()), re.S)
    assert len(svgs) >= 4 + 3  # four on the overview, a timeline per recommendation
    for svg in svgs:
        assert b"<a" not in svg and b"<script" not in svg.lower()
        assert not re.search(rb"\son[a-z]+=", svg)
        assert b"cursor" not in svg and b"class=" not in svg
        for ref in re.findall(rb"url\(([^)]*)\)", svg):
            assert ref.startswith(b"#"), ref
    # The hostile ref is in the timeline's labels as text, not as a link.
    page = page_names([LINK_REF])[LINK_REF]
    assert page.startswith("recommendations/a-href-") and page in site
    assert b"<a" not in re.search(rb"<svg xmlns=.*?</svg>", site[page], re.S).group(0)


def test_clean_svg_keeps_drawing_and_drops_everything_else():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'width="10" height="10" viewBox="0 0 10 10" onload="alert(1)">'
        b'<defs id="defs-abc123"><clipPath id="clipabc123x"><rect width="5" height="5"/></clipPath>'
        b"</defs><script>alert(2)</script>"
        b'<g clip-path="url(#clipabc123x)" class="trace" style="cursor: pointer; fill: red;">'
        b'<a xlink:href="javascript:alert(3)"><text onclick="x()">R1 &lt;b&gt;</text></a>'
        b'<rect style="fill: url(https://evil.example/x.svg)" width="1" height="1"/>'
        b'<use href="https://evil.example/#x"/><image href="https://evil.example/i.png"/>'
        b"<foreignObject><div>html</div></foreignObject></g></svg>"
    )
    out = clean_svg(svg, prefix="c1-", label="A <chart>")
    assert 'id="c1-1"' in out and 'clip-path="url(#c1-2)"' in out and "abc123" not in out
    assert "<title" in out and "A &lt;chart&gt;" in out and 'role="img"' in out
    for gone in ("onload", "onclick", "<script", "alert", "cursor", "class=", "evil", "<a", "html"):
        assert gone not in out, gone
    assert "R1 &lt;b&gt;" in out and "fill: red;" in out
    assert clean_svg(svg, prefix="c1-", label="A <chart>") == out


def test_csv_cells_never_become_formulas(sites):
    text = (sites[0] / "data" / "milestones.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    header = rows[0]
    assert "Public" not in header and "Evidence" not in header
    assert sorted(r[0] for r in rows[1:]) == sorted(["R1.1", "R1.2", "R2.1", f"{LINK_REF}.1"])


def test_each_csv_has_csvw_metadata_that_describes_it(sites):
    data = sites[0] / "data"
    for name in ("milestones.csv", "recommendations.csv"):
        meta = json.loads((data / f"{name}-metadata.json").read_text())
        assert meta["url"] == name
        assert "http://www.w3.org/ns/csvw" in meta["@context"]
        assert meta["dc:modified"] == date(2020, 9, 30).isoformat()
        header, *rows = list(csv.reader(io.StringIO((data / name).read_text(encoding="utf-8"))))
        columns = meta["tableSchema"]["columns"]
        assert [c["titles"] for c in columns] == header
        for i, column in enumerate(columns):
            assert column["name"] and column["datatype"]
            for row in rows:
                value = row[i]
                if value and column["datatype"] == "date":
                    date.fromisoformat(value)
                elif value and column["datatype"] == "number":
                    float(value)
                elif value and isinstance(column["datatype"], dict):
                    assert value in column["datatype"]["format"].split("|")
    page = (sites[0] / "data.html").read_text()
    assert 'href="data/milestones.csv"' in page
    assert 'href="data/milestones.csv-metadata.json"' in page


def test_links_stay_inside_the_site_and_reach_its_files(sites):
    site = files(sites[0])
    for name, data in site.items():
        if not name.endswith(".html"):
            continue
        for tag, attrs in _parse(data).tags:
            target = attrs.get("href") if tag in ("a", "link") else None
            if not target or target.startswith("#"):
                continue
            path = (sites[0] / name).parent / target.split("#")[0]
            assert path.resolve().is_relative_to(sites[0].resolve()), (name, target)
            assert path.is_file(), (name, target)


def test_recommendation_pages_have_safe_names():
    names = page_names(["R1", "r1", "../etc/passwd", "<b>", "", "R1.2", "a" * 80])
    assert names["R1"] == "recommendations/R1.html"
    assert len(set(names.values())) == len(names)
    for name in names.values():
        assert re.fullmatch(r"recommendations/[A-Za-z0-9_-]+\.html", name), name
    assert names == page_names(["R1", "r1", "../etc/passwd", "<b>", "", "R1.2", "a" * 80])


def test_rewriting_replaces_the_site_and_removes_pages_it_no_longer_has(plan, tmp_path):
    folder = tmp_path / "site"
    later = write_site(plan, Q3, load_settings(), folder)
    assert "recommendations/R5.html" in later.files
    (folder / "README.txt").write_text("the office's own notes")
    earlier = write_site(plan, Q2, load_settings(), folder)
    assert earlier.removed == ("recommendations/R5.html",)
    assert not (folder / "recommendations" / "R5.html").exists()
    assert (folder / "README.txt").read_text() == "the office's own notes"
    assert "R5" not in (folder / MARKER).read_text()


def test_a_folder_not_written_by_socplan_is_refused(tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "index.html").write_text("the office's home page")
    with pytest.raises(SiteError, match="not empty and was not written by `socplan site`"):
        write_folder(folder, {"index.html": b"site"})
    assert (folder / "index.html").read_text() == "the office's home page"
    (tmp_path / "file").write_text("x")
    with pytest.raises(SiteError, match="is a file"):
        write_folder(tmp_path / "file", {"index.html": b"site"})


def test_a_tampered_marker_cannot_remove_files_outside_the_site(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    folder = tmp_path / "site"
    write_folder(folder, {"index.html": b"one", "a/b.html": b"two"})
    marker = folder / MARKER
    marker.write_text(marker.read_text() + "../precious.txt\n/etc/passwd\n")
    written, removed = write_folder(folder, {"index.html": b"three"})
    assert removed == ["a/b.html"] and not (folder / "a").exists()
    assert outside.read_text() == "keep"
    assert written == ["index.html", MARKER]


def test_a_link_where_a_page_goes_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere.html"
    target.write_text("not ours")
    folder = tmp_path / "site"
    write_folder(folder, {"index.html": b"one"})
    (folder / "index.html").unlink()
    (folder / "index.html").symlink_to(target)
    write_folder(folder, {"index.html": b"two"})
    assert target.read_text() == "not ours"
    assert (folder / "index.html").read_bytes() == b"two"
    (folder / "sub").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(SiteError, match="is a link"):
        write_folder(folder, {"sub/page.html": b"x"})
    assert not (tmp_path / "page.html").exists()


# -- the command -------------------------------------------------------------------------------


def test_site_command_writes_the_newest_published_period(runner, db, tmp_path):
    out = tmp_path / "public"
    result = runner.invoke(main, ["site", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output + result.stderr
    assert f"as at {Q2}" in result.output  # Q3 is newer, but a draft
    assert "are not published" in result.output
    assert (out / "index.html").is_file() and (out / MARKER).is_file()
    assert LATER not in (out / "data" / "milestones.csv").read_text()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--period", "2020/21 Q7"], 2, "is not a reporting period"),
        (["--period", "2021/22 Q1"], 1, "there is no data for 2021/22 Q1"),
        ([], 1, "was not written by `socplan site`"),
    ],
)
def test_site_command_refusals(runner, db, tmp_path, args, code, message):
    out = tmp_path / "www"
    out.mkdir()
    if code == 1 and not args:
        (out / "home.html").write_text("someone else's")
    result = runner.invoke(main, ["site", "-o", str(out), "--db", db, *args])
    assert result.exit_code == code, result.output + result.stderr
    assert message in result.stderr
    assert [p.name for p in out.iterdir()] == (["home.html"] if code == 1 and not args else [])


def test_site_command_needs_a_folder_and_a_plan(runner, db_url, tmp_path):
    result = runner.invoke(main, ["site", "--db", db_url])
    assert result.exit_code == 2 and "Missing option" in result.stderr
    result = runner.invoke(main, ["site", "-o", str(tmp_path / "x"), "--db", db_url])
    assert result.exit_code == 1 and "holds no plan" in result.stderr
    assert not (tmp_path / "x").exists()


def test_a_plan_with_nothing_public_gives_a_site_that_says_so(tmp_path, db_url):
    store = Store(db_url)
    private = recs(2).assign(public=False)
    data = template_bytes(Q1, private, milestones(milestone("R1.1"), milestone("R2.1")))
    assert import_bytes(store, data, "p.xlsx", period=Q1, imported_by="t").revision is not None
    written = write_site(DeliveryPlan.from_store(store), None, load_settings(), tmp_path / "s")
    index = (tmp_path / "s" / "index.html").read_text()
    assert "2 recommendations and 2 milestones are not published." in index
    assert "No recommendation is published for this period." in index
    assert "<svg xmlns" not in index
    assert not [n for n in written.files if n.startswith("recommendations/")]
    lines = (tmp_path / "s" / "data" / "milestones.csv").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Ref,")


def test_evidence_files_never_reach_the_site(runner, db, tmp_path):
    """Evidence is for those who may see it on the dashboard; the public site carries none, not
    even a file marked public (its name could say what the document is)."""
    from test_attachments import pdf

    from socplan.evidence_store import EvidenceStore

    name = "Signed-partnership-agreement-Zebrafinch.pdf"
    store = Store(db)
    ref = DeliveryPlan.from_store(store).milestones(Q2)["ref"].iloc[0]
    EvidenceStore(store).add(
        ref, name, pdf(), max_bytes=10**6, added_by="editor", period=Q2, public=True
    )
    out = tmp_path / "public"
    result = runner.invoke(main, ["site", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output + result.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert b"Zebrafinch" not in path.read_bytes(), path

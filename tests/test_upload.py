"""The upload cycle through the dashboard's callbacks: check, preview, commit, cancel, stale
previews and two editors at once."""

from __future__ import annotations

import base64
import re
import threading

import pytest
from builders import edit
from conftest import P

from socplan.accounts import Accounts, User
from socplan.demo import load_demo
from socplan.intake.template import write_template
from socplan.intake.uploads import check_returns, commit_returns
from socplan.model import DeliveryPlan
from socplan.periods import Period
from socplan.store import StalePreview, Store

Q3 = Period(2020, 3)


@pytest.fixture
def site(tmp_path, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("SOCPLAN_STATE_DIR", str(tmp_path / "state"))
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store(url)
    load_demo(store)
    Accounts(store).add("editor1", "editor", "correct horse battery")
    return create_app({"db": url}), store


def next_return(store: Store, **changes) -> bytes:
    """The pre-filled template for 2020/21 Q3 with some cells changed, as a policy officer would."""
    import io

    plan = DeliveryPlan.from_store(store)
    buffer = io.BytesIO()
    write_template(buffer, Q3, plan.recommendations_at(), plan.milestones())
    return edit(buffer.getvalue(), changes) if changes else buffer.getvalue()


def commit_return(store: Store, name: str, workbook: bytes, by: str) -> None:
    """Check and commit one full return for Q3, as the upload page does."""
    plan = DeliveryPlan.from_store(store)
    checked = check_returns(store, plan, [(name, workbook)], Q3, partial=False)
    commit_returns(
        store,
        [(name, workbook)],
        Q3,
        partial=False,
        imported_by=by,
        last_import=checked.last_import,
    )


def as_upload(*files: tuple[str, bytes]) -> tuple[list[str], list[str]]:
    contents = [
        f"data:application/octet-stream;base64,{base64.b64encode(d).decode()}" for _, d in files
    ]
    return contents, [n for n, _ in files]


def call(app, func, *args):
    with app.server.test_request_context(f"{P}/upload"):
        from flask import g

        g.require_sign_in = True
        g.user = User("editor1", "editor")
        g.socplan_plan = "main"
        return func(*args)


def text(component) -> str:
    import json

    return json.dumps(
        component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
        default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
    )


def test_check_preview_commit(site):
    from dashboard.pages.upload import check_upload, commit

    app, store = site
    before = len(store.history())
    workbook = next_return(store, Milestones={"I2": "Complete", "L2": "15/10/2020", "J2": 100})
    result, token, style, _ = call(
        app, check_upload, *as_upload(("q3.xlsx", workbook)), Q3.label, "full"
    )
    page = text(result)
    assert token and style["display"] == "block"
    assert "Preview: 2020/21 Q3 compared with 2020/21 Q2" in page and "Status moves" in page
    assert len(store.history()) == before  # nothing stored before Commit
    _, token_after, style_after, message = call(app, commit, 1, token)
    assert "Committed" in text(message) and token_after is None and style_after["display"] == "none"
    history = store.history()
    assert len(history) == before + 1 and history.iloc[-1]["imported_by"] == "editor1"
    assert DeliveryPlan.from_store(store).latest == Q3
    actions = Accounts(store).audit_log()["action"].tolist()
    assert "upload" in actions and "commit" in actions


def test_broken_workbook_shows_every_error_with_its_cell(site):
    from dashboard.pages.upload import check_upload

    app, store = site
    broken = next_return(store, Milestones={"I2": "Compelte", "F3": "31/02/2020"})
    result, token, style, _ = call(
        app, check_upload, *as_upload(("broken.xlsx", broken)), Q3.label, "full"
    )
    page = text(result)
    assert token is None and style["display"] == "none"
    assert "broken.xlsx: cannot be imported" in page
    assert "Milestones!I2: 'Compelte' is not a status" in page and "Milestones!F3" in page


def test_hostile_file_is_refused_with_one_line(site):
    from dashboard.pages.upload import check_upload

    app, _ = site
    result, token, _, _ = call(
        app, check_upload, *as_upload(("evil.xlsm", b"PK\x03\x04junk")), Q3.label, "full"
    )
    assert token is None and "macro-enabled" in text(result)


def test_cancel_stores_nothing(site):
    from dashboard.pages.upload import cancel, check_upload

    app, store = site
    before = len(store.history())
    _, token, _, _ = call(
        app, check_upload, *as_upload(("q3.xlsx", next_return(store))), Q3.label, "full"
    )
    _, token_after, _, message = call(app, cancel, 1, token)
    assert "nothing was stored" in text(message) and token_after is None
    assert len(store.history()) == before


def test_stale_preview_is_refused_with_a_fresh_one(site):
    from dashboard.pages.upload import check_upload, commit

    app, store = site
    _, token, _, _ = call(
        app, check_upload, *as_upload(("mine.xlsx", next_return(store))), Q3.label, "full"
    )
    # Someone else commits in between.
    other = next_return(store, Milestones={"K2": "Updated by a colleague"})
    commit_return(store, "theirs.xlsx", other, "editor2")
    result, fresh, style, message = call(app, commit, 1, token)
    assert "Not committed" in text(message) and "fresh" in text(message)
    assert fresh and fresh != token and style["display"] == "block" and "Preview" in text(result)
    assert list(store.history()["file_name"])[-1] == "theirs.xlsx"
    _, _, _, message = call(app, commit, 1, fresh)
    assert "Committed" in text(message)
    assert list(store.history()["file_name"])[-2:] == ["theirs.xlsx", "mine.xlsx"]


def test_two_editors_commit_at_the_same_time(site):
    _, store = site
    files = {
        name: next_return(store, Milestones={"K2": f"Update from {name}"})
        for name in ("a.xlsx", "b.xlsx")
    }
    last = store.version()[1]
    outcomes: dict[str, object] = {}
    start = threading.Barrier(2)

    def run(name: str) -> None:
        start.wait()
        try:
            outcomes[name] = commit_returns(
                store, [(name, files[name])], Q3, partial=False, imported_by=name, last_import=last
            )
        except StalePreview as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stale = [n for n, o in outcomes.items() if isinstance(o, StalePreview)]
    assert len(stale) == 1  # one landed; the other was told its preview is stale
    # The second editor looks at the fresh preview and commits: both end as revisions.
    commit_returns(
        store,
        [(stale[0], files[stale[0]])],
        Q3,
        partial=False,
        imported_by=stale[0],
        last_import=store.version()[1],
    )
    history = store.history()
    q3 = history[history["period"] == Q3.label]
    assert sorted(q3["file_name"]) == ["a.xlsx", "b.xlsx"] and list(q3["revision"]) == [1, 2]


def test_several_files_become_one_commit_with_partner_merges(site):
    from dashboard.pages.upload import check_upload, commit

    app, store = site
    main = next_return(store)
    partner = next_return(store, Milestones={"K2": "Partner's own update"})
    _, token, _, _ = call(
        app,
        check_upload,
        *as_upload(("main.xlsx", main), ("partner.xlsx", partner)),
        Q3.label,
        "full",
    )
    call(app, commit, 1, token)
    q3 = store.history()
    q3 = q3[q3["period"] == Q3.label]
    assert list(q3["kind"]) == ["full", "partial"] and list(q3["file_name"]) == [
        "main.xlsx",
        "partner.xlsx",
    ]
    ms = DeliveryPlan.from_store(store).milestones(Q3)
    assert (ms["update"] == "Partner's own update").any()


def test_commentary_with_html_is_text(site):
    import dash

    app, store = site
    layout = dash.page_registry["dashboard.pages.overview"]["layout"]
    hostile = "<script>window.__xss = 1</script><b>bold</b>"
    workbook = next_return(store, Milestones={"I2": "Off track", "K2": hostile})
    commit_return(store, "x.xlsx", workbook, "e")
    with app.server.test_request_context(P):
        from flask import g

        g.require_sign_in = True
        g.user = User("editor1", "editor")  # the new quarter is a draft: an editor sees it
        g.socplan_plan = "main"
        page = layout(plan="main")
    # The commentary travels as a plain string (React renders it as text), never as markup: a
    # child of a component, or a cell of a table (assets/socplan.js draws each as a text child).
    found = []

    def walk(node) -> None:
        if isinstance(node, str):
            found.append(node)
            return
        for row in getattr(node, "rows", None) or []:
            found.extend(row)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None:
                walk(child)

    walk(page)
    assert hostile in found
    assert "dangerously_allow_html" not in text(page)


def test_far_stray_value_is_refused_by_its_cell(site):
    """A value at XFD1048576 used to abort the server process; now it is one line naming it."""
    from builders import stray_cell

    from dashboard.pages.upload import check_upload

    app, store = site
    data = stray_cell(next_return(store), "Milestones", "XFD1048576")
    result, token, _, _ = call(app, check_upload, *as_upload(("far.xlsx", data)), Q3.label, "full")
    assert token is None
    assert "Milestones!XFD1048576: a value far outside the table" in text(result)


def test_upload_checked_from_a_server_thread(site):
    """Under a threaded server the parse runs in a child of the fork server, and still works."""
    from dashboard.pages.upload import check_upload

    app, store = site
    data = next_return(store, Milestones={"I2": "Compelte"})
    out: list = []
    worker = threading.Thread(
        target=lambda: out.append(
            call(app, check_upload, *as_upload(("r.xlsx", data)), Q3.label, "full")
        )
    )
    worker.start()
    worker.join(120)
    result, token, _, _ = out[0]
    assert token is None and "Milestones!I2: 'Compelte' is not a status" in text(result)


def ods_return(store: Store, **changes) -> bytes:
    """The pre-filled template for 2020/21 Q3 as .ods, with some cells changed."""
    from builders import ods_edit, ods_template_bytes

    plan = DeliveryPlan.from_store(store)
    data = ods_template_bytes(Q3, plan.recommendations_at(), plan.milestones())
    return ods_edit(data, changes) if changes else data


def test_ods_return_is_checked_previewed_and_committed(site):
    from dashboard.pages.upload import check_upload, commit

    app, store = site
    workbook = ods_return(store, Milestones={"I2": "Complete", "L2": "15/10/2020", "J2": 100})
    result, token, style, _ = call(
        app, check_upload, *as_upload(("q3.ods", workbook)), Q3.label, "full"
    )
    assert token and style["display"] == "block" and "Status moves" in text(result)
    _, _, _, message = call(app, commit, 1, token)
    assert "Committed" in text(message)
    assert store.history().iloc[-1]["file_name"] == "q3.ods"
    assert DeliveryPlan.from_store(store).milestones(Q3).iloc[0]["status"] == "Complete"


def test_hostile_ods_is_refused_by_its_cell(site):
    from dashboard.pages.upload import check_upload

    app, store = site
    data = ods_return(store, Milestones={"XFD1048576": "x"})
    result, token, _, _ = call(app, check_upload, *as_upload(("far.ods", data)), Q3.label, "full")
    assert token is None
    assert "Milestones!XFD1048576: a value far outside the table" in text(result)


def test_upload_page_offers_ods(site):
    from dashboard.pages.upload import layout

    app, _ = site
    page = text(call(app, layout))
    assert (
        '"accept": ".xlsx,.ods,' in page
        and "application/vnd.oasis.opendocument.spreadsheet" in page
    )
    assert "Drop .xlsx or .ods workbooks here" in page


def test_editor_downloads_the_template_as_ods(site):
    from builders import ods_edit

    from socplan.intake.safety import check_workbook_bytes

    app, store = site
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    form = {"username": "editor1", "password": "correct horse battery", "csrf": csrf}
    assert client.post("/login", data=form).status_code == 302
    response = client.get(f"{P}/files/template.ods?period=2020/21 Q3")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    assert "main-return-2020-21-Q3.ods" in response.headers["Content-Disposition"]  # plan named
    data = response.get_data()
    check_workbook_bytes(data, "t.ods")
    filled = ods_edit(data, {"Milestones": {"K2": "Returned as .ods"}})
    plan = DeliveryPlan.from_store(store)
    checked = check_returns(store, plan, [("t.ods", filled)], Q3, partial=False)
    assert checked.ok, [o.report.lines() for _, o in checked.outcomes]

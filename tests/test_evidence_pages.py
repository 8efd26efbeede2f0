"""Evidence in the dashboard, in-process: attaching through the recommendation page's callback
(hostile files refused with their message), who sees which files, and the two download routes."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import PASSWORD, P
from test_attachments import PE, ole, ooxml, pdf, png, with_member, xlsx, xlsx_with, zeros
from test_auth import sign_in
from test_evidence_files import SVG

from dashboard import ids
from socplan.accounts import Accounts
from socplan.evidence_store import EvidenceStore
from socplan.store import Store

REF = "R8.1"  # a milestone of the sample plan's recommendation R8
PAGE = f"{P}/recommendation/R8"
HOSTILE = {
    "renamed exe": ("minutes.pdf", PE, "its content is a Windows program"),
    "macro document": (
        "report.docx",
        ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml"),
        "macro-enabled Word document (.docm)",
    ),
    "vba in an xlsx": (
        "tracker.xlsx",
        with_member(xlsx(), "xl/vbaProject.bin", ole("VBA")),
        "contains macros or embedded programs",
    ),
    "zip bomb in an xlsx": (
        "tracker.xlsx",
        xlsx_with("xl/media/image1.png", zeros(600)),
        "would expand to 600 MB when opened",
    ),
    "svg with script": ("chart.png", SVG, "SVG images can carry scripts"),
}


def attach_payload(name: str, data: bytes, ref: str = REF, public: bool = False) -> dict:
    """The callback request the renderer sends when a file is dropped on `ref`'s control."""

    def key(kind: str) -> dict:
        return {"type": kind, "ref": ref}

    def wild(kind: str) -> str:
        return json.dumps({"ref": ["MATCH"], "type": kind}, separators=(",", ":"))

    outputs = [
        (ids.EVIDENCE_LIST, "children"),
        (ids.EVIDENCE_MESSAGE, "children"),
        (ids.EVIDENCE_UPLOAD, "contents"),
    ]
    encoded = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    return {
        "output": ".." + "...".join(f"{wild(k)}.{p}" for k, p in outputs) + "..",
        "outputs": [{"id": key(k), "property": p} for k, p in outputs],
        "inputs": [
            {"id": key(ids.EVIDENCE_UPLOAD), "property": "contents", "value": encoded},
            [],  # the files' buttons (none drawn here)
        ],
        "state": [
            {"id": key(ids.EVIDENCE_UPLOAD), "property": "filename", "value": name},
            {
                "id": key(ids.EVIDENCE_PUBLIC),
                "property": "value",
                "value": ["public"] if public else [],
            },
            {"id": ids.PERIOD, "property": "value", "value": "2020/21 Q2"},
        ],
        "changedPropIds": [
            json.dumps(key(ids.EVIDENCE_UPLOAD), separators=(",", ":")) + ".contents"
        ],
    }


def action_payload(ref: str, evidence_id: int, do: str) -> dict:
    """The callback request when an editor presses a file's button (publish, withdraw, remove)."""
    payload = attach_payload("", b"", ref=ref)
    button = {"type": ids.EVIDENCE_ACTION, "ref": ref, "file": evidence_id, "do": do}
    payload["inputs"] = [
        {"id": {"type": ids.EVIDENCE_UPLOAD, "ref": ref}, "property": "contents", "value": None},
        [{"id": button, "property": "n_clicks", "value": 1}],
    ]
    payload["changedPropIds"] = [
        json.dumps(dict(sorted(button.items())), separators=(",", ":")) + ".n_clicks"
    ]
    return payload


def client_of(app, username: str | None):
    client = app.server.test_client()
    if username:
        assert sign_in(client, username).status_code == 302
    client.get(PAGE)  # the page first, as a browser: the CSRF cookie and the page's path
    return client


def attach(client, name: str, data: bytes, **kwargs):
    return client.post("/_dash-update-component", json=attach_payload(name, data, **kwargs))


def text(response) -> str:
    """A callback's answer as text (Dash escapes slashes in its JSON)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def page_text(app, username: str) -> str:
    """The recommendation page as the server lays it out for `username`."""
    import dash
    from flask import g

    page = next(
        p
        for p in dash.page_registry.values()
        if p.get("path_template") == "/plans/<plan>/recommendation/<ref>"
    )
    with app.server.test_request_context(PAGE):
        g.require_sign_in = True
        g.user = app.server.extensions["socplan_accounts"].get(username)
        g.socplan_plan = "main"
        return json.dumps(
            page["layout"](plan="main", ref="R8").to_plotly_json(),
            default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
        )


def test_an_editor_attaches_a_file_and_it_is_listed_for_editors_only(site):
    app, store, _ = site
    editor = client_of(app, "editor1")
    response = attach(editor, "Signed agreement.pdf", pdf())
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = text(response)
    assert "Attached Signed agreement.pdf to R8.1 (2020/21 Q2)" in body
    assert "Signed agreement.pdf" in body and f"{P}/files/evidence/" in body
    [stored] = EvidenceStore(store).list()
    assert (stored.milestone, stored.period.label, stored.public) == (REF, "2020/21 Q2", False)
    assert EvidenceStore(store).fetch(stored.id)[1] == pdf()
    assert "Signed agreement.pdf" in page_text(app, "editor1")
    assert "edit-evidence-upload" in page_text(app, "editor1")
    viewer_page = page_text(app, "viewer1")
    assert "Signed agreement.pdf" not in viewer_page and "Evidence" not in viewer_page
    assert "edit-evidence-upload" not in viewer_page
    EvidenceStore(store).set_public(stored.id, True, by="editor1")
    viewer_page = page_text(app, "viewer1")
    assert "Signed agreement.pdf" in viewer_page and f"{P}/evidence/{stored.id}" in viewer_page
    assert "edit-evidence-upload" not in viewer_page and "/files/evidence/" not in viewer_page
    log = Accounts(store).audit_log()
    assert "evidence-add" in set(log["action"])


def test_attaching_as_public_and_a_renamed_photo(site):
    app, store, _ = site
    response = attach(client_of(app, "editor1"), "photo.jpg", png(), public=True)
    body = text(response)
    assert "saved as" in body and "photo.png" in body
    [stored] = EvidenceStore(store).list(public_only=True)
    assert stored.name == "photo.png" and stored.media_type == "image/png"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_through_the_page_with_their_message(site, case):
    app, store, _ = site
    name, data, says = HOSTILE[case]
    response = attach(client_of(app, "editor1"), name, data)
    assert response.status_code == 200
    body = text(response)
    assert "Not attached: " in body and says in body
    assert EvidenceStore(store).list() == []
    assert Accounts(store).audit_log()["action"].iloc[0] == "evidence-refused"


def test_viewers_and_strangers_cannot_attach(site):
    app, store, _ = site
    assert attach(client_of(app, "viewer1"), "a.pdf", pdf()).status_code == 403
    assert attach(client_of(app, None), "a.pdf", pdf()).status_code == 401
    assert EvidenceStore(store).list() == []


def test_downloads_by_role(site):
    app, store, _ = site
    evidence = EvidenceStore(store)
    secret, _ = evidence.add(REF, "minutes.pdf", pdf(), max_bytes=1 << 20, added_by="editor1")
    shown, _ = evidence.add(REF, "photo.png", png(), max_bytes=1 << 20, added_by="e", public=True)
    editor, viewer = client_of(app, "editor1"), client_of(app, "viewer1")
    for path in (f"{P}/files/evidence/{secret.id}", f"{P}/evidence/{secret.id}"):
        response = editor.get(path)
        assert response.status_code == 200 and response.data == pdf()
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=minutes.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"].startswith("sandbox")
        assert response.headers["Cache-Control"] == "no-store"
    assert viewer.get(f"{P}/files/evidence/{secret.id}").status_code == 403
    refused = viewer.get(f"{P}/evidence/{secret.id}")
    assert refused.status_code == 403 and pdf() not in refused.data
    assert viewer.get(f"{P}/files/evidence/{shown.id}").status_code == 403  # editors' route
    public = viewer.get(f"{P}/evidence/{shown.id}")
    assert public.status_code == 200 and public.data == png()
    assert public.headers["Content-Type"] == "image/png"
    assert viewer.get(f"{P}/evidence/999").status_code == 404
    evidence.remove(shown.id, by="editor1")
    assert viewer.get(f"{P}/evidence/{shown.id}").status_code == 404
    assert client_of(app, None).get(f"{P}/files/evidence/{secret.id}").status_code == 401
    downloads = Accounts(store).audit_log()
    assert (downloads["action"] == "evidence-download").sum() == 3


def test_an_evidence_id_of_another_plan_is_not_found(site):
    app, store, accounts = site
    store.add_plan("other", "Another plan")
    from builders import basic_milestones, recs

    from socplan.periods import Period

    other = store.for_plan("other")
    other.commit_import(
        recs(), basic_milestones(), Period(2019, 3), data=b"x", file_name="x", imported_by="t"
    )
    theirs, _ = EvidenceStore(other).add(
        "R1.1", "minutes.pdf", pdf(), max_bytes=1 << 20, added_by="t", public=True
    )
    mine = Store(store.url, plan="main")
    assert EvidenceStore(mine).list() == []
    editor = client_of(app, "admin1")  # a role on every plan
    for path in (f"{P}/files/evidence/{theirs.id}", f"{P}/evidence/{theirs.id}"):
        assert editor.get(path).status_code == 404, path
    assert editor.get(f"/plans/other/evidence/{theirs.id}").status_code == 200
    accounts.add("mainviewer", "viewer", PASSWORD, plan="main")
    stranger = client_of(app, "mainviewer")
    assert stranger.get(f"/plans/other/evidence/{theirs.id}").status_code == 403


def test_the_panel_report_names_public_evidence_and_notices_new_files(site):
    import io

    import docx as python_docx

    app, store, _ = site
    evidence = EvidenceStore(store)
    evidence.add(REF, "secret.pdf", pdf(), max_bytes=1 << 20, added_by="e")
    evidence.add(REF, "minutes.pdf", pdf(), max_bytes=1 << 20, added_by="e", public=True)
    viewer = client_of(app, "viewer1")

    def report_text() -> str:
        response = viewer.get(f"{P}/export/report.docx")
        assert response.status_code == 200
        document = python_docx.Document(io.BytesIO(response.data))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)

    first = report_text()
    assert "Appendix B: evidence files" in first and "minutes.pdf" in first
    assert "secret.pdf" not in first
    evidence.add(REF, "photo.png", png(), max_bytes=1 << 20, added_by="e", public=True)
    assert "photo.png" in report_text()  # not an answer kept from before the file was added


def test_an_editor_publishes_withdraws_and_removes_a_file_from_the_page(site):
    app, store, _ = site
    evidence = EvidenceStore(store)
    item, _ = evidence.add(REF, "minutes.pdf", pdf(), max_bytes=1 << 20, added_by="editor1")
    editor, viewer = client_of(app, "editor1"), client_of(app, "viewer1")

    def press(client, do: str, ref: str = REF):
        return client.post("/_dash-update-component", json=action_payload(ref, item.id, do))

    assert press(viewer, "publish").status_code == 403
    assert evidence.list(public_only=True) == []
    answer = press(editor, "publish")
    assert answer.status_code == 200 and "minutes.pdf made public." in text(answer)
    assert [e.id for e in evidence.list(public_only=True)] == [item.id]
    assert "Editors only" in text(answer)  # the button now offers the way back
    assert "made editors-only" in text(press(editor, "withdraw"))
    assert evidence.list(public_only=True) == []
    assert "Not changed: there is no evidence file" in text(press(editor, "remove", ref="R8.2"))
    assert "minutes.pdf removed." in text(press(editor, "remove"))
    assert evidence.list() == []
    actions = list(Accounts(store).audit_log()["action"])[:3]
    assert actions == ["evidence-remove", "evidence-public", "evidence-public"]

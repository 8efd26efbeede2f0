"""Roles per plan, enforced on the server: a viewer of one plan asking for anything of another,
by page, callback, export or file URL, gets 403 and none of its data."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD, every_callback, routing_payload, signed_in

from socplan.accounts import Accounts
from socplan.demo import load_demo_plans
from socplan.store import Store

SOC, HMIC = "soc-strategy", "hmicfrs-inspections"
# Words only the inspection plan holds (its title, refs, reports and owners).
HMIC_WORDS = ("HMICFRS", "PEEL", "Crime data integrity", "Force Vetting Unit", "inspections-2024")


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory):
    """An app on the two illustrative plans: a viewer of the SOC plan only, someone with a role
    on each (viewer of SOC, editor of the inspections) and an admin."""
    from dashboard.app import create_app

    work = tmp_path_factory.mktemp("plans")
    url = f"sqlite:///{work / 'plans.db'}"
    store = Store(url)
    load_demo_plans(store)
    accounts = Accounts(store)
    accounts.add("socviewer", "viewer", PASSWORD, plan=SOC)
    accounts.add("both", "viewer", PASSWORD, plan=SOC)
    accounts.set_role("both", "editor", plan=HMIC)
    accounts.add("boss", "admin", PASSWORD)
    app = create_app({"db": url, "state_dir": str(work / "state")})
    return app, store


def hmic_routes(store: Store) -> list[str]:
    """Every page, export and file address of the inspection plan."""
    import dash

    import dashboard.app  # noqa: F401  (the pages register themselves)

    base = f"/plans/{HMIC}"
    first_import = int(store.for_plan(HMIC).history()["id"].iloc[0])
    pages = [
        base + ("" if p["subpath"] == "/" else p["subpath"].replace("<ref>", "PEEL-R1"))
        for p in dash.page_registry.values()
        if "subpath" in p
    ]
    downloads = [
        f"{base}/export/chart/status.svg",
        f"{base}/export/chart/timeline.png?ref=PEEL-R1",
        f"{base}/export/data.csv",
        f"{base}/export/data.xlsx",
        f"{base}/export/report.docx",
        f"{base}/export/report.pdf",
        f"{base}/files/template.xlsx",
        f"{base}/files/template.ods",
        f"{base}/files/import/{first_import}",
        f"{base}/files/evidence/1",
        f"{base}/evidence/1",
    ]
    assert len(pages) >= 8
    return pages + downloads


def test_every_address_of_another_plan_is_refused_without_its_data(two_plans):
    app, store = two_plans
    client = signed_in(app, "socviewer")
    for path in hmic_routes(store):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 403, (path, response.status_code)
        assert not any(word in body for word in HMIC_WORDS), path
    assert client.get(f"/plans/{SOC}/export/data.csv").status_code == 200  # their own plan


def test_every_callback_about_another_plan_is_refused(two_plans):
    app, _ = two_plans
    client = signed_in(app, "socviewer")
    client.get(f"/plans/{SOC}")  # a page first, as a browser: the CSRF cookie
    client.get("/_dash-layout")  # Dash gathers its callbacks
    assert len(app.callback_map) >= 10
    for output, payload in every_callback(app, f"/plans/{HMIC}/upload"):
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 403, (output, response.status_code)
        assert not any(w in response.get_data(as_text=True) for w in HMIC_WORDS)


def test_a_page_of_one_plan_cannot_be_asked_for_from_another(two_plans):
    """The routing callback's pathname must name the plan the callback says it comes from."""
    app, _ = two_plans
    client = signed_in(app, "both")
    client.get(f"/plans/{SOC}")
    payload = routing_payload(f"/plans/{HMIC}", socplan_path=f"/plans/{SOC}")
    assert client.post("/_dash-update-component", json=payload).status_code == 400
    payload["socplan_path"] = f"/plans/{HMIC}"  # agreeing, and a role on it: the page
    answered = client.post("/_dash-update-component", json=payload)
    assert answered.status_code == 200 and "30 September 2024" in answered.get_data(as_text=True)


def test_a_viewer_of_one_plan_finds_no_trace_of_the_other(two_plans):
    app, _ = two_plans
    client = signed_in(app, "socviewer")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == f"/plans/{SOC}"
    assert client.get("/recommendations").headers["Location"] == f"/plans/{SOC}/recommendations"
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert not any(word in layout for word in HMIC_WORDS) and "hmicfrs" not in layout
    assert client.get("/plans/no-such-plan").status_code == 404


def test_someone_with_roles_on_two_plans_gets_each_role_and_a_home_page(two_plans):
    app, _ = two_plans
    client = signed_in(app, "both")
    assert client.get("/").status_code == 200  # two plans: the list of plans
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert f"/plans/{SOC}" in layout and f"/plans/{HMIC}" in layout  # the switcher
    assert client.get(f"/plans/{HMIC}/files/template.xlsx").status_code == 200  # editor there
    assert client.get(f"/plans/{SOC}/files/template.xlsx").status_code == 403  # viewer here
    admin = signed_in(app, "boss")
    assert admin.get(f"/plans/{SOC}/files/template.xlsx").status_code == 200
    assert admin.get(f"/plans/{HMIC}/files/template.xlsx").status_code == 200


def test_downloads_name_their_plan(two_plans):
    app, _ = two_plans
    client = signed_in(app, "both")
    for slug in (SOC, HMIC):
        data = client.get(f"/plans/{slug}/export/data.csv?period=")
        assert data.status_code == 200
        assert f"filename={slug}-" in data.headers["Content-Disposition"]
        meta = client.get(f"/plans/{slug}/export/data.csv")
        assert meta.status_code == 200


def test_archived_plans_are_gone_from_pages(tmp_path):
    from dashboard.app import create_app

    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store(url)
    load_demo_plans(store)
    store.archive_plan(HMIC)
    app = create_app({"db": url, "state_dir": str(tmp_path / "state"), "require_sign_in": False})
    client = app.server.test_client()
    assert client.get(f"/plans/{HMIC}").status_code == 404
    assert client.get("/").headers["Location"] == f"/plans/{SOC}"  # one plan left

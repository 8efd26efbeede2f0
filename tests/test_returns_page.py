"""The Returns and Contacts pages through the server, as the browser's Dash renderer asks for
them: opening a round, each owner's state and link, reviewing what partners sent (committing
several in one transaction, sending one back), and contacts kept from everyone but editors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from builders import edit
from conftest import P, every_callback, routing_payload, signed_in

from dashboard import ids
from socplan.accounts import Accounts
from socplan.config import load_settings
from socplan.contacts import Contacts
from socplan.periods import Period
from socplan.rounds import Partner, Rounds, resolve
from socplan.store import Store

Q3 = Period(2020, 3)  # the demo plan's next period due
DUE = date.today() + timedelta(days=30)
SECRET = "jane.secret@partner-contacts.example"  # a contact no viewer may ever see


def page(client: Any, path: str) -> tuple[int, str]:
    """A page's content as the routing callback gives it, for the person signed in."""
    client.get(path)
    full, _, search = path.partition("?")
    payload = routing_payload(full, f"?{search}" if search else "")
    return _answer(client.post("/_dash-update-component", json=payload))


def _answer(response: Any) -> tuple[int, str]:
    """The status and the text of a callback's answer (its JSON read, so '/' is not escaped)."""
    if response.status_code != 200:
        return response.status_code, response.get_data(as_text=True)
    return 200, json.dumps(response.get_json(), ensure_ascii=False)


def _entry(ident: Any, prop: str, value: Any) -> dict[str, Any]:
    return {"id": ident, "property": prop, "value": value}


def fire(
    app: Any,
    client: Any,
    trigger: tuple[Any, str, Any],
    state: list[Any] = (),  # type: ignore[assignment]
    inputs: list[Any] | None = None,
) -> tuple[int, str]:
    """Call the callback that `trigger` (id, property, value) sets off, as the renderer would;
    pattern-matching inputs and states are given whole (lists of entries) in `inputs`/`state`."""
    ident, prop, value = trigger
    kind = ident["type"] if isinstance(ident, dict) else ident
    output = next(
        out
        for out, spec in app.callback_map.items()
        if any(
            (f'"{kind}"' in i["id"] if isinstance(ident, dict) else i["id"] == kind)
            and i["property"] == prop
            for i in spec["inputs"]
        )
    )
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    key = (
        json.dumps(ident, sort_keys=True, separators=(",", ":"))
        if isinstance(ident, dict)
        else ident
    )
    payload = {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs if inputs is not None else [_entry(ident, prop, value)],
        "state": list(state),
        "changedPropIds": [f"{key}.{prop}"],
    }
    return _answer(client.post("/_dash-update-component", json=payload))


def rounds_of(store: Store) -> Rounds:
    return Rounds(store.for_plan("main"), load_settings())


def open_round(app: Any, client: Any) -> tuple[int, str]:
    client.get(f"{P}/returns")
    return fire(
        app,
        client,
        (ids.ROUND_OPEN, "n_clicks", 1),
        state=[
            _entry(ids.ROUND_PERIOD, "value", Q3.label),
            _entry(ids.ROUND_DUE, "value", DUE.isoformat()),
        ],
    )


def send_return(store: Store, owner: str, cells: dict[str, Any]) -> int:
    """What a partner does through their link: upload their workbook changed, and submit it."""
    rounds = rounds_of(store)
    link = rounds.link(rounds.get(Q3), owner)
    access = resolve(store, rounds.token(link))
    assert access is not None
    partner = Partner(access, rounds.settings)
    name, data = partner.workbook()
    received = partner.receive(name, edit(data, {"Milestones": cells}), len(link.refs))
    return partner.submit(received.id).id


@pytest.fixture
def editor(site):
    app, store, _ = site
    return app, store, signed_in(app, "editor1")


def test_an_editor_without_a_round_sees_the_form_to_open_one(editor):
    _, _, client = editor
    status, body = page(client, f"{P}/returns")
    assert status == 200
    assert "Open a returns round" in body and "2020/21 Q3 (next due)" in body
    assert "Open round" in body and "Milestones with no update" in body


def test_opening_a_round_shows_each_link_once_and_the_owners_states(editor):
    app, store, client = editor
    status, body = open_round(app, client)
    assert status == 200, body
    rounds = rounds_of(store)
    found = rounds.get(Q3)
    assert found.due == DUE and found.opened_by == "editor1"
    links = rounds.links(found)
    assert f"{len(links)} owners" in body and "keep them private" in body
    assert all(rounds.url(link) in body for link in links)
    assert "round-open" in Accounts(store).audit_log()["action"].tolist()

    status, body = page(client, f"{P}/returns")
    assert status == 200 and "2020/21 Q3 round, due" in body
    assert all(link.owner in body for link in links) and "not sent" in body
    assert "Re-issue link" in body and rounds.url(links[0]) not in body  # shown once only

    again = open_round(app, client)[1]
    assert "Not opened" in again and "already open" in again


def test_a_due_date_in_the_past_or_not_a_date_is_refused(editor):
    app, store, client = editor
    client.get(f"{P}/returns")
    for due in ("2001-01-01", "soon", ""):
        _, body = fire(
            app,
            client,
            (ids.ROUND_OPEN, "n_clicks", 1),
            state=[
                _entry(ids.ROUND_PERIOD, "value", Q3.label),
                _entry(ids.ROUND_DUE, "value", due),
            ],
        )
        assert "Not opened" in body and "Due date" in body
    assert rounds_of(store).find(Q3) is None


def test_reissue_and_revoke_a_link(editor):
    app, store, client = editor
    open_round(app, client)
    rounds = rounds_of(store)
    link = rounds.links(rounds.get(Q3))[0]
    old = rounds.url(link)
    client.get(f"{P}/returns")

    def act(do: str) -> str:
        ident = {"type": ids.LINK_ACTION, "link": link.id, "do": do}
        status, body = fire(
            app,
            client,
            (ident, "n_clicks", 1),
            inputs=[[_entry(ident, "n_clicks", 1)]],
            state=[_entry(ids.ROUND_KEY, "data", Q3.label)],
        )
        assert status == 200, body
        return body

    body = act("reissue")
    new = rounds_of(store).url(rounds_of(store).link(rounds.get(Q3), link.owner))
    assert new != old and new in body and old not in body
    assert resolve(store, old.rsplit("/", 1)[1]) is None
    body = act("revoke")
    assert "no longer works" in body and "link revoked" in body
    assert resolve(store, new.rsplit("/", 1)[1]) is None


def _commit(app: Any, client: Any, chosen: list[int], version: int | None = None) -> str:
    """Commit the chosen returns as the page does; `version` is the one its previews were made
    against (None: not checked)."""
    boxes = [
        _entry({"type": ids.REVIEW_SELECT, "submission": sid}, "value", True) for sid in chosen
    ]
    status, body = fire(
        app,
        client,
        (ids.REVIEW_COMMIT, "n_clicks", 1),
        state=[
            boxes,
            _entry(ids.ROUND_KEY, "data", Q3.label),
            _entry(ids.REVIEW_VERSION, "data", version),
        ],
    )
    assert status == 200, body
    return body


def test_committing_two_returns_stores_both_in_one_transaction_or_neither(editor, monkeypatch):
    app, store, client = editor
    open_round(app, client)
    first = send_return(store, "West Mercia Police", {"I2": "At risk", "K2": "Staff moved"})
    second = send_return(store, "Local authorities", {"I2": "At risk", "K2": "Budget cut"})
    before = len(store.history())

    status, body = page(client, f"{P}/returns")
    assert status == 200
    assert (
        "Returns to review" in body and "West Mercia Police" in body and "passes its checks" in body
    )
    assert "Commit selected" in body and "Send back" in body

    # The second return fails its check at commit time: nothing at all is stored.
    from dashboard.pages import returns

    real = returns._check_now

    def failing_second(link, period, name, data):
        checked = real(link, period, name, data)
        if link.owner == "Local authorities":
            outcome = checked.outcomes[0][1]
            outcome.report.error("Milestones!I2", "a problem found on the second look")
        return checked

    monkeypatch.setattr(returns, "_check_now", failing_second)
    body = _commit(app, client, [first, second])
    assert "Nothing was stored" in body
    assert (
        "from Local authorities (return-2020-21-Q3-Local-authorities.xlsx) no longer passes" in body
    )
    assert len(store.history()) == before
    assert {s.id for _, s in rounds_of(store).pending(rounds_of(store).get(Q3))} == {first, second}

    monkeypatch.setattr(returns, "_check_now", real)
    body = _commit(app, client, [first, second])
    assert "Committed" in body and "2 returns stored" in body and "Every page now shows" in body
    assert '" committed"' in body and ": 2 committed, 0 to review," in body  # states refreshed
    history = store.history()
    assert len(history) == before + 2
    assert set(history.iloc[-2:]["kind"]) == {"partial"}
    states = {s.owner: s.state for s in rounds_of(store).states(rounds_of(store).get(Q3))}
    assert states["West Mercia Police"] == states["Local authorities"] == "committed"
    assert "return-commit" in Accounts(store).audit_log()["action"].tolist()


def test_sending_a_return_back_needs_a_message_and_keeps_it(editor):
    app, store, client = editor
    open_round(app, client)
    sid = send_return(store, "Public health", {"I2": "At risk", "K2": "Waiting"})
    client.get(f"{P}/returns")
    ident = {"type": ids.REVIEW_REJECT, "submission": sid}
    reason = {"type": ids.REVIEW_REASON, "submission": sid}

    def send(message: str | None) -> str:
        status, body = fire(
            app,
            client,
            (ident, "n_clicks", 1),
            inputs=[[_entry(ident, "n_clicks", 1)]],
            state=[[_entry(reason, "value", message)], _entry(ids.ROUND_KEY, "data", Q3.label)],
        )
        assert status == 200, body
        return body

    assert "Not sent back" in send("  ") and "say why" in send(None)
    body = send("Row 2 needs the reason for the new date.")
    assert "Sent the return from Public health" in body
    rounds = rounds_of(store)
    kept = next(s for s in rounds.submissions() if s.id == sid)
    assert kept.state == "rejected" and kept.message == "Row 2 needs the reason for the new date."
    assert "last return sent back" in page(client, f"{P}/returns")[1]


def test_contacts_are_saved_from_the_page_and_a_bad_line_is_named(editor):
    app, store, client = editor
    status, body = page(client, f"{P}/contacts")
    assert status == 200 and "West Mercia Police" in body and "Change an owner" in body

    def save(contacts: str, escalation: str = "", fmt: str = "ods") -> str:
        status, body = fire(
            app,
            client,
            (ids.CONTACTS_SAVE, "n_clicks", 1),
            state=[
                _entry(ids.CONTACTS_OWNER, "value", "West Mercia Police"),
                _entry(ids.CONTACTS_LIST, "value", contacts),
                _entry(ids.CONTACTS_ESCALATION, "value", escalation),
                _entry(ids.CONTACTS_FORMAT, "value", fmt),
            ],
        )
        assert status == 200, body
        return body

    body = save(f"Jane Secret <{SECRET}>\n\nops@wmp.example", "Chief <chief@wmp.example>")
    assert "Saved West Mercia Police: 2 contacts, 1 escalation, .ods" in body and SECRET in body
    kept = Contacts(store.for_plan("main")).get("West Mercia Police")
    assert [c.email for c in kept.contacts] == [SECRET, "ops@wmp.example"]
    assert kept.contacts[0].name == "Jane Secret" and kept.workbook_format == "ods"
    audit = Accounts(store).audit_log()
    assert "contacts" in audit["action"].tolist() and SECRET not in " ".join(audit["detail"])

    body = save("ok@wmp.example\nnot an address")
    assert "Not saved" in body and "Contacts, line 2" in body and "not an address" in body
    body = save("ok@wmp.example", "Boss <boss at wmp>")
    assert "Escalation contacts, line 1" in body
    assert Contacts(store.for_plan("main")).get("West Mercia Police").contacts == kept.contacts

    status, body = fire(
        app, client, (ids.CONTACTS_OWNER, "value", "West Mercia Police")
    )  # choosing the owner fills the form
    assert status == 200 and SECRET in body and "chief@wmp.example" in body


def test_viewers_get_neither_page_nor_callbacks(site):
    app, _, _ = site
    client = signed_in(app, "viewer1")
    for path in ("/returns", "/contacts"):
        status, body = page(client, P + path)
        assert status == 200 and "Not available" in body and "editor role" in body
    client.get(f"{P}/returns")
    for trigger, state in (
        ((ids.ROUND_OPEN, "n_clicks", 1), [_entry(ids.ROUND_PERIOD, "value", Q3.label)]),
        ((ids.CONTACTS_OWNER, "value", "West Mercia Police"), []),
        ((ids.REVIEW_COMMIT, "n_clicks", 1), []),
    ):
        status, _ = fire(app, client, trigger, state=state)
        assert status == 403


def test_no_viewer_ever_sees_a_contact(site):
    """Contacts kept and a round open: every page, its layout and every callback a viewer can
    send carry no contact address."""
    import dash

    app, store, _ = site
    Contacts(store.for_plan("main")).set(
        "West Mercia Police", [("Jane Secret", SECRET)], escalation=[("", SECRET)], by="editor1"
    )
    rounds_of(store).open(Q3, DUE, by="editor1")
    client = signed_in(app, "viewer1")
    bodies = [client.get("/_dash-layout").get_data(as_text=True)]
    paths = [
        P + ("" if p["subpath"] == "/" else p["subpath"].replace("<ref>", "R1"))
        for p in dash.page_registry.values()
        if "subpath" in p
    ]
    assert f"{P}/returns" in paths and f"{P}/contacts" in paths
    for path in paths:
        bodies.append(client.get(path).get_data(as_text=True))
        bodies.append(page(client, path)[1])
    for _, payload in every_callback(app, f"{P}/contacts"):
        bodies.append(client.post("/_dash-update-component", json=payload).get_data(as_text=True))
    for export in ("/export/data.csv",):
        bodies.append(client.get(P + export).get_data(as_text=True))
    assert not any(SECRET in body or "partner-contacts" in body for body in bodies)
    assert SECRET in page(signed_in(app, "editor1"), f"{P}/contacts")[1]  # the same, to editors


def test_contact_lines_are_read_as_typed_and_written_back_the_same():
    from socplan.contacts import Contact, ContactError, format_lines, parse_lines

    text = 'Jane Smith <jane@x.example>\n\n  ops@x.example \n"Smith, J" <js@x.example>'
    pairs = parse_lines(text)
    assert pairs == [
        ("Jane Smith", "jane@x.example"),
        ("", "ops@x.example"),
        ("Smith, J", "js@x.example"),
    ]

    assert parse_lines(format_lines(Contact(n, e) for n, e in pairs)) == pairs
    with pytest.raises(ContactError, match=r"^Escalation, line 3: 'jane' is not an email"):
        parse_lines("a@x.example\n\nJane <jane>", "Escalation")


def test_the_suggested_due_date_is_never_in_the_past():
    from socplan.rounds import suggested_due

    assert suggested_due(Q3, today=date(2020, 11, 1)) == date(2021, 1, 28)
    assert suggested_due(Q3, today=date(2026, 5, 1)) == date(2026, 5, 29)


def test_send_what_is_due_today_writes_the_messages_and_the_states_move(editor, tmp_path):
    app, store, client = editor
    open_round(app, client)
    rounds = rounds_of(store)
    found = rounds.get(Q3)
    plan_store = store.for_plan("main")
    owners = [link.owner for link in rounds.links(found)]
    Contacts(plan_store).set(owners[0], [("Ann", "ann@example.org")], by="t")
    status, body = page(client, f"{P}/returns")
    assert "Send what is due today" in body and "into the outbox folder" in body
    status, body = fire(
        app,
        client,
        (ids.ROUND_SEND, "n_clicks", 1),
        state=[_entry(ids.ROUND_KEY, "data", Q3.label)],
    )
    assert status == 200, body
    assert f"{owners[0]}: invitation" in body and "1 written to the outbox" in body
    assert "without a contact" in body  # the owners with none are named, not sent to
    outbox = load_settings().outbox_path
    written = list(outbox.glob("*.eml"))
    assert len(written) == 1 and "invitation" in written[0].name
    states = {s.owner: s.state for s in rounds.states(found)}
    assert states[owners[0]] == "sent" and states[owners[1]] == "not sent"
    # Again the same day: nothing more is sent.
    _, body = fire(
        app,
        client,
        (ids.ROUND_SEND, "n_clicks", 2),
        state=[_entry(ids.ROUND_KEY, "data", Q3.label)],
    )
    assert len(list(outbox.glob("*.eml"))) == 1 and "written to the outbox" not in body


def test_a_commit_after_a_newer_import_is_refused_with_a_fresh_review(editor):
    app, store, client = editor
    open_round(app, client)
    owner = rounds_of(store).links(rounds_of(store).get(Q3))[0].owner
    sid = send_return(store, owner, {"I2": "At risk"})
    _, body = page(client, f"{P}/returns")
    seen = store.version()[1]
    assert f'"data": {seen}' in body  # the page keeps the version its previews were made against
    before = store.version()
    body = _commit(app, client, [sid], version=seen - 1)  # as if someone imported since
    assert "Nothing was stored" in body and "after this preview was made" in body
    assert store.version() == before
    assert "committed" not in {s.state for s in rounds_of(store).states(rounds_of(store).get(Q3))}
    body = _commit(app, client, [sid], version=seen)
    assert "Committed." in body and "1 return stored" in body
    # The milestones still without an update are counted again at once.
    assert "Milestones with no update for 2020/21 Q3" in body and "1 of 9 owners" in body


def test_each_round_is_reached_from_the_others(editor):
    app, store, client = editor
    open_round(app, client)
    rounds = rounds_of(store)
    rounds.open(Q3.next(), DUE + timedelta(days=90), by="editor1")
    _, body = page(client, f"{P}/returns")  # the newest round: 2020/21 Q4
    assert "Returns for 2020/21 Q4" in body and "Other rounds: " in body
    assert "period=2020%2F21+Q3" in body
    _, body = page(client, f"{P}/returns?period=2020%2F21+Q3")
    assert "Returns for 2020/21 Q3" in body and "period=2020%2F21+Q4" in body


def test_returns_under_review_are_not_parsed_again_on_every_view(editor, monkeypatch):
    import dashboard.pages.returns as returns

    app, store, client = editor
    open_round(app, client)
    owner = rounds_of(store).links(rounds_of(store).get(Q3))[0].owner
    send_return(store, owner, {"I2": "At risk"})
    calls = []
    real = returns.check_partner_return

    def counted(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(returns, "check_partner_return", counted)
    returns._CHECKED.clear()
    for _ in range(3):
        _, body = page(client, f"{P}/returns")
        assert "Passes its checks" in body
    assert calls == [owner]  # checked once; the plan did not change
    Contacts(store.for_plan("main")).set(owner, [("A", "a@example.org")], by="t")  # no import
    send_return(store, owner, {"I2": "Off track", "K2": "Behind: recovery plan agreed"})
    page(client, f"{P}/returns")
    assert len(calls) == 2  # a new return is checked

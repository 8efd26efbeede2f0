"""Evidence files stored in the database: checked on the way in, scoped to their plan, soft
removal, public marking, audit, backups, the migration on both backends, and the CLI."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from builders import basic_milestones, recs
from test_attachments import PE, docx, ole, ooxml, pdf, png, with_member, xlsx, xlsx_with, zeros

from socplan.accounts import Accounts
from socplan.attachments import AttachmentRefused
from socplan.backup import restore_backup, write_backup
from socplan.cli import main
from socplan.evidence_store import EvidenceNotFound, EvidenceStore
from socplan.periods import Period
from socplan.store import Store, StoreError

Q3, Q4 = Period(2019, 3), Period(2019, 4)
CAP = 5 * 1024 * 1024
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="x()">'
    b"<script>fetch('//evil')</script></svg>"
)
# (file name, bytes, what the refusal must say): each reaches the store through `add`.
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


def planned(url: str, slug: str | None = None) -> Store:
    """A store holding one plan (two periods), named `slug` (default: the first plan, main)."""
    store = Store(url, plan=slug)
    if slug and store.plans():
        store.add_plan(slug, slug.title())
    for period in (Q3, Q4):
        store.commit_import(
            recs(), basic_milestones(), period, data=b"x", file_name="x.xlsx", imported_by="t"
        )
    return store


def add(
    store: Store, ref: str = "R1.1", name: str = "minutes.pdf", data: bytes | None = None, **kw
):
    kw.setdefault("max_bytes", CAP)
    kw.setdefault("added_by", "ed")
    return EvidenceStore(store).add(ref, name, pdf() if data is None else data, **kw)


@pytest.fixture
def db_url(backend_url):
    """This module's stores are on each backend in turn."""
    return backend_url


def test_a_stored_file_comes_back_byte_for_byte(db_url):
    store = planned(db_url)
    data = docx()
    stored, checked = add(store, "R1.2", "agreement.docx", data, period=Q3)
    assert checked.kind == "docx"
    assert (stored.milestone, stored.recommendation, stored.period) == ("R1.2", "R1", Q3)
    assert (stored.name, stored.size, stored.public) == ("agreement.docx", len(data), False)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.added_by == "ed"
    record, content = EvidenceStore(store).fetch(stored.id)
    assert content == data and record == stored
    assert hashlib.sha256(content).hexdigest() == record.sha256
    assert stored.added_at.tzinfo is not None


def test_the_period_defaults_to_the_newest_and_the_milestone_must_exist(db_url):
    store = planned(db_url)
    stored, _ = add(store)
    assert stored.period == Q4
    with pytest.raises(StoreError, match=r"there is no milestone 'R9\.9' in this plan"):
        add(store, "R9.9")
    assert EvidenceStore(store).list() == [stored]


def test_a_renamed_photo_is_stored_under_its_real_kind(db_url):
    store = planned(db_url)
    stored, checked = add(store, name="photo.jpg", data=png())
    assert (stored.name, stored.media_type) == ("photo.png", "image/png")
    assert "photo.png" in checked.note


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_and_nothing_is_stored(case, tmp_path):
    store = planned(f"sqlite:///{tmp_path / 'plan.db'}")
    name, data, says = HOSTILE[case]
    with pytest.raises(AttachmentRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
        add(store, name=name, data=data, max_bytes=20 * 1024 * 1024)
    assert EvidenceStore(store).list() == []


def test_over_the_cap_is_refused(db_url):
    store = planned(db_url)
    with pytest.raises(AttachmentRefused, match=r"over the 0\.5 MB limit"):
        add(store, data=pdf() + b"%" * (1 << 20), max_bytes=512 * 1024)


def test_listing_by_milestone_recommendation_and_public(db_url):
    store = planned(db_url)
    evidence = EvidenceStore(store)
    one, _ = add(store, "R1.1")
    two, _ = add(store, "R1.2", "photo.png", png(), public=True)
    three, _ = add(store, "R2.1")
    assert [e.id for e in evidence.list()] == [one.id, two.id, three.id]
    assert [e.id for e in evidence.list(milestone="R1.2")] == [two.id]
    assert [e.id for e in evidence.list(recommendation="R1")] == [one.id, two.id]
    assert [e.id for e in evidence.list(public_only=True)] == [two.id]
    evidence.set_public(one.id, True, by="ed")
    evidence.set_public(two.id, False, by="ed")
    assert [e.id for e in evidence.list(public_only=True)] == [one.id]


def test_removal_hides_a_file_and_keeps_its_bytes(db_url):
    store = planned(db_url)
    evidence = EvidenceStore(store)
    stored, _ = add(store)
    evidence.remove(stored.id, by="ed")
    assert evidence.list() == []
    with pytest.raises(EvidenceNotFound):
        evidence.fetch(stored.id)
    with pytest.raises(EvidenceNotFound):
        evidence.remove(stored.id, by="ed")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM evidence_files")).scalar() == 1


def test_another_plans_evidence_is_not_found(db_url):
    soc = planned(db_url, "soc")
    other = planned(db_url, "other")
    mine, _ = add(soc)
    theirs = EvidenceStore(other)
    assert theirs.list() == []
    for attempt in (
        lambda: theirs.fetch(mine.id),
        lambda: theirs.get(mine.id),
        lambda: theirs.set_public(mine.id, True, by="x"),
        lambda: theirs.remove(mine.id, by="x"),
    ):
        with pytest.raises(EvidenceNotFound, match=f"no evidence file {mine.id} in this plan"):
            attempt()
    assert EvidenceStore(soc).fetch(mine.id)[0].public is False


def test_each_change_is_audited_with_its_plan(db_url):
    store = planned(db_url, "soc")
    evidence = EvidenceStore(store)
    stored, _ = add(store, added_by="ed", address="10.0.0.1")
    evidence.set_public(stored.id, True, by="ed")
    evidence.remove(stored.id, by="boss")
    log = Accounts(store).audit_log()
    assert list(log["action"])[:3] == ["evidence-remove", "evidence-public", "evidence-add"]
    assert set(log["plan"].iloc[:3]) == {"soc"}
    assert list(log["username"])[:3] == ["boss", "ed", "ed"]
    assert "minutes.pdf" in log["detail"].iloc[2] and log["address"].iloc[2] == "10.0.0.1"


def test_backup_carries_evidence_and_restore_brings_it_back(db_url, tmp_path):
    store = planned(db_url)
    data = png()
    stored, _ = add(store, "R1.2", "photo.png", data, public=True)
    removed, _ = add(store)
    EvidenceStore(store).remove(removed.id, by="ed")
    summary = write_backup(store, tmp_path / "backup.zip")
    assert summary.rows["evidence_files"] == 2
    target = Store(f"sqlite:///{tmp_path / 'restored.db'}")
    restore_backup(target, tmp_path / "backup.zip")
    evidence = EvidenceStore(target)
    assert evidence.list() == [stored]
    record, content = evidence.fetch(stored.id)
    assert content == data and record.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(EvidenceNotFound):  # still removed
        evidence.fetch(removed.id)
    later, _ = add(target, "R2.1")  # the id sequence carries on past the restored rows
    assert later.id > removed.id


def test_the_migration_goes_up_and_down_with_files_in_it(backend_url):
    store = planned(backend_url)
    add(store)
    store.downgrade("0005")
    assert not sa.inspect(store.engine).has_table("evidence_files")
    assert len(store.history()) == 2  # the plan is untouched
    store.upgrade()
    assert sa.inspect(store.engine).has_table("evidence_files")
    assert EvidenceStore(store).list() == []
    stored, _ = add(store)
    assert EvidenceStore(store).fetch(stored.id)[1] == pdf()


def test_cli_adds_and_lists_evidence(runner, tmp_path, db_url):
    planned(db_url, "soc")
    planned(db_url, "other")
    good = tmp_path / "minutes.pdf"
    good.write_bytes(pdf())
    args = ["--plan", "soc", "--db", db_url]
    result = runner.invoke(
        main, ["evidence", "add", "R1.1", str(good), "--period", "2019/20 Q3", "--public", *args]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "minutes.pdf" in result.output and "public" in result.output
    result = runner.invoke(main, ["evidence", "list", *args])
    assert result.exit_code == 0, result.output + result.stderr
    assert "R1.1" in result.output and "minutes.pdf" in result.output
    assert "2019/20 Q3" in result.output and "yes" in result.output
    other = runner.invoke(main, ["evidence", "list", "--plan", "other", "--db", db_url])
    assert other.exit_code == 0 and "No evidence files" in other.output
    hostile = tmp_path / "minutes2.pdf"
    hostile.write_bytes(PE)
    refused = runner.invoke(main, ["evidence", "add", "R1.1", str(hostile), *args])
    assert refused.exit_code == 1
    assert "its content is a Windows program" in refused.stderr
    missing = runner.invoke(main, ["evidence", "add", "R9.9", str(good), *args])
    assert missing.exit_code == 1 and "no milestone 'R9.9'" in missing.stderr
    [stored] = EvidenceStore(Store(db_url, plan="soc")).list()
    done = runner.invoke(main, ["evidence", "publish", str(stored.id), "--withdraw", *args])
    assert done.exit_code == 0 and "editors only" in done.output
    assert EvidenceStore(Store(db_url, plan="soc")).list(public_only=True) == []
    elsewhere = ["--plan", "other", "--db", db_url]
    for command in (["publish", str(stored.id)], ["remove", str(stored.id)]):
        refused = runner.invoke(main, ["evidence", *command, *elsewhere])
        assert refused.exit_code == 1 and "no evidence file" in refused.stderr
    done = runner.invoke(main, ["evidence", "remove", str(stored.id), *args])
    assert done.exit_code == 0 and f"Removed evidence {stored.id}" in done.output
    assert EvidenceStore(Store(db_url, plan="soc")).list() == []


def test_the_panel_report_lists_evidence_by_name_in_an_appendix(tmp_path):
    from socplan.config import load_settings
    from socplan.model import DeliveryPlan
    from socplan.reporting.report import Heading, Table, build_report

    store = planned(f"sqlite:///{tmp_path / 'plan.db'}")
    add(store, "R1.1", "minutes.pdf", period=Q3, public=True)
    add(store, "R2.1", "photo.png", png(), period=Q4, public=True)
    plan, settings = DeliveryPlan.from_store(store), load_settings()
    evidence = EvidenceStore(store).list(public_only=True)

    def appendix(period: Period) -> list[tuple[str, ...]]:
        report = build_report(plan, settings, period, evidence=evidence)
        headings = [b.text for b in report.blocks if isinstance(b, Heading)]
        tables = [b for b in report.blocks if isinstance(b, Table) and "Evidence" in b.title]
        if not tables:
            assert "Appendix B: evidence files" not in headings
            return []
        assert headings[-1] == "Appendix B: evidence files"
        return [tuple(row) for row in tables[0].frame.itertuples(index=False)]

    today = f"{EvidenceStore(store).list()[0].added_at:%-d %B %Y}"
    assert appendix(Q3) == [("R1.1", "minutes.pdf", f"{len(pdf())} bytes", "2019/20 Q3", today)]
    assert [row[:2] for row in appendix(Q4)] == [("R1.1", "minutes.pdf"), ("R2.1", "photo.png")]
    assert not any(
        isinstance(b, Table) and "Evidence" in b.title
        for b in build_report(plan, settings, Q4).blocks
    )


@pytest.mark.parametrize(
    ("size", "said"),
    [(1, "1 byte"), (812, "812 bytes"), (14 * 1024 + 100, "14 KB"), (int(2.3 * 2**20), "2.3 MB"),
     (5 * 2**20, "5 MB")],
)  # fmt: skip
def test_file_sizes_read_as_people_say_them(size, said):
    from socplan.reporting.formats import file_size

    assert file_size(size) == said

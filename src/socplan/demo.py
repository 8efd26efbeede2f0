"""The illustrative sample plans: write their workbooks, and load them through the normal import."""

from __future__ import annotations

import io
from pathlib import Path

from .intake.importer import Outcome, import_bytes
from .intake.template import write_template
from .intake.workbook import Vocabulary
from .periods import Period
from .sample import SAMPLE_NOTE, SampleReturn, sample_returns
from .sample_inspections import (
    INSPECTION_NOTE,
    INSPECTION_REPORTS,
    INSPECTION_SETTINGS,
    inspection_returns,
)
from .schema import STATUSES
from .store import DATA_DIR, Store

SAMPLE_DIR = DATA_DIR / "sample"


def sample_workbook(index: int) -> tuple[str, Period, bool, bytes]:
    """The name, period, partial flag and xlsx bytes of one sample return, built from code."""
    item = sample_returns()[index]
    buffer = io.BytesIO()
    write_template(
        buffer,
        Period.parse(item.period),
        item.recommendations,
        item.milestones,
        title="Illustrative SOC delivery plan",
        note=SAMPLE_NOTE,
    )
    return item.file_name, Period.parse(item.period), item.partial, buffer.getvalue()


def write_sample_files(folder: Path = SAMPLE_DIR) -> list[Path]:
    """Write every sample return as an .xlsx a person can open."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(len(sample_returns())):
        name, _, _, data = sample_workbook(i)
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def _sign_off_all(store: Store) -> None:
    """Sign off every period loaded: the illustrative quarters were all reported to a panel."""
    from .signoffs import period_states, sign_off

    for state in period_states(store):
        if state.draft:
            sign_off(store, state.period, "socplan demo")


def load_demo(store: Store, folder: Path = SAMPLE_DIR) -> list[tuple[Outcome, str]]:
    """Import the sample returns in order, each period signed off; the committed files are
    used when present."""
    results = []
    for i, item in enumerate(sample_returns()):
        path = folder / item.file_name
        data = path.read_bytes() if path.exists() else sample_workbook(i)[3]
        outcome = import_bytes(
            store,
            data,
            item.file_name,
            period=Period.parse(item.period),
            imported_by="socplan demo",
            partial=item.partial,
            kind="partial" if item.partial else "full",
        )
        if outcome.revision is None:
            raise RuntimeError(f"sample {item.file_name} did not import: {outcome.report.lines()}")
        results.append((outcome, item.file_name))
    _sign_off_all(store)
    return results


def _inspection_bytes(item: SampleReturn) -> bytes:
    """One inspection-plan return as xlsx bytes, its Theme list the plan's report names."""
    buffer = io.BytesIO()
    write_template(
        buffer,
        Period.parse(item.period),
        item.recommendations,
        item.milestones,
        themes=INSPECTION_REPORTS,
        title="Illustrative plan of HMICFRS inspection recommendations",
        note=INSPECTION_NOTE,
    )
    return buffer.getvalue()


def inspection_workbook(index: int) -> tuple[str, Period, bool, bytes]:
    """The name, period, partial flag and xlsx bytes of one inspection-plan return, from code."""
    item = inspection_returns()[index]
    return item.file_name, Period.parse(item.period), item.partial, _inspection_bytes(item)


def load_inspection_demo(store: Store) -> list[tuple[Outcome, str]]:
    """Import the illustrative inspection plan's returns in order, built from code (no files
    are committed for it), checked against the plan's own themes: its report names; each
    period signed off."""
    vocabulary = Vocabulary(tuple(INSPECTION_REPORTS), STATUSES)
    results = []
    for item in inspection_returns():
        outcome = import_bytes(
            store,
            _inspection_bytes(item),
            item.file_name,
            period=Period.parse(item.period),
            imported_by="socplan demo",
            partial=item.partial,
            kind="partial" if item.partial else "full",
            vocabulary=vocabulary,
        )
        if outcome.revision is None:
            raise RuntimeError(f"sample {item.file_name} did not import: {outcome.report.lines()}")
        results.append((outcome, item.file_name))
    _sign_off_all(store)
    return results


SOC_PLAN = ("soc-strategy", "Serious and Organised Crime Strategy")
INSPECTION_PLAN = ("hmicfrs-inspections", "HMICFRS inspection recommendations")


def load_demo_plans(store: Store) -> list[tuple[str, Outcome, str]]:
    """The illustrative plans, each made and loaded through the normal import: the SOC
    strategy's delivery plan, and inspection recommendations grouped by report (another shape:
    other refs, owners, periods, and reports where the SOC plan has themes)."""
    store.ensure_schema()
    loaded: list[tuple[str, Outcome, str]] = []
    slug, title = SOC_PLAN
    store.add_plan(slug, title)
    loaded += [(slug, o, n) for o, n in load_demo(store.for_plan(slug))]
    slug, title = INSPECTION_PLAN
    store.add_plan(slug, title, dict(INSPECTION_SETTINGS))
    loaded += [(slug, o, n) for o, n in load_inspection_demo(store.for_plan(slug))]
    return loaded


def demo_contacts(store: Store) -> int:
    """Fictitious contacts (at example.org, a domain that takes no mail) for every owner of the
    store's plan, so a returns round's messages have someone to go to; Local authorities prefer
    OpenDocument. Returns how many owners were given contacts."""
    from .contact_rules import check_email
    from .contacts import Contact, Contacts, OwnerContacts
    from .model import DeliveryPlan

    owners = DeliveryPlan.from_store(store).owners
    kept = []
    for owner in owners:
        slug = "-".join("".join(ch if ch.isalnum() else " " for ch in owner.lower()).split())
        kept.append(
            OwnerContacts(
                owner,
                (Contact("Returns lead", check_email(f"returns.{slug}@example.org")),),
                (Contact("Director", check_email(f"director.{slug}@example.org")),),
                "ods" if owner == "Local authorities" else "xlsx",
            )
        )
    Contacts(store).write(kept, by="socplan demo")
    return len(kept)

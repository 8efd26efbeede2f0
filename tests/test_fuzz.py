"""Fuzzing the import path: generated workbooks and mutated real ones must each end in exit
status 0 or 1 with a message, never an uncaught exception, a traceback or a runaway child.

A few hundred cases run in CI; set SOCPLAN_FUZZ_EXAMPLES to run more (per test).
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from builders import basic_milestones, recs, sheet_bytes, template_bytes
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socplan.cli import main
from socplan.periods import Period
from socplan.schema import MS_COLUMNS, REC_COLUMNS

EXAMPLES = int(os.environ.get("SOCPLAN_FUZZ_EXAMPLES", "0")) or None
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "data" / "sample").glob("*.xlsx"))


def fuzz(default: int):
    """Hypothesis settings for one fuzz test: `default` cases, or SOCPLAN_FUZZ_EXAMPLES."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        derandomize=EXAMPLES is None,  # CI runs the same cases every time
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def validate(data: bytes, tmp: Path, *, isolate: bool = False, name: str = "plan.xlsx") -> None:
    """Run `socplan validate` in-process on `data` and check it ends the way the contract says."""
    path = tmp / name
    path.write_bytes(data)
    runner = CliRunner()
    env = {"SOCPLAN_ISOLATE_PARSING": "yes" if isolate else "no", "SOCPLAN_CONFIG": None}
    result = runner.invoke(main, ["validate", str(path), "--period", "2019/20 Q3"], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    output = result.output + result.stderr
    assert result.exit_code in (0, 1), output
    assert "Traceback" not in output
    if result.exit_code == 1:
        assert "error: " in output, output
        assert "could not be read within the limits" not in output, output
    else:
        assert output.startswith("OK") or "OK: " in output, output


TEXT = st.text(
    # Control characters other than tab and new line cannot be written with openpyxl at all.
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n\r"
    ),
    max_size=30,
) | st.sampled_from(
    [
        "Ref",
        "Recommendation",
        "Milestone",
        "Owner",
        "Due",
        "Status",
        "Progress",
        "RAG",
        "Theme",
        "Lead",
        "Pursue",
        "On track",
        "G",
        "Off track",
        "TBC",
        "2019/20 Q3",
        "31/02/2020",
        "Reporting period",
        "=1+1",
        "50%",
        "R1",
        "R1.1",
    ]
)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
)
ROWS = st.lists(st.lists(CELL, max_size=14), max_size=12)
HEADERS = [[c.name for c in REC_COLUMNS], [c.name for c in MS_COLUMNS]]  # the contract's headers
SHEETS = st.sampled_from(
    ["Recommendations", "Milestones", "Actions", "About", "Notes", " milestones ", "RECS"]
)


@fuzz(150)
@given(
    sheets=st.dictionaries(SHEETS, ROWS, min_size=1, max_size=4),
    headed=st.booleans(),
)
def test_generated_workbooks(tmp_path_factory, sheets, headed):
    if headed:  # most cases get the contract's headers, so the checks past them are reached
        for name in list(sheets):
            key = name.strip().lower()
            if key in ("recommendations", "recs"):
                sheets[name] = [HEADERS[0], *sheets[name]]
            elif key in ("milestones", "actions"):
                sheets[name] = [HEADERS[1], *sheets[name]]
    validate(sheet_bytes(sheets), tmp_path_factory.mktemp("gen"))


def good() -> bytes:
    return template_bytes(Period(2019, 3), recs(), basic_milestones())


SEEDS = [good(), *(p.read_bytes() for p in SAMPLES[:2])]


@fuzz(100)
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 255), st.sampled_from(["set", "cut", "insert"])),
        min_size=1,
        max_size=8,
    ),
)
def test_byte_mutations(tmp_path_factory, seed, edits):
    data = bytearray(SEEDS[seed])
    for where, byte, how in edits:
        at = int(where * (len(data) - 1))
        if how == "set":
            data[at] = byte
        elif how == "cut":
            del data[at : at + byte]
        else:
            data[at:at] = bytes([byte]) * (byte % 16 + 1)
    validate(bytes(data), tmp_path_factory.mktemp("bytes"))


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


MEMBERS = [_members(seed) for seed in SEEDS[:1]]
XML_PIECES = [
    b"<",
    b">",
    b"/>",
    b'"',
    b"&",
    b"&amp;",
    b"<c>",
    b'<c r="A1048576">',
    b'<c r="XFD1">',
    b'<c r="A0">',
    b'<c r="1A">',
    b"<row>",
    b'<row r="0">',
    b'<row r="-1">',
    b' t="s"',
    b' t="e"',
    b' t="n"',
    b' t="d"',
    b' t="b"',
    b"<v>1e308</v>",
    b"<v>-1</v>",
    b"<v>x</v>",
    b"<v>99999999</v>",
    b' s="999"',
    b"<!--",
    b"<![CDATA[",
    b"\x00",
    b"\xff",
]


@fuzz(150)
@given(
    member=st.sampled_from(sorted(MEMBERS[0])),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(XML_PIECES), st.booleans()),
        min_size=1,
        max_size=6,
    ),
)
def test_xml_mutations(tmp_path_factory, member, edits):
    """Mutations inside one part of a good workbook, re-zipped, so they reach the XML readers."""
    members = dict(MEMBERS[0])
    xml = members[member]
    for where, piece, replace in edits:
        at = int(where * len(xml))
        xml = xml[:at] + piece + xml[at + (len(piece) if replace else 0) :]
    members[member] = xml
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    validate(buffer.getvalue(), tmp_path_factory.mktemp("xml"))


@pytest.mark.parametrize("case", range(6))
def test_a_handful_through_the_isolated_child(tmp_path, case):
    """The same contract holds when the parse runs in the limited child, as in production."""
    data = bytearray(good())
    if case == 0:
        data = bytearray(sheet_bytes({"Milestones": [HEADERS[1], ["R1.1", "R9"]]}))
    elif case == 1:
        data = data[: len(data) // 2]
    else:
        for i in range(case * 97, len(data), 997 * case):
            data[i] ^= 0x5A
    validate(bytes(data), tmp_path, isolate=True)

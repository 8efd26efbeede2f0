"""Property: a generated plan written as the template and imported again gives the same model."""

import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socplan.periods import Period
from socplan.schema import MILESTONE_FIELDS, STATUSES, THEMES
from socplan.template import write_template
from socplan.workbook import parse_workbook

text = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
days = st.dates(
    min_value=pd.Timestamp("2015-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)


@st.composite
def plans(draw):
    n_recs = draw(st.integers(1, 4))
    recs = pd.DataFrame(
        [
            dict(
                ref=f"R{i}",
                text=draw(text),
                theme=draw(st.sampled_from(THEMES)),
                lead=draw(text),
                partners="; ".join(
                    draw(
                        st.lists(text.filter(lambda s: not any(c in s for c in ";,\n")), max_size=3)
                    )
                ),
                public=draw(st.booleans()),
            )
            for i in range(1, n_recs + 1)
        ]
    )
    rows = []
    for i in range(draw(st.integers(1, 8))):
        rec = f"R{draw(st.integers(1, n_recs))}"
        due = draw(days)
        start = draw(st.none() | days.filter(lambda d, due=due: d <= due))
        forecast = draw(st.none() | days.filter(lambda d, due=due: d != due))
        status = draw(st.sampled_from(STATUSES))
        rows.append(
            dict(
                ref=f"{rec}.{i + 1}",
                recommendation=rec,
                milestone=draw(text),
                owner=draw(text),
                start=start,
                due=due,
                forecast=forecast,
                reason=draw(text) if forecast else "",
                status=status,
                progress=draw(st.none() | st.integers(2, 100).map(float)),
                update=draw(text) if status == "Off track" else draw(st.just("") | text),
                completed=draw(st.none() | days),
                public=draw(st.booleans()),
            )
        )
    ms = pd.DataFrame(rows)
    for key in ("start", "due", "forecast", "completed"):
        ms[key] = pd.to_datetime(ms[key]).astype("datetime64[ns]")
    ms["progress"] = ms["progress"].astype(float)
    return recs, ms[list(MILESTONE_FIELDS)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.integers(2015, 2028), st.integers(1, 4))
def test_template_round_trip(plan, year, quarter):
    recs, ms = plan
    period = Period(year, quarter)
    buffer = io.BytesIO()
    write_template(buffer, period, recs, ms)
    parsed = parse_workbook(buffer.getvalue(), "generated.xlsx", period=period)
    assert parsed.report.ok, parsed.report.lines()
    assert parsed.period == period
    pd.testing.assert_frame_equal(parsed.recommendations, recs, check_dtype=False)
    pd.testing.assert_frame_equal(parsed.milestones, ms, check_dtype=False)

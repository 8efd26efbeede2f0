"""One recommendation: its milestones on a timeline, status and commentary by period, date changes."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, callback_context, dcc, html, no_update

from dashboard import ids
from dashboard.components import (
    chart,
    commentary,
    no_plan,
    note,
    page_callback,
    register,
    section,
    table,
)
from dashboard.context import here, source
from dashboard.evidence import act_on, attach, evidence_section, evidence_store, listing
from dashboard.filters import Filters, clean_query
from socplan import metrics
from socplan.reporting.charts import timeline_chart
from socplan.reporting.formats import percent


def status_by_period(history: pd.DataFrame) -> pd.DataFrame:
    """Milestones down, periods across, status words in the cells."""
    table_ = history.pivot_table(index="ref", columns="period", values="status", aggfunc="first")
    order = history.drop_duplicates("period").sort_values("period_index")["period"]
    table_ = table_.reindex(columns=list(order)).fillna("")
    table_.index.name = "Ref"
    table_.columns.name = None
    return table_


def layout(ref: str | None = None, **query: Any) -> html.Div:
    """The page for one recommendation."""
    query.pop("plan", None)  # the request's plan (auth.py checked it)
    plan = source().plan()
    if ref is None or plan.latest is None or ref not in plan.refs:
        # Not found: cheap to say, so never kept; the text sent is cut short.
        return _layout(ref[:MAX_REF] if ref else ref, **clean_query(query, plan))
    kept = source().page((__name__, ref), query, lambda **clean: _layout(ref, **clean))
    # Evidence depends on who asks (and changes without an import): drawn fresh, never kept.
    ms = plan.milestones(plan.latest)
    ms = ms[ms["recommendation"] == ref]
    names = zip(ms["ref"].astype(str), ms["milestone"].astype(str), strict=True)
    evidence = evidence_section(list(names))
    return html.Div([kept, evidence]) if evidence is not None else kept


MAX_REF = 40


def _layout(ref: str | None = None, **query: Any) -> html.Div:
    filters = Filters.from_query(query)
    full, period = filters.apply(source().plan())
    if full.latest is None:
        return no_plan("Recommendation")
    recs = full.recommendations_at(period)
    match = recs[recs["ref"] == ref]
    back = dcc.Link("← All recommendations", href=here("/recommendations") + filters.search())
    if match.empty:
        return html.Div(
            [
                back,
                html.H1("Recommendation not found"),
                note(f"There is no recommendation '{ref}' for these filters."),
            ]
        )
    rec = match.iloc[0]
    ms = full.milestones(period)
    ms = ms[ms["recommendation"] == ref]
    refs = list(ms["ref"])
    history = full.snapshots[full.snapshots["ref"].isin(refs)]
    history = history[history["period_index"] <= period.index]
    by_period = status_by_period(history) if not history.empty else pd.DataFrame()
    log = metrics.date_change_log(history)
    log = log[log["period_index"] <= period.index].drop(columns="period_index")
    names = dict(zip(ms["ref"].astype(str), ms["milestone"].astype(str), strict=True))
    said = history[history["update"] != ""].sort_values(["ref", "period_index"])
    return html.Div(
        [
            back,
            html.H1(f"{rec['ref']}: {rec['text']}"),
            html.P(
                [
                    html.Strong("Theme: "),
                    rec["theme"],
                    html.Br(),
                    html.Strong("Lead: "),
                    rec["lead"],
                    html.Br(),
                    html.Strong("Partners: "),
                    rec["partners"] or "none named",
                ]
            ),
            chart(timeline_chart(full, period, str(ref)), filters.search()),
            section(
                "Milestones",
                table(
                    ms[["ref", "milestone", "owner", "status", "progress", "update"]]
                    .assign(progress=ms["progress"].map(percent))
                    .rename(
                        columns={
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "owner": "Owner",
                            "status": "Status",
                            "progress": "Progress",
                            "update": "Latest update",
                        }
                    )
                ),
            ),
            section(
                "Status period by period",
                table(
                    by_period,
                    caption="Status of each milestone at the end of each period",
                    index=True,
                    status_columns=list(by_period.columns),
                ),
            ),
            section(
                "Commentary period by period",
                commentary(
                    [
                        (
                            f"{ref_}: {names.get(str(ref_), '')}",
                            [
                                (str(p), str(s), str(u))
                                for p, s, u in zip(
                                    group["period"], group["status"], group["update"], strict=True
                                )
                            ],
                        )
                        for ref_, group in said.groupby("ref", sort=False)
                    ]
                )
                if not said.empty
                else html.Div(note("No commentary yet.")),
            ),
            section(
                "Date changes",
                table(
                    log.rename(
                        columns={
                            "ref": "Ref",
                            "period": "Period",
                            "from": "From",
                            "to": "To",
                            "reason": "Reason",
                        }
                    ),
                    caption="Every change of expected date, with its reason",
                    status_columns=(),
                ),
            ),
        ]
    )


@page_callback(
    Output({"type": ids.EVIDENCE_LIST, "ref": MATCH}, "children"),
    Output({"type": ids.EVIDENCE_MESSAGE, "ref": MATCH}, "children"),
    Output({"type": ids.EVIDENCE_UPLOAD, "ref": MATCH}, "contents"),
    Input({"type": ids.EVIDENCE_UPLOAD, "ref": MATCH}, "contents"),
    Input({"type": ids.EVIDENCE_ACTION, "ref": MATCH, "file": ALL, "do": ALL}, "n_clicks"),
    State({"type": ids.EVIDENCE_UPLOAD, "ref": MATCH}, "filename"),
    State({"type": ids.EVIDENCE_PUBLIC, "ref": MATCH}, "value"),
    State(ids.PERIOD, "value"),
    prevent_initial_call=True,
)
def change_evidence(
    contents: str | None,
    _clicks: list[int | None],
    name: str | None,
    public: list[str] | None,
    period: str | None,
) -> Any:
    """A milestone's evidence changed by an editor (the server refuses edit- callbacks to
    others): a dropped file checked and stored, or one made public, editors-only or removed."""
    trigger = callback_context.triggered_id
    ref = str(trigger["ref"])
    if trigger["type"] == ids.EVIDENCE_ACTION:
        if not callback_context.triggered[0]["value"]:  # a button drawn, not pressed
            return no_update, no_update, no_update
        message = act_on(ref, int(trigger["file"]), str(trigger["do"]))
        return listing(evidence_store().list(milestone=ref), True), message, no_update
    if not contents:
        return no_update, no_update, no_update
    message, stored = attach(
        ref, name or "", contents, public="public" in (public or []), period=period
    )
    if not stored:
        return no_update, message, None
    return listing(evidence_store().list(milestone=ref), True), message, None


register(__name__, "/recommendation/<ref>", "Recommendation", layout, charts=True)

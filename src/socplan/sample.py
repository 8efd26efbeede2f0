"""An illustrative SOC delivery plan with four quarters of partner returns, as pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from socplan.periods import Period
from socplan.schema import (
    CANCELLED,
    CLOSED_STATUSES,
    COMPLETE,
    MS_COLUMNS,
    NOT_STARTED,
    ON_TRACK,
    REC_COLUMNS,
    STATUSES,
    contract_frame,
)

SAMPLE_NOTE = (
    "This delivery plan is illustrative: its recommendations, milestones and updates were "
    "invented for demonstration and do not describe real work by any organisation."
)

_ORGS = {
    "WMP": "West Mercia Police",
    "CSP": "Community Safety Partnerships",
    "JAG": "SOC Joint Action Groups",
    "LA": "Local authorities",
    "NHS": "NHS and clinical commissioning groups",
    "PH": "Public health",
    "PP": "Prisons and probation",
    "PCC": "PCC commissioning team",
    "DN": "PCC diversionary network",
}

PERIODS: tuple[str, ...] = ("2019/20 Q3", "2019/20 Q4", "2020/21 Q1", "2020/21 Q2")
MISSED_RETURN = ("2020/21 Q1", "Prisons and probation")
PARTIAL_RETURN = ("2020/21 Q2", "Public health")

# Ref, theme, lead, partners (codes from _ORGS), "private" when not for publication; then the text.
_RECOMMENDATIONS = """
R1 Pursue WMP JAG LA CSP
  Disrupt the county lines networks that supply drugs into local communities, targeting the
  people who run the lines and the violence that comes with them.
R2 Pursue WMP LA PCC
  Use financial investigation and asset recovery powers so that organised crime does not pay,
  and strengthen the response to economic crime.
R3 Pursue WMP PP JAG private
  Improve intelligence on organised crime groups, drawing on partner information and covert
  tactics, so that the most harmful groups are targeted first.
R4 Pursue PP WMP LA
  Tackle organised crime run from or into prisons, and manage organised crime offenders on release.
R5 Prevent PCC DN LA NHS WMP
  Divert children and young people at risk of being drawn into organised crime through a
  diversionary network funded by the Commissioner.
R6 Prevent CSP LA NHS WMP
  Help schools, parents and professionals recognise the early signs of criminal exploitation and
  know what to do about them.
R7 Prevent PH NHS WMP PP
  Take a public health approach to the drug demand that keeps county lines going, linking people
  who use drugs into treatment.
R8 Protect LA WMP NHS CSP PCC
  Safeguard children and vulnerable adults from criminal exploitation through joined-up
  multi-agency arrangements.
R9 Protect CSP LA WMP PH
  Protect vulnerable people whose homes are taken over by drug dealers (cuckooing) and help them
  stay safe.
R10 Protect WMP LA NHS PCC
  Identify and support victims of modern slavery and human trafficking, and bring offenders to
  justice.
R11 Protect WMP PCC LA CSP
  Protect people and businesses from fraud and cyber crime, with specialist support for
  vulnerable and repeat victims.
R12 Prepare JAG WMP LA CSP PP private
  Share information between partners and keep joint SOC local profiles that direct the work of
  the Joint Action Groups.
R13 Prepare PCC CSP LA NHS PH
  Train frontline staff across partner organisations to spot and report organised crime and
  exploitation.
R14 Prepare CSP WMP PCC LA
  Build community resilience and confidence to report organised crime, including anonymously.
"""

# Ref, owner, start, baseline due, then "private" and/or "from <period>" (first period it is in).
_MILESTONES = """
R1.1 WMP 2019-10-01 2019-12-31
  Map the county lines running into and out of each policing area and share a monthly picture.
R1.2 WMP 2019-10-01 2020-03-31
  Set up a county lines disruption team with a named lead in each local policing area.
R1.3 WMP 2019-11-01 2020-09-30 private
  Run quarterly intensification weeks with neighbouring forces against line holders and runners.
R1.4 WMP 2020-01-06 2020-06-30
  Agree a joint approach with British Transport Police to county lines on the rail network.
R1.5 WMP 2020-07-01 2021-01-31
  Review the first year of county lines disruption and report the results to the panel.
R2.1 WMP 2019-10-01 2020-03-31
  Recruit four more financial investigators to the economic crime unit.
R2.2 WMP 2019-10-01 2020-06-30
  Include a financial investigation strategy in every organised crime group investigation.
R2.3 LA 2020-01-01 2020-12-31
  Use licensing, trading standards and planning powers against businesses linked to organised crime.
R2.4 PCC 2020-04-01 2021-03-31
  Propose a scheme to reinvest a share of Proceeds of Crime Act receipts in community projects.
R3.1 WMP 2019-10-01 2019-12-31
  Refresh the mapping of organised crime groups and agree their priority each quarter.
R3.2 WMP 2019-10-01 2020-03-31
  Set up a single route for partners to pass on intelligence about exploitation and organised crime.
R3.3 WMP 2020-01-01 2021-03-31
  Raise partner intelligence submissions by a quarter against the 2018/19 baseline.
R3.4 PP 2019-11-01 2020-08-31
  Share prison intelligence on organised crime group members with the force intelligence bureau.
R4.1 PP 2019-10-01 2020-03-31
  Agree a joint protocol with local prisons on drones, mobile phones and illicit drugs.
R4.2 PP 2019-12-01 2020-09-30
  Identify organised crime offenders six months before release and agree a plan for each.
R4.3 PP 2020-01-01 2020-12-31
  Bring serious and organised offenders into integrated offender management.
R4.4 PP 2020-04-01 2021-03-31
  Pilot a route into housing, training and work for organised crime offenders leaving prison.
R4.5 PP 2020-02-01 2020-09-30
  Train prison and probation staff to spot prisoners being groomed or coerced by organised crime.
R5.1 PCC 2019-10-01 2020-03-31
  Commission the diversionary network for young people at risk of exploitation.
R5.2 DN 2020-01-01 2020-06-30
  Agree referral criteria and routes into the network with the police, schools and social care.
R5.3 NHS 2020-01-01 2020-09-30
  Place youth workers in hospital emergency departments to reach young people after violent or
  exploitative incidents.
R5.4 DN 2020-04-01 2021-03-31
  Provide mentoring, sport and creative activities for at least 300 young people in the first year.
R5.5 PCC 2020-10-01 2021-06-30
  Evaluate the first year of the diversionary network and report the findings to the Commissioner.
R5.6 DN 2020-04-01 2020-09-30 from 2020/21 Q1
  Keep in touch with young people online and by phone while group activities are suspended.
R6.1 CSP 2019-10-01 2020-01-31
  Produce a toolkit for schools on the signs of criminal exploitation and county lines.
R6.2 CSP 2020-01-01 2020-07-31
  Deliver awareness sessions in every secondary school and pupil referral unit.
R6.3 CSP 2020-03-01 2020-09-30
  Run a campaign to help parents and carers recognise the signs of exploitation.
R6.4 NHS 2020-04-01 2021-03-31
  Work with children's mental health services to reach young people with autism or learning
  disabilities who may be targeted.
R7.1 PH 2019-10-01 2020-03-31
  Complete a needs assessment of local drug markets and treatment services.
R7.2 PH 2020-01-01 2020-06-30
  Agree fast-track referrals from police custody into drug and alcohol treatment.
R7.3 PH 2020-04-01 2020-10-31
  Add exploitation screening questions to young people's substance misuse services.
R7.4 PH 2020-04-01 2021-03-31
  Publish a joint public health approach to serious violence and organised crime.
R7.5 PH 2020-01-01 2020-09-30
  Help treatment providers identify and support adults whose drug debts leave them open to
  exploitation.
R8.1 LA 2019-10-01 2019-12-31
  Set up multi-agency child exploitation panels covering every local authority area.
R8.2 LA 2019-11-01 2020-05-31
  Adopt one exploitation risk assessment tool across children's and adult services.
R8.3 LA 2020-04-01 2020-12-31
  Extend the exploitation panels to vulnerable young adults aged 18 to 25.
R8.4 LA 2019-10-01 2020-06-30
  Offer a return home interview to every child reported missing and share what is learned.
R8.5 PCC 2020-01-01 2020-09-30
  Commission specialist workers to support children exploited through county lines.
R9.1 CSP 2019-10-01 2020-02-28
  Agree a cuckooing protocol between the police, housing providers and adult social care.
R9.2 CSP 2020-01-01 2020-06-30
  Train housing officers and private landlords to recognise cuckooing.
R9.3 LA 2020-04-01 2020-12-31
  Offer safety planning and support to every adult identified as a victim of cuckooing.
R9.4 WMP 2020-04-01 2020-08-31
  Review the use of closure orders in cuckooing cases during 2019/20 and share good practice.
R10.1 WMP 2019-10-01 2019-12-31
  Appoint a modern slavery single point of contact in each local policing area.
R10.2 WMP 2019-11-01 2020-04-30
  Agree a pathway for adult victims between the police, councils and the National Referral
  Mechanism.
R10.3 NHS 2020-01-01 2020-09-30
  Train NHS staff to recognise and refer potential victims of modern slavery.
R10.4 WMP 2020-01-01 2021-03-31 private
  Carry out joint visits with partners to businesses at high risk of labour exploitation.
R10.5 WMP 2020-01-01 2020-05-31
  Hold a partner conference to launch the adult victim pathway.
R11.1 WMP 2019-10-01 2020-03-31
  Set up a team to visit and support vulnerable victims of fraud reported to Action Fraud.
R11.2 PCC 2020-01-01 2020-09-30
  Commission a specialist support service for victims of fraud and cyber crime.
R11.3 WMP 2019-10-01 2020-01-31
  Extend the banking protocol to every bank branch so staff can stop fraud in progress.
R11.4 WMP 2020-04-01 2021-03-31
  Give cyber security advice to small businesses and charities.
R11.5 LA 2020-04-15 2020-09-30 from 2020/21 Q1
  Warn residents about COVID-19 scams with trading standards and community groups.
R12.1 JAG 2019-10-01 2020-03-31
  Sign an information-sharing agreement on organised crime between all partners.
R12.2 JAG 2019-10-01 2020-06-30
  Produce a SOC local profile for each Community Safety Partnership area.
R12.3 JAG 2020-07-01 2021-06-30
  Refresh the local profiles each year and use them to set Joint Action Group priorities.
R12.4 JAG 2020-01-01 2020-09-30
  Give the Joint Action Groups a secure shared workspace for tasking and actions.
R13.1 PCC 2019-10-01 2019-12-31
  Map the SOC and exploitation training already open to partners and find the gaps.
R13.2 PCC 2019-11-01 2020-03-31
  Commission a partner training programme on organised crime, county lines and exploitation.
R13.3 CSP 2020-03-01 2020-09-30
  Deliver face-to-face training to 500 frontline staff in councils, health and housing.
R13.4 NHS 2020-04-01 2020-12-31
  Train GPs and practice staff through each clinical commissioning group's safeguarding lead.
R14.1 CSP 2019-10-01 2020-01-31
  Publish a plain English guide for residents on how to report organised crime anonymously.
R14.2 CSP 2020-01-01 2020-12-31
  Run local campaigns with Crimestoppers in the areas most affected by county lines.
R14.3 PCC 2020-04-01 2021-03-31
  Fund community projects that build resilience to organised crime through the PCC's grants.
R14.4 WMP 2020-01-01 2020-10-31
  Hold community meetings in neighbourhoods after major organised crime operations.
R14.5 CSP 2020-06-01 2021-02-28
  Survey residents' confidence in reporting organised crime to set a baseline.
"""

# What each quarter's returns change. A period line, then per milestone: ref, an optional status
# and "forecast"/"progress"/"completed" values; "why:" is the reason for a new forecast and
# "note:" the update. Anything not given follows from the dates (see _row).
_CHANGES = """
2019/20 Q3
R1.1
  note: Monthly county lines picture now goes to every Joint Action Group.
R1.2
  note: Team leader appointed; local policing leads being confirmed.
R2.1
  note: Business case approved in November and the posts advertised.
R3.1
  note: Mapping refreshed and priorities agreed at the December tasking meeting.
R5.1
  note: Tender issued in November; bids to be evaluated in January.
R7.1
  note: Data collection under way with treatment providers.
R8.1 At risk forecast 2020-02-29 progress 75
  why: The panel for one area is delayed while its terms of reference are agreed
  note: Panels meet in three of the four areas; the fourth is due to meet in February.
R10.1
  note: Single points of contact named in every local policing area.
R12.1
  note: Draft agreement sent to partners' legal teams for review.
R13.1
  note: Training mapped across 14 organisations; the gaps report has gone to the Commissioner.
2019/20 Q4
R1.2
  note: Disruption team fully staffed and working in every local policing area.
R2.1 At risk forecast 2020-06-30
  why: Vetting delays for two of the four financial investigator posts
  note: Two investigators in post; two more are waiting for vetting clearance.
R4.1
  note: Protocol signed by all local prison governors in March.
R4.5 At risk
  note: Prison regimes restricted because of COVID-19; April training dates postponed.
R5.1
  note: Contract awarded; the network began taking referrals in March.
R6.2 At risk
  note: Schools closed to most pupils from 20 March, so summer term sessions cannot go ahead.
R7.1
  note: Needs assessment finished and shared with commissioners.
R8.1
  note: All four panels now meet monthly.
R10.5 At risk
  note: Venue booked for May, but the event is under review because of COVID-19.
R11.3
  note: Every bank branch in the area has signed up to the protocol.
R12.1 At risk forecast 2020-06-30
  why: Legal sign-off is still needed from two partners
  note: Twelve of fourteen partners have signed; the other two expect to sign by June.
R13.2
  note: Training provider appointed and course content agreed with partners.
R13.3 At risk
  note: First sessions held in early March; the rest postponed because of COVID-19.
R14.1
  note: Guide published on partner websites and in libraries.
2020/21 Q1
R1.4
  note: Joint approach agreed; a shared briefing now supports rail operations.
R2.1
  note: All four investigators in post from June.
R5.2
  note: Referral criteria agreed; 48 referrals received so far.
R5.3 At risk forecast 2021-01-31
  why: Access to emergency departments restricted during the COVID-19 response
  note: Youth workers are supporting young people by phone until hospital access resumes.
R5.6
  note: Weekly online sessions and phone check-ins started in April.
R6.2 forecast 2020-12-18
  why: Schools closed to most pupils under COVID-19 restrictions; sessions moved to autumn term
  note: Sessions rebooked for the autumn term, with an online version ready if needed.
R6.3
  note: Campaign moved online because of lockdown; materials being tested with parents.
R7.2 At risk forecast 2020-09-30
  why: Custody referral pilot paused during the COVID-19 lockdown
  note: Referral process agreed, but the custody pilot is paused until July.
R8.2
  note: The risk assessment tool has been used in all children's and adult services since May.
R8.4 Off track forecast 2020-09-30
  why: Interviews fell behind during lockdown while staff were redeployed
  note: Corrective action: extra interview capacity commissioned from the voluntary sector,
  note+ with a weekly backlog report to the exploitation panel.
R9.2 At risk forecast 2020-10-31
  why: Face-to-face training suspended during the COVID-19 lockdown; moving to online delivery
  note: Online course being built with the training provider.
R10.3 At risk forecast 2021-03-31
  why: NHS training suspended while staff were redeployed to the COVID-19 response
  note: Safeguarding leads have agreed to restart the training as an e-learning module.
R10.5 Cancelled
  note: Cancelled: the conference could not go ahead under COVID-19 restrictions; its content
  note+ is now part of the online partner training (R13.3).
R11.4
  note: Advice moved to webinars; 40 small businesses attended in June.
R11.5
  note: Scam alerts issued weekly through council and community networks since April.
R12.1
  note: Agreement signed by all fourteen partners in June.
R12.2
  note: Profiles finished for every area and shared under the information-sharing agreement.
R13.3 At risk forecast 2021-03-31
  why: Face-to-face training suspended during the COVID-19 lockdown; the course is moving online
  note: Course being converted to live online sessions; first online cohort due in September.
R14.4 At risk
  note: Public meetings on hold under COVID-19 guidance; online meetings trialled in two towns.
2020/21 Q2
R1.3
  note: Four intensification weeks held this year; results reported to Joint Action Groups.
R3.4
  note: Monthly prison intelligence exchange now in place.
R4.2
  note: Every organised crime offender due for release now has a multi-agency plan.
R4.3 Off track forecast 2021-06-30
  why: Offender management disrupted by COVID-19 and the planned changes to probation services
  note: Corrective action: interim cohort agreed with the police and monthly case reviews
  note+ started; full integration will follow the probation changes.
R4.5 forecast 2020-12-31
  why: Prison regimes restricted under COVID-19, so face-to-face training was postponed
  note: Training redesigned for small, socially distanced groups; first sessions in September.
R5.3
  note: Youth workers back in one emergency department since September under infection control.
R5.6
  note: Online offer ran through the summer; group sessions resume in October.
R6.3
  note: The online campaign ran over the summer and reached about 45,000 parents and carers.
R7.2
  note: Custody pilot restarted in July; fast-track referrals now run in every custody suite.
R6.2
  note: Sessions booked in schools from October; the online version was piloted in two schools.
R7.3
  note: Screening questions drafted and tested with two providers.
R8.4
  note: Backlog cleared; interviews are now offered within 72 hours in every area.
R8.5 At risk progress 80
  note: Overdue: procurement took longer than planned; contracts are with the provider for
  note+ signature and a new date will be agreed at the October exploitation panel.
R9.2
  note: Online sessions started in August; 140 housing staff trained so far.
R9.4
  note: Review finished; a good practice note has gone to every Community Safety Partnership.
R10.3
  note: E-learning module agreed with safeguarding leads; launch planned for January.
R11.2
  note: Victim support service launched in September.
R11.5
  note: Scam alerts reached an estimated 60,000 residents and now continue as routine work.
R12.4 At risk forecast 2020-12-31
  why: Security accreditation of the workspace is taking longer than planned
  note: Workspace built; partners can use it once security accreditation is granted.
R13.3
  note: First online cohort of 60 staff trained in September; further cohorts booked monthly.
R14.4 forecast 2021-01-31
  why: Public meetings restricted under COVID-19 guidance
  note: Online community meetings now run monthly; in-person meetings will follow when allowed.
"""

_ON_TRACK_NOTES = (
    "Work is going to plan; about {p}% delivered so far.",
    "On course for {d}; nothing to escalate this quarter.",
    "Progress reviewed with partners in {m}; about {p}% delivered.",
    "Delivery continues as planned; next steps agreed with partners.",
)
_NOT_STARTED_NOTES = ("Not due to start until {s}.", "Planning under way ahead of the {s} start.")
_COMPLETE_NOTES = ("Delivered on {c}.", "Completed on {c} and signed off by the lead.")


@dataclass(frozen=True, eq=False)
class SampleReturn:
    """One illustrative quarterly return: the workbook's frames, its file name and its period."""

    file_name: str
    period: str
    partial: bool
    recommendations: pd.DataFrame
    milestones: pd.DataFrame


@dataclass
class _Block:
    """One entry of a text table: its header words, its text and its why:/note: lines."""

    head: list[str]
    text: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    """What a milestone carries from one quarter to the next."""

    forecast: date | None = None
    reason: str = ""
    progress: float = 0.0
    closed: dict[str, object] | None = None


def _blocks(table: str) -> list[_Block]:
    """Split a text table into blocks; indented lines belong to the block above."""
    blocks: list[_Block] = []
    for line in table.strip("\n").splitlines():
        if not line.startswith(" "):
            blocks.append(_Block(line.split()))
            continue
        body = line.strip()
        key, sep, rest = body.partition(": ")
        if body.startswith("note+ "):
            blocks[-1].notes["note"] += " " + body.removeprefix("note+ ")
        elif sep and key in ("why", "note"):
            blocks[-1].notes[key] = rest
        else:
            blocks[-1].text.append(body)
    return blocks


def _day(text: str) -> date:
    """An ISO date."""
    return date.fromisoformat(text)


def _words(d: date) -> str:
    """A date as British English words, e.g. 31 March 2020."""
    return f"{d.day} {d:%B %Y}"


def _completion(start: date, deadline: date, i: int) -> date:
    """A completion date a little before the deadline, inside the deadline's quarter."""
    floor = max(start, Period.containing(deadline).start)
    return max(floor, deadline - timedelta(days=(i * 5) % 17))


def _elapsed(start: date, deadline: date, end: date) -> float:
    """Progress in proportion to time elapsed, to the nearest 5, between 5 and 90."""
    share = (end - start).days / max(1, (deadline - start).days)
    return float(min(90, max(5, round(share * 20) * 5)))


def _changes() -> dict[str, dict[str, _Block]]:
    """The per-quarter changes, by period and milestone ref."""
    out: dict[str, dict[str, _Block]] = {}
    period = ""
    for block in _blocks(_CHANGES):
        if block.head[0].startswith("R"):
            out[period][block.head[0]] = block
        else:
            period = " ".join(block.head)
            out[period] = {}
    return out


def _fields(head: list[str]) -> tuple[str | None, dict[str, str]]:
    """A change header's status (or None) and its key/value pairs."""
    rest = " ".join(head[1:])
    status = next((s for s in STATUSES if rest.startswith(s)), None)
    words = rest.removeprefix(status or "").split()
    return status, dict(zip(words[::2], words[1::2], strict=True))


def _row(i: int, m: _Block, qi: int, state: _State, change: _Block | None) -> dict[str, object]:
    """A milestone's row in quarter qi, from its dates, carried state and this quarter's change."""
    if state.closed is not None:
        return dict(state.closed)
    ref, _, start_text, due_text = m.head[:4]
    start, due = _day(start_text), _day(due_text)
    period = Period.parse(PERIODS[qi])
    end = period.end
    status, values = _fields(change.head) if change else (None, {})
    notes = change.notes if change else {}
    if "forecast" in values:
        forecast = _day(values["forecast"])
        state.forecast = None if forecast == due else forecast
        state.reason = notes["why"] if state.forecast else ""
    deadline = state.forecast or due
    if status is None:
        status = NOT_STARTED if end < start else COMPLETE if deadline <= end else ON_TRACK
    completed: date | None = None
    if status == COMPLETE:
        progress = 100.0
        completed = _day(values["completed"]) if "completed" in values else None
        completed = completed or _completion(start, deadline, i)
    elif status == NOT_STARTED:
        progress = 0.0
    elif status == CANCELLED:
        progress = state.progress
    elif "progress" in values:
        progress = float(values["progress"])
    else:
        progress = max(state.progress, _elapsed(start, deadline, end))
    state.progress = progress
    turn = qi + i
    note = notes.get("note")
    if note is None and status == COMPLETE:
        note = _COMPLETE_NOTES[turn % 2].format(c=_words(completed or end))
    elif note is None and status == NOT_STARTED:
        note = _NOT_STARTED_NOTES[turn % 2].format(s=f"{start:%B %Y}")
    elif note is None:
        template = _ON_TRACK_NOTES[turn % 4] if status == ON_TRACK else "Delivery is at risk."
        note = template.format(p=round(progress), d=_words(deadline), m=f"{end:%B}")
    row: dict[str, object] = {
        "ref": ref,
        "recommendation": ref.split(".")[0],
        "milestone": " ".join(m.text),
        "owner": _ORGS[m.head[1]],
        "start": start,
        "due": due,
        "forecast": state.forecast,
        "reason": state.reason,
        "status": status,
        "progress": progress,
        "update": note,
        "completed": completed,
        "public": "private" not in m.head,
    }
    if status in CLOSED_STATUSES:
        state.closed = row
    return row


def _recommendation_rows() -> list[dict[str, object]]:
    """The recommendations, the same in every full return."""
    rows: list[dict[str, object]] = []
    for block in _blocks(_RECOMMENDATIONS):
        ref, theme, lead, *partners = block.head
        rows.append(
            {
                "ref": ref,
                "text": " ".join(block.text),
                "theme": theme,
                "lead": _ORGS[lead],
                "partners": "; ".join(_ORGS[p] for p in partners if p != "private"),
                "public": "private" not in partners,
            }
        )
    return rows


def sample_returns() -> list[SampleReturn]:
    """The illustrative plan's returns, from 2019/20 Q3 to 2020/21 Q2, in import order."""
    milestones = _blocks(_MILESTONES)
    private_recs = {b.head[0] for b in _blocks(_RECOMMENDATIONS) if "private" in b.head}
    for m in milestones:
        if m.head[0].split(".")[0] in private_recs and "private" not in m.head:
            m.head.append("private")
    changes = _changes()
    states = {m.head[0]: _State() for m in milestones}
    recommendations = _recommendation_rows()
    returns: list[SampleReturn] = []
    for qi, period in enumerate(PERIODS):
        rows = []
        for i, m in enumerate(milestones):
            first = m.head.index("from") if "from" in m.head else None
            if first is not None and PERIODS.index(" ".join(m.head[first + 1 : first + 3])) > qi:
                continue
            change = changes.get(period, {}).get(m.head[0])
            rows.append(_row(i, m, qi, states[m.head[0]], change))
        left_out = {owner for p, owner in (MISSED_RETURN, PARTIAL_RETURN) if p == period}
        full = [r for r in rows if r["owner"] not in left_out]
        slug = Period.parse(period).slug
        returns.append(
            SampleReturn(
                file_name=f"{slug}-full.xlsx",
                period=period,
                partial=False,
                recommendations=contract_frame(recommendations, REC_COLUMNS),
                milestones=contract_frame(full, MS_COLUMNS),
            )
        )
        if period == PARTIAL_RETURN[0]:
            owner = PARTIAL_RETURN[1]
            returns.append(
                SampleReturn(
                    file_name=f"{slug}-partial-{owner.lower().replace(' ', '-')}.xlsx",
                    period=period,
                    partial=True,
                    recommendations=contract_frame([], REC_COLUMNS),
                    milestones=contract_frame([r for r in rows if r["owner"] == owner], MS_COLUMNS),
                )
            )
    return returns


__all__ = ["SAMPLE_NOTE", "SampleReturn", "sample_returns"]

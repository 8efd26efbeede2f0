"""An illustrative plan of inspection recommendations, grouped by report instead of by theme.

A police force's action plan for the recommendations and areas for improvement (AFIs) that
HMICFRS inspection reports made of it: each report is one of the plan's "themes", each
recommendation or AFI one recommendation, and each action the force took on it one milestone.
Two quarters of returns (2024/25 Q1 and Q2), then a partial return in Q2 from the OPCC.

The text is written here, quarter by quarter, rather than derived from dates as the SOC sample's
is: there are few enough rows to read. Every report name, recommendation, milestone and update
was invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from socplan.periods import Period
from socplan.sample import SampleReturn
from socplan.schema import (
    AT_RISK,
    CANCELLED,
    CLOSED_STATUSES,
    COMPLETE,
    MS_COLUMNS,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    REC_COLUMNS,
    contract_frame,
)

INSPECTION_NOTE = (
    "This plan of inspection recommendations is illustrative: the reports, recommendations, "
    "areas for improvement, actions and updates were invented for demonstration and do not "
    "describe any real force or any real HMICFRS inspection."
)

PEEL = "PEEL 2023-25"
CDI = "Crime data integrity 2024"
VMM = "Vetting, misconduct and misogyny 2023"
INSPECTION_REPORTS: tuple[str, ...] = (PEEL, CDI, VMM)

# Shaped as a TOML settings file holds them: `config.load_settings(**INSPECTION_SETTINGS)`.
INSPECTION_SETTINGS: dict[str, Any] = {
    "themes": list(INSPECTION_REPORTS),
    "strategy": "HMICFRS inspection recommendations",
    "rag_definitions": {
        NOT_STARTED: "The force's action has not begun and is not yet due to begin.",
        ON_TRACK: "Green: the action is on course to be delivered by its due date.",
        AT_RISK: (
            "Amber: delivery by the due date is at risk; the owning department is managing "
            "the issues and has told the Chief Officer Group."
        ),
        OFF_TRACK: (
            "Red: the action will not be delivered by its due date without corrective action, "
            "which the update describes."
        ),
        COMPLETE: (
            "Blue: delivered. When a recommendation's last action is complete the force closes "
            "it and sends the evidence to the inspectorate."
        ),
        CANCELLED: (
            "No longer being delivered (superseded or no longer needed); kept in the plan for "
            "the record, with the reason in the update."
        ),
    },
}

INSPECTION_PERIODS: tuple[str, ...] = ("2024/25 Q1", "2024/25 Q2")
# The OPCC reports on its own actions separately, after the force's return for the quarter.
INSPECTION_PARTIAL_RETURN = ("2024/25 Q2", "OPCC Scrutiny Team")

# Owners: the force's departments and the Office of the Police and Crime Commissioner.
CONTACT = "Contact Management"
PPU = "Public Protection Unit"
ISU = "Investigation Standards Unit"
CDIU = "Crime Data Integrity Unit"
LD = "Learning and Development"
PSD = "Professional Standards Department"
FVU = "Force Vetting Unit"
PEOPLE = "People Services"
OPCC = "OPCC Scrutiny Team"


@dataclass(frozen=True)
class _Recommendation:
    ref: str
    report: str
    lead: str
    partners: tuple[str, ...]
    text: str
    public: bool = True


@dataclass(frozen=True)
class _Return:
    """What one quarter's return says about a milestone."""

    status: str
    progress: float
    update: str
    forecast: date | None = None
    reason: str = ""
    completed: date | None = None
    evidence: str = ""


@dataclass(frozen=True)
class _Milestone:
    """An action and its return in each quarter: None before it joined the plan, or (after a
    Complete or Cancelled return) for the closed row repeated unchanged."""

    ref: str
    owner: str
    start: date
    due: date
    text: str
    quarters: tuple[_Return | None, _Return | None]
    public: bool = True


def _d(text: str) -> date:
    return date.fromisoformat(text)


RECOMMENDATIONS: tuple[_Recommendation, ...] = (
    _Recommendation(
        "PEEL-R1",
        PEEL,
        CONTACT,
        (OPCC,),
        "Within six months, the force should make sure that it answers emergency and "
        "non-emergency calls within national standards, and that callers who abandon a 101 "
        "call are called back.",
    ),
    _Recommendation(
        "PEEL-AFI1",
        PEEL,
        PPU,
        (CONTACT, LD),
        "The force should improve how it identifies and records vulnerability when the public "
        "first contact it, so that risk is assessed consistently and the right help is offered.",
    ),
    _Recommendation(
        "PEEL-AFI2",
        PEEL,
        ISU,
        (CDIU,),
        "The force should make sure that supervisors review investigations regularly and that "
        "victims are kept updated, as the Victims' Code requires.",
    ),
    _Recommendation(
        "CDI-R1",
        CDI,
        CDIU,
        (CONTACT,),
        "Within three months, the force should make sure that crimes reported to it are "
        "recorded within 24 hours of the report, as the Home Office Counting Rules require.",
    ),
    _Recommendation(
        "CDI-R2",
        CDI,
        CDIU,
        (PPU, LD),
        "The force should make sure that it records every reported crime of violence, including "
        "behavioural crimes such as stalking, harassment and controlling or coercive behaviour.",
    ),
    _Recommendation(
        "CDI-AFI1",
        CDI,
        CDIU,
        (OPCC,),
        "The force should improve how it cancels recorded crimes, so that every cancellation "
        "has the additional verifiable information the counting rules require.",
    ),
    _Recommendation(
        "VMM-R1",
        VMM,
        FVU,
        (PEOPLE, PSD),
        "By April 2025, the force should make sure that every vetting decision, including a "
        "clearance granted despite adverse information, is recorded with a clear rationale and "
        "any measures to manage the risk.",
    ),
    _Recommendation(
        "VMM-R3",
        VMM,
        PSD,
        (FVU,),
        "By March 2025, the force should make sure that its counter-corruption unit has the "
        "capacity and the intelligence to identify officers and staff who abuse their position "
        "for a sexual purpose.",
        public=False,
    ),
    _Recommendation(
        "VMM-AFI1",
        VMM,
        PEOPLE,
        (PSD, OPCC),
        "The force should improve how it gathers and acts on its workforce's views about "
        "misogynistic and inappropriate behaviour, and make sure staff know how to report it.",
    ),
)

MILESTONES: tuple[_Milestone, ...] = (
    # -- PEEL 2023-25 ---------------------------------------------------------------------
    _Milestone(
        "PEEL-R1.1",
        CONTACT,
        _d("2024-04-01"),
        _d("2024-06-30"),
        "Model call demand by hour and day and set a shift pattern for call handlers that "
        "matches it.",
        (
            _Return(
                COMPLETE,
                100,
                "Demand model signed off at the Contact Management board on 21 June; the new "
                "shift pattern has been consulted on with the staff associations and starts in "
                "September.",
                completed=_d("2024-06-21"),
                evidence="Contact Management board minutes, 21 June 2024",
            ),
            None,
        ),
    ),
    _Milestone(
        "PEEL-R1.2",
        CONTACT,
        _d("2024-05-01"),
        _d("2024-09-30"),
        "Recruit and train 24 more call handlers to reach the funded establishment.",
        (
            _Return(
                ON_TRACK,
                30,
                "Two intakes of 12 recruited; the first intake started training on 3 June.",
            ),
            _Return(
                AT_RISK,
                70,
                "The second intake started on 2 September, but four recruits left during "
                "training. A third intake of six is being advertised to make up the shortfall; "
                "answer times are being protected with overtime in the meantime.",
                forecast=_d("2024-11-30"),
                reason="Four recruits left during training; a third intake is needed.",
            ),
        ),
    ),
    _Milestone(
        "PEEL-R1.3",
        CONTACT,
        _d("2024-07-01"),
        _d("2024-12-31"),
        "Introduce an automatic call-back for abandoned 101 calls and report the call-back "
        "rate every month.",
        (
            _Return(
                NOT_STARTED,
                0,
                "Due to start in July, when the telephony supplier has scheduled the change.",
            ),
            _Return(
                ON_TRACK,
                40,
                "Call-back tested in August; it goes live in October, and the monthly call-back "
                "rate goes to the Force Performance Board from November.",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI1.1",
        PPU,
        _d("2024-04-01"),
        _d("2024-07-31"),
        "Audit 200 domestic abuse incidents to test whether a risk assessment was completed and "
        "recorded at first contact.",
        (
            _Return(
                ON_TRACK,
                75,
                "150 of the 200 incidents audited; so far a risk assessment was recorded in 81% "
                "of them.",
            ),
            _Return(
                COMPLETE,
                100,
                "Audit finished and reported to the Vulnerability Board on 26 July: a risk "
                "assessment was recorded in 79% of incidents. The findings shape the training "
                "in PEEL-AFI1.2.",
                completed=_d("2024-07-26"),
                evidence="Vulnerability Board paper VB/24/031",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI1.2",
        LD,
        _d("2024-06-01"),
        _d("2024-12-31"),
        "Train every call handler and frontline supervisor in recognising vulnerability and "
        "assessing risk.",
        (
            _Return(
                ON_TRACK,
                10,
                "Training package drafted with the Public Protection Unit; pilot sessions "
                "booked for July.",
            ),
            _Return(
                ON_TRACK,
                45,
                "Pilot delivered to 60 staff in July and the package revised from their "
                "feedback; 310 of 690 staff trained by the end of September.",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI1.3",
        PPU,
        _d("2025-01-06"),
        _d("2025-03-31"),
        "Repeat the audit once the training has bedded in, to test whether recording has improved.",
        (
            _Return(NOT_STARTED, 0, "Not due to start until January 2025."),
            _Return(
                NOT_STARTED,
                0,
                "Audit scope agreed with the Vulnerability Board; fieldwork starts in January.",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI2.1",
        ISU,
        _d("2024-04-01"),
        _d("2024-09-30"),
        "Add a supervisory review to the crime recording system that is prompted every 28 "
        "days of an open investigation.",
        (
            _Return(
                ON_TRACK,
                40,
                "System change specified; the supplier has confirmed a development slot in August.",
            ),
            _Return(
                COMPLETE,
                100,
                "The review prompt went live on 16 September; compliance is reported to "
                "district commanders every week.",
                completed=_d("2024-09-16"),
                evidence="Release note CRS-2024-09; first weekly compliance report",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI2.2",
        ISU,
        _d("2024-04-01"),
        _d("2024-10-31"),
        "Publish a monthly dashboard of investigations without a supervisory review or a "
        "victim update in the last 28 days.",
        (
            _Return(
                ON_TRACK,
                25,
                "Measures agreed with district commanders; the dashboard is being built.",
            ),
            _Return(
                ON_TRACK,
                60,
                "Dashboard built and tested on August's data. It goes live in January, when "
                "three months of data from the new review prompt are available.",
                forecast=_d("2025-01-31"),
                reason="Waiting for three months of data from the supervisory review prompt.",
            ),
        ),
    ),
    _Milestone(
        "PEEL-AFI2.3",
        ISU,
        _d("2024-08-01"),
        _d("2024-12-31"),
        "Dip-sample 50 investigations a month for the quality of victim updates and give "
        "feedback to each officer in charge.",
        (
            None,
            _Return(
                ON_TRACK,
                35,
                "Added to the plan after the force's Victims' Code audit in July. August and "
                "September samples done (100 cases): 64% of victims had a timely update.",
            ),
        ),
    ),
    # -- Crime data integrity 2024 --------------------------------------------------------
    _Milestone(
        "CDI-R1.1",
        CDIU,
        _d("2024-04-01"),
        _d("2024-06-30"),
        "Set up a daily review of incidents still without a crime recording decision 24 hours "
        "after they were reported.",
        (
            _Return(
                COMPLETE,
                100,
                "Daily review in place since 13 May; its results go to the morning Daily "
                "Management Meeting.",
                completed=_d("2024-05-13"),
                evidence="Daily Management Meeting terms of reference, May 2024",
            ),
            None,
        ),
    ),
    _Milestone(
        "CDI-R1.2",
        CDIU,
        _d("2024-05-01"),
        _d("2024-09-30"),
        "Clear the backlog of incidents awaiting a crime recording decision.",
        (
            _Return(
                ON_TRACK,
                35,
                "Backlog down from 2,140 incidents in May to 1,390 at the end of June, with "
                "staff working overtime.",
            ),
            _Return(
                OFF_TRACK,
                55,
                "The backlog rose to 1,620 in August when overtime funding ended. Corrective "
                "action: six officers on recuperative duties joined the unit on 2 September, "
                "and the Deputy Chief Constable now reviews the backlog every week. Down to "
                "1,180 at the end of September.",
                forecast=_d("2024-12-31"),
                reason="Overtime funding ended in July and the backlog grew over the summer.",
            ),
        ),
    ),
    _Milestone(
        "CDI-R1.3",
        CDIU,
        _d("2024-07-01"),
        _d("2025-03-31"),
        "Report crime recording timeliness by district to the Force Performance Board every month.",
        (
            _Return(NOT_STARTED, 0, "Due to start in July."),
            _Return(
                ON_TRACK,
                30,
                "Timeliness measure agreed; the first report by district went to the Force "
                "Performance Board in September.",
            ),
        ),
    ),
    _Milestone(
        "CDI-R2.1",
        LD,
        _d("2024-04-15"),
        _d("2024-08-31"),
        "Give every frontline officer an e-learning module on recording behavioural crimes.",
        (
            _Return(
                ON_TRACK,
                45,
                "Module live since 20 May; 46% of frontline officers had completed it by the "
                "end of June.",
            ),
            _Return(
                COMPLETE,
                100,
                "94% of frontline officers had completed the module by 30 August; the rest are "
                "on long-term leave and will complete it on their return.",
                completed=_d("2024-08-30"),
                evidence="Learning records extract, 30 August 2024",
            ),
        ),
    ),
    _Milestone(
        "CDI-R2.2",
        CDIU,
        _d("2024-06-01"),
        _d("2024-11-30"),
        "Audit the recording of stalking and harassment every quarter and share the results "
        "with district commanders.",
        (
            _Return(
                ON_TRACK,
                10,
                "Audit method agreed with the Force Crime Registrar.",
            ),
            _Return(
                ON_TRACK,
                50,
                "First quarterly audit done: 88% of stalking and harassment crimes correctly "
                "recorded, up from 79% at the inspection.",
            ),
        ),
    ),
    _Milestone(
        "CDI-AFI1.1",
        CDIU,
        _d("2024-04-01"),
        _d("2024-07-31"),
        "Limit the cancelling of recorded crimes to the Force Crime Registrar's team.",
        (
            _Return(
                COMPLETE,
                100,
                "System permissions changed on 3 June; only the Force Crime Registrar's team "
                "can now cancel a recorded crime.",
                completed=_d("2024-06-03"),
                evidence="Change request CR-4471",
            ),
            None,
        ),
    ),
    _Milestone(
        "CDI-AFI1.2",
        OPCC,
        _d("2024-07-01"),
        _d("2025-01-31"),
        "Add cancelled crimes to the quarterly dip sample of the OPCC's independent scrutiny "
        "panel.",
        (
            _Return(
                NOT_STARTED,
                0,
                "The panel's terms of reference are being revised to include cancelled crimes.",
            ),
            _Return(
                ON_TRACK,
                40,
                "Revised terms of reference agreed in July; the panel's first dip sample of 30 "
                "cancelled crimes took place on 19 September.",
            ),
        ),
    ),
    # -- Vetting, misconduct and misogyny 2023 --------------------------------------------
    _Milestone(
        "VMM-R1.1",
        FVU,
        _d("2024-04-01"),
        _d("2024-09-30"),
        "Introduce a decision record for every clearance granted despite adverse information.",
        (
            _Return(
                ON_TRACK,
                50,
                "Decision record agreed with the force vetting manager; piloted on new "
                "applications since 1 June.",
            ),
            _Return(
                COMPLETE,
                100,
                "The decision record has been used for every clearance since 1 July: 38 "
                "decisions recorded with a rationale this quarter.",
                completed=_d("2024-07-01"),
                evidence="Vetting decision record template v1.2",
            ),
        ),
    ),
    _Milestone(
        "VMM-R1.2",
        FVU,
        _d("2024-07-01"),
        _d("2025-03-31"),
        "Review the clearances granted despite adverse information since 2019 and record a "
        "rationale or take further action.",
        (
            _Return(
                NOT_STARTED,
                0,
                "Review starts in July, when two more vetting officers join the unit.",
            ),
            _Return(
                ON_TRACK,
                25,
                "96 of 420 files reviewed; three referred to the Professional Standards "
                "Department for further enquiries.",
            ),
        ),
        public=False,
    ),
    _Milestone(
        "VMM-R1.3",
        PEOPLE,
        _d("2024-04-01"),
        _d("2024-12-31"),
        "Recruit three vetting officers to the Force Vetting Unit.",
        (
            _Return(
                ON_TRACK,
                40,
                "Two officers appointed and start in July; the third post is being readvertised.",
            ),
            _Return(
                CANCELLED,
                65,
                "Cancelled: the regional vetting collaboration took on the force's vetting "
                "renewals in September, so the third post is no longer needed. The two officers "
                "appointed started in July.",
            ),
        ),
    ),
    _Milestone(
        "VMM-R3.1",
        PSD,
        _d("2024-04-01"),
        _d("2024-09-30"),
        "Fund and fill four more posts in the counter-corruption unit.",
        (
            _Return(
                ON_TRACK,
                50,
                "Business case approved by the Chief Officer Group in May; interviews are in July.",
            ),
            _Return(
                COMPLETE,
                100,
                "All four posts filled; the last officer started on 9 September.",
                completed=_d("2024-09-09"),
                evidence="Chief Officer Group decision log, May 2024",
            ),
        ),
    ),
    _Milestone(
        "VMM-R3.2",
        PSD,
        _d("2024-05-01"),
        _d("2024-12-31"),
        "Install software that monitors the force's IT systems for misuse, with alerts reviewed "
        "by the counter-corruption unit.",
        (
            _Return(
                ON_TRACK,
                20,
                "Supplier chosen from the national framework; the data protection impact "
                "assessment is under way.",
            ),
            _Return(
                ON_TRACK,
                35,
                "The data protection impact assessment has been approved by the Information "
                "Management Board; installation is booked for February.",
                forecast=_d("2025-03-31"),
                reason="The data protection impact assessment took two months longer than planned.",
            ),
        ),
    ),
    _Milestone(
        "VMM-AFI1.1",
        PEOPLE,
        _d("2024-04-01"),
        _d("2024-06-30"),
        "Run a confidential workforce survey on sexism and misogyny at work.",
        (
            _Return(
                COMPLETE,
                100,
                "The survey closed on 14 June with 2,310 responses (41% of the workforce); "
                "results go to the People Board in July.",
                completed=_d("2024-06-14"),
                evidence="Workforce survey summary, June 2024",
            ),
            None,
        ),
    ),
    _Milestone(
        "VMM-AFI1.2",
        PSD,
        _d("2024-06-01"),
        _d("2024-10-31"),
        "Relaunch the anonymous reporting line, with a named contact in every department.",
        (
            _Return(
                ON_TRACK,
                15,
                "Named contacts being confirmed by each head of department.",
            ),
            _Return(
                ON_TRACK,
                75,
                "Reporting line relaunched on 2 September with a campaign led by the Deputy "
                "Chief Constable; 27 reports received in September.",
            ),
        ),
    ),
    _Milestone(
        "VMM-AFI1.3",
        OPCC,
        _d("2024-07-01"),
        _d("2025-03-31"),
        "Report the force's progress in tackling misogyny to the Police and Crime Panel twice a "
        "year.",
        (
            _Return(NOT_STARTED, 0, "Due to start in July."),
            _Return(
                ON_TRACK,
                50,
                "The first report went to the Police and Crime Panel on 24 September; the next "
                "is due in March.",
            ),
        ),
    ),
)


def _recommendation_rows() -> list[dict[str, object]]:
    """The recommendations, the same in every full return."""
    return [
        {
            "ref": r.ref,
            "text": r.text,
            "theme": r.report,
            "lead": r.lead,
            "partners": "; ".join(r.partners),
            "public": r.public,
        }
        for r in RECOMMENDATIONS
    ]


def _milestone_rows(qi: int) -> list[dict[str, object]]:
    """Every milestone's row in quarter `qi` (a closed one repeats the row that closed it)."""
    public_recs = {r.ref for r in RECOMMENDATIONS if r.public}
    rows = []
    for m in MILESTONES:
        said = next((q for q in reversed(m.quarters[: qi + 1]) if q is not None), None)
        if said is None:  # not yet in the plan
            continue
        if m.quarters[qi] is None and said.status not in CLOSED_STATUSES:
            raise ValueError(f"{m.ref} has no return in {INSPECTION_PERIODS[qi]}")
        recommendation = m.ref.split(".")[0]
        rows.append(
            {
                "ref": m.ref,
                "recommendation": recommendation,
                "milestone": m.text,
                "owner": m.owner,
                "start": m.start,
                "due": m.due,
                "forecast": said.forecast,
                "reason": said.reason,
                "status": said.status,
                "progress": float(said.progress),
                "update": said.update,
                "completed": said.completed,
                # A milestone of a recommendation not for publication is not for publication.
                "public": m.public and recommendation in public_recs,
                "evidence": said.evidence,
            }
        )
    return rows


def inspection_returns() -> list[SampleReturn]:
    """The inspection plan's returns, 2024/25 Q1 and Q2, in import order: each quarter's full
    return, then (in Q2) the OPCC's partial return."""
    recommendations = contract_frame(_recommendation_rows(), REC_COLUMNS)
    period_of_partial, partial_owner = INSPECTION_PARTIAL_RETURN
    returns = []
    for qi, period in enumerate(INSPECTION_PERIODS):
        rows = _milestone_rows(qi)
        left_out = partial_owner if period == period_of_partial else None
        slug = Period.parse(period).slug
        returns.append(
            SampleReturn(
                file_name=f"inspections-{slug}-full.xlsx",
                period=period,
                partial=False,
                recommendations=recommendations.copy(),
                milestones=contract_frame([r for r in rows if r["owner"] != left_out], MS_COLUMNS),
            )
        )
        if left_out is not None:
            owner_slug = left_out.lower().replace(" ", "-")
            returns.append(
                SampleReturn(
                    file_name=f"inspections-{slug}-partial-{owner_slug}.xlsx",
                    period=period,
                    partial=True,
                    recommendations=contract_frame([], REC_COLUMNS),
                    milestones=contract_frame(
                        [r for r in rows if r["owner"] == left_out], MS_COLUMNS
                    ),
                )
            )
    return returns


__all__ = [
    "INSPECTION_NOTE",
    "INSPECTION_PERIODS",
    "INSPECTION_REPORTS",
    "INSPECTION_SETTINGS",
    "inspection_returns",
]

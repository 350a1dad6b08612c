"""The four oversight reports, assembled from the aggregates of `queries` into figures and
tables (memo 4.E.4, 4.E.5, fn2; Utah Code 77-23e-106 for the annual aggregate).

Each builder takes an open connection (one read-only snapshot), the window (checkpoint size,
period, now) and the scope, and calls `step` once per part it computes, so a caller can show
progress. Statistics over people are computed over the per-user aggregate (one row per user),
never over raw rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from frsgate.ledger.events import EventTag
from frsgate.reports.oversight.model import Cell, Chart, Figure, ReportKind, Table
from frsgate.reports.oversight.queries.exigent import (
    exigent_approval_totals,
    late_or_missing_approvals,
)
from frsgate.reports.oversight.queries.governance import (
    entries_of,
    governance_approvals,
    program_assessments,
)
from frsgate.reports.oversight.queries.indexed import Indexed
from frsgate.reports.oversight.queries.leads import unfiled_roi
from frsgate.reports.oversight.queries.refusals import (
    refusal_totals,
    refusals_by_rule,
    refusals_by_section,
)
from frsgate.reports.oversight.queries.sharing import (
    partner_searches_by_agency,
    shares_by_authority,
)
from frsgate.reports.oversight.queries.tallied import Tallied, offices
from frsgate.reports.oversight.queries.uses import NO_CASE
from frsgate.reports.oversight.queries.window import Rows, Scope, Window

Step = Callable[[str], None]

PEER_PERCENTILE = 0.95  # memo 4.E.5: "volume far above peers", as a stated statistic
MONTHLY_AFTER_DAYS = 92  # uses over time: by day up to a quarter, by month beyond
# The pack's rules a use on a closed case, or by someone not on the case, is refused under
# (memo 4.A.1): the gate refuses these uses, so they appear as attempts.
CLOSED_CASE_RULES = ("purpose.case_open",)
UNASSIGNED_RULES = ("purpose.case_assignment", "purpose.program_member")


@dataclass(frozen=True, slots=True)
class PackIdentity:
    """The policy pack loaded when the report ran, and its approval subject (memo fn2)."""

    id: str
    version: str
    sha256: str
    subject: str


@dataclass(frozen=True, slots=True)
class Inputs:
    window: Window
    scope: Scope
    cures: frozenset[str]  # the pack's rules an approval cures (a refusal that only waited)
    roi_deadline_days: int  # the pack's roi_filing_deadline_days (memo 4.E.2)
    pack: PackIdentity
    row_limit: int = 200  # rows listed in a table of individual records


Built = tuple[list[Figure], list[Table]]

STEPS = {
    ReportKind.supervisor: 7,
    ReportKind.opr: 8,
    ReportKind.igp: 3,
    ReportKind.annual: 5,
}


def build(kind: ReportKind, conn: Connection, inputs: Inputs, step: Step) -> Built:
    if kind is ReportKind.igp:
        return _igp(conn, inputs, step)
    if kind is ReportKind.annual:
        return _annual(conn, inputs, step)
    return _usage(conn, inputs, step, audit=kind is ReportKind.opr)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _iso(value: object) -> Cell:
    return value.isoformat() if isinstance(value, datetime) else _cell(value)


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _table(
    key: str,
    title: str,
    columns: Sequence[tuple[str, str]],
    rows: Rows,
    note: str = "",
    chart: Chart | None = None,
) -> Table:
    return Table(
        key=key,
        title=title,
        columns=tuple(columns),
        rows=tuple(tuple(_iso(v) for v in row) for row in rows),
        note=note,
        chart=chart,
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile of `values` by linear interpolation between closest ranks
    (the "linear" method of NumPy and of Hyndman & Fan's definition 7)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peer_outliers(by_user: Rows) -> list[tuple[Cell, ...]]:
    """(office, users with uses, percentile value, username, uses) for each user whose uses
    are above the office's 95th percentile of per-user uses."""
    offices: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for username, office, count in by_user:
        offices[str(office)].append((str(username), int(count)))
    found: list[tuple[Cell, ...]] = []
    for office, people in sorted(offices.items()):
        threshold = percentile([n for _, n in people], PEER_PERCENTILE)
        for username, count in sorted(people, key=lambda p: (-p[1], p[0])):
            if count > threshold:
                found.append((office, len(people), round(threshold, 2), username, count))
    return found


# --- supervisor and OPR: uses, refusals and the indicators -------------------------------


def _counts(conn: Connection, inputs: Inputs) -> Indexed | Tallied:
    """Every case's uses and refusals from the tallies; a supervisor's from the index."""
    if inputs.scope.everything:
        return Tallied.read(conn, inputs.window)
    return Indexed.read(conn, inputs.window, inputs.scope)


def _usage(conn: Connection, inputs: Inputs, step: Step, *, audit: bool) -> Built:
    w, scope = inputs.window, inputs.scope
    figures: list[Figure] = []
    tables: list[Table] = []
    counts = _counts(conn, inputs)

    total, exigent, witness = counts.totals()
    figures += [
        Figure(
            "uses",
            "Uses (dispatches of a probe to an FRS)",
            total,
            "submission:dispatch:intent entries in the period, below the checkpoint",
        ),
        Figure("exigent_uses", "Exigent uses", exigent, "memo 4.C.3"),
        Figure("exigent_rate", "Exigent rate", _rate(exigent, total), "exigent uses / uses"),
        Figure("witness_uses", "Uses of a witness's probe", witness, "memo 4.B.2"),
        Figure(
            "witness_rate",
            "Witness-probe rate",
            _rate(witness, total),
            "uses of a witness's probe / uses",
        ),
    ]
    step("uses")
    by_user = counts.by_user()
    tables.append(
        _table(
            "uses_by_user",
            "Uses by user",
            [("user", "User"), ("office", "Office"), ("uses", "Uses")],
            by_user,
        )
    )
    if audit:
        tables.append(
            _table(
                "uses_by_office",
                "Uses by office",
                [("office", "Office"), ("users", "Users"), ("uses", "Uses")],
                offices(by_user),
            )
        )
        outliers = peer_outliers(by_user)
        tables.append(
            _table(
                "volume_above_peers",
                "Volume far above peers",
                [
                    ("office", "Office"),
                    ("peers", "Users with uses"),
                    ("p95", "95th percentile of uses per user"),
                    ("user", "User"),
                    ("uses", "Uses"),
                ],
                outliers,
                note=(
                    "A user is listed when their uses in the period exceed the 95th percentile of "
                    "the per-user use counts of their office (users of the office with at least "
                    "one use; linear interpolation between closest ranks)."
                ),
            )
        )
        figures.append(
            Figure("users_above_peers", "Users above their office's 95th percentile", len(outliers))
        )
    step("users")
    tables.append(
        _table(
            "uses_by_provider",
            "Uses by FRS provider",
            [("provider", "Provider"), ("uses", "Uses")],
            counts.by_provider(),
            chart=Chart("bar", "uses", "uses"),
        )
    )
    tables.append(
        _table(
            "uses_by_case",
            "Uses by case",
            # Every case's people would be tens of thousands of (case, user) pairs a year to
            # sum; a supervisor's few hundred cases list theirs.
            [("case", "Case (or program)"), ("uses", "Uses")]
            + ([] if scope.everything else [("users", "Users")]),
            counts.by_case(),
        )
    )
    tables.append(
        _table(
            "uses_by_match_type",
            "Uses by match type",
            [("match_type", "Match type"), ("uses", "Uses")],
            counts.by_match_type(),
        )
    )
    step("providers, cases and match types")
    monthly = w.period.days > MONTHLY_AFTER_DAYS
    tables.append(
        _table(
            "uses_over_time",
            "Uses by month" if monthly else "Uses by day",
            [("when", "Month" if monthly else "Day (UTC)"), ("uses", "Uses")],
            counts.over_time(monthly=monthly),
            chart=Chart("line", "uses", "uses"),
        )
    )
    step("uses over time")
    figures_r, tables_r = _refusals(conn, inputs, counts)
    figures += figures_r
    tables += tables_r
    step("refusals")
    figures_a, tables_a = _approvals(conn, inputs)
    figures += figures_a
    tables += tables_a
    step("exigent approvals")
    sharing = shares_by_authority(conn, w, scope)
    partners = partner_searches_by_agency(conn, w, scope)
    figures += [
        Figure("shares", "Shares outside the agency", sum(int(r[1]) for r in sharing), "memo 3"),
        Figure(
            "partner_searches",
            "Searches partner agencies ran for our cases",
            sum(int(r[2]) for r in partners),
            "memo 4.E.1",
        ),
    ]
    tables.append(
        _table(
            "shares_by_authority",
            "Shares by authority",
            [("authority_kind", "Authority"), ("shares", "Shares")],
            sharing,
        )
    )
    tables.append(
        _table(
            "partner_searches",
            "Partner-run searches",
            [("partner_agency", "Partner agency"), ("result", "Result"), ("searches", "Searches")],
            partners,
        )
    )
    if audit:
        step("shares and partner searches")
    overdue, listed = unfiled_roi(conn, w, scope, inputs.roi_deadline_days, inputs.row_limit)
    figures.append(
        Figure(
            "unfiled_roi",
            "Report-of-investigation entries overdue",
            overdue,
            f"results received in the period, unfiled after "
            f"{inputs.roi_deadline_days} days (memo 4.E.2)",
        )
    )
    tables.append(
        _table(
            "unfiled_roi",
            "Overdue report-of-investigation entries",
            [
                ("submission", "Submission"),
                ("case", "Case"),
                ("agent", "Agent"),
                ("received_at", "Results received"),
            ],
            listed,
            note=_limited(overdue, len(listed)),
        )
    )
    step("report-of-investigation entries")
    return figures, tables


def _limited(total: int, shown: int) -> str:
    return f"the oldest {shown} of {total} are listed" if shown < total else ""


def _refusals(conn: Connection, inputs: Inputs, counts: Indexed | Tallied) -> Built:
    rf = counts.refusal_rows("report_refusals")
    refused, held = refusal_totals(conn, rf, inputs.cures)
    attempts = counts.attempts_citing(rf, [*CLOSED_CASE_RULES, *UNASSIGNED_RULES])
    closed = sum(int(n) for _, rule, n in attempts if rule in CLOSED_CASE_RULES)
    unassigned = sum(int(n) for _, rule, n in attempts if rule in UNASSIGNED_RULES)
    figures = [
        Figure(
            "refused",
            "Decisions refused",
            refused,
            "refused decisions citing at least one rule no approval cures",
        ),
        Figure(
            "held_for_approval",
            "Decisions held for an approval",
            held,
            "recorded as refused until the approval is given; not counted above",
        ),
        Figure(
            "closed_case_attempts",
            "Attempts on closed cases",
            closed,
            f"refusals citing {', '.join(CLOSED_CASE_RULES)} (memo 4.A.1)",
        ),
        Figure(
            "unassigned_attempts",
            "Attempts by users not on the case or program",
            unassigned,
            f"refusals citing {', '.join(UNASSIGNED_RULES)} (memo 4.A.1)",
        ),
    ]
    tables = [
        _table(
            "refusals_by_section",
            "Refused attempts by memo section",
            [("section", "Memo section"), ("refusals", "Refused decisions")],
            refusals_by_section(conn, rf, inputs.cures),
            note="a decision citing two sections counts under each",
            chart=Chart("bar", "refusals", "refused decisions"),
        ),
        _table(
            "refusals_by_rule",
            "Refused attempts by rule",
            [("rule", "Rule"), ("section", "Memo section"), ("refusals", "Refused decisions")],
            refusals_by_rule(conn, rf, inputs.cures),
        ),
        _table(
            "closed_or_unassigned",
            "Attempts on closed cases or by users not on the case",
            [("user", "User"), ("rule", "Rule"), ("attempts", "Refused decisions")],
            attempts,
        ),
    ]
    return figures, tables


def _approvals(conn: Connection, inputs: Inputs) -> Built:
    w, scope = inputs.window, inputs.scope
    asked, late = exigent_approval_totals(conn, w, scope)
    listed = late_or_missing_approvals(conn, w, scope, inputs.row_limit)
    figures = [
        Figure(
            "exigent_approvals",
            "Exigent approvals asked for after use",
            asked,
            "memo 4.C.3: prior approval impracticable; requested in the period",
        ),
        Figure(
            "exigent_approvals_late",
            "Of them decided late or still missing",
            late,
            "decided after the deadline, pending past it now, or expired",
        ),
    ]
    tables = [
        _table(
            "late_exigent_approvals",
            "Late or missing after-the-fact exigent approvals",
            [
                ("submission", "Submission"),
                ("case", "Case"),
                ("requester", "Requested by"),
                ("requested_at", "Requested"),
                ("deadline", "Deadline"),
                ("status", "Status"),
                ("decided_at", "Decided"),
            ],
            listed,
            note=_limited(late, len(listed)),
        ),
    ]
    return figures, tables


# --- IGP ---------------------------------------------------------------------------------


def _igp(conn: Connection, inputs: Inputs, step: Step) -> Built:
    w, pack = inputs.window, inputs.pack
    governance = governance_approvals(conn, w)
    step("approvals")
    assessments = program_assessments(conn, w)
    step("program assessments")
    acts = entries_of(conn, w, [EventTag.POLICY_PACK_ACTIVATE, EventTag.PROGRAM_ASSESSMENT_APPROVE])
    step("ledger")
    decided = [r for r in governance if r[7] is not None and w.period.start <= r[7] < w.period.end]
    loaded = [r for r in governance if r[1] == pack.subject]
    figures = [
        Figure(
            "pack",
            "Policy pack loaded",
            f"{pack.id} {pack.version} ({pack.sha256[:12]})",
            "its approval subject is " + pack.subject,
        ),
        Figure(
            "pack_approved",
            "The loaded pack's activation approved",
            "yes" if any(r[3] == "approved" for r in loaded) else "no",
            "memo fn2",
        ),
        Figure(
            "approvals_decided",
            "Approvals of the policy and the log decided in the period",
            len(decided),
        ),
        Figure("programs", "Programs registered", len(assessments)),
        Figure(
            "programs_assessed",
            "Programs whose assessment IGP approved",
            sum(1 for r in assessments if r[6] is not None),
            "memo 4.A.1",
        ),
    ]
    for event, n in acts:
        figures.append(Figure(f"entries:{event}", f"{event} entries in the period", int(n)))
    tables = [
        _table(
            "governance_approvals",
            "Approvals of policy-pack versions, the log format and other governance subjects",
            [
                ("subject_kind", "Subject"),
                ("subject", "Version"),
                ("kind", "Approval"),
                ("status", "Status"),
                ("requester", "Requested by"),
                ("requested_at", "Requested"),
                ("approver", "Decided by"),
                ("decided_at", "Decided"),
                ("note", "Note"),
            ],
            governance,
            note="every approval whose subject is not casework, requested before the "
            "period ended, by subject",
        ),
        _table(
            "program_assessments",
            "Programs and their assessment approvals",
            [
                ("code", "Program"),
                ("name", "Name"),
                ("kind", "Kind"),
                ("status", "Status"),
                ("assessment", "Assessment"),
                ("approved_by", "Approved by"),
                ("approved_at", "Approved"),
                ("registered_at", "Registered"),
            ],
            assessments,
        ),
    ]
    return figures, tables


# --- annual ------------------------------------------------------------------------------


def crime_categories(per_case: Rows) -> list[tuple[Cell, ...]]:
    """(category, uses) from (violation codes, uses) per case: a use of a case with two
    violations counts under each; a program's use without a case under its own row."""
    counts: dict[str, int] = defaultdict(int)
    for codes, count in per_case:
        names = [str(c) for c in codes] if isinstance(codes, list) and codes else None
        if codes is None:
            names = [NO_CASE]
        for name in names or ["(no violation recorded)"]:
            counts[name] += int(count)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(name, uses) for name, uses in ordered]


def _annual(conn: Connection, inputs: Inputs, step: Step) -> Built:
    # The annual aggregate covers every case (the reports service gives it no other scope).
    w = inputs.window
    counts = Tallied.read(conn, w)
    total, exigent, witness = counts.totals()
    opened, corroborated, enforcement = counts.leads()
    step("uses and leads")
    categories = crime_categories(counts.by_case_violations())
    step("crime categories")
    outcomes = counts.by_outcome()
    step("outcomes")
    rf = counts.refusal_rows("report_refusals")
    refused, held = refusal_totals(conn, rf, inputs.cures)
    by_section = refusals_by_section(conn, rf, inputs.cures)
    step("refusals")
    figures = [
        Figure("uses", "Uses (dispatches of a probe to an FRS)", total),
        Figure("exigent_uses", "Exigent uses", exigent, "memo 4.C.3"),
        Figure("witness_uses", "Uses of a witness's probe", witness, "memo 4.B.2"),
        Figure("leads", "Leads opened from these uses", opened, "memo 4.D.3"),
        Figure(
            "leads_corroborated",
            "Leads corroborated by independent information",
            corroborated,
            "memo 4.D.3",
        ),
        Figure(
            "leads_enforcement_basis",
            "Leads relied on for enforcement action",
            enforcement,
            "only once corroborated (memo 4.D.3)",
        ),
        Figure("refused", "Attempts refused", refused),
        Figure("held_for_approval", "Requests held for an approval", held),
    ]
    tables = [
        _table(
            "uses_by_crime_category",
            "Uses by crime category",
            [("category", "Violation (crime category)"), ("uses", "Uses")],
            categories,
            note="the violation codes of the case; a use of a case with several violations "
            "counts under each",
        ),
        _table(
            "uses_by_match_type",
            "Uses by match type",
            [("match_type", "Match type"), ("uses", "Uses")],
            counts.by_match_type(),
        ),
        _table(
            "uses_by_provider",
            "Uses by FRS provider",
            [("provider", "Provider"), ("uses", "Uses")],
            counts.by_provider(),
            chart=Chart("bar", "uses", "uses"),
        ),
        _table(
            "uses_by_outcome",
            "Uses by outcome",
            [("outcome", "What the FRS answered"), ("uses", "Uses")],
            outcomes,
            note="as the outcome entries below the checkpoint record it; candidates are "
            "investigative leads only",
        ),
        _table(
            "refusals_by_section",
            "Refused attempts by memo section",
            [("section", "Memo section"), ("refusals", "Refused decisions")],
            by_section,
            chart=Chart("bar", "refusals", "refused decisions"),
        ),
    ]
    monthly = w.period.days > MONTHLY_AFTER_DAYS
    tables.append(
        _table(
            "uses_over_time",
            "Uses by month" if monthly else "Uses by day",
            [("when", "Month" if monthly else "Day (UTC)"), ("uses", "Uses")],
            counts.over_time(monthly=monthly),
            chart=Chart("line", "uses", "uses"),
        )
    )
    step("uses over time")
    return figures, tables

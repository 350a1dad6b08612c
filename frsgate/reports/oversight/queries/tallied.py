"""Every case's uses and refusals in a report's window, summed from the tallies.

OPR's and the annual report cover every case: a year of a national program is a million uses.
They read `ledger_use_tallies` and `ledger_refusal_tallies` (`frsgate.ledger.rollup`): the
period's whole months as month rows and the days at its ends as day rows (`period_buckets`),
less what the entries past the report's checkpoint added (`rollup.since`), so a year costs
its distinct users, cases and citation sets, not its uses. A use is an intent entry, as the
entry describes it; what the FRS answered is the outcome entry's.

What the tallies do not hold is looked up by submission in `ledger_use_days`: the uses of a
witness's probe (the probe's role is the domain's) and the leads opened from the period's uses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, bindparam, func, select, union
from sqlalchemy.sql.elements import ColumnElement

from frsgate.ledger import rollup
from frsgate.ledger.index import NO_ANSWER
from frsgate.reports.oversight.model import Period
from frsgate.reports.oversight.queries.refusals import refusals
from frsgate.reports.oversight.queries.uses import NO_CASE, NO_OFFICE
from frsgate.reports.oversight.queries.window import (
    Rows,
    Scope,
    Window,
    create_temporary,
    period_days,
)
from frsgate.store.schema.core import cases, leads, probes, providers, submissions, users
from frsgate.store.schema.ledger import (
    ledger_refusal_days,
    ledger_refusal_tallies,
    ledger_use_days,
    ledger_use_tallies,
)


def period_buckets(period: Period) -> list[str]:
    """The buckets whose sum is the period: each month it covers whole as "YYYY-MM", the days
    of a month it covers in part as "YYYY-MM-DD"."""
    found: list[str] = []
    month = period.first.replace(day=1)
    while month <= period.last:
        following = (month + timedelta(days=32)).replace(day=1)
        if period.first <= month and following - timedelta(days=1) <= period.last:
            found.append(month.isoformat()[: rollup.MONTH_CHARS])
        else:
            day = max(month, period.first)
            while day < following and day <= period.last:
                found.append(day.isoformat())
                day += timedelta(days=1)
        month = following
    return found


def _days(period: Period) -> list[str]:
    return [
        (period.first + timedelta(days=i)).isoformat()
        for i in range((period.last - period.first).days + 1)
    ]


@dataclass(frozen=True, slots=True)
class Tallied:
    """The tallies of a window: `read` them once, then ask for each facet."""

    conn: Connection
    window: Window
    buckets: tuple[str, ...]
    past: rollup.Rollups  # what the entries past the checkpoint added

    @classmethod
    def read(cls, conn: Connection, w: Window) -> Tallied:
        return cls(conn, w, tuple(period_buckets(w.period)), rollup.since(conn, w.size))

    def _past(self, facet: str, buckets: Iterable[str]) -> Iterator[tuple[str, str, int]]:
        """(bucket, value, uses) the entries past the checkpoint added to a facet in
        `buckets`: what the stored tallies hold that the report must not count."""
        inside = set(buckets)
        for (name, bucket, value), n in self.past.tallies.items():
            if name == facet and bucket in inside:
                yield bucket, value, n

    def facet(self, facet: str) -> dict[str, int]:
        """value -> uses of the facet in the window, none left at zero."""
        t = ledger_use_tallies.c
        counts: Counter[str] = Counter()
        for value, n in self.conn.execute(
            select(t.value, func.sum(t.uses))
            .where(t.facet == facet, t.bucket.in_(bindparam("buckets", expanding=True)))
            .group_by(t.value),
            {"buckets": list(self.buckets)},
        ):
            counts[str(value)] += int(n)
        for _, value, n in self._past(facet, self.buckets):
            counts[value] -= n
        return {value: n for value, n in counts.items() if n > 0}

    def per_bucket(self, facet: str, value: str, buckets: Sequence[str]) -> dict[str, int]:
        """bucket -> uses of one value of a facet."""
        t = ledger_use_tallies.c
        counts: Counter[str] = Counter()
        for bucket, n in self.conn.execute(
            select(t.bucket, t.uses).where(
                t.facet == facet,
                t.value == value,
                t.bucket.in_(bindparam("buckets", expanding=True)),
            ),
            {"buckets": list(buckets)},
        ):
            counts[str(bucket)] += int(n)
        for bucket, v, n in self._past(facet, buckets):
            if v == value:
                counts[bucket] -= n
        return dict(counts)

    # --- the breakdowns, in the shapes the index's queries give -------------------------

    def totals(self) -> tuple[int, int, int]:
        """(uses, exigent uses, uses of a witness's probe) — memo 4.C.3, 4.B.2."""
        total = self.facet(rollup.ALL).get(rollup.ABSENT, 0)
        exigent = self.facet(rollup.EXIGENT).get(rollup.YES, 0)
        return total, exigent, self.witness_uses()

    def witness_uses(self) -> int:
        """The uses of submissions whose probe (or second probe) is a witness's (memo 4.B.2):
        the witness probes listed once, their submissions' use days looked up."""
        s, d = submissions.c, ledger_use_days.c
        witnesses = select(probes.c.id).where(probes.c.subject_role == "witness")
        # Each probe column by its own index (an OR of the two would read every submission).
        witnessed = union(
            select(s.id).where(s.probe_id.in_(witnesses)),
            select(s.id).where(s.second_probe_id.in_(witnesses)),
        )
        return sum(self._used(d.submission_id.in_(witnessed)).values())

    def _used(
        self, which: ColumnElement[bool], params: dict[str, Any] | None = None
    ) -> dict[str, int]:
        """submission -> uses in the window below the checkpoint, of the submissions `which`
        picks out of `ledger_use_days`."""
        d = ledger_use_days.c
        first, last = period_days(self.window)
        found: Counter[str] = Counter()
        for day, submission, provider, case_number, entries in self.conn.execute(
            select(d.day, d.submission_id, d.provider_id, d.case_number, d.entries).where(
                d.day >= first, d.day <= last, which
            ),
            params or {},
        ):
            past = self.past.uses.get((day, submission, provider, case_number), 0)
            found[str(submission)] += int(entries) - past
        return {k: n for k, n in found.items() if n > 0}

    def by_user(self) -> Rows:
        """(username, office, uses), most uses first."""
        counts = self.facet(rollup.USER)
        known = _users(self.conn, counts)
        rows = [(name, office, counts[uid]) for uid, (name, office) in known.items()]
        return sorted(rows, key=lambda r: (-r[2], r[0]))

    def by_provider(self) -> Rows:
        """(provider name, uses)."""
        counts = self.facet(rollup.PROVIDER)
        names = dict(
            self.conn.execute(
                select(providers.c.id, providers.c.name).where(
                    providers.c.id.in_(bindparam("ids", expanding=True))
                ),
                {"ids": sorted(counts)},
            ).all()
        )
        per: Counter[str] = Counter()
        for pid, n in counts.items():
            if pid in names:
                per[str(names[pid])] += n
        return sorted(per.items(), key=lambda r: (-r[1], r[0]))

    def by_case(self) -> Rows:
        """(case number, uses); the uses of programs without a case on one row."""
        rows = [(number or NO_CASE, n) for number, n in self.facet(rollup.CASE).items()]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    def by_match_type(self) -> Rows:
        counts = self.facet(rollup.MATCH_TYPE)
        return sorted(counts.items(), key=lambda r: (-r[1], r[0]))

    def over_time(self, *, monthly: bool) -> Rows:
        """(day "YYYY-MM-DD" or month "YYYY-MM", uses)."""
        buckets = list(self.buckets) if monthly else _days(self.window.period)
        counts = self.per_bucket(rollup.ALL, rollup.ABSENT, buckets)
        per: Counter[str] = Counter()
        for bucket, n in counts.items():
            per[bucket[: rollup.MONTH_CHARS] if monthly else bucket] += n
        return sorted((k, n) for k, n in per.items() if n > 0)

    def by_case_violations(self) -> Rows:
        """(violation codes of the case or None for a program use, uses): one row per case,
        its codes joined in the database (a year of a national program has tens of thousands
        of cases)."""
        t = ledger_use_tallies.c
        per_case = (
            select(t.value.label("number"), func.sum(t.uses).label("n"))
            .where(t.facet == rollup.CASE, t.bucket.in_(bindparam("buckets", expanding=True)))
            .group_by(t.value)
            .subquery("per_case")
        )
        past: Counter[str] = Counter()
        for _, value, n in self._past(rollup.CASE, self.buckets):
            past[value] += n
        found: Rows = []
        for number, n, codes in self.conn.execute(
            select(per_case.c.number, per_case.c.n, cases.c.violation_codes).select_from(
                per_case.outerjoin(cases, cases.c.number == per_case.c.number)
            ),
            {"buckets": list(self.buckets)},
        ):
            uses = int(n) - past[str(number)]
            if uses > 0:
                # A program's use has no case (None); a number no stored case has, no violation.
                found.append((None if number == rollup.ABSENT else (codes or []), uses))
        return found

    def by_outcome(self) -> Rows:
        """(outcome, uses): what the FRS answered each use, as its outcome entry records it;
        the uses without one yet on their own row."""
        total = self.facet(rollup.ALL).get(rollup.ABSENT, 0)
        counts = self.facet(rollup.ANSWERED)
        unanswered = total - sum(counts.values())
        if unanswered > 0:
            counts[NO_ANSWER] = unanswered
        return sorted(counts.items(), key=lambda r: (-r[1], r[0]))

    def leads(self) -> tuple[int, int, int]:
        """(leads opened from the window's uses, corroborated, marked a basis for enforcement),
        memo 4.D.3; as the leads stand now."""
        d, l_ = ledger_use_days.c, leads.c
        first, last = period_days(self.window)
        rows = self.conn.execute(
            select(
                l_.submission_id,
                l_.corroborated_at.is_not(None),
                l_.enforcement_basis_at.is_not(None),
            ).where(
                select(d.submission_id)
                .where(d.submission_id == l_.submission_id, d.day >= first, d.day <= last)
                .exists()
            )
        ).all()
        dropped = self._used_only_past(first, last)
        kept = [r for r in rows if r[0] not in dropped]
        return len(kept), sum(1 for r in kept if r[1]), sum(1 for r in kept if r[2])

    def _used_only_past(self, first: str, last: str) -> set[str]:
        """Submissions whose every use in the period is past the checkpoint."""
        subs = sorted({k[1] for k in self.past.uses if first <= k[0] <= last})
        if not subs:
            return set()
        d = ledger_use_days.c
        below = self._used(d.submission_id.in_(bindparam("subs", expanding=True)), {"subs": subs})
        return {s for s in subs if s not in below}

    # --- refusals ------------------------------------------------------------------------

    def refusal_rows(self, name: str) -> Table:
        """The window's refused decisions as a temporary table of the shape
        `refusals.refusals` gives: a group (`gid`) is the decisions citing one set of (rule,
        section), `decisions` how many, with a row per pair of the set."""
        t = ledger_refusal_tallies.c
        counts: Counter[tuple[str, str, str]] = Counter()
        for key, rule, section, n in self.conn.execute(
            select(t.citation_set, t.rule, t.section, func.sum(t.decisions))
            .where(t.bucket.in_(bindparam("buckets", expanding=True)))
            .group_by(t.citation_set, t.rule, t.section),
            {"buckets": list(self.buckets)},
        ):
            counts[(str(key), str(rule), str(section))] += int(n)
        inside = set(self.buckets)
        for (bucket, key, rule, section), n in self.past.sets.items():
            if bucket in inside:
                counts[(key, rule, section)] -= n
        groups: dict[str, int] = {}
        rows = [
            {
                "gid": groups.setdefault(key, len(groups)),
                "rule": rule,
                "section": section,
                "actor_id": rollup.ABSENT,
                "decisions": n,
            }
            for (key, rule, section), n in sorted(counts.items())
            if n > 0
        ]
        # The columns (and types) of `refusals`: the counts are the same statements for both,
        # and PostgreSQL refuses a prepared statement whose result types change under it.
        table = Table(
            name,
            MetaData(),
            *(Column(c.name, c.type) for c in refusals(self.window, Scope()).c),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DROP",
        )
        create_temporary(self.conn, table)
        if rows:
            self.conn.execute(table.insert(), rows)
        return table

    def attempts_citing(self, rows: Table, rules: Sequence[str]) -> Rows:
        """(username, rule, refused decisions): who tried what these rules refuse, summed in
        the database from the per-day refusals of those rules (`ix_ledger_refusal_days_rule`);
        `rows` (the `refusal_rows`, which keep no actor) is not read."""
        r = ledger_refusal_days.c
        first, last = period_days(self.window)
        past: Counter[tuple[str, str, str, str]] = Counter()
        for (day, actor, key, rule, section), n in self.past.refusals.items():
            if first <= day <= last and rule in rules:
                past[(actor, key, rule, section)] += n
        # A decision citing a rule under two sections is one attempt at the rule: the most
        # of a set's rows for the rule, not their sum.
        decisions: dict[tuple[str, str, str], int] = {}
        for actor, key, rule, section, n in self.conn.execute(
            select(r.actor_id, r.citation_set, r.rule, r.section, func.sum(r.decisions))
            .where(r.rule.in_(bindparam("rules", expanding=True)), r.day >= first, r.day <= last)
            .group_by(r.actor_id, r.citation_set, r.rule, r.section),
            {"rules": list(rules)},
        ):
            left = int(n) - past[(str(actor), str(key), str(rule), str(section))]
            decisions[(actor, key, rule)] = max(decisions.get((actor, key, rule), 0), left)
        attempts: Counter[tuple[str, str]] = Counter()
        for (actor, _, rule), n in decisions.items():
            attempts[(str(actor), str(rule))] += n
        known = _users(self.conn, {a for a, _ in attempts})
        found = [
            (known[actor][0], rule, n)
            for (actor, rule), n in attempts.items()
            if n > 0 and actor in known
        ]
        return sorted(found, key=lambda r: (-r[2], r[0], r[1]))


def _users(conn: Connection, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """user id -> (username, office) of those of `ids` that are users."""
    wanted = sorted(ids)
    found: dict[str, tuple[str, str]] = {}
    office = func.coalesce(users.c.office, NO_OFFICE)
    for start in range(0, len(wanted), 5000):
        for uid, name, where in conn.execute(
            select(users.c.id, users.c.username, office).where(
                users.c.id.in_(bindparam("ids", expanding=True))
            ),
            {"ids": wanted[start : start + 5000]},
        ):
            found[str(uid)] = (str(name), str(where))
    return found


def offices(by_user: Rows) -> Rows:
    """(office, users, uses) from (username, office, uses) per user."""
    people: dict[str, list[int]] = defaultdict(list)
    for _, office, n in by_user:
        people[str(office)].append(int(n))
    rows = [(office, len(ns), sum(ns)) for office, ns in people.items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))

"""The set-based SQL behind the oversight reports (SQLAlchemy Core; SQLite and PostgreSQL alike).

Every query aggregates in the database and returns a few rows. The only entries read into
Python are the few written after the report's checkpoint, whose counts the tallies still hold
(`rollup.since`). The ledger side is `ledger_index` (one row per entry: time, event, outcome,
actor, case, submission, provider) and `ledger_refusals` (the citations of each refusal), always
bounded to the report's checkpoint (`seq < size`) and period (`at`, fixed-width RFC 3339 text);
the domain tables give what the entries point to (a submission's match type and requester, a
user's office, a case's violations).

A report over every case (OPR's, the annual one) sums the tallies instead (`tallied`:
`ledger_use_tallies`, `ledger_refusal_tallies`; `frsgate.ledger.rollup`): the period's whole
months and the days at its ends, less what the entries past the report's checkpoint added. A
supervisor's scope (a few hundred cases) is read from the index (`indexed`, over `uses` and
`refusals`). The two give the same breakdowns in the same shapes.

`window` holds what a report counts over (`Window`, `Scope`, the rowsets and their temporary
tables), `uses` a scope's uses and their breakdowns, `refusals` the refused decisions,
`exigent` the after-use exigent approvals, `leads` the unfiled report-of-investigation
entries, `sharing` the shares and partner searches, `governance` what IGP's report reads,
`tallied` and `indexed` the two sources of uses and refusals.
"""

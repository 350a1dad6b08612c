"""The set-based SQL behind the oversight reports (SQLAlchemy Core; SQLite and PostgreSQL alike).

Every query aggregates in the database and returns a few rows: no entry of the ledger is ever
read into Python. The ledger side is `ledger_index` (one row per entry: time, event, outcome,
actor, case, submission, provider) and `ledger_refusals` (the citations of each refusal), always
bounded to the report's checkpoint (`seq < size`) and period (`at`, fixed-width RFC 3339 text);
the domain tables give what the entries point to (a submission's match type and requester, a
user's office, a case's violations).

A report over every case reads the period's uses and refusals from the daily roll-ups
(`ledger_use_days`, `ledger_refusal_days`; `frsgate.ledger.rollup`) instead: whole days summed,
less the entries past the report's checkpoint, which only the index can tell apart. The rows it
copies have the shape the direct queries give, so every count reads either alike and gives the
same figures. A supervisor's scope (a few hundred cases) is read from the index.

`window` holds what a report counts over (`Window`, `Scope`, the rowsets and their temporary
tables), `uses` the uses and their breakdowns, `refusals` the refused decisions, `exigent` the
after-use exigent approvals, `leads` the leads and the unfiled report-of-investigation entries,
`sharing` the shares and partner searches, `governance` what IGP's report reads.
"""

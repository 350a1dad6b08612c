"""Indexes the oversight reports' period queries read (`frsgate.reports.oversight.queries`).

Each report counts the domain records of a period: exigent approvals asked for in it, shares
and partner-run searches recorded in it, results received in it. Without these, each count
scans its whole table; with them it reads the period's rows only. They sit on the tables of
`core` and are declared here, beside nothing else, so the reports' needs are in one place.
"""

from sqlalchemy import Index

from frsgate.store.schema.core import approvals, candidate_lists, partner_searches, shares

# memo 4.C.3: exigent approvals of a period (kind = exigent_provider, requested_at in it).
Index("ix_approvals_kind_requested_at", approvals.c.kind, approvals.c.requested_at)
# memo 3: shares of a period.
Index("ix_shares_created_at", shares.c.created_at)
# memo 4.E.1: searches partner agencies ran, recorded in a period.
Index("ix_partner_searches_created_at", partner_searches.c.created_at)
# memo 4.E.2: results received in a period (overdue report-of-investigation entries).
Index("ix_candidate_lists_received_at", candidate_lists.c.received_at)

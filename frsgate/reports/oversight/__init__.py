"""The oversight reports: the supervisor's report of their cases (memo 4.E.4), OPR's audit
report (4.E.5), IGP's record of approvals and program assessments (fn2) and the annual aggregate
(the shape Utah Code 77-23e-106 asks of an agency).

`model` holds the report's shape, `queries` the set-based SQL it is computed with, `build` the
four reports, `render` their JSON and CSV, `pdf` their PDF with charts. Deciding who may run a
report, signing the checkpoint it is computed from and recording the run is the service's
(`frsgate.services.oversight`).
"""

from frsgate.reports.oversight.model import (
    FORMAT,
    CheckpointRef,
    Figure,
    Period,
    Report,
    ReportKind,
    Table,
    Verification,
)

__all__ = [
    "FORMAT",
    "CheckpointRef",
    "Figure",
    "Period",
    "Report",
    "ReportKind",
    "Table",
    "Verification",
]

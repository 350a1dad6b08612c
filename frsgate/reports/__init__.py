"""Reports FRS Gate produces from its records: report-of-investigation (ROI) entries and case
disclosure packages (memo 4.E.2, 3). Plain values in, text or PDF bytes out: no web framework,
no database, so the same record always renders the same way wherever it is rendered."""

from __future__ import annotations

from frsgate.reports.roi import (
    RoiCandidate,
    RoiCorroboration,
    RoiDisposition,
    RoiExamination,
    RoiFlag,
    RoiFrs,
    RoiLead,
    RoiReport,
    RoiShare,
    render_pdf,
    render_text,
)

__all__ = [
    "RoiCandidate",
    "RoiCorroboration",
    "RoiDisposition",
    "RoiExamination",
    "RoiFlag",
    "RoiFrs",
    "RoiLead",
    "RoiReport",
    "RoiShare",
    "render_pdf",
    "render_text",
]

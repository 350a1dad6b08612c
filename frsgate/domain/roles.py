"""The roles of FRS Gate and what the memo makes each one responsible for."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    agent = "agent"  # collects and submits probes, reviews candidate lists (memo 4.B-4.D)
    supervisor = "supervisor"  # witness probes 4.B.2, exigent FRS use 4.C.3, log review 4.E.4
    examiner = "examiner"  # the only role that records a facial examination (memo 4.D.1)
    osdm = "osdm"  # reviews FRS providers: approved / not approved (memo 4.C.1-4.C.3)
    igp = "igp"  # privacy office: policy packs, log format (fn. 2), program assessments 4.A.1
    opr = "opr"  # auditor: read-only over everything, verifies the ledger (memo 4.E.5)
    admin = "admin"  # users, keys, configuration; never reads probes, never edits the ledger
    # A monitoring system's account: reads the service metrics only, nothing about cases,
    # probes or people (who may read how the system is used is IGP's to approve, memo fn. 2).
    metrics = "metrics"

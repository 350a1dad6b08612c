"""The typed names of every act FRS Gate records: `scope:subject:action` tags in one StrEnum.

A ledger entry's `event` is always one of these, so a report or an auditor can rely on a closed
vocabulary. Adding a tag is a backwards-compatible change of the entry format (version 1 keeps);
renaming or removing one is not (see docs/audit-log-format.md, "Versioning").
"""

from __future__ import annotations

from enum import StrEnum


class EventTag(StrEnum):
    """Every event the ledger records, grouped by scope."""

    # Users and roles: every role change is itself a ledger entry.
    USER_ACCOUNT_CREATE = "user:account:create"
    USER_ACCOUNT_DEACTIVATE = "user:account:deactivate"
    USER_ACCOUNT_UPDATE = "user:account:update"
    USER_ACCOUNT_ACTIVATE = "user:account:activate"
    USER_RECORDS_VIEW = "user:records:view"
    USER_ROLE_GRANT = "user:role:grant"
    USER_ROLE_REVOKE = "user:role:revoke"
    USER_LOGIN_SUCCEED = "user:login:succeed"
    USER_LOGIN_FAIL = "user:login:fail"

    # Cases and programs (memo 4.A).
    CASE_RECORD_CREATE = "case:record:create"
    CASE_ASSIGNMENT_ADD = "case:assignment:add"
    CASE_ASSIGNMENT_REMOVE = "case:assignment:remove"
    CASE_RECORD_UPDATE = "case:record:update"
    CASE_STATUS_CHANGE = "case:status:change"
    CASE_RECORDS_VIEW = "case:records:view"
    PROGRAM_RECORD_CREATE = "program:record:create"
    PROGRAM_RECORD_UPDATE = "program:record:update"
    PROGRAM_ASSESSMENT_APPROVE = "program:assessment:approve"
    PROGRAM_CODE_ESTABLISH = "program:code:establish"
    PROGRAM_RECORDS_VIEW = "program:records:view"
    CERTIFICATION_RECORD_CREATE = "certification:record:create"
    CERTIFICATION_IMPORT_RUN = "certification:import:run"
    CERTIFICATION_RECORDS_VIEW = "certification:records:view"

    # FRS providers and their review (memo 4.C.1-4.C.3).
    PROVIDER_RECORD_CREATE = "provider:record:create"
    PROVIDER_RECORD_UPDATE = "provider:record:update"
    PROVIDER_CREDENTIAL_SET = "provider:credential:set"
    PROVIDER_HEALTH_CHECK = "provider:health:check"
    PROVIDER_REVIEW_START = "provider:review:start"
    PROVIDER_REVIEW_DECIDE = "provider:review:decide"
    PROVIDER_REVIEW_SUSPEND = "provider:review:suspend"
    PROVIDER_REVIEW_QUEUE = "provider:review:queue"
    PROVIDER_RECORDS_VIEW = "provider:records:view"

    # Policy packs and decisions.
    POLICY_DECISION_EVALUATE = "policy:decision:evaluate"
    POLICY_PACK_ACTIVATE = "policy:pack:activate"

    # Probes: only their SHA-256 ever enters the ledger; every view of an image is recorded.
    PROBE_RECORD_CREATE = "probe:record:create"
    PROBE_IMAGE_VIEW = "probe:image:view"
    PROBE_IMAGE_SHRED = "probe:image:shred"
    PROBE_STATUS_CHANGE = "probe:status:change"
    PROBE_INTAKE_REFUSE = "probe:intake:refuse"

    # Submissions to an FRS: intent is durable before the act (log before act).
    SUBMISSION_RECORD_CREATE = "submission:record:create"
    SUBMISSION_RECORD_VIEW = "submission:record:view"
    SUBMISSION_STATUS_CHANGE = "submission:status:change"
    SUBMISSION_DISPATCH_INTENT = "submission:dispatch:intent"
    SUBMISSION_DISPATCH_OUTCOME = "submission:dispatch:outcome"
    SUBMISSION_DISPATCH_OUTCOME_UNKNOWN = "submission:dispatch:outcome_unknown"
    SUBMISSION_OUTCOME_REVIEW = "submission:outcome:review"

    # Approvals (memo 4.B.2 witness probes, 4.C.3 exigent use).
    APPROVAL_REQUEST_CREATE = "approval:request:create"
    APPROVAL_REQUEST_DECIDE = "approval:request:decide"
    APPROVAL_REQUEST_EXPIRE = "approval:request:expire"
    # An overdue exigent-use approval sent up to the next supervisor (memo 4.C.3, 4.E.4).
    APPROVAL_REQUEST_ESCALATE = "approval:request:escalate"

    # Work queues read (approvals, supervisor, OSDM): what a decider was shown.
    QUEUE_ITEMS_READ = "queue:items:read"

    # Service metrics read by a monitoring account (counters only, nothing about a case).
    METRICS_RECORDS_READ = "metrics:records:read"

    # The supervisor's routine review of the logs and referrals to OPR (memo 4.E.4), and the
    # privacy office's approval of the log format (fn2).
    OVERSIGHT_REVIEW_READ = "oversight:review:read"
    OVERSIGHT_REVIEW_SIGN = "oversight:review:sign"
    OVERSIGHT_REFERRAL_CREATE = "oversight:referral:create"
    OVERSIGHT_REFERRALS_READ = "oversight:referrals:read"
    OVERSIGHT_REFERRAL_DECIDE = "oversight:referral:decide"
    LEDGER_FORMAT_READ = "ledger:format:read"
    LEDGER_FORMAT_APPROVE = "ledger:format:approve"

    # Results and what follows them (memo 4.D).
    CANDIDATES_LIST_VIEW = "candidates:list:view"
    DISPOSITION_RECORD_CREATE = "disposition:record:create"
    EXAMINATION_RECORD_CREATE = "examination:record:create"
    CORROBORATION_RECORD_CREATE = "corroboration:record:create"
    LEAD_RECORD_CREATE = "lead:record:create"
    LEAD_ENFORCEMENT_MARK = "lead:enforcement:mark"
    ROI_ENTRY_CREATE = "roi:entry:create"
    SHARE_RECORD_CREATE = "share:record:create"
    DISPOSITION_RECORD_VERIFY = "disposition:record:verify"
    DISPOSITION_RECORDS_VIEW = "disposition:records:view"
    LEAD_RECORD_CLOSE = "lead:record:close"
    LEAD_RECORDS_VIEW = "lead:records:view"
    ROI_ENTRY_VIEW = "roi:entry:view"
    ROI_ENTRY_FILE = "roi:entry:file"
    SHARE_RECORDS_VIEW = "share:records:view"
    PARTNER_SEARCH_RECORD = "partner:search:record"
    PARTNER_RECORDS_VIEW = "partner:records:view"
    EXPORT_DISCLOSURE_RUN = "export:disclosure:run"

    # Abuse limits.
    RATELIMIT_USER_EXCEEDED = "ratelimit:user:exceeded"
    RATELIMIT_CASE_EXCEEDED = "ratelimit:case:exceeded"

    # The ledger itself and audits (memo 4.E.5).
    LEDGER_CHECKPOINT_ISSUE = "ledger:checkpoint:issue"
    LEDGER_ENTRIES_READ = "ledger:entries:read"
    LEDGER_VERIFY_RUN = "ledger:verify:run"
    LEDGER_KEY_ROTATE = "ledger:key:rotate"
    VAULT_KEK_ROTATE = "vault:kek:rotate"
    EXPORT_LEDGER_RUN = "export:ledger:run"
    REPORT_RECORD_CREATE = "report:record:create"

    # The service.
    SYSTEM_SERVICE_START = "system:service:start"
    SYSTEM_SERVICE_STOP = "system:service:stop"
    SYSTEM_RECOVERY_RUN = "system:recovery:run"
    SYSTEM_BACKUP_RUN = "system:backup:run"
    SYSTEM_RESTORE_RUN = "system:restore:run"

    @property
    def scope(self) -> str:
        return self.value.split(":", 1)[0]

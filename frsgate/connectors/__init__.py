"""FRS connectors: the one protocol, the HTTP connector and the sandbox FRS.

Import the protocol types and errors from here. The sandbox FRS (`frsgate.connectors.sandbox`)
is a web app and is deliberately not imported by this package.
"""

from frsgate.connectors.errors import (
    ConnectorError,
    FrsProtocolError,
    FrsRejected,
    FrsTermsViolation,
    FrsTimeout,
    FrsUnavailable,
    TermsRefused,
)
from frsgate.connectors.protocol import (
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateList,
    ComparisonResult,
    FrsConnector,
    HealthStatus,
    MatchType,
    ProviderTerms,
    SearchRequest,
    new_idempotency_key,
)
from frsgate.connectors.terms import (
    enforce_compare_outgoing,
    enforce_terms_incoming,
    enforce_terms_outgoing,
)

__all__ = [
    "LEAD_ONLY_NOTICE",
    "Candidate",
    "CandidateList",
    "ComparisonResult",
    "ConnectorError",
    "FrsConnector",
    "FrsProtocolError",
    "FrsRejected",
    "FrsTermsViolation",
    "FrsTimeout",
    "FrsUnavailable",
    "HealthStatus",
    "MatchType",
    "ProviderTerms",
    "SearchRequest",
    "TermsRefused",
    "enforce_compare_outgoing",
    "enforce_terms_incoming",
    "enforce_terms_outgoing",
    "new_idempotency_key",
]

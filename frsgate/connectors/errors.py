"""Typed errors of the FRS connectors.

Each FRS fault surfaces as its own class so the dispatcher can record it in the ledger and give
the submission a clear status: `code` is a stable short tag for both. Messages name the provider
and the problem, never a secret, a probe image or a candidate image.
"""

from __future__ import annotations

from typing import ClassVar

from frsgate.errors import FrsGateError


class ConnectorError(FrsGateError):
    """Base of every error raised while talking to an FRS."""

    code: ClassVar[str] = "frs_error"

    def __init__(
        self,
        message: str,
        *,
        provider_id: str | None = None,
        attempts: int = 0,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.provider_id = provider_id
        self.attempts = attempts
        self.status_code = status_code


class FrsTimeout(ConnectorError):
    """The FRS did not answer in time: no response, or a response too slow to finish."""

    code = "frs_timeout"


class FrsUnavailable(ConnectorError):
    """The FRS could not be reached or answered 5xx (after the bounded retries)."""

    code = "frs_unavailable"


class FrsProtocolError(ConnectorError):
    """The FRS answered with a body that breaks the connector protocol (malformed, wrong schema,
    inconsistent ranks or scores, too large)."""

    code = "frs_protocol_error"


class FrsRejected(ConnectorError):
    """The FRS refused the request (4xx: authentication, unknown subject, bad request...)."""

    code = "frs_rejected"


class FrsTermsViolation(ConnectorError):
    """The FRS response breaks the provider's terms (memo 4.C.4), e.g. more candidates than the
    cap or a match type the terms do not allow. The whole response is refused."""

    code = "frs_terms_violation"


class TermsRefused(ConnectorError):
    """The gateway refused to send a request outside the provider's terms (memo 4.C.4). Nothing
    left the gateway."""

    code = "frs_terms_refused"

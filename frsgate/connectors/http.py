"""The HTTP connector: reaches any FRS that speaks the connector protocol (`wire`).

Dispatch is made robust the same way for every provider:

- each attempt has `timeout_s` in all: httpx's connect/read/write timeouts, plus a deadline on
  reading the whole body, so a server that trickles bytes is a timeout too;
- retries only where a repeat is safe and may help: connection failures, timeouts, 429 and
  502/503/504; never 500 or other errors, which a repeat would not fix. At most `max_attempts`
  attempts, with exponential backoff and full jitter between them, honouring a short
  `Retry-After`;
- every attempt of one submission carries the same `Idempotency-Key`, so the provider can
  de-duplicate (draft-ietf-httpapi-idempotency-key-header);
- TLS as the provider's record says (`verify`: a context with its CA bundle and client
  certificate, see `registry.tls_context`); the API key travels only in `Authorization`;
- the response body is size-limited and validated strictly; the provider's terms are enforced
  on what goes out and what comes back (memo 4.C.4, `terms`).

Faults surface as `FrsTimeout`, `FrsUnavailable`, `FrsProtocolError`, `FrsRejected`,
`FrsTermsViolation` or `TermsRefused`, each with a message naming the provider.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from frsgate.connectors.errors import (
    ConnectorError,
    FrsProtocolError,
    FrsRejected,
    FrsTimeout,
    FrsUnavailable,
)
from frsgate.connectors.protocol import (
    Candidate,
    CandidateList,
    ComparisonResult,
    HealthStatus,
    ProviderTerms,
    SearchRequest,
    sniff_media_type,
)
from frsgate.connectors.terms import (
    enforce_compare_outgoing,
    enforce_terms_incoming,
    enforce_terms_outgoing,
)
from frsgate.connectors.wire import (
    IDEMPOTENCY_HEADER,
    PROTOCOL,
    PROTOCOL_VERSION_HEADER,
    CompareResponse,
    ErrorResponse,
    HealthResponse,
    SearchResponse,
    WireCandidate,
    decode_image,
    encode_image,
)
from frsgate.errors import ValidationFailed

RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024

_Model = TypeVar("_Model", bound=BaseModel)


def _printable(text: str, limit: int = 200) -> str:
    """A provider's text made safe to show and log: printable, one line, bounded."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text)
    return clean[:limit] + ("…" if len(clean) > limit else "")


class HttpConnector:
    """A connector to one provider over the JSON protocol. Thread-safe; `close()` when done."""

    def __init__(
        self,
        base_url: str,
        *,
        provider_id: str,
        terms: ProviderTerms,
        timeout_s: float = 10.0,
        max_attempts: int = 3,
        api_key: SecretStr | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        backoff_base_s: float = 0.1,
        backoff_max_s: float = 2.0,
        accept_sandbox_data: bool = True,
        require_sandbox_data: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValidationFailed("connector timeout_s must be positive")
        if not 1 <= max_attempts <= 10:
            raise ValidationFailed("connector max_attempts must be between 1 and 10")
        if require_sandbox_data and not accept_sandbox_data:
            raise ValidationFailed("a connector cannot both require and refuse sandbox data")
        self._provider_id = provider_id
        self._terms = terms
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.max_response_bytes = max_response_bytes
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.accept_sandbox_data = accept_sandbox_data
        self.require_sandbox_data = require_sandbox_data
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        headers = {"Accept": "application/json", PROTOCOL_VERSION_HEADER: PROTOCOL}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout_s),
            headers=headers,
            follow_redirects=False,
            verify=verify,
        )

    def __repr__(self) -> str:  # no credentials in reprs
        return f"HttpConnector({str(self._client.base_url)!r}, provider_id={self._provider_id!r})"

    @property
    def provider_id(self) -> str:
        return self._provider_id

    @property
    def terms(self) -> ProviderTerms:
        return self._terms

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> CandidateList:
        request = enforce_terms_outgoing(request, self._terms, provider_id=self._provider_id)
        body: dict[str, Any] = {
            "match_type": request.match_type,
            "max_candidates": request.max_candidates,
            "probe": {"media_type": request.probe_media_type, "data": encode_image(request.probe)},
            "include_images": request.include_images,
        }
        if request.subject_ref is not None:
            body["subject_ref"] = request.subject_ref
        started = datetime.now(UTC)
        wire, attempts = self._call("POST", "/v1/search", SearchResponse, body, request)
        ended = datetime.now(UTC)
        self._check_sandbox_label(wire.sandbox, attempts)
        if wire.match_type != request.match_type:
            raise self._protocol(
                f"answered match type {wire.match_type!r} to a {request.match_type!r} search",
                attempts,
            )
        result = CandidateList(
            provider_id=self._provider_id,
            idempotency_key=request.idempotency_key,
            started_at=started,
            ended_at=ended,
            attempts=attempts,
            sandbox=wire.sandbox,
            provider_notice=_printable(wire.notice, 500) if wire.notice else None,
            match_type=wire.match_type,
            database=wire.database,
            candidates=self._candidates(wire.candidates, request.include_images, attempts),
        )
        return enforce_terms_incoming(result, self._terms, request.max_candidates)

    def compare(self, a: bytes, b: bytes, *, idempotency_key: str) -> ComparisonResult:
        enforce_compare_outgoing(self._terms, provider_id=self._provider_id)
        body = {
            "image_a": {"media_type": sniff_media_type(a), "data": encode_image(a)},
            "image_b": {"media_type": sniff_media_type(b), "data": encode_image(b)},
        }
        started = datetime.now(UTC)
        wire, attempts = self._call("POST", "/v1/compare", CompareResponse, body, idempotency_key)
        ended = datetime.now(UTC)
        self._check_sandbox_label(wire.sandbox, attempts)
        return ComparisonResult(
            provider_id=self._provider_id,
            idempotency_key=idempotency_key,
            started_at=started,
            ended_at=ended,
            attempts=attempts,
            sandbox=wire.sandbox,
            provider_notice=_printable(wire.notice, 500) if wire.notice else None,
            score=wire.score,
        )

    def health(self) -> HealthStatus:
        wire, _ = self._call("GET", "/v1/health", HealthResponse, None, None)
        return HealthStatus(
            provider_id=self._provider_id,
            ok=wire.status == "ok",
            sandbox=wire.sandbox,
            database=wire.database,
            match_types=frozenset(wire.match_types),
        )

    # -- checks on what came back ------------------------------------------------------------

    def _protocol(self, problem: str, attempts: int) -> FrsProtocolError:
        return FrsProtocolError(
            f"provider {self._provider_id!r} broke the connector protocol: {problem}",
            provider_id=self._provider_id,
            attempts=attempts,
        )

    def _check_sandbox_label(self, sandbox: bool, attempts: int) -> None:
        if sandbox and not self.accept_sandbox_data:
            raise self._protocol("it labelled its answer as sandbox data; refused", attempts)
        if not sandbox and self.require_sandbox_data:
            raise self._protocol(
                "a sandbox provider answered without the sandbox label; refused", attempts
            )

    def _candidates(
        self, wires: list[WireCandidate], images_requested: bool, attempts: int
    ) -> tuple[Candidate, ...]:
        candidates = []
        previous = 1.0
        for position, wire in enumerate(wires, start=1):
            if wire.rank != position:
                raise self._protocol(f"candidate {position} has rank {wire.rank}", attempts)
            if wire.score > previous:
                raise self._protocol(f"candidate scores rise at rank {position}", attempts)
            previous = wire.score
            image = media_type = None
            if wire.image is not None:
                if not images_requested:
                    raise self._protocol("it sent candidate images that were not asked", attempts)
                try:
                    image = decode_image(wire.image.data)
                    media_type = sniff_media_type(image)
                except (ValueError, ValidationFailed) as exc:
                    raise self._protocol(f"candidate {position} image: {exc}", attempts) from None
                if media_type != wire.image.media_type:
                    raise self._protocol(
                        f"candidate {position} image is {media_type}, "
                        f"labelled {wire.image.media_type}",
                        attempts,
                    )
            candidates.append(
                Candidate(
                    rank=wire.rank,
                    score=wire.score,
                    gallery_ref=wire.gallery_ref,
                    image=image,
                    media_type=media_type,
                    source_database=wire.source_database,
                    photo_taken_on=wire.photo_taken_on,
                )
            )
        return tuple(candidates)

    # -- transport: attempts, retries, limits ------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        model: type[_Model],
        body: dict[str, Any] | None,
        key_source: SearchRequest | str | None,
    ) -> tuple[_Model, int]:
        key = key_source.idempotency_key if isinstance(key_source, SearchRequest) else key_source
        # The same key on every attempt: the provider de-duplicates retries of one submission.
        headers = {IDEMPOTENCY_HEADER: key} if key is not None else {}
        for attempt in range(1, self.max_attempts + 1):
            try:
                content = self._attempt(method, path, body, headers, attempt)
            except _Retry as retry:
                if attempt == self.max_attempts:
                    error = retry.error
                    if attempt > 1:
                        error.message = f"{error.message} (after {attempt} attempts)"
                        error.args = (error.message,)
                    raise error from None
                self._sleep(self._backoff(attempt, retry.retry_after))
            else:
                return self._parse(model, content, attempt), attempt
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, ceiling)  # full jitter
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max_s))
        return delay

    def _attempt(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str],
        attempt: int,
    ) -> bytes:
        """One request: the body of a 200, else `_Retry` or a final `ConnectorError`."""
        name = self._provider_id
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._client.stream(method, path, json=body, headers=headers) as response:
                status = response.status_code
                if status >= 400:
                    detail = self._error_text(response, deadline)
                    if status in RETRY_STATUSES:
                        error: ConnectorError = FrsUnavailable(
                            f"provider {name!r} answered {status} on {path}: {detail}",
                            provider_id=name,
                            attempts=attempt,
                            status_code=status,
                        )
                        raise _Retry(error, _retry_after(response))
                    if status >= 500:
                        raise FrsUnavailable(
                            f"provider {name!r} failed with {status} on {path}: {detail}",
                            provider_id=name,
                            attempts=attempt,
                            status_code=status,
                        )
                    raise FrsRejected(
                        f"provider {name!r} refused {path} with {status}: {detail}",
                        provider_id=name,
                        attempts=attempt,
                        status_code=status,
                    )
                if status != 200:
                    raise self._protocol(f"unexpected status {status} on {path}", attempt)
                try:
                    return self._read(response, deadline, attempt)
                except FrsTimeout as slow:
                    raise _Retry(slow, None) from None
        except httpx.TimeoutException:
            timeout = FrsTimeout(
                f"provider {name!r} did not answer {path} within {self.timeout_s:g} s",
                provider_id=name,
                attempts=attempt,
            )
            raise _Retry(timeout, None) from None
        except httpx.TransportError as exc:
            unreachable = FrsUnavailable(
                f"provider {name!r} could not be reached for {path}: {_transport_reason(exc)}",
                provider_id=name,
                attempts=attempt,
            )
            raise _Retry(unreachable, None) from None

    def _read(self, response: httpx.Response, deadline: float, attempt: int) -> bytes:
        declared = response.headers.get("content-length")
        # isascii too: "²" is a digit to isdigit() but not to int() (httpx decodes as Latin-1).
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.max_response_bytes
        ):
            raise self._protocol(
                f"response of {declared} bytes exceeds the {self.max_response_bytes} byte limit",
                attempt,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise self._protocol(
                    f"response exceeds the {self.max_response_bytes} byte limit", attempt
                )
            if time.monotonic() > deadline:
                raise FrsTimeout(
                    f"provider {self._provider_id!r} was too slow: the response did not finish "
                    f"within {self.timeout_s:g} s",
                    provider_id=self._provider_id,
                    attempts=attempt,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _error_text(self, response: httpx.Response, deadline: float) -> str:
        """The provider's error message, if it sent a small protocol error body."""
        try:
            content = self._read(response, deadline, 0)[:4096]
            error = ErrorResponse.model_validate_json(content)
        except (ConnectorError, ValidationError, httpx.HTTPError):
            return "no error detail"
        return _printable(f"{error.error.code}: {error.error.message}")

    def _parse(self, model: type[_Model], content: bytes, attempt: int) -> _Model:
        try:
            return model.model_validate_json(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "json_invalid":
                raise self._protocol("the response body is not valid JSON", attempt) from None
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise self._protocol(
                f"the response does not match the schema at {where}: {first['msg']}", attempt
            ) from None


class _Retry(Exception):
    """An attempt failed in a way another attempt may fix."""

    def __init__(self, error: ConnectorError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _transport_reason(exc: httpx.TransportError) -> str:
    """Why a connection failed, as far as it is safe to say: the exception's type, and for TLS
    the handshake's own reason (an untrusted or expired certificate, a refused client
    certificate), which names no credential."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"TLS certificate verification failed ({_printable(seen.verify_message)})"
        if isinstance(seen, ssl.SSLError):
            return f"TLS handshake failed ({_printable(seen.reason or type(seen).__name__)})"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    # A provider may send any octet; "²" passes isdigit() but not float().
    return float(value) if value.isascii() and value.isdigit() else None

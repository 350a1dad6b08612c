"""Dispatch a submission to its FRS: log the intent, call the connector, log the outcome.

The rule (DESIGN "The flow of one use"): the submission's move to `dispatching` and its intent
entry commit in one transaction *before* a byte goes to the FRS; if the ledger cannot append,
nothing is sent. The outcome (success with list size and scores, or the failure) and its
stored result commit together too (`Ledger.append_in`). A crash in between leaves the
submission `dispatching` with its intent on the ledger; at start-up `recover_interrupted` turns
it into an `outcome_unknown` entry and a supervisor queue item.

Dispatch entries carry what EU AI Act Art. 12(3) asks of such logs: the start and end time of
the use, the database the provider searched, the probe hashes; dispositions later add who
verified the result.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frsgate.connectors.errors import ConnectorError
from frsgate.connectors.protocol import (
    CandidateList as WireCandidateList,
)
from frsgate.connectors.protocol import (
    ComparisonResult,
    MatchType,
    SearchRequest,
    new_idempotency_key,
)
from frsgate.domain import (
    Candidate,
    CandidateImage,
    CandidateList,
    Probe,
    Provider,
    Submission,
    SubmissionStatus,
)
from frsgate.domain.values import new_id
from frsgate.errors import FrsGateError
from frsgate.ledger import Actor, EntryDraft, EventTag, Outcome
from frsgate.services import purposes
from frsgate.services.connections import ConnectorPool
from frsgate.services.gate import Caller, Gate, draft
from frsgate.store.claims import DispatchClaims
from frsgate.store.unit import read_only, unit_of_work
from frsgate.vault import KeyEncryptionKey, candidate_aad, open_sealed, probe_aad, seal
from frsgate.vault.crypto import SealedBlob

COMPONENT = "services.dispatch"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Failure:
    code: str
    message: str
    attempts: int
    status_code: int | None


@dataclass(frozen=True, slots=True)
class DispatchResult:
    submission: Submission
    candidate_list: CandidateList | None
    error: str | None = None


def begin_dispatch(sub: Submission, *, at: datetime) -> None:
    """Move a submission to `dispatching` with its idempotency key (in memory; the caller
    stores it). Stored before the intent is logged, so recovery finds every intent's subject."""
    if sub.status is SubmissionStatus.requested and sub.exigent:
        sub.dispatch_exigent(at=at)  # memo 4.C.3: approval follows as soon as practicable
    else:
        sub.dispatch(at=at)
    sub.idempotency_key = sub.idempotency_key or new_idempotency_key()
    sub.record_attempt()


class Dispatcher:
    """Sends submissions to their FRS: what the submission gate and approvals hand over once
    the policy allowed the use."""

    def __init__(self, *, gate: Gate, kek: KeyEncryptionKey, connectors: ConnectorPool) -> None:
        self.gate = gate
        self.kek = kek
        self.connectors = connectors
        # The dispatches this process carries out: another process's start-up recovery must
        # not take a live one for an interrupted one (`frsgate.store.claims`). A claim is
        # taken before `dispatching` commits and released once the outcome has.
        self.claims = DispatchClaims(gate.engine)

    def close(self) -> None:
        self.claims.close()

    def dispatch(self, who: Caller | Actor, submission_id: str) -> DispatchResult:
        """Send an approved (or exigent) submission to its FRS and record what came back."""
        self.claims.take(submission_id)
        try:
            return self._dispatch(who, submission_id)
        finally:
            self.claims.release(submission_id)

    def _dispatch(self, who: Caller | Actor, submission_id: str) -> DispatchResult:
        with unit_of_work(self.gate.engine) as uow:
            sub = uow.submissions.get(submission_id, lock=True)
            before = sub.status
            begin_dispatch(sub, at=self.gate.now())
            uow.submissions.update(sub, expected_status=before)
            case_number = uow.cases.get(sub.case_id).number if sub.case_id else None
            provider = uow.providers.get(sub.provider_id)
            probes = [uow.probes.get(pid) for pid in sub.probe_ids]
            # Log before act: the intent commits with `dispatching`, before the FRS is called.
            self.gate.record(uow, [intent_draft(who, sub, case_number, provider, probes)])
        return self._send(who, sub, case_number=case_number, provider=provider, probes=probes)

    def send(
        self,
        who: Caller | Actor,
        sub: Submission,
        *,
        case_number: str | None,
        provider: Provider,
        probes: list[Probe],
    ) -> DispatchResult:
        """Call the FRS for a submission whose `dispatching` state and intent committed under
        this process's claim (`claims.take`, before the commit), record the outcome, and give
        the claim up once the outcome has committed (see `_send`)."""
        try:
            return self._send(who, sub, case_number=case_number, provider=provider, probes=probes)
        finally:
            self.claims.release(sub.id)

    def _send(
        self,
        who: Caller | Actor,
        sub: Submission,
        *,
        case_number: str | None,
        provider: Provider,
        probes: list[Probe],
    ) -> DispatchResult:
        """Call the FRS for a submission stored `dispatching` with its intent committed, then
        record and store the outcome together. The sealed probe images are read here, after
        the intent's transaction (no writer lock is held for a blob read), and any failure
        from then on, reading them included, ends as a failed outcome on the ledger."""
        probe_hashes = [p.sha256 for p in probes]
        assert sub.idempotency_key is not None
        result: WireCandidateList | ComparisonResult
        try:
            with read_only(self.gate.engine) as uow:
                sealed = [uow.probes.get_image(pid).sealed for pid in sub.probe_ids]
            images = [
                open_sealed(
                    SealedBlob.from_bytes(img), kek=self.kek, associated_data=probe_aad(pid)
                )
                for pid, img in zip(sub.probe_ids, sealed, strict=True)
            ]
            connector = self.connectors.connector(provider)
            if sub.match_type == MatchType.two_photo:
                result = connector.compare(
                    images[0], images[1], idempotency_key=sub.idempotency_key
                )
            else:
                cap = provider.terms.candidate_cap
                result = connector.search(
                    SearchRequest(
                        submission_id=sub.id,
                        probe=images[0],
                        match_type=sub.match_type,
                        max_candidates=min(sub.max_candidates or cap, cap),
                        idempotency_key=sub.idempotency_key,
                        subject_ref=sub.target_ref,
                    )
                )
            # The protocol promises these types; a connector that breaks the promise fails here,
            # as a failed use, rather than later while the result is being stored.
            two_photo = sub.match_type == MatchType.two_photo
            expected = ComparisonResult if two_photo else WireCandidateList
            if not isinstance(result, expected):
                got = type(result).__name__
                raise TypeError(f"connector returned {got}, not {expected.__name__}")
        except ConnectorError as exc:
            self.gate.metrics.dispatches.labels(provider.id, exc.code).inc()
            failure = _Failure(exc.code, exc.message, exc.attempts, exc.status_code)
            return self._failed(who, sub, case_number, provider, failure)
        except FrsGateError as exc:  # the vault refused to open the probe, a provider misconfigured
            self.gate.metrics.dispatches.labels(provider.id, "dispatch_error").inc()
            failure = _Failure("dispatch_error", exc.message, 0, None)
            return self._failed(who, sub, case_number, provider, failure)
        except Exception as exc:
            # Anything else (a request the connector's model refuses, a buggy connector) is still a
            # failed use with its outcome on the ledger, never a 500 that leaves the submission
            # `dispatching`. Only the exception's type goes on the record: its text may quote the
            # request, probe bytes or a key. BaseException (KeyboardInterrupt, SystemExit) is not
            # caught: the process is going down, and start-up recovery handles the open intent.
            # The type only: the exception's text may quote the request or the probe.
            log.error(
                "dispatch of %s to %s failed unexpectedly (%s)", sub.id, provider.id,
                type(exc).__name__,
            )  # fmt: skip
            self.gate.metrics.dispatches.labels(provider.id, "dispatch_error").inc()
            # Its type only: the exception's text may quote the request, the probe or a key.
            message = f"unexpected {type(exc).__name__} while dispatching (an error of FRS Gate)"
            failure = _Failure("dispatch_error", message, 0, None)
            return self._failed(who, sub, case_number, provider, failure)
        self.gate.metrics.dispatches.labels(provider.id, "succeeded").inc()
        self.gate.metrics.dispatch_seconds.labels(provider.id).observe(
            (result.ended_at - result.started_at).total_seconds()
        )
        return self._completed(who, sub, case_number, provider, result, probe_hashes)

    def _failed(
        self,
        who: Caller | Actor,
        sub: Submission,
        case_number: str | None,
        provider: Provider,
        exc: _Failure,
    ) -> DispatchResult:
        at = self.gate.now()
        reason = f"{exc.code}: {exc.message}"
        outcome = draft(
            who,
            EventTag.SUBMISSION_DISPATCH_OUTCOME,
            outcome=Outcome.FAILED,
            subject=f"submission:{sub.id}",
            component=COMPONENT,
            case=case_number,
            submission=sub.id,
            provider=provider.id,
            program_code=sub.program_code,
            details={
                "error": exc.code,
                "message": exc.message[:400],
                "attempts": exc.attempts,
                "status_code": exc.status_code,
                "ended_at": at.isoformat(),
            },
        )
        # `sub` is as stored when it went out; the expected status guards against anyone else
        # having moved it meanwhile (a Conflict then, never a silent overwrite).
        sub.attempts = max(sub.attempts, exc.attempts or 1)
        sub.fail(at=at, reason=reason[:500])
        with unit_of_work(self.gate.engine) as uow:
            uow.submissions.update(sub, expected_status=SubmissionStatus.dispatching)
            self.gate.record(uow, [outcome])
        return DispatchResult(submission=sub, candidate_list=None, error=reason)

    def _completed(
        self,
        who: Caller | Actor,
        sub: Submission,
        case_number: str | None,
        provider: Provider,
        result: WireCandidateList | ComparisonResult,
        probe_hashes: list[str],
    ) -> DispatchResult:
        at = self.gate.now()
        list_id = new_id("clist")
        is_comparison = isinstance(result, ComparisonResult)
        database = result.database if isinstance(result, WireCandidateList) else None
        candidate_list = CandidateList(
            id=list_id,
            submission_id=sub.id,
            provider_id=provider.id,
            match_type=sub.match_type,
            database=database,
            comparison_score=result.score if isinstance(result, ComparisonResult) else None,
            sandbox=result.sandbox,
            provider_notice=result.provider_notice,
            received_at=at,
        )
        candidates: list[Candidate] = []
        images: list[CandidateImage] = []
        if isinstance(result, WireCandidateList):
            for c in result.candidates:
                cid = new_id("cand")
                digest = hashlib.sha256(c.image).hexdigest() if c.image is not None else None
                candidates.append(
                    Candidate(
                        id=cid,
                        candidate_list_id=list_id,
                        rank=c.rank,
                        score=c.score,
                        gallery_ref=c.gallery_ref,
                        source_database=c.source_database,
                        image_sha256=digest,
                        media_type=c.media_type if c.image is not None else None,
                        photo_taken_on=c.photo_taken_on,
                    )
                )
                if c.image is not None:
                    blob = seal(c.image, kek=self.kek, associated_data=candidate_aad(cid))
                    images.append(
                        CandidateImage(
                            candidate_id=cid, sealed=blob.to_bytes(), key_ref=self.kek.kek_id_hex
                        )
                    )
        details: dict[str, Any] = {
            "candidate_list": list_id,
            "match_type": sub.match_type,
            "database": database,
            "list_size": len(candidates),
            "negative": not candidates and not is_comparison,
            "scores": [c.score for c in candidates],
            "comparison_score": candidate_list.comparison_score,
            "probe_sha256": probe_hashes,
            "started_at": result.started_at.isoformat(),
            "ended_at": result.ended_at.isoformat(),
            "attempts": result.attempts,
            "sandbox": result.sandbox,
            "record": result_record(
                list_id, negative=not candidates and not is_comparison,
                probe_hashes=probe_hashes, candidates=candidates,
            ),
        }  # fmt: skip
        outcome = draft(
            who,
            EventTag.SUBMISSION_DISPATCH_OUTCOME,
            outcome=Outcome.SUCCEEDED,
            subject=f"submission:{sub.id}",
            component=COMPONENT,
            case=case_number,
            submission=sub.id,
            provider=provider.id,
            program_code=sub.program_code,
            details=details,
        )
        sub.attempts = max(sub.attempts, result.attempts)
        sub.complete(at=at)
        with unit_of_work(self.gate.engine) as uow:
            uow.submissions.update(sub, expected_status=SubmissionStatus.dispatching)
            uow.candidate_lists.add(candidate_list)
            uow.candidates.add_all(candidates)
            uow.candidates.add_images(images)
            self.gate.record(uow, [outcome])
        return DispatchResult(submission=sub, candidate_list=candidate_list)

    def recover_interrupted(self) -> list[str]:
        """At start-up: every submission left `dispatching` gets an `outcome_unknown` entry and
        becomes a supervisor queue item (the FRS may or may not have received the probe)."""
        with read_only(self.gate.engine) as uow:
            stuck = [
                s
                for s in uow.submissions.with_status(SubmissionStatus.dispatching)
                # Alive in another process (it holds the claim): not interrupted.
                if not self.claims.owned_elsewhere(s.id)
            ]
            owners = {s.id: purposes.of_submission(uow, s) for s in stuck}
        recovered: list[str] = []
        for sub in stuck:
            at = self.gate.now()
            purpose = owners[sub.id]
            unknown = draft(
                Actor.system(),
                EventTag.SUBMISSION_DISPATCH_OUTCOME_UNKNOWN,
                outcome=Outcome.UNKNOWN,
                subject=f"submission:{sub.id}",
                component=COMPONENT,
                source="system",
                case=purpose.case_number,
                submission=sub.id,
                provider=sub.provider_id,
                program_code=sub.program_code,
                details={
                    "idempotency_key": sub.idempotency_key,
                    "dispatched_at": sub.dispatched_at.isoformat() if sub.dispatched_at else None,
                    "queued_for": "supervisor",
                    "purpose": purpose.ref,
                    "supervisor_id": purpose.supervisor_id,
                },
            )
            with unit_of_work(self.gate.engine) as uow:
                current = uow.submissions.get(sub.id, lock=True)
                current.mark_outcome_unknown(at=at)
                uow.submissions.update(current, expected_status=SubmissionStatus.dispatching)
                self.gate.record(uow, [unknown])
            recovered.append(sub.id)
        return recovered


def result_record(
    list_id: str, *, negative: bool, probe_hashes: list[str], candidates: list[Candidate]
) -> dict[str, Any]:
    """The stored result as the outcome entry binds it (`details.record`): a disclosure
    package's copy of the list is checked against it. The gallery reference is written as its
    SHA-256 (a record's free text never enters the ledger), images only as their SHA-256; the
    date the FRS gives for the gallery photo is bound too (a reviewer's flag rests on it)."""
    return {
        "candidate_list_id": list_id,
        "negative": negative,
        "probe_sha256": list(probe_hashes),
        "candidates": [
            {
                "id": c.id,
                "rank": c.rank,
                "score": c.score,
                "gallery_ref_sha256": hashlib.sha256(c.gallery_ref.encode("utf-8")).hexdigest(),
                "image_sha256": c.image_sha256,
                "photo_taken_on": c.photo_taken_on.isoformat() if c.photo_taken_on else None,
            }
            for c in candidates
        ],
    }


def intent_draft(
    who: Caller | Actor,
    sub: Submission,
    case_number: str | None,
    provider: Provider,
    probes: list[Probe],
) -> EntryDraft:
    """The intent entry: what is about to go to which FRS, for whom (EU AI Act Art. 12(3))."""
    return draft(
        who,
        EventTag.SUBMISSION_DISPATCH_INTENT,
        subject=f"submission:{sub.id}",
        component=COMPONENT,
        case=case_number,
        submission=sub.id,
        provider=provider.id,
        program_code=sub.program_code,
        details={
            "match_type": sub.match_type,
            "probe_sha256": [p.sha256 for p in probes],
            "idempotency_key": sub.idempotency_key,
            "exigent": sub.exigent,
            "provider_review_status": provider.review_status.value,
            "started_at": (sub.dispatched_at or datetime.now(UTC)).isoformat(),
            "requested_by": sub.requested_by,
        },
    )

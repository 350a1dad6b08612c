"""Builds a real "frsgate-disclosure/1" package for tests: every record's act is appended to a
real `Ledger` on the test database with the `details.record` the binding rule asks for, then a
checkpoint is signed and each entry is given its RFC 9162 inclusion proof."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.entry import refused_key_reason
from frsgate.ledger.notes import CheckpointSigner

ORIGIN = "frsgate.test/ledger"
CASE = "HSI-2026-0042"


def sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Built:
    package: dict[str, Any]
    key: str  # the ledger's note verifier string
    signer: CheckpointSigner


def _candidate(n: int, score: float, photo: str | None) -> dict[str, Any]:
    return {
        "id": f"cand-{n}",
        "rank": n,
        "score": score,
        "gallery_ref": f"GAL-REF-{n:04d}",
        "source_database": "state mugshots",
        "image_sha256": f"{n:02x}" * 32,
        "photo_taken_on": photo,
        "investigative_lead_only": True,
        "flags": [],
        "dispositions": [],
        "examinations": [],
    }


def _bound_candidate(c: dict[str, Any]) -> dict[str, Any]:
    record = {
        "id": c["id"],
        "rank": c["rank"],
        "score": c["score"],
        "gallery_ref_sha256": sha(c["gallery_ref"]),
        "image_sha256": c["image_sha256"],
    }
    # The design binds the gallery photo's date too, where the ledger accepts the key.
    if refused_key_reason("photo_taken_on") is None:
        record["photo_taken_on"] = c["photo_taken_on"]
    return record


def build_package(engine: Engine, *, extra_candidates: int = 0) -> Built:
    """A case with three uses (one with candidates, one negative, one refused), dispositions
    (one superseded, one verified), an examination, an ROI filing, a corroborated lead marked
    as an enforcement basis, a share and a partner search; `extra_candidates` lengthens the
    first candidate list (for pagination)."""
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    with Ledger(engine, signer=signer, origin=ORIGIN) as ledger:

        def act(event: EventTag, subject: str, record: dict[str, Any] | None = None,
                *, case: str = CASE, submission: str | None = None, role: str = "agent",
                outcome: Outcome = Outcome.SUCCEEDED) -> int:  # fmt: skip
            return ledger.append(
                EntryDraft(
                    event=event,
                    actor=Actor(id="u-alice", role=role),
                    outcome=outcome,
                    subject=subject,
                    component="services.test",
                    source="127.0.0.1",
                    case=case,
                    submission=submission,
                    provider="sandbox" if submission else None,
                    details={"record": record} if record is not None else {},
                )
            )

        act(EventTag.CASE_RECORD_CREATE, f"case:{CASE}")
        act(EventTag.CASE_RECORD_CREATE, "case:HSI-2026-9999", case="HSI-2026-9999")  # another

        # Use 1: a list of candidates.
        candidates = [_candidate(1, 0.93, "2017-05-01"), _candidate(2, 0.91, None),
                      _candidate(3, 0.42, "2024-01-02")]  # fmt: skip
        candidates += [_candidate(4 + i, 0.3, None) for i in range(extra_candidates)]
        candidates[0]["flags"] = [
            {"code": "photo_old", "detail": "the gallery photo is 9 years older than the search"}
        ]
        probe = ["ab" * 32]
        result_1 = {
            "candidate_list_id": "cl-1",
            "negative": False,
            "database": "state mugshots",
            "sandbox": True,
            "received_at": "2026-03-04T15:06:09+00:00",
            "probe_sha256": probe,
            "candidates": candidates,
        }
        result_1["ledger_seq"] = act(
            EventTag.SUBMISSION_DISPATCH_OUTCOME,
            "submission:s-1",
            {
                "candidate_list_id": "cl-1",
                "negative": False,
                "probe_sha256": probe,
                "candidates": [_bound_candidate(c) for c in candidates],
            },
            submission="s-1",
            role="system",
        )
        act(EventTag.CANDIDATES_LIST_VIEW, "submission:s-1", submission="s-1")

        def dispose(cand: dict[str, Any], id_: str, kind: str, rationale: str,
                    compared: str | None, supersedes: str | None) -> dict[str, Any]:  # fmt: skip
            d: dict[str, Any] = {
                "id": id_,
                "candidate_id": cand["id"],
                "kind": kind,
                "decided_by": "u-alice",
                "created_at": "2026-03-05T10:00:00+00:00",
                "rationale": rationale,
                "traditional_means_compared": compared,
                "supersedes_id": supersedes,
                "verification": None,
            }
            d["ledger_seq"] = act(
                EventTag.DISPOSITION_RECORD_CREATE,
                f"disposition:{id_}",
                {
                    "id": id_,
                    "candidate_id": cand["id"],
                    "kind": kind,
                    "rationale_sha256": sha(rationale),
                    "traditional_means_compared_sha256": sha(compared),
                    "supersedes_id": supersedes,
                },
            )
            cand["dispositions"].append(d)
            return d

        dispose(candidates[0], "d-1", "inconclusive", "Image too dark to compare.", None, None)
        d2 = dispose(
            candidates[0], "d-2", "possible_match_lead",
            "Tattoo on the left forearm & scar agree with <the probe>.",
            "State DMV photo of 2023 compared by the agent", "d-1",
        )  # fmt: skip
        dispose(candidates[1], "d-3", "no_match", "Different ear shape.", None, None)
        note = "Checked the comparison notes; agree it is only a possible match."
        verification = {"verified_by": "u-sam", "verified_at": "2026-03-05T11:00:00+00:00",
                        "verification_note": note}  # fmt: skip
        verification["ledger_seq"] = act(
            EventTag.DISPOSITION_RECORD_VERIFY,
            "disposition:d-2",
            {"id": "d-2", "verified_by": "u-sam", "verification_note_sha256": sha(note)},
            role="supervisor",
        )
        d2["verification"] = verification
        exam = {
            "id": "e-1",
            "candidate_id": "cand-1",
            "examiner_id": "u-erin",
            "conclusion": "supports_same_source",
            "method": "Morphological comparison (FISWG)",
            "limitations": "Probe is low resolution; pose differs by ~20 degrees.",
            "notes": "Ear and scar features agree.",
            "created_at": "2026-03-06T09:00:00+00:00",
        }
        exam["ledger_seq"] = act(
            EventTag.EXAMINATION_RECORD_CREATE,
            "examination:e-1",
            {
                "id": "e-1",
                "candidate_id": "cand-1",
                "examiner_id": "u-erin",
                "conclusion": "supports_same_source",
                "method_sha256": sha(exam["method"]),
                "limitations_sha256": sha(exam["limitations"]),
                "notes_sha256": sha(exam["notes"]),
            },
            role="examiner",
        )
        candidates[0]["examinations"].append(exam)
        filing = {"id": "roi-1", "submission_id": "s-1", "case_system_ref": "ROI-0042-007",
                  "body_sha256": "cd" * 32, "filed_by": "u-alice",
                  "filed_at": "2026-03-07T08:00:00+00:00"}  # fmt: skip
        filing["ledger_seq"] = act(
            EventTag.ROI_ENTRY_FILE,
            "roi_entry:roi-1",
            {"id": "roi-1", "submission_id": "s-1", "case_system_ref": "ROI-0042-007",
             "body_sha256": "cd" * 32},
        )  # fmt: skip

        # Use 2: a negative result. Use 3: refused, no result.
        result_2 = {"candidate_list_id": "cl-2", "negative": True, "database": "state mugshots",
                    "sandbox": True, "received_at": "2026-03-08T12:00:00+00:00",
                    "probe_sha256": ["ef" * 32], "candidates": []}  # fmt: skip
        result_2["ledger_seq"] = act(
            EventTag.SUBMISSION_DISPATCH_OUTCOME,
            "submission:s-2",
            {"candidate_list_id": "cl-2", "negative": True, "probe_sha256": ["ef" * 32],
             "candidates": []},
            submission="s-2",
            role="system",
        )  # fmt: skip
        act(EventTag.POLICY_DECISION_EVALUATE, "submission:s-3", submission="s-3",
            outcome=Outcome.DENIED)  # fmt: skip

        # A lead, its corroboration and its status change.
        lead = {"id": "l-1", "case_id": "case-42", "submission_id": "s-1",
                "candidate_id": "cand-1", "disposition_id": "d-2",
                "summary": "Possible match; corroborate by DMV and employer records.",
                "status": "enforcement_basis", "opened_by": "u-alice",
                "created_at": "2026-03-06T10:00:00+00:00"}  # fmt: skip
        lead["ledger_seq"] = act(
            EventTag.LEAD_RECORD_CREATE,
            "lead:l-1",
            {"id": "l-1", "case_id": "case-42", "submission_id": "s-1", "candidate_id": "cand-1",
             "disposition_id": "d-2", "summary_sha256": sha(lead["summary"])},
        )  # fmt: skip
        co = {"id": "co-1", "lead_id": "l-1", "kind": "records_check", "source": "State DMV record",
              "description": "Registered address matches the witness's account.",
              "obtained_by": "Agent Alice Example", "obtained_on": "2026-03-06"}  # fmt: skip
        co["ledger_seq"] = act(
            EventTag.CORROBORATION_RECORD_CREATE,
            "corroboration:co-1",
            {"id": "co-1", "lead_id": "l-1", "kind": "records_check",
             "source_sha256": sha(co["source"]), "description_sha256": sha(co["description"]),
             "obtained_by_sha256": sha(co["obtained_by"]), "obtained_on": "2026-03-06"},
        )  # fmt: skip
        change = {"status": "enforcement_basis",
                  "enforcement_note": "DMV record and witness statement corroborate.",
                  "by": "u-sam", "at": "2026-03-07T09:00:00+00:00"}  # fmt: skip
        change["ledger_seq"] = act(
            EventTag.LEAD_ENFORCEMENT_MARK,
            "lead:l-1",
            {"id": "l-1", "status": "enforcement_basis",
             "enforcement_note_sha256": sha(change["enforcement_note"])},
            role="supervisor",
        )  # fmt: skip
        lead["corroborations"] = [co]
        lead["status_changes"] = [change]

        share = {"id": "sh-1", "case_id": "case-42", "lead_id": "l-1", "submission_id": None,
                 "recipient": "CBP Office of Field Operations", "authority_kind": "agreement",
                 "authority": "MOU 2024-17", "description": "Lead summary and candidate rank 1.",
                 "shared_by": "u-alice", "created_at": "2026-03-08T09:00:00+00:00"}  # fmt: skip
        share["ledger_seq"] = act(
            EventTag.SHARE_RECORD_CREATE,
            "share:sh-1",
            {"id": "sh-1", "case_id": "case-42", "lead_id": "l-1", "submission_id": None,
             "recipient": share["recipient"], "authority_kind": "agreement",
             "authority": "MOU 2024-17", "description_sha256": sha(share["description"])},
        )  # fmt: skip
        partner = {"id": "ps-1", "case_id": "case-42", "partner_agency": "State Police",
                   "partner_system": "State FR system", "searched_on": "2026-02-20",
                   "match_type": "one_to_many", "result": "negative", "candidate_count": 0,
                   "summary": "No candidates.", "probe_sha256": "ab" * 32}  # fmt: skip
        partner["ledger_seq"] = act(
            EventTag.PARTNER_SEARCH_RECORD,
            "partner_search:ps-1",
            {"id": "ps-1", "case_id": "case-42", "partner_agency": "State Police",
             "partner_system": "State FR system", "searched_on": "2026-02-20",
             "match_type": "one_to_many", "result": "negative", "candidate_count": 0,
             "summary_sha256": sha("No candidates."), "probe_sha256": "ab" * 32},
        )  # fmt: skip
        act(EventTag.CANDIDATES_LIST_VIEW, "submission:s-1", submission="s-1", role="supervisor")

        checkpoint = ledger.checkpoint()
        size = checkpoint.tree_size
        ledger_entries = []
        for seq in range(size):
            text = ledger.entry(seq).decode("utf-8")
            if f'"case":"{CASE}"' not in text:
                continue  # the other case's entry stays out
            ledger_entries.append(
                {"seq": seq, "entry": text, "proof": ledger.inclusion_proof(seq, size).to_json()}
            )

    def submission(id_: str, status: str) -> dict[str, Any]:
        return {"id": id_, "provider_id": "p-sandbox", "provider_name": "sandbox",
                "match_type": "one_to_many", "program_code": "FRS-01", "requested_by": "u-alice",
                "created_at": "2026-03-04T15:06:00+00:00",
                "dispatched_at": "2026-03-04T15:06:07+00:00" if status == "completed" else None,
                "status": status, "exigent": False, "probe_sha256": ["ab" * 32]}  # fmt: skip

    package = {
        "format": "frsgate-disclosure/1",
        "generated_at": "2026-03-09T10:00:00+00:00",
        "generated_by": "u-otto",
        "notice": LEAD_ONLY_NOTICE,
        "case": {"number": CASE, "title": "Operation Example",
                 "statutory_authority": "8 U.S.C. 1324", "violation_codes": ["8 USC 1324"]},
        "uses": [
            {"submission": submission("s-1", "completed"), "result": result_1,
             "roi_filings": [filing]},
            {"submission": submission("s-2", "completed"), "result": result_2, "roi_filings": []},
            {"submission": submission("s-3", "denied"), "result": None, "roi_filings": []},
        ],
        "leads": [lead],
        "shares": [share],
        "partner_searches": [partner],
        "ledger": {
            "origin": ORIGIN,
            "public_key": signer.verifier.verifier_string,
            "checkpoint": checkpoint.note,
            "tree_size": size,
            "root_hash": base64.b64encode(checkpoint.root).decode(),
            "entries": ledger_entries,
        },
    }  # fmt: skip
    return Built(package=package, key=signer.verifier.verifier_string, signer=signer)

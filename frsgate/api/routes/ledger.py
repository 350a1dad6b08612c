"""GET /api/v1/ledger/...: the contract of DESIGN "Ledger" for auditors (OPR, IGP) and their
tools; and GET /api/v1/cases/{case}/ledger: one case's entries, with their proofs, for the
case's supervisors (memo 4.E.4) and the auditors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean
from frsgate.api.schemas import (
    CaseLedgerOut,
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    LedgerEntriesOut,
    error_responses,
)
from frsgate.ledger.http import MAX_ENTRIES_PER_PAGE
from frsgate.policy.facts import Action
from frsgate.services import case_ledger, ledger_reads
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
cases_router = APIRouter(prefix="/api/v1/cases", tags=["ledger"])

Reader = Annotated[Caller, requires(Action.ledger_read)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get(
    "/checkpoint",
    summary="A signed C2SP checkpoint of the whole log",
    response_model=CheckpointOut,
    responses=error_responses(),
)
def get_checkpoint(caller: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    return ledger_reads.checkpoint(gate=runtime.gate, caller=caller)


@router.get(
    "/entries",
    summary="Canonical entries [start, end), base64",
    response_model=LedgerEntriesOut,
    responses=error_responses(),
)
def get_entries(
    caller: Reader,
    runtime: RuntimeDep,
    start: Annotated[int, Query(ge=0)] = 0,
    end: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    return ledger_reads.entries(gate=runtime.gate, caller=caller, start=start, end=end)


@router.get(
    "/proof/inclusion",
    summary="RFC 9162 inclusion proof",
    response_model=InclusionProofOut,
    responses=error_responses(),
)
def get_inclusion(
    caller: Reader,
    runtime: RuntimeDep,
    index: Annotated[int, Query(ge=0)],
    tree_size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    return ledger_reads.inclusion(
        gate=runtime.gate, caller=caller, index=index, tree_size=tree_size
    )


@router.get(
    "/proof/consistency",
    summary="RFC 9162 consistency proof",
    response_model=ConsistencyProofOut,
    responses=error_responses(),
)
def get_consistency(
    caller: Reader,
    runtime: RuntimeDep,
    first: Annotated[int, Query(ge=1)],
    second: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    return ledger_reads.consistency(gate=runtime.gate, caller=caller, first=first, second=second)


@cases_router.get(
    "/{case}/ledger",
    summary="A case's ledger entries, a page at a time, with inclusion proofs",
    response_model=CaseLedgerOut,
    responses=error_responses(404),
)
def get_case_ledger(
    case: Annotated[Clean, Path(max_length=64, description="A case number or id")],
    caller: Reader,
    runtime: RuntimeDep,
    from_: Annotated[
        Clean | None,
        Query(alias="from", max_length=64, description="A date or RFC 3339 time (included)"),
    ] = None,
    to: Annotated[
        Clean | None,
        Query(max_length=64, description="A date (the whole day included) or an RFC 3339 time"),
    ] = None,
    cursor: Annotated[
        int | None, Query(ge=0, description="The `next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES_PER_PAGE)] = case_ledger.DEFAULT_PAGE,
) -> dict[str, Any]:
    return case_ledger.case_entries(
        gate=runtime.gate, caller=caller, case_ref=case, since=from_, until=to,
        cursor=cursor, limit=limit,
    )  # fmt: skip

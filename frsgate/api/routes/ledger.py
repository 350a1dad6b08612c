"""GET /api/v1/ledger/...: the contract of DESIGN "Ledger" for auditors and their tools."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from frsgate.api.deps import get_runtime, requires
from frsgate.api.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    LedgerEntriesOut,
    error_responses,
)
from frsgate.policy.facts import Action
from frsgate.services import ledger_reads
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

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

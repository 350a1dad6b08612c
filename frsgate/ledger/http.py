"""The ledger's HTTP contract as plain functions: each returns the JSON body of one
`GET /api/v1/ledger/...` endpoint (DESIGN "Ledger"). The API router parses the query, checks
access, calls one of these and maps `ValidationFailed`/`NotFound` to a status; no web framework
is imported here.
"""

from __future__ import annotations

from typing import Any

from frsgate.errors import ValidationFailed
from frsgate.ledger.log import Ledger
from frsgate.ledger.merkle import b64encode, leaf_hash
from frsgate.ledger.view import LedgerView

MAX_ENTRIES_PER_PAGE = 1000


def checkpoint_json(ledger: Ledger) -> dict[str, Any]:
    """`GET /api/v1/ledger/checkpoint`: a signed checkpoint of the current head.

    The stored one when the head has not moved, otherwise one issued and stored now, so an
    auditor can always check proofs against the size they were made for.
    """
    latest = ledger.latest_checkpoint()
    if latest is None or latest.tree_size < ledger.size():
        latest = ledger.checkpoint()
    return latest.to_json()


def entries_json(view: LedgerView, start: int, end: int | None = None) -> dict[str, Any]:
    """`GET /api/v1/ledger/entries?start=&end=`: entries with start <= seq < end (at most
    1000; `end` defaults to that many), each as its canonical JSON text and leaf hash."""
    if start < 0:
        raise ValidationFailed("start must be 0 or more")
    stop = start + MAX_ENTRIES_PER_PAGE if end is None else end
    if stop < start:
        raise ValidationFailed(f"end ({stop}) is before start ({start})")
    if stop - start > MAX_ENTRIES_PER_PAGE:
        raise ValidationFailed(f"at most {MAX_ENTRIES_PER_PAGE} entries per request")
    rows = view.reader.entries(start, stop)
    return {
        "start": start,
        "end": rows[-1][0] + 1 if rows else start,
        "tree_size": view.size(),
        "entries": [
            {"seq": seq, "entry": raw.decode("utf-8"), "leaf_hash": b64encode(leaf_hash(raw))}
            for seq, raw in rows
        ],
    }


def inclusion_json(view: LedgerView, index: int, tree_size: int | None = None) -> dict[str, Any]:
    """`GET /api/v1/ledger/proof/inclusion?index=&tree_size=`."""
    return view.inclusion_proof(index, tree_size).to_json()


def consistency_json(view: LedgerView, first: int, second: int) -> dict[str, Any]:
    """`GET /api/v1/ledger/proof/consistency?first=&second=`."""
    return view.consistency_proof(first, second).to_json()

"""The parallel verify pass: worker processes check full chunks, and the report is exactly the
sequential pass's, clean or tampered, on SQLite and PostgreSQL.

Workers are forked only from a single-threaded process, and a test session runs threads (the
functional tests' servers), so each verification here runs in a fresh interpreter with the
chunk size shrunk to 16 entries (six full chunks and a partial one for 100 entries).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, delete, update

from frsgate.ledger import EntryDraft, Ledger
from frsgate.ledger.notes import CheckpointSigner
from frsgate.ledger.verify import verify_ledger
from frsgate.store.schema.ledger import ledger_entries, ledger_nodes

Draft = Callable[..., EntryDraft]
SIZE = 100

_SCRIPT = r"""
import json, sys, threading
from frsgate.ledger import verify
from frsgate.store.engine import make_engine
verify.CHUNK_LEVEL, verify.CHUNK, verify.PARALLEL_MIN_CHUNKS = 4, 16, 2
ran = []
original = verify._Verification._stream_parallel
def spy(self, *args):
    ran.append(True)
    return original(self, *args)
verify._Verification._stream_parallel = spy
engine = make_engine(sys.argv[1])
report = verify.verify_ledger(engine, sys.argv[2], parallel=True)
print(json.dumps({"ok": report.ok, "first_bad_seq": report.first_bad_seq,
                  "problem": report.problem, "size": report.size, "parallel": bool(ran)}))
"""


def _parallel(database_url: str, signer: CheckpointSigner) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, database_url, signer.verifier.verifier_string],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _sequential(
    engine: Engine, signer: CheckpointSigner, monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    from frsgate.ledger import verify

    with monkeypatch.context() as m:
        m.setattr(verify, "CHUNK_LEVEL", 4)
        m.setattr(verify, "CHUNK", 16)
        report = verify_ledger(engine, signer.verifier, parallel=False)
    return {
        "ok": report.ok,
        "first_bad_seq": report.first_bad_seq,
        "problem": report.problem,
        "size": report.size,
        "parallel": True,
    }


@pytest.fixture
def filled(ledger: Ledger, draft: Draft) -> Ledger:
    for i in range(SIZE):
        ledger.append(draft(i))
        if (i + 1) % 25 == 0:
            ledger.checkpoint()
    return ledger


TAMPER: dict[str, Callable[[Engine], None]] = {
    "untouched": lambda engine: None,
    "a flipped byte at seq 70": lambda engine: _flip(engine, 70),
    "a deleted row at seq 37": lambda engine: _run(
        engine, delete(ledger_entries).where(ledger_entries.c.seq == 37)
    ),
    "an altered node in chunk 3": lambda engine: _run(
        engine,
        update(ledger_nodes)
        .where(ledger_nodes.c.level == 2, ledger_nodes.c.idx == 13)
        .values(hash=b"\x00" * 32),
    ),
}


def _run(engine: Engine, stmt: object) -> None:
    with engine.begin() as conn:
        conn.execute(stmt)  # type: ignore[call-overload]


def _flip(engine: Engine, seq: int) -> None:
    with engine.begin() as conn:
        row = (
            conn.execute(ledger_entries.select().where(ledger_entries.c.seq == seq))
            .mappings()
            .one()
        )
        data = bytearray(row["entry"])
        data[10] ^= 0x01
        conn.execute(
            update(ledger_entries).where(ledger_entries.c.seq == seq).values(entry=bytes(data))
        )


@pytest.mark.parametrize("case", list(TAMPER), ids=list(TAMPER))
def test_parallel_report_equals_the_sequential_one(
    case: str,
    filled: Ledger,
    engine: Engine,
    signer: CheckpointSigner,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    TAMPER[case](engine)
    sequential = _sequential(engine, signer, monkeypatch)
    parallel = _parallel(database_url, signer)
    assert parallel["parallel"] is True, "the parallel pass did not run"
    assert parallel == sequential
    assert parallel["ok"] is (case == "untouched")
    expected_first_bad = {"a flipped byte at seq 70": 70, "a deleted row at seq 37": 37}
    if case in expected_first_bad:
        assert parallel["first_bad_seq"] == expected_first_bad[case]

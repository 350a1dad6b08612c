"""Concurrent appenders: threads on both backends, separate processes on PostgreSQL. Every run
must end with seqs 0..N-1, each entry's embedded seq equal to its row, and the stored root equal
to a recomputation from the entries."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import Engine

from frsgate.ledger import EntryDraft, Ledger, leaf_hash, root_from_leaves
from frsgate.ledger.notes import CheckpointSigner
from frsgate.ledger.verify import verify_ledger


def _check_whole_log(ledger: Ledger, expected: int) -> None:
    rows = list(ledger.iter_entries())
    assert [s for s, _ in rows] == list(range(expected))
    assert all(json.loads(e)["seq"] == s for s, e in rows)
    assert ledger.size() == expected
    assert ledger.root() == root_from_leaves([leaf_hash(e) for _, e in rows])


def test_threads_share_one_gapless_sequence(
    engine: Engine, signer: CheckpointSigner, draft: Callable[..., EntryDraft]
) -> None:
    threads, per_thread = 16, 60
    got: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    with Ledger(engine, signer=signer, origin="o") as ledger:

        def work(t: int) -> None:
            try:
                for i in range(per_thread):
                    if i % 10 == 0:
                        got[t].extend(ledger.append_many([draft(t), draft(t)]))
                    else:
                        got[t].append(ledger.append(draft(t * 1000 + i)))
            except BaseException as exc:  # reported below, never swallowed
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        total = threads * (per_thread + per_thread // 10)
        every = sorted(s for seqs in got for s in seqs)
        assert every == list(range(total))
        for seqs in got:
            assert seqs == sorted(seqs)  # each caller sees its own appends in order
        _check_whole_log(ledger, total)


def _process_writer(url: str, writer: int, count: int) -> list[int]:
    """One separate process: its own engine and Ledger, `count` durable appends in a row."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from frsgate.ledger import Actor, EventTag, Outcome
    from frsgate.store.engine import make_engine

    engine = make_engine(url)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), "o")
    seqs = []
    try:
        with Ledger(engine, signer=signer, origin="o") as ledger:
            for i in range(count):
                seqs.append(
                    ledger.append(
                        EntryDraft(
                            event=EventTag.CASE_STATUS_CHANGE,
                            actor=Actor(id=f"writer-{writer}", role="agent"),
                            outcome=Outcome.SUCCEEDED,
                            subject=f"case:{writer}",
                            component="tests.concurrency",
                            source="127.0.0.1",
                            details={"writer": writer, "i": i},
                        )
                    )
                )
    finally:
        engine.dispose()
    return seqs


@pytest.mark.postgres_only
@pytest.mark.slow
def test_processes_share_one_gapless_sequence_on_postgresql(
    database_url: str, engine: Engine, signer: CheckpointSigner
) -> None:
    writers, per_writer = 8, 2000
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=writers, mp_context=context) as pool:
        futures = [
            pool.submit(_process_writer, database_url, w, per_writer) for w in range(writers)
        ]
        results = [f.result(timeout=600) for f in futures]
    total = writers * per_writer
    assert sorted(s for seqs in results for s in seqs) == list(range(total))
    for seqs in results:
        assert seqs == sorted(seqs)
    with Ledger(engine, signer=signer, origin="o") as ledger:
        _check_whole_log(ledger, total)
        per_writer_order: dict[int, list[int]] = {}
        for _, raw in ledger.iter_entries():
            body = json.loads(raw)
            per_writer_order.setdefault(body["details"]["writer"], []).append(body["details"]["i"])
        assert all(order == list(range(per_writer)) for order in per_writer_order.values())
    report = verify_ledger(engine, signer.verifier)
    assert report.ok, report.summary()

"""Concurrent appenders: threads on both backends, separate processes on PostgreSQL. Every run
must end with seqs 0..N-1, each entry's embedded seq equal to its row, and the stored root equal
to a recomputation from the entries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from frsgate.ledger import EntryDraft, Ledger, leaf_hash, root_from_leaves
from frsgate.ledger.notes import CheckpointSigner


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

"""Benchmark of the audit ledger beside its peers, all in one run, on SQLite files in one folder.

(a) durable appends/s by one writer: `Ledger.append` one entry at a time, beside pymerkle's
    `SqliteTree.append_entry` one at a time (as shipped: rollback journal, a commit per entry),
    and beside raw SQLite single-row commits with WAL and synchronous=FULL (the fsync floor).
(b) durable appends/s under 64 concurrent writers, each waiting for its own entry to be durable
    (the group commit), beside (a)'s pymerkle figure.
(c) inclusion proofs/s at --size entries (random leaves, after a warm-up), beside pymerkle's
    `prove_inclusion` on the same entries. Both trees are built with bulk inserts first.
(d) a full `verify_ledger` of --size entries (with checkpoints), beside the floor: the same
    leaf and node hashes computed with hashlib over entry bytes already in memory.

    python bench/ledger.py [--size 1000000] [--appends 2000] [--writers 64] [--proofs 2000]

Targets (tracker): (a) >= 3x pymerkle and >= 50 % of the raw commit rate; (b) >= 20x pymerkle
one at a time; (c) >= 10x pymerkle; (d) >= 50 % of the floor's speed. Figures go to
BENCHMARKS.md, section "Ledger".
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pymerkle  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome  # noqa: E402
from frsgate.ledger.entry import canonical_entry, format_time  # noqa: E402
from frsgate.ledger.merkle import fold, node_hash, root_keys  # noqa: E402
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint  # noqa: E402
from frsgate.ledger.verify import verify_ledger  # noqa: E402
from frsgate.ledger.view import LedgerView  # noqa: E402
from frsgate.store.engine import make_engine  # noqa: E402
from frsgate.store.schema import metadata  # noqa: E402

ORIGIN = "bench.frsgate/ledger"


def draft(n: int) -> EntryDraft:
    """A realistic entry: a submission intent with a decision's policy and one citation."""
    return EntryDraft(
        event=EventTag.SUBMISSION_DISPATCH_INTENT,
        actor=Actor(id=f"user-{n % 97}", role="agent"),
        outcome=Outcome.ALLOWED,
        subject=f"submission:{n:08x}",
        component="services.submit",
        source=f"10.0.{n % 250}.{n % 7 + 1}",
        case=f"HSI-2026-{n % 1000:04d}",
        submission=f"{n:08x}",
        provider="sandbox",
        details={
            "match_type": "one_to_many",
            "probe_sha256": hashlib.sha256(b"%d" % n).hexdigest(),
        },
    )


def fresh_db(folder: Path, name: str) -> str:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def new_ledger(url: str) -> Ledger:
    engine = make_engine(url)
    metadata.create_all(engine)
    return Ledger(
        engine, signer=CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN), origin=ORIGIN
    )


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# (a) one writer --------------------------------------------------------------------------------


def bench_one_writer(folder: Path, appends: int, rounds: int = 10) -> dict[str, float]:
    """The three contenders take turns, `appends / rounds` at a time, so that a change in the
    disk's fsync latency during the run (shared machines) hits all three alike."""
    drafts = [draft(i) for i in range(appends)]
    now = format_time(datetime.now(UTC))
    entries = [canonical_entry(d, seq=i, time=now) for i, d in enumerate(drafts)]

    ledger = new_ledger(fresh_db(folder, "a-ledger.sqlite3"))
    ledger.append(draft(-1))  # open the commit connection outside the timing
    pm_path = folder / "a-pymerkle.sqlite3"
    pm_path.unlink(missing_ok=True)
    tree = pymerkle.SqliteTree(str(pm_path))
    raw_path = folder / "a-raw.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{raw_path}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(raw_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL)")

    def ours(lo: int, hi: int) -> None:
        for d in drafts[lo:hi]:
            ledger.append(d)

    def theirs(lo: int, hi: int) -> None:
        for e in entries[lo:hi]:
            tree.append_entry(e)

    def raw(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t VALUES (?, ?)", (i, entries[i]))
            con.execute("COMMIT")

    spent = {"ours": 0.0, "pymerkle": 0.0, "raw": 0.0}
    step = max(1, appends // rounds)
    for lo in range(0, appends, step):
        hi = min(appends, lo + step)
        for name, run in (("ours", ours), ("pymerkle", theirs), ("raw", raw)):
            start = time.perf_counter()
            run(lo, hi)
            spent[name] += time.perf_counter() - start
    ledger.close()
    ledger.engine.dispose()
    tree.close()
    con.close()
    return {name: rate(appends, seconds) for name, seconds in spent.items()}


# (b) concurrent writers -------------------------------------------------------------------------


def bench_writers(folder: Path, writers: int, per_writer: int) -> tuple[float, float]:
    ledger = new_ledger(fresh_db(folder, "b-ledger.sqlite3"))
    ledger.append(draft(0))
    drafts = [[draft(w * per_writer + i) for i in range(per_writer)] for w in range(writers)]
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def work(w: int) -> None:
        barrier.wait()
        try:
            for d in drafts[w]:
                ledger.append(d)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    commits = ledger.commits - 1
    ledger.close()
    ledger.engine.dispose()
    total = writers * per_writer
    return rate(total, elapsed), total / max(1, commits)


# Bulk build for (c) and (d) ----------------------------------------------------------------------


def build_entries(size: int) -> list[bytes]:
    templates = [draft(i) for i in range(256)]
    time_text = format_time(datetime.now(UTC))
    return [canonical_entry(templates[i % 256], seq=i, time=time_text) for i in range(size)]


def bulk_build(
    folder: Path, entries: list[bytes], checkpoints: int
) -> tuple[str, CheckpointSigner]:
    """Write a ledger of `entries` directly: bytes, leaf hashes, every complete subtree, the
    head and a few signed checkpoints (what a long run of appends leaves behind)."""
    url = fresh_db(folder, "cd-ledger.sqlite3")
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    sha = hashlib.sha256
    leaves = [sha(b"\x00" + e).digest() for e in entries]
    con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # setup only; nothing here is timed
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO ledger_entries (seq, entry, leaf_hash) VALUES (?, ?, ?)",
        zip(range(len(entries)), entries, leaves, strict=True),
    )
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        here = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        con.executemany(
            "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
            ((len(levels), i, h) for i, h in enumerate(here)),
        )
        levels.append(here)

    def root(n: int) -> bytes:
        return fold([levels[lv][i] for lv, i in root_keys(n)])

    size = len(entries)
    frontier = b"".join(levels[lv][i] for lv, i in root_keys(size))
    con.execute(
        "INSERT INTO ledger_head (id, size, root, frontier) VALUES (1, ?, ?, ?)",
        (size, root(size), frontier),
    )
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    for k in range(1, checkpoints + 1):
        n = size * k // checkpoints
        signed = sign_checkpoint(signer, Checkpoint(ORIGIN, n, root(n)))
        con.execute(
            "INSERT INTO ledger_checkpoints (tree_size, root, note, created_at)"
            " VALUES (?, ?, ?, ?)",
            (n, signed.root, signed.note, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")),
        )
    con.execute("COMMIT")
    con.close()
    return url, signer


def bulk_build_pymerkle(folder: Path, entries: list[bytes]) -> pymerkle.SqliteTree:
    path = folder / "c-pymerkle.sqlite3"
    path.unlink(missing_ok=True)
    pymerkle.SqliteTree(str(path)).close()  # its own schema
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    sha = hashlib.sha256
    # pymerkle hashes a leaf as sha256(0x00 || entry), the same as RFC 9162.
    con.executemany(
        "INSERT INTO leaf (id, entry, hash) VALUES (?, ?, ?)",
        ((i + 1, e, sha(b"\x00" + e).digest()) for i, e in enumerate(entries)),
    )
    con.execute("COMMIT")
    con.close()
    return pymerkle.SqliteTree(str(path))


# (c) proofs ---------------------------------------------------------------------------------------


def timed_proofs(prove: Callable[[int], object], size: int, count: int, budget: float) -> float:
    rng = random.Random(11)
    for _ in range(20):  # warm-up: caches and prepared statements
        prove(rng.randrange(size))
    done = 0
    start = time.perf_counter()
    while done < count and time.perf_counter() - start < budget:
        prove(rng.randrange(size))
        done += 1
    return rate(done, time.perf_counter() - start)


# (d) verify floor ---------------------------------------------------------------------------------


def floor_hashes(entries: list[bytes]) -> float:
    sha = hashlib.sha256
    start = time.perf_counter()
    level = [sha(b"\x00" + e).digest() for e in entries]
    while len(level) > 1:
        level = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="entries for (c) and (d)")
    parser.add_argument("--appends", type=int, default=2000, help="appends for (a)")
    parser.add_argument("--writers", type=int, default=64, help="concurrent writers for (b)")
    parser.add_argument("--per-writer", type=int, default=100, help="appends per writer in (b)")
    parser.add_argument("--proofs", type=int, default=2000, help="inclusion proofs timed in (c)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database files")
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="frsgate-bench-ledger-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"# ledger bench: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, sqlite {sqlite3.sqlite_version}, pymerkle {pymerkle.__version__}, "
        f"load {os.getloadavg()[0]:.1f}, files in {folder}"
    )

    a = bench_one_writer(folder, args.appends)
    print(
        f"(a) one writer, durable appends/s: ledger {a['ours']:.0f} | pymerkle SqliteTree "
        f"{a['pymerkle']:.0f} | raw SQLite WAL+FULL commit {a['raw']:.0f}  "
        f"-> {a['ours'] / a['pymerkle']:.1f}x pymerkle, {100 * a['ours'] / a['raw']:.0f} % of raw"
    )

    b, per_batch = bench_writers(folder, args.writers, args.per_writer)
    print(
        f"(b) {args.writers} writers, durable appends/s: ledger {b:.0f} (≈{per_batch:.0f} entries "
        f"per commit) | pymerkle one at a time {a['pymerkle']:.0f}  -> {b / a['pymerkle']:.1f}x"
    )

    t0 = time.perf_counter()
    entries = build_entries(args.size)
    url, signer = bulk_build(folder, entries, checkpoints=16)
    tree = bulk_build_pymerkle(folder, entries)
    print(
        f"    built both trees of {args.size} entries in {time.perf_counter() - t0:.0f} s "
        f"(mean entry {sum(map(len, entries)) / len(entries):.0f} bytes)"
    )

    engine = make_engine(url)
    view = LedgerView(engine)
    ours_c = timed_proofs(lambda i: view.inclusion_proof(i), args.size, args.proofs, 30.0)
    theirs_c = timed_proofs(lambda i: tree.prove_inclusion(i + 1), args.size, args.proofs, 60.0)
    view.close()
    tree.close()
    print(
        f"(c) inclusion proofs/s at {args.size}: ledger {ours_c:.0f} | pymerkle {theirs_c:.0f}  "
        f"-> {ours_c / theirs_c:.1f}x"
    )

    floor = floor_hashes(entries)
    del entries
    start = time.perf_counter()
    report = verify_ledger(engine, signer.verifier)
    ours_d = time.perf_counter() - start
    engine.dispose()
    if not report.ok:
        raise SystemExit(f"verify failed on an untouched ledger: {report.summary()}")
    print(
        f"(d) full verify of {args.size} entries: ledger {ours_d:.2f} s "
        f"({rate(args.size, ours_d):.0f} entries/s, {report.checkpoints} checkpoints) | floor "
        f"(hashlib, bytes in memory) {floor:.2f} s ({rate(args.size, floor):.0f} entries/s)  "
        f"-> {100 * floor / ours_d:.0f} % of the floor's speed"
    )


if __name__ == "__main__":
    main()

"""Oversight at national scale: each report and a full ledger verify over 10^5 to 10^7 entries.

For each size, a scratch store is filled by `oversight_data.generate` (submissions = entries /
10: 1 M submissions beside 10 M entries), then each measured operation runs in a process of its
own, so its peak resident memory (ru_maxrss) is its own and not the generator's:

- each oversight report over the whole year (`frsgate report KIND` computes the same), as JSON;
- `frsgate ledger verify` (the Merkle tree, every checkpoint; worker processes as the CLI runs
  it) and, optionally, `verify --index`.

    python bench/oversight.py [--sizes 100000,1000000,10000000] [--backend sqlite|postgresql]
                              [--database-url postgresql://…] [--index] [--repeat N]
                              [--plot FILE.png] [--json FILE] [--keep DIR]

`--keep DIR` keeps each generated store and reuses it on the next run: the same data (the
generator is deterministic), without the half hour 10^7 takes to generate. On SQLite the store
is `DIR/oversight-SIZE.sqlite3`; on PostgreSQL it is the schema `oversight_SIZE` of the
database. The log key's verifier and the counts are in `DIR/oversight-SIZE[-postgresql].json`.
A reused store is first brought to the schema's head (`frsgate.store.migrate.upgrade`, timed
and printed), as a deployed store would be.

Targets (tracker): each report <= 5 s and verify <= 60 s at 10^7 entries, peak memory of each
<= 1 GB. The peer each figure stands beside is the budget itself (the ratio column), and, for
verify, the same tree hashed in memory would be the floor (bench/ledger.py measures that). The
figures and the cost curve (a PNG) go to BENCHMARKS.md, section "Oversight at scale".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from oversight_data import ORIGIN, START, YEAR, analyze, generate  # noqa: E402

from frsgate.store.engine import make_engine  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
REPORT_BUDGET_S = 5.0
VERIFY_BUDGET_S = 60.0
MEMORY_BUDGET_MB = 1024.0


REPORTS = ("supervisor", "opr", "igp", "annual")


def report(kind: str, engine: Any, first: datetime, last: datetime) -> Any:
    """Compute one report as `frsgate report KIND` does after its decision: every query of
    `frsgate.reports.oversight.build` in one read-only transaction, over the whole period,
    below the ledger's size. The supervisor report is the busiest supervisor's."""
    from sqlalchemy import func, select

    from frsgate.policy.engine import default_pack
    from frsgate.reports.oversight.build import Inputs, PackIdentity, build
    from frsgate.reports.oversight.model import Period, ReportKind
    from frsgate.reports.oversight.queries.window import Scope, Window
    from frsgate.services.activation import pack_subject
    from frsgate.services.roi import DEADLINE_PARAMETER, DEFAULT_DEADLINE_DAYS
    from frsgate.store.schema.core import case_supervisors
    from frsgate.store.unit import snapshot

    pack = default_pack()
    with snapshot(engine) as uow:
        size = uow.conn.exec_driver_sql("SELECT size FROM ledger_head WHERE id = 1").scalar_one()
        supervisor = None
        if kind == "supervisor":
            supervisor = uow.conn.execute(
                select(case_supervisors.c.user_id)
                .group_by(case_supervisors.c.user_id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
        inputs = Inputs(
            window=Window(Period(first.date(), last.date()), int(size), last),
            scope=Scope(supervisor_id=supervisor),
            cures=frozenset(r.id for r in pack.rules if r.curable),
            roi_deadline_days=int(
                pack.compiled.parameters.get(DEADLINE_PARAMETER, DEFAULT_DEADLINE_DAYS)
            ),
            pack=PackIdentity(pack.id, pack.version, pack.sha256, pack_subject(pack)),
        )
        return build(ReportKind(kind), uow.conn, inputs, lambda _: None)


def _measure(url: str, op: str, verifier: str) -> dict[str, float]:
    """Run `op` in this (fresh) process and return its wall time and peak memory."""
    engine = make_engine(url)
    started = time.perf_counter()
    if op == "verify":
        from frsgate.ledger.verify import verify_ledger

        verified = verify_ledger(engine, verifier, origin=ORIGIN)
        if not verified.ok:
            raise SystemExit(f"verify failed: {verified.summary()}")
    elif op == "verify --index":
        from frsgate.ledger.index_check import check_index

        checked = check_index(engine)
        if not checked.ok:
            raise SystemExit(f"index check failed: {checked.summary()}")
    else:
        report(op, engine, START, START + YEAR - timedelta(days=1))
    seconds = time.perf_counter() - started
    engine.dispose()
    # This process's own peak (VmHWM: ru_maxrss would carry over the peak of the process it
    # was started from, across exec), and the verify's worker processes (RUSAGE_CHILDREN).
    own = _peak_kib() / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": max(own, workers)}


def _peak_kib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(url: str, op: str, verifier: str, out: Any) -> None:
    out.send(_measure(url, op, verifier))
    out.close()


def measured(url: str, op: str, verifier: str) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(url, op, verifier, child))
    proc.start()
    child.close()
    result: dict[str, float] = parent.recv()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"{op} failed (exit {proc.exitcode})")
    return result


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median wall time (its own peak memory), with the fastest and slowest times:
    the VM's page cache and neighbours move single runs by seconds."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = dict(ordered[len(ordered) // 2])
    middle["min_s"], middle["max_s"] = ordered[0]["seconds"], ordered[-1]["seconds"]
    middle["peak_mb"] = max(r["peak_mb"] for r in runs)
    return middle


@contextmanager
def kept(
    folder: Path, size: int, backend: str, database_url: str | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A store of `size` entries kept for the next run: a SQLite file in `folder`, or the schema
    `oversight_SIZE` of the PostgreSQL database, described in `folder`. Reused (upgraded to
    head) when its description is there, generated (and described) otherwise."""
    from frsgate.store.migrate import upgrade

    folder.mkdir(parents=True, exist_ok=True)
    about = folder / f"oversight-{size}{'' if backend == 'sqlite' else '-' + backend}.json"
    url = _kept_url(folder, size, backend, database_url)
    if about.exists():
        described: dict[str, Any] = json.loads(about.read_text())
        started = time.perf_counter()
        engine = make_engine(url)
        try:
            upgrade(engine)
            if backend == "sqlite":
                _fold_wal(engine)
            else:
                analyze(engine)
        finally:
            engine.dispose()
        described["upgraded_s"] = time.perf_counter() - started
        yield url, described
        return
    if backend == "sqlite":
        for stale in folder.glob(f"oversight-{size}.sqlite3*"):  # an interrupted generation
            stale.unlink()
    else:
        _fresh_schema(database_url or DEFAULT_PG, f"oversight_{size}")
    described = _generated(url, size)
    about.write_text(json.dumps(described, indent=1) + "\n")
    yield url, described


def _kept_url(folder: Path, size: int, backend: str, database_url: str | None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'oversight-{size}.sqlite3'}"
    from urllib.parse import quote

    url = database_url or DEFAULT_PG
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path=oversight_{size}')}"


def _fresh_schema(url: str, schema: str) -> None:
    """An empty schema of that name (what an interrupted generation left is dropped first)."""
    from sqlalchemy import text

    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()


def _generated(url: str, size: int) -> dict[str, Any]:
    """Generate the store of `size` entries at `url`; what a run needs to know of it."""
    started = time.perf_counter()
    made = generate(url, submissions=size // 10, entries=size)
    return {
        "verifier": made.signer.verifier.verifier_string,
        "entries": made.entries,
        "submissions": made.submissions,
        "users": made.users,
        "cases": made.cases,
        "generated_s": time.perf_counter() - started,
    }


def _fold_wal(engine: Any) -> None:
    # As the generator leaves it: the write-ahead log folded into the database.
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


@contextmanager
def fresh(
    backend: str, database_url: str | None, folder: Path, size: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A store of `size` entries generated for this run and dropped after it."""
    with scratch(backend, database_url, folder, size) as url:
        yield url, _generated(url, size)


@contextmanager
def scratch(backend: str, database_url: str | None, folder: Path, size: int) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'oversight-{size}.sqlite3'}"
        return
    from gateway import scratch_database  # bench/gateway.py: a schema of its own, dropped after

    with scratch_database(database_url or DEFAULT_PG, folder) as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("FRSGATE_TEST_DATABASE_URL"))
    parser.add_argument("--index", action="store_true", help="also time verify --index")
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="run each operation N times (each in a fresh process) and give the median",
    )  # fmt: skip
    parser.add_argument("--plot", type=Path, help="write the cost curve as a PNG")
    parser.add_argument("--json", type=Path, help="write (and merge) the figures as JSON")
    parser.add_argument(
        "--keep", type=Path, help="keep the generated stores (described in DIR) and reuse them"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# oversight bench, {args.backend}, {platform.python_version()}, "
          f"{os.cpu_count()} cpus, {datetime.now(UTC):%Y-%m-%d}")  # fmt: skip
    figures: dict[str, dict[str, dict[str, float]]] = {}
    if args.json is not None and args.json.exists():
        figures = json.loads(args.json.read_text())
    ops = [*REPORTS, "verify", *(["verify --index"] if args.index else [])]
    for size in sizes:
        with (
            tempfile.TemporaryDirectory() as tmp,
            (
                kept(args.keep, size, args.backend, args.database_url)
                if args.keep is not None
                else fresh(args.backend, args.database_url, Path(tmp), size)
            ) as (url, made),
        ):
            how = (
                f"reused, upgraded in {made['upgraded_s']:.0f} s"
                if "upgraded_s" in made
                else f"generated in {made['generated_s']:.0f} s"
            )
            print(f"\n## {size:,} entries, {made['submissions']:,} submissions, "
                  f"{made['users']:,} agents, {made['cases']:,} cases ({how})")  # fmt: skip
            print("| operation | seconds | budget | ratio | peak MB | budget | ratio |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            verifier = made["verifier"]
            for op in ops:
                got = median_of([measured(url, op, verifier) for _ in range(args.repeat)])
                budget = VERIFY_BUDGET_S if op.startswith("verify") else REPORT_BUDGET_S
                spread = f" ({got['min_s']:.2f}-{got['max_s']:.2f})" if args.repeat > 1 else ""
                print(f"| {op} | {got['seconds']:.2f}{spread} | {budget:.0f} | "
                      f"{got['seconds'] / budget:.2f} | {got['peak_mb']:.0f} | "
                      f"{MEMORY_BUDGET_MB:.0f} | {got['peak_mb'] / MEMORY_BUDGET_MB:.2f} |",
                      flush=True)  # fmt: skip
                figures.setdefault(f"{args.backend}:{op}", {})[str(size)] = got
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    if args.plot is not None:
        plot(figures, args.plot)
    return 0


def plot(figures: dict[str, dict[str, dict[str, float]]], target: Path) -> None:
    """The cost curve: seconds per operation against ledger size, log-log, with the budgets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, by_size in sorted(figures.items()):
        points = sorted((int(s), v["seconds"]) for s, v in by_size.items())
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.axhline(REPORT_BUDGET_S, color="grey", linestyle="--", linewidth=1)
    ax.axhline(VERIFY_BUDGET_S, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ledger entries (submissions = entries / 10)")
    ax.set_ylabel("seconds")
    ax.set_title("Oversight reports and ledger verify against ledger size")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())

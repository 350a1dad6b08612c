"""Crash safety: `frsgate serve` killed with SIGKILL under load, restarted, and checked.

A demo installation (`frsgate init --demo`) on SQLite in a scratch FRSGATE_HOME, or on
PostgreSQL in a scratch schema (dropped afterwards), served by a real `frsgate serve` process
with the sandbox FRS it starts beside itself. Each cycle:

1. start `frsgate serve` in its own process group; wait for /readyz (start-up recovery has run);
2. check what the previous cycle's clients were told against what the database and the ledger
   hold now, and run `frsgate ledger verify` (exit 0 expected);
3. put it under load: N client threads as alice, each posting a probe then a submission of it
   to the approved sandbox provider, back to back;
4. at a random moment, SIGKILL the whole process group (the service, its workers and the
   sandbox FRS child): no cleanup runs, transactions in flight die with it.

After the last kill the service is started and checked once more. The checks, per restart:

- acknowledged records lost: every probe answered 201 and every submission answered 201/202
  must exist, with the status it was acknowledged with (a completed use stays completed);
- every acknowledged probe and dispatched submission has its ledger entries (the probe's
  creation; the dispatch intent and outcome);
- interrupted dispatches: a submission left `dispatching` by the kill must be turned by start-up
  recovery into `outcome_unknown` with its ledger entry, and be in the case supervisor's queue;
  after a restart no submission is `dispatching`, and every dispatch intent on the ledger has
  exactly one resolution (an outcome or an outcome_unknown) — never none, never two;
- no submission is dispatched twice (one intent per submission);
- `frsgate ledger verify` exits 0.

    python bench/crash.py [--cycles 20] [--backend sqlite|postgresql|both] [--clients 4]
                          [--database-url postgresql://…] [--seed N]

PostgreSQL is reached at --database-url, else FRSGATE_TEST_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/test. Exit status 1 if any acknowledged record is lost,
any interrupted dispatch is not surfaced, any dispatch is doubled or a `ledger verify` fails.
Figures go to BENCHMARKS.md and docs/SECURITY.md, section "Crash safety".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from gateway import CLI, free_port, run_cli, scratch_database  # bench/gateway.py, beside this
from helpers import post_probe, submission_body  # tests/functional, put on sys.path by gateway
from images import astronaut_jpeg
from sqlalchemy import text

from frsgate.store.engine import make_engine

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
READY_TIMEOUT_S = 90.0
# A submission acknowledged with one of these has been through the FRS: it must stay so.
SETTLED = {"completed", "failed"}
INTENT = "submission:dispatch:intent"
OUTCOME = "submission:dispatch:outcome"
UNKNOWN = "submission:dispatch:outcome_unknown"


@dataclass
class Acks:
    """What the clients were told (2xx answers), shared by the load threads."""

    probes: list[str] = field(default_factory=list)
    submissions: dict[str, str] = field(default_factory=dict)  # id -> status answered
    answers: Counter[str] = field(default_factory=Counter)  # "probe 201", "submission 5xx", …
    lock: threading.Lock = field(default_factory=threading.Lock)

    failures: list[str] = field(default_factory=list)  # the 5xx answers, shown at the end

    def count(self, what: str, answer: httpx.Response) -> None:
        with self.lock:
            self.answers[f"{what} {answer.status_code}"] += 1
            if answer.status_code >= 500:
                self.failures.append(f"{what} {answer.status_code}: {answer.text[:300]}")


@dataclass
class Figures:
    backend: str
    cycles: int = 0
    probes_acked: int = 0
    submissions_acked: int = 0
    probes_lost: int = 0
    submissions_lost: int = 0
    status_changed: int = 0  # acknowledged completed/failed, found otherwise
    entries_missing: int = 0  # an acknowledged record without its ledger entries
    kills_mid_dispatch: int = 0  # kills that left at least one dispatch open
    outcome_unknown: int = 0  # interrupted dispatches surfaced by recovery
    not_in_queue: int = 0  # surfaced, but missing from the supervisor's queue
    left_dispatching: int = 0  # still `dispatching` after a restart
    unresolved_intents: int = 0  # intents with no outcome or with two
    double_dispatch: int = 0  # submissions with more than one intent
    verify_failed: int = 0
    server_errors: int = 0  # 5xx answers while the service was up
    sandbox_survived: int = 0  # a sandbox FRS still answering after its group was killed
    ledger_size: int = 0
    restart_s: list[float] = field(default_factory=list)
    kill_after_s: list[float] = field(default_factory=list)

    def failed(self) -> bool:
        return bool(
            self.probes_lost + self.submissions_lost + self.status_changed + self.entries_missing
            + self.not_in_queue + self.left_dispatching + self.unresolved_intents
            + self.double_dispatch + self.verify_failed
        )  # fmt: skip


class Service:
    """One `frsgate serve` process group over the installation in `env`."""

    def __init__(self, env: dict[str, str], home: Path, workers: int) -> None:
        self.env = env
        self.home = home
        self.workers = workers
        self.starts = 0
        self.child: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.sandbox_port = 0

    def start(self) -> float:
        """Start on fresh ports; seconds until ready (start-up recovery included)."""
        port, self.sandbox_port = free_port(), free_port()
        env = self.env | {
            "FRSGATE_PORT": str(port),
            "FRSGATE_SANDBOX_FRS_PORT": str(self.sandbox_port),
        }
        self.starts += 1
        log = self.home / f"serve-{self.starts}.log"
        self.url = f"http://127.0.0.1:{port}"
        began = time.monotonic()
        with log.open("w") as sink:
            # Its own session: one killpg reaches the service, its workers and the sandbox.
            self.child = subprocess.Popen(  # our own program
                [*CLI, "serve", "--port", str(port), "--workers", str(self.workers)],
                env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = began + READY_TIMEOUT_S
        while True:
            if self.child.poll() is not None:
                raise SystemExit(f"`frsgate serve` exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return time.monotonic() - began
            if time.monotonic() > deadline:
                raise SystemExit(f"`frsgate serve` not ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> bool:
        """SIGKILL the whole process group. True if the sandbox still answers afterwards."""
        assert self.child is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.child.pid, signal.SIGKILL)
        self.child.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", self.sandbox_port)) != 0:
                    return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        """The ordinary stop (SIGTERM), after the last check."""
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.child.pid, signal.SIGKILL)
                self.child.wait()


def load(
    url: str, token: str, clients: int, images: list[bytes], acks: Acks
) -> list[threading.Thread]:
    """Client threads posting probe then submission until the service stops answering."""

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            i = n
            while True:
                i += 1
                try:
                    made = post_probe(http, images[i % len(images)])
                    acks.count("probe", made)
                    if made.status_code != 201:
                        continue
                    probe_id = made.json()["id"]
                    with acks.lock:
                        acks.probes.append(probe_id)
                    sent = http.post("/api/v1/submissions", json=submission_body(probe_id))
                    acks.count("submission", sent)
                    if sent.status_code in (201, 202):
                        sub = sent.json()["submission"]
                        with acks.lock:
                            acks.submissions[sub["id"]] = sub["status"]
                except httpx.HTTPError:
                    return  # the service is gone: what was in flight is not acknowledged

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    return threads


def ledger_entries(database_url: str) -> list[dict[str, Any]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, entry FROM ledger_entries ORDER BY seq")).all()
    finally:
        engine.dispose()
    entries = [json.loads(bytes(entry)) for _, entry in rows]
    if [seq for seq, _ in rows] != list(range(len(rows))):
        raise SystemExit("the ledger's sequence numbers have a gap")
    return entries


def stored(database_url: str) -> tuple[set[str], dict[str, str]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            probes = {r[0] for r in conn.execute(text("SELECT id FROM probes"))}
            subs = {r[0]: r[1] for r in conn.execute(text("SELECT id, status FROM submissions"))}
    finally:
        engine.dispose()
    return probes, subs


def check(
    figures: Figures, acks: Acks, database_url: str, env: dict[str, str], service: Service,
    sam_token: str, known_unknown: set[str],
) -> list[str]:  # fmt: skip
    """Compare what the clients were told with what survived; return the problems found."""
    problems: list[str] = []
    probes, subs = stored(database_url)
    entries = ledger_entries(database_url)
    figures.ledger_size = len(entries)
    for pid in acks.probes:
        if pid not in probes:
            figures.probes_lost += 1
            problems.append(f"probe {pid} answered 201 is missing")
    for sid, status in acks.submissions.items():
        if sid not in subs:
            figures.submissions_lost += 1
            problems.append(f"submission {sid} answered {status} is missing")
        elif status in SETTLED and subs[sid] != status:
            figures.status_changed += 1
            problems.append(f"submission {sid} answered {status} is now {subs[sid]}")
    created = {e["subject"] for e in entries if e["event"] == "probe:record:create"}
    for pid in acks.probes:
        if f"probe:{pid}" not in created and pid in probes:
            figures.entries_missing += 1
            problems.append(f"probe {pid} has no probe:record:create entry")
    intents: Counter[str] = Counter()
    resolutions: Counter[str] = Counter()
    unknown_entries: set[str] = set()
    outcomes: set[str] = set()
    for e in entries:
        sid = str(e.get("submission"))
        if e["event"] == INTENT:
            intents[sid] += 1
        elif e["event"] in (OUTCOME, UNKNOWN):
            resolutions[sid] += 1
            (unknown_entries if e["event"] == UNKNOWN else outcomes).add(sid)
    for sid, status in acks.submissions.items():
        if status in SETTLED and not (intents[sid] and sid in outcomes):
            figures.entries_missing += 1
            problems.append(f"submission {sid} answered {status} lacks its intent or outcome")
    for sid, n in intents.items():
        if n > 1:
            figures.double_dispatch += 1
            problems.append(f"submission {sid} has {n} dispatch intents")
        if resolutions[sid] != 1:
            figures.unresolved_intents += 1
            problems.append(f"submission {sid}: intent with {resolutions[sid]} resolutions")
    dispatching = [sid for sid, s in subs.items() if s == "dispatching"]
    figures.left_dispatching += len(dispatching)
    problems += [f"submission {sid} still dispatching after restart" for sid in dispatching]
    unknown_now = {sid for sid, s in subs.items() if s == "outcome_unknown"}
    if unknown_now != unknown_entries:
        problems.append(f"outcome_unknown rows {sorted(unknown_now ^ unknown_entries)} vs ledger")
        figures.unresolved_intents += len(unknown_now ^ unknown_entries)
    fresh = unknown_now - known_unknown
    figures.outcome_unknown += len(fresh)
    figures.kills_mid_dispatch += bool(fresh)
    if fresh:
        queue = httpx.get(
            f"{service.url}/api/v1/queue/supervisor",
            headers={"Authorization": f"Bearer {sam_token}"}, timeout=60,
        )  # fmt: skip
        queued = {s["id"] for s in queue.json().get("outcome_unknown", [])}
        for sid in fresh - queued:
            figures.not_in_queue += 1
            problems.append(f"submission {sid} outcome_unknown but not in sam's queue")
    known_unknown |= fresh
    verified = subprocess.run(  # our own program
        [*CLI, "ledger", "verify", "--no-witness"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if verified.returncode != 0:
        figures.verify_failed += 1
        problems.append(f"ledger verify exited {verified.returncode}: {verified.stderr[-500:]}")
    return problems


def run_backend(backend: str, args: argparse.Namespace, images: list[bytes]) -> Figures:
    figures = Figures(backend=backend, cycles=args.cycles)
    rng = random.Random(args.seed)
    url = None
    if backend == "postgresql":
        url = args.database_url or os.environ.get("FRSGATE_TEST_DATABASE_URL") or DEFAULT_PG
    with (
        tempfile.TemporaryDirectory(prefix="frsgate-crash-") as tmp,
        scratch_database(url, Path(tmp)) as database_url,
    ):
        home = Path(tmp)
        env = {
            **os.environ,
            "FRSGATE_HOME": str(home),
            "FRSGATE_DATABASE_URL": database_url,
            "FRSGATE_ENVIRONMENT": "development",
            "FRSGATE_SANDBOX_FRS": "true",
            # The kill takes the whole process group; this bench measures the record, and its
            # verify checks the tree and the stored checkpoints (witnessing has its own tests).
            "FRSGATE_WITNESS_BESIDE": "false",
            "FRSGATE_RATE_LIMIT_PER_USER_PER_HOUR": "100000000",
            "FRSGATE_RATE_LIMIT_PER_CASE_PER_HOUR": "100000000",
        }
        run_cli(env, "init", "--demo")
        alice = run_cli(env, "token", "issue", "alice").strip()
        sam = run_cli(env, "token", "issue", "sam").strip()
        service = Service(env, home, args.workers)
        acks = Acks()
        known_unknown: set[str] = set()
        failures_seen = 0
        try:
            for cycle in range(args.cycles + 1):
                figures.restart_s.append(service.start())
                if cycle:
                    problems = check(figures, acks, database_url, env, service, sam, known_unknown)
                    for p in problems[:20]:
                        print(f"  [{backend} restart {cycle}] {p}", file=sys.stderr)
                    print(
                        f"  {backend} restart {cycle}/{args.cycles}: {len(acks.probes)} probes, "
                        f"{len(acks.submissions)} submissions acknowledged so far; "
                        f"{figures.outcome_unknown} outcome_unknown; "
                        f"{len(problems)} problems",
                        file=sys.stderr,
                    )
                if cycle == args.cycles:
                    break
                threads = load(service.url, alice, args.clients, images, acks)
                after = rng.uniform(args.min_kill_s, args.max_kill_s)
                figures.kill_after_s.append(after)
                time.sleep(after)
                figures.sandbox_survived += service.kill()
                for t in threads:
                    t.join(timeout=60)
                if len(acks.failures) > failures_seen:
                    # Why the service answered 5xx, from its own log (kept in the scratch home
                    # only until the run ends).
                    log = (home / f"serve-{service.starts}.log").read_text(errors="replace")
                    for line in log.splitlines():
                        if '"error"' in line or "Traceback" in line or "Error" in line:
                            print(f"  [{backend} serve log] {line[:600]}", file=sys.stderr)
                failures_seen = len(acks.failures)
        finally:
            service.stop()
        figures.probes_acked = len(acks.probes)
        figures.submissions_acked = len(acks.submissions)
        figures.server_errors = len(acks.failures)
        for failure in acks.failures:
            print(f"  [{backend}] {failure}", file=sys.stderr)
        print(f"  {backend} answers: {dict(sorted(acks.answers.items()))}", file=sys.stderr)
    return figures


def report(all_figures: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"crash bench: {args.cycles} kill -9 cycles per backend, {args.clients} clients as "
        f"alice (probe + submission), kill after {args.min_kill_s}-{args.max_kill_s} s, "
        f"{args.workers} serve worker(s), seed {args.seed}"
    )
    print(f"  {platform.python_implementation()} {platform.python_version()}, ", end="")
    print(f"{os.cpu_count()} CPUs, {platform.machine()}")
    print()
    rows: list[tuple[str, str, bool]] = [
        ("probes acknowledged (201)", "probes_acked", False),
        ("submissions acknowledged (201/202)", "submissions_acked", False),
        ("acknowledged probes lost", "probes_lost", True),
        ("acknowledged submissions lost", "submissions_lost", True),
        ("acknowledged status changed", "status_changed", True),
        ("acknowledged, ledger entry missing", "entries_missing", True),
        ("kills that interrupted a dispatch", "kills_mid_dispatch", False),
        ("interrupted dispatches -> outcome_unknown", "outcome_unknown", False),
        ("  of those not in supervisor queue", "not_in_queue", True),
        ("left dispatching after restart", "left_dispatching", True),
        ("intents without exactly 1 outcome", "unresolved_intents", True),
        ("submissions dispatched twice", "double_dispatch", True),
        ("ledger verify failures", "verify_failed", True),
        ("5xx answers while up", "server_errors", False),
        ("sandbox alive after group kill", "sandbox_survived", False),
        ("ledger entries at the end", "ledger_size", False),
    ]
    print(f"{'':<48}" + "".join(f"{f.backend:>12}" for f in all_figures))
    for label, attr, must_be_zero in rows:
        mark = " (must be 0)" if must_be_zero else ""
        values = "".join(f"{getattr(f, attr):>12}" for f in all_figures)
        print(f"{label + mark:<48}{values}")
    med = "".join(
        f"{statistics.median(f.restart_s[1:] or f.restart_s):>12.2f}" for f in all_figures
    )
    print(f"{'restart to ready, median s':<48}{med}")
    print()
    for f in all_figures:
        print(f"{f.backend}: {'FAILED' if f.failed() else 'ok'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20, help="kill -9 cycles per backend")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=4, help="client threads under load")
    parser.add_argument("--workers", type=int, default=1, help="`frsgate serve --workers`")
    parser.add_argument("--min-kill-s", type=float, default=0.3, help="earliest kill after load")
    parser.add_argument("--max-kill-s", type=float, default=3.0, help="latest kill after load")
    parser.add_argument("--database-url", default=None, help="postgresql://… for PostgreSQL")
    parser.add_argument("--seed", type=int, default=None, help="the kill moments' random seed")
    args = parser.parse_args()
    if args.cycles < 1 or args.min_kill_s > args.max_kill_s:
        parser.error("--cycles must be >= 1 and --min-kill-s <= --max-kill-s")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    # A few distinct probes (the intake re-encodes; distinct bytes, distinct hashes).
    images = [astronaut_jpeg(size=size) for size in (320, 352, 384, 416, 448, 480, 512)]
    all_figures = [run_backend(b, args, images) for b in backends]
    report(all_figures, args)
    return 1 if any(f.failed() for f in all_figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())

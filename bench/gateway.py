"""Benchmark of the gateway over HTTP, beside the same search sent straight to the sandbox FRS.

Two real processes, as an operator runs them: `frsgate sandbox-frs` and `frsgate serve` (told
not to start its own sandbox, so both paths below reach the same one), after `frsgate init
--demo`, on SQLite in a scratch FRSGATE_HOME or on PostgreSQL (`--database-url`; the bench
makes a scratch schema there and drops it afterwards). The demo rate limits are raised for the
run through FRSGATE_RATE_LIMIT_PER_USER_PER_HOUR / FRSGATE_RATE_LIMIT_PER_CASE_PER_HOUR.

- ``gateway``: POST /api/v1/submissions, a one_to_many search of one stored probe against the
  approved ``sandbox`` provider, as alice; answered 201 once the policy allowed it, the ledger
  recorded the decision, intent and outcome, and the candidate list was stored.
- ``direct``: the peer, the same re-encoded probe sent by `HttpConnector.search` (the client the
  gateway itself uses, same terms and candidate cap) to the sandbox's /v1/search.

Latency is measured one request at a time, the two paths interleaved so drift hits both; the
added latency is the median of the per-pair differences. Throughput is N client threads
posting back to back for a fixed time. Probe intake has its own benchmark: bench/intake.py.

    python bench/gateway.py [--runs 200] [--clients 8] [--seconds 10] [--database-url URL]

Targets (tracker): added median latency <= 25 ms; sustained >= 100 submissions/s on 2 cores.
Figures go to BENCHMARKS.md, section "Gateway".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# The functional tests' request builders and the shared test images (scikit-image, a test
# dependency): the bench sends exactly what the tests send.
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "functional"))

from helpers import post_probe, submission_body  # noqa: E402
from images import astronaut_jpeg  # noqa: E402

from frsgate.connectors.http import HttpConnector  # noqa: E402
from frsgate.connectors.protocol import ProviderTerms, SearchRequest, new_idempotency_key  # noqa: E402

TARGET_ADDED_MS = 25.0
TARGET_PER_S = 100.0
CLI = [sys.executable, "-c", "from frsgate.cli.main import main; main()"]
# The demo provider's terms (services/bootstrap.py): every match type, 20 candidates at most.
DEMO_TERMS = ProviderTerms(
    match_types=frozenset({"one_to_one", "two_photo", "one_to_many"}),
    candidate_cap=20,
    law_enforcement_use=True,
)
# The sandbox answers a probe whose re-encoded SHA-256 starts below 0x20 with no candidates;
# the bench wants a typical answer, with candidates and their images.
SANDBOX_NEGATIVE_BELOW = 0x20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


@contextlib.contextmanager
def scratch_database(url: str | None, home: Path) -> Iterator[str]:
    """SQLite in `home`, or a fresh schema in the PostgreSQL database `url`, dropped after."""
    if url is None:
        yield f"sqlite:///{home / 'frsgate.sqlite3'}"
        return
    if not url.startswith("postgresql"):
        raise SystemExit("--database-url must be a postgresql:// URL (SQLite is the default)")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # our own program
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise SystemExit(f"`frsgate {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def process(env: dict[str, str], log: Path, ready_url: str, *args: str) -> Iterator[None]:
    """Run `frsgate ARGS` until the block ends; wait until `ready_url` answers 200."""
    with log.open("w") as sink:
        child = subprocess.Popen([*CLI, *args], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                raise SystemExit(f"`frsgate {args[0]}` exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"`frsgate {args[0]}` not ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@dataclass
class Paths:
    """The two ways of asking for the same search; each call returns when it is answered."""

    gateway: Callable[[httpx.Client], None]
    direct: Callable[[HttpConnector], None]


def stored_probe(client: httpx.Client) -> tuple[str, bytes]:
    """A probe the sandbox answers with candidates: its id and its re-encoded bytes."""
    for size in (512, *range(320, 512, 6)):
        created = post_probe(client, astronaut_jpeg(size=size))
        if created.status_code != 201:
            raise SystemExit(f"probe intake failed: {created.status_code} {created.text}")
        probe: dict[str, Any] = created.json()
        if int(probe["sha256"][:2], 16) >= SANDBOX_NEGATIVE_BELOW:
            image = client.get(f"/api/v1/probes/{probe['id']}/image")
            image.raise_for_status()
            return probe["id"], image.content
    raise SystemExit("no probe variant gives a sandbox answer with candidates")


def make_paths(probe_id: str, probe: bytes) -> Paths:
    body = submission_body(probe_id)

    def gateway(client: httpx.Client) -> None:
        response = client.post("/api/v1/submissions", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"gateway answered {response.status_code}: {response.text[:300]}")

    def direct(connector: HttpConnector) -> None:
        result = connector.search(
            SearchRequest(
                submission_id=f"bench-{uuid.uuid4().hex}",
                probe=probe,
                match_type="one_to_many",
                max_candidates=DEMO_TERMS.candidate_cap,
                idempotency_key=new_idempotency_key(),
            )
        )
        if not result.candidates:
            raise RuntimeError("the sandbox answered with no candidates")

    return Paths(gateway=gateway, direct=direct)


def latency(
    paths: Paths, client: httpx.Client, connector: HttpConnector, runs: int, warmup: int
) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        paths.gateway(client)
        paths.direct(connector)
    gw: list[float] = []
    direct: list[float] = []
    for i in range(runs):
        # Alternate which goes first so neither always follows the other's work.
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            start = time.perf_counter_ns()
            if which == 0:
                paths.gateway(client)
            else:
                paths.direct(connector)
            elapsed = (time.perf_counter_ns() - start) / 1e6
            (gw if which == 0 else direct).append(elapsed)
    return gw, direct


def throughput(clients: int, seconds: float, call: Callable[[], None]) -> tuple[float, int, int]:
    """Calls per second over `seconds` with `clients` threads calling back to back."""
    done = [0] * clients
    failed = [0] * clients
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        barrier.wait()
        while time.monotonic() < stop:
            try:
                call()
                done[i] += 1
            except Exception:  # counted, not hidden: the report prints failures
                failed[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start = time.monotonic()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return sum(done) / elapsed, sum(done), sum(failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="latency samples per path")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8, help="threads for throughput")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    parser.add_argument("--database-url", default=None, help="postgresql://… (default SQLite)")
    parser.add_argument(
        "--workers", type=int, default=4, help="`frsgate serve` worker processes (default 4)"
    )
    args = parser.parse_args()
    if args.runs < 50:
        parser.error("--runs must be at least 50 for a meaningful p95")

    with tempfile.TemporaryDirectory(prefix="frsgate-bench-") as tmp:
        home = Path(tmp)
        with scratch_database(args.database_url, home) as database_url:
            return run(args, home, database_url)


def run(args: argparse.Namespace, home: Path, database_url: str) -> int:
    port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(home),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_ENVIRONMENT": "development",
        "FRSGATE_PORT": str(port),
        "FRSGATE_SANDBOX_FRS": "false",
        "FRSGATE_WITNESS_BESIDE": "false",
        "FRSGATE_SANDBOX_FRS_PORT": str(sandbox_port),
        "FRSGATE_RATE_LIMIT_PER_USER_PER_HOUR": "100000000",
        "FRSGATE_RATE_LIMIT_PER_CASE_PER_HOUR": "100000000",
    }
    run_cli(env, "init", "--demo")
    gateway_url = f"http://127.0.0.1:{port}"
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    with (
        process(env, home / "sandbox.log", f"{sandbox_url}/v1/health", "sandbox-frs"),
        process(
            env,
            home / "serve.log",
            f"{gateway_url}/readyz",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ),  # fmt: skip
    ):
        token = run_cli(env, "token", "issue", "alice").strip()
        headers = {"Authorization": f"Bearer {token}"}

        def gateway_client() -> httpx.Client:
            return httpx.Client(base_url=gateway_url, headers=headers, timeout=30)

        def direct_connector() -> HttpConnector:
            return HttpConnector(
                sandbox_url, provider_id="bench-direct", terms=DEMO_TERMS, timeout_s=30
            )

        with gateway_client() as client, direct_connector() as connector:
            probe_id, probe = stored_probe(client)
            paths = make_paths(probe_id, probe)
            gw, direct = latency(paths, client, connector, args.runs, args.warmup)

        added = [g - d for g, d in zip(gw, direct, strict=True)]
        local = threading.local()

        def gateway_call() -> None:
            if not hasattr(local, "client"):
                local.client = gateway_client()
            paths.gateway(local.client)

        def direct_call() -> None:
            if not hasattr(local, "connector"):
                local.connector = direct_connector()
            paths.direct(local.connector)

        gateway_figures = throughput(args.clients, args.seconds, gateway_call)
        direct_figures = throughput(args.clients, args.seconds, direct_call)

    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    added_median = statistics.median(added)
    print(f"gateway bench: {len(probe)} byte probe, one_to_many, up to {DEMO_TERMS.candidate_cap}")
    print(f"  candidates with images; backend {backend}; {args.runs} runs per path; ", end="")
    print(f"{args.workers} serve workers")
    print(f"  {platform.python_implementation()} {platform.python_version()}, ", end="")
    print(f"{os.cpu_count()} CPUs, {platform.machine()}")
    print()
    print(f"{'latency (ms)':<36}{'median':>10}{'p95':>10}")
    for label, samples in (
        ("gateway  POST /api/v1/submissions", gw),
        ("direct   sandbox /v1/search", direct),
        ("added    (per-pair difference)", added),
    ):
        print(f"{label:<36}{statistics.median(samples):>10.2f}{p95(samples):>10.2f}")
    verdict = "meets" if added_median <= TARGET_ADDED_MS else "misses"
    print(
        f"  added median {added_median:.2f} ms vs target <= {TARGET_ADDED_MS:.0f} ms: "
        f"{added_median / TARGET_ADDED_MS:.2f}x the budget ({verdict})"
    )
    print()
    heading = f"throughput ({args.clients} clients, {args.seconds:.0f} s)"
    print(f"{heading:<36}{'per s':>10}{'ok':>8}{'failed':>8}")
    for label, (rate, ok, failed) in (
        ("gateway  submissions", gateway_figures),
        ("direct   searches", direct_figures),
    ):
        print(f"{label:<36}{rate:>10.1f}{ok:>8}{failed:>8}")
    gw_rate = gateway_figures[0]
    verdict = "meets" if gw_rate >= TARGET_PER_S else "misses"
    print(
        f"  gateway {gw_rate:.1f}/s vs target >= {TARGET_PER_S:.0f}/s: "
        f"{gw_rate / TARGET_PER_S:.2f}x the target ({verdict})"
    )
    print()
    print("probe intake is benchmarked apart: python bench/intake.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

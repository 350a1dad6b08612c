"""Two `frsgate serve` processes on one PostgreSQL schema, raced by clients on both at once.

An operator scaling out runs a second service over the same database, home and keys (no second
`init`). Whatever one process decides, the other must see: a row lock, a unique constraint or a
claimed key settles each race in the database, never in one process's memory. Raced here, each
act by clients of both processes at the same moment:

- (a) one witness-probe approval decided by its supervisor on both processes (approve on one,
  deny on the other): exactly one decision takes effect, the other is 409, and the submission
  waiting on it is dispatched exactly when the approval won (memo 4.B.2);
- (b) submissions by alice on both processes, pairs of them under one Idempotency-Key: one
  submission per key, each submission dispatched once (one intent, one outcome);
- (c) dispositions of the same candidate by reviewers on both processes: all recorded, one
  current, the others a chain of superseded ones (memo 4.D.2);
- (d) leads opened from one possible-lead disposition on both processes: exactly one lead
  (memo 4.D.3), the others 409.

Then the ledger, read back once both stopped: seq 0..n-1 without a gap, every entry's record of
the races above, and `frsgate ledger verify` exits 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import DEMO_CASE, post_probe, probe_for_result, submission_body
from images import astronaut_jpeg
from processes import CLI, Served, free_port, frsgate, stop, wait_ready

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

WITNESS_ROUNDS = 4
KEYED_SUBMISSIONS = 6  # each sent to both processes under one key
PLAIN_SUBMISSIONS = 6  # spread over both processes
LEAD_OPENERS = 3  # per process
USERS = ("alice", "sam", "erin")
COMPARED = "compared with the port badge photo and the DMV record"

Call = Callable[[], httpx.Response]


@dataclass
class Tally:
    """Requests made and conflicts answered, for the figures in docs/SECURITY.md."""

    requests: int = 0
    conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def race(self, calls: list[Call]) -> list[httpx.Response]:
        """Run every call at once, each on its own thread, released together."""
        answers: list[httpx.Response | BaseException | None] = [None] * len(calls)
        barrier = threading.Barrier(len(calls))

        def run(i: int) -> None:
            barrier.wait()
            try:
                answers[i] = calls[i]()
            except BaseException as exc:  # reported below, in the test's thread
                answers[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        done: list[httpx.Response] = []
        for a in answers:
            assert isinstance(a, httpx.Response), f"a raced request failed: {a!r}"
            done.append(a)
        with self.lock:
            self.requests += len(done)
            self.conflicts += sum(a.status_code == 409 for a in done)
        assert not [a for a in done if a.status_code >= 500], [a.text for a in done]
        return done


@dataclass
class Pair:
    """The two processes, and a bearer token per demo user (valid on both: one key)."""

    a: Served
    b: Served
    tokens: dict[str, str]

    def on(self, which: Served, username: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[username]}"}
        return httpx.Client(base_url=which.url, headers=headers, timeout=60)

    def post(self, which: Served, username: str, path: str, **kw: Any) -> Call:
        def call() -> httpx.Response:
            with self.on(which, username) as client:
                return client.post(path, **kw)

        return call

    def stderr(self) -> str:
        return f"first:\n{self.a.stderr()}\nsecond:\n{self.b.stderr()}"


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[str]:
    with log.open("w") as sink:
        return subprocess.Popen(
            [*CLI, *args], env=env, stdout=sink, stderr=subprocess.STDOUT, text=True
        )


def _serve(env: dict[str, str], log: Path, sandbox_port: int) -> Served:
    port = free_port()
    process = _start(env, log, "serve", "--port", str(port), "--workers", "1")
    return Served(f"http://127.0.0.1:{port}", env, process, log, sandbox_port)


@contextlib.contextmanager
def two_processes(tmp_path: Path, database_url: str) -> Iterator[Pair]:
    """`init --demo` once, then two `serve` processes on one database and home, both sending
    to one sandbox FRS of their own (as two replicas reach one remote provider)."""
    sandbox_port = free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_SANDBOX_FRS": "false",
        "FRSGATE_WITNESS_BESIDE": "false",
        "FRSGATE_SANDBOX_FRS_PORT": str(sandbox_port),
        "FRSGATE_ENVIRONMENT": "development",
        # Many submissions by one agent in a minute: not what the rate limit is about here.
        "FRSGATE_RATE_LIMIT_PER_USER_PER_HOUR": "100000",
        "FRSGATE_RATE_LIMIT_PER_CASE_PER_HOUR": "100000",
    }
    frsgate(env, "init", "--demo")
    # Tokens are issued while the processes start: each command is a whole interpreter start.
    tokens_issued = ThreadPoolExecutor(3)
    issuing = {u: tokens_issued.submit(frsgate, env, "token", "issue", u) for u in USERS}
    tokens_issued.shutdown(wait=False)
    sandbox_log = tmp_path / "sandbox.log"
    sandbox = _start(env, sandbox_log, "sandbox-frs", "--port", str(sandbox_port))
    # Both start at once: no client acts before both are ready, so neither one's start-up
    # recovery can find the other's dispatch in flight (it would take it for interrupted).
    a = _serve(env, tmp_path / "serve-a.log", sandbox_port)
    b = _serve(env, tmp_path / "serve-b.log", sandbox_port)
    try:
        wait_ready(a)
        wait_ready(b)
        deadline = time.monotonic() + 60
        while sandbox.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{sandbox_port}/v1/health").status_code == 200:
                    break
            time.sleep(0.1)
        else:
            pytest.fail(f"the sandbox FRS did not start:\n{sandbox_log.read_text()[-3000:]}")
        yield Pair(a, b, {u: issued.result().stdout.strip() for u, issued in issuing.items()})
    finally:
        stop(b)
        stop(a)
        sandbox.terminate()
        sandbox.wait(timeout=20)


def _ledger(env: dict[str, str]) -> list[dict[str, Any]]:
    lines = frsgate(env, "ledger", "export").stdout.splitlines()
    return [json.loads(line) for line in lines if line]


def _witness_approvals_race(pair: Pair, tally: Tally) -> tuple[list[str], dict[str, bool]]:
    """(a) Returns the approvals raced and, per submission waiting on one, whether the
    approval (not the denial) won."""
    waiting: list[tuple[str, str]] = []  # (approval id, submission id)
    with pair.on(pair.a, "alice") as alice_a, pair.on(pair.b, "alice") as alice_b:
        for n in range(WITNESS_ROUNDS):
            made = post_probe(
                alice_a if n % 2 else alice_b, astronaut_jpeg(size=320 + 12 * n),
                subject_role="witness", other_methods_exhausted="canvass and records checks",
            )  # fmt: skip
            assert made.status_code == 201, made.text
            [approval] = made.json()["approvals"]
            sent = (alice_b if n % 2 else alice_a).post(
                "/api/v1/submissions", json=submission_body(made.json()["id"])
            )
            assert sent.status_code == 202, sent.text
            waiting.append((approval["id"], sent.json()["submission"]["id"]))
    calls: list[Call] = []
    for approval_id, _ in waiting:
        path = f"/api/v1/approvals/{approval_id}/decision"
        calls.append(pair.post(pair.a, "sam", path, json={"approve": True, "note": "approved"}))
        calls.append(pair.post(pair.b, "sam", path, json={"approve": False, "note": "denied"}))
    answers = tally.race(calls)
    won: dict[str, bool] = {}
    for i, (_, sub_id) in enumerate(waiting):
        approve, deny = answers[2 * i], answers[2 * i + 1]
        codes = sorted([approve.status_code, deny.status_code])
        assert codes == [200, 409], f"{approve.text}\n{deny.text}\n{pair.stderr()}"
        if approve.status_code == 200:
            [dispatched] = approve.json()["dispatched"]
            assert dispatched["id"] == sub_id
            assert dispatched["status"] == "completed"
            won[sub_id] = True
        else:
            assert deny.json()["rejected_submissions"] == [sub_id]
            won[sub_id] = False
    with pair.on(pair.b, "alice") as alice:
        for sub_id, approved in won.items():
            seen = alice.get(f"/api/v1/submissions/{sub_id}")
            assert seen.status_code == 200, seen.text
            status = seen.json()["status"]
            assert status == ("completed" if approved else "rejected"), seen.text
    return [approval_id for approval_id, _ in waiting], won


def _submissions_race(pair: Pair, tally: Tally) -> set[str]:
    """(b) Returns the submissions made."""
    with pair.on(pair.a, "alice") as alice:
        probe = post_probe(alice, astronaut_jpeg(size=400))
        assert probe.status_code == 201, probe.text
    body = submission_body(probe.json()["id"])
    calls: list[Call] = []
    for n in range(KEYED_SUBMISSIONS):
        headers = {"Idempotency-Key": f"two-processes-{n}"}
        for which in (pair.a, pair.b):
            calls.append(
                pair.post(which, "alice", "/api/v1/submissions", json=body, headers=headers)
            )
    for n in range(PLAIN_SUBMISSIONS):
        calls.append(
            pair.post(pair.a if n % 2 else pair.b, "alice", "/api/v1/submissions", json=body)
        )
    answers = tally.race(calls)
    made: set[str] = set()
    for n in range(KEYED_SUBMISSIONS):
        pair_answers = answers[2 * n : 2 * n + 2]
        assert {a.status_code for a in pair_answers} <= {201, 409}, [a.text for a in pair_answers]
        ids = {a.json()["submission"]["id"] for a in pair_answers if a.status_code == 201}
        assert len(ids) == 1, f"key {n}: {[a.text for a in pair_answers]}"  # one act per key
        made |= ids
    for plain in answers[2 * KEYED_SUBMISSIONS :]:
        assert plain.status_code == 201, plain.text
        assert plain.json()["submission"]["status"] == "completed", plain.text
        made.add(plain.json()["submission"]["id"])
    assert len(made) == KEYED_SUBMISSIONS + PLAIN_SUBMISSIONS
    return made


def _candidates(pair: Pair) -> tuple[str, list[dict[str, Any]]]:
    with pair.on(pair.a, "alice") as alice:
        probe = probe_for_result(alice, negative=False)
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert done.status_code == 201, done.text
        sub_id: str = done.json()["submission"]["id"]
        listed = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
        assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["candidates"]
    assert len(found) >= 2, listed.text
    return sub_id, found


def _dispositions_race(pair: Pair, tally: Tally, sub_id: str, targets: list[str]) -> None:
    """(c)"""
    calls: list[Call] = []
    for target in targets:
        path = f"/api/v1/candidates/{target}/dispositions"
        for which, who, kind in (
            (pair.a, "alice", "no_match"),
            (pair.b, "erin", "inconclusive"),
            (pair.b, "alice", "inconclusive"),
        ):
            body = {"kind": kind, "rationale": f"{who} on one process: {kind}"}
            calls.append(pair.post(which, who, path, json=body))
    answers = tally.race(calls)
    assert [a.status_code for a in answers] == [201] * len(calls), [a.text for a in answers]
    with pair.on(pair.a, "sam") as sam:
        review = sam.get(f"/api/v1/submissions/{sub_id}/review")
    assert review.status_code == 200, review.text
    by_id = {c["id"]: c for c in review.json()["candidates"]}
    for target in targets:
        current, superseded = by_id[target]["disposition"], by_id[target]["superseded"]
        assert current is not None
        assert current["current"] is True
        assert len(superseded) == 2
        assert not any(d["current"] for d in superseded)
        # One chain, newest first: each replaced exactly the one recorded before it.
        chain = [current, *superseded]
        assert [d["supersedes_id"] for d in chain] == [d["id"] for d in chain[1:]] + [None]


def _leads_race(pair: Pair, tally: Tally, target: str) -> str:
    """(d)"""
    body = {"kind": "possible_match_lead", "rationale": "same ear and jaw line",
            "traditional_means_compared": COMPARED}  # fmt: skip
    with pair.on(pair.b, "alice") as alice:
        made = alice.post(f"/api/v1/candidates/{target}/dispositions", json=body)
    assert made.status_code == 201, made.text
    disposition_id = made.json()["disposition"]["id"]
    lead = {"disposition_id": disposition_id, "summary": "candidate resembles the suspect"}
    calls = [
        pair.post(which, "alice", "/api/v1/leads", json=lead)
        for which in (pair.a, pair.b)
        for _ in range(LEAD_OPENERS)
    ]
    answers = tally.race(calls)
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 2 * LEAD_OPENERS - 1}, [a.text for a in answers]
    with pair.on(pair.a, "alice") as alice:
        leads = alice.get(f"/api/v1/cases/{DEMO_CASE}/leads")
    assert leads.status_code == 200, leads.text
    from_it = [x for x in leads.json()["leads"] if x["disposition_id"] == disposition_id]
    assert len(from_it) == 1, from_it
    lead_id: str = from_it[0]["id"]
    return lead_id


def test_two_processes_on_one_database_settle_every_race_once(
    tmp_path: Path, database_url: str
) -> None:
    began = time.monotonic()
    tally = Tally()
    with two_processes(tmp_path, database_url) as pair:
        started = time.monotonic()
        approvals, won = _witness_approvals_race(pair, tally)
        made = _submissions_race(pair, tally)
        sub_id, candidates = _candidates(pair)
        targets = [c["id"] for c in candidates[:-1][:3]]
        _dispositions_race(pair, tally, sub_id, targets)
        lead_id = _leads_race(pair, tally, candidates[-1]["id"])
        raced_s = time.monotonic() - started
        env = pair.a.env
    with ThreadPoolExecutor(2) as pool:
        # `ledger verify` exits 0, or `frsgate` fails the test with its output.
        verified = pool.submit(frsgate, env, "ledger", "verify", "--no-witness")
        entries = _ledger(env)
        verified.result()
    assert [e["seq"] for e in entries] == list(range(len(entries)))  # one ledger, no gap
    events = Counter((e["event"], e["subject"]) for e in entries)

    def count(event: str) -> Counter[str]:
        return Counter(str(e.get("submission")) for e in entries if e["event"] == event)

    # (a) one decision per approval: the loser left nothing behind.
    assert [events["approval:request:decide", f"approval:{a}"] for a in approvals] == [1] * len(
        approvals
    )
    # (b) no duplicate dispatch: one intent and one outcome per submission, and only for the
    # submissions that were allowed.
    intents = count("submission:dispatch:intent")
    dispatched = made | {s for s, approved in won.items() if approved} | {sub_id}
    assert set(intents) == dispatched, "a submission dispatched that should not be, or missing"
    assert set(intents.values()) == {1}, f"dispatched twice: {intents}"
    assert count("submission:dispatch:outcome") == intents
    # (c) every raced disposition recorded (3 per candidate), plus the one the lead came from.
    assert sum(n for (ev, _), n in events.items() if ev == "disposition:record:create") == (
        3 * len(targets) + 1
    )
    # (d) one lead, one creation entry.
    assert [s for (ev, s) in events if ev == "lead:record:create"] == [f"lead:{lead_id}"]
    assert events["lead:record:create", f"lead:{lead_id}"] == 1
    print(
        f"\ntwo processes: {tally.requests} raced requests, {tally.conflicts} answered 409, "
        f"start {started - began:.1f} s, races {raced_s:.1f} s, "
        f"whole test {time.monotonic() - began:.1f} s, "
        f"ledger {len(entries)} entries"
    )


def test_a_process_starting_leaves_another_process_dispatch_alone(
    tmp_path: Path, database_url: str
) -> None:
    """A second process starts while the first waits for a slow FRS: its start-up recovery
    must not take the live dispatch for an interrupted one (the first process holds its claim,
    `frsgate.store.claims`), so the answer is kept and nothing is sent twice."""
    sandbox_port = free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_SANDBOX_FRS": "false",
        "FRSGATE_WITNESS_BESIDE": "false",
        "FRSGATE_SANDBOX_FRS_PORT": str(sandbox_port),
        "FRSGATE_ENVIRONMENT": "development",
        "FRSGATE_FRS_TIMEOUT_SECONDS": "90",
        "FRSGATE_FRS_MAX_ATTEMPTS": "1",
    }
    frsgate(env, "init", "--demo")
    token = frsgate(env, "token", "issue", "alice").stdout.strip()
    sandbox_log = tmp_path / "sandbox.log"
    sandbox = _start(env, sandbox_log, "sandbox-frs", "--port", str(sandbox_port))
    a = _serve(env, tmp_path / "serve-a.log", sandbox_port)
    b: Served | None = None
    try:
        wait_ready(a)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=a.url, headers=headers, timeout=120) as alice:
            probe = probe_for_result(alice, negative=False)
        # The FRS now takes 25 s to answer: long enough for a whole second start-up.
        sandbox.terminate()
        sandbox.wait(timeout=20)
        sandbox = _start(env, sandbox_log, "sandbox-frs", "--port", str(sandbox_port),
                         "--fault", "delay_ms=25000")  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{sandbox_port}/v1/health").status_code == 200:
                    break
            time.sleep(0.2)
        answers: list[httpx.Response] = []

        def submit() -> None:
            with httpx.Client(base_url=a.url, headers=headers, timeout=120) as client:
                answers.append(client.post("/api/v1/submissions",
                                           json=submission_body(probe["id"])))  # fmt: skip

        sending = threading.Thread(target=submit)
        sending.start()
        time.sleep(2.0)  # the intent is committed, the FRS is still thinking
        b = _serve(env, tmp_path / "serve-b.log", sandbox_port)
        wait_ready(b)  # its start-up recovery has run
        sending.join(timeout=120)
        [answer] = answers
        assert answer.status_code == 201, answer.text
        assert answer.json()["submission"]["status"] == "completed"
        sub_id = answer.json()["submission"]["id"]
        events = [e["event"] for e in _ledger(env) if e.get("submission") == sub_id]
        assert "submission:dispatch:outcome_unknown" not in events
        assert events.count("submission:dispatch:intent") == 1
        assert events.count("submission:dispatch:outcome") == 1
    finally:
        if b is not None:
            stop(b)
        stop(a)
        sandbox.terminate()
        sandbox.wait(timeout=20)

"""Benchmark of policy decisions with the full HSI 2021 pack, beside the naive per-call parse.

The request mix is what a working day looks like: mostly candidate-list and probe-image views,
then probe intake, submissions (with witnesses, flagged justifications and exigent use mixed
in), dispositions, approvals, ledger reads, a few corroborations, shares, exports and user
changes, over 200 users (so the per-user entity cache sees both hits and misses). Requests come
from the pack's own scenario bases, each timed end to end: facts → Cedar request → decision
with citations.

- ``decide``: `PolicyPack.decide` (pack parsed once; one pre-parsed Cedar set per action;
  the user's entities cached).
- ``naive``: the same translated request, but the pack's policy text and the entities parsed
  by cedarpy on every call (`cedarpy.is_authorized(request, policy_text, entities_json)`).
- ``batch``: `PolicyPack.decide_many` over pages of 25 requests (per-request time).

    python bench/policy.py [--requests 20000] [--seed 7]

Targets (tracker): median <= 100 µs and p99 <= 300 µs in process, and >= 5x the naive.
Figures go to BENCHMARKS.md, section "Policy".
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cedarpy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from frsgate.policy import default_pack  # noqa: E402
from frsgate.policy.facts import DecisionRequest, Principal  # noqa: E402
from frsgate.policy.scenarios import SCENARIO_FILE, load_scenarios  # noqa: E402

# Share of each scenario base in the mix (sums to 100).
WEIGHTS = {
    "candidates_view": 24,
    "probe_image_view": 18,
    "probe_create": 10,
    "submission": 12,
    "disposition": 9,
    "examination": 3,
    "approval": 5,
    "ledger_read": 5,
    "corroboration": 3,
    "lead_basis": 3,
    "share": 2,
    "export": 2,
    "provider_review": 1,
    "pack_activate": 1,
    "user_manage": 2,
}
USERS = 200


def request_mix(n: int, seed: int) -> list[DecisionRequest]:
    """`n` requests drawn by weight from the scenarios of each base (allowed and refused)."""
    pack = default_pack()
    import yaml

    raw = yaml.safe_load((pack.compiled.folder / SCENARIO_FILE).read_text())
    scenarios = load_scenarios(pack.compiled.folder / SCENARIO_FILE)
    by_base: dict[str, list[DecisionRequest]] = {}
    for item, scenario in zip(raw["scenarios"], scenarios, strict=True):
        by_base.setdefault(item["base"], []).append(scenario.request)
    rng = random.Random(seed)
    bases = list(WEIGHTS)
    weights = [WEIGHTS[b] for b in bases]
    out = []
    for _ in range(n):
        base = rng.choices(bases, weights)[0]
        # Most requests are the base itself (allowed); one in four a refused variant.
        pool = by_base[base]
        request = pool[0] if rng.random() < 0.75 else rng.choice(pool)
        # Spread the same act over many users: a distinct Principal value per user.
        user = rng.randrange(USERS)
        principal: Principal = dataclasses.replace(
            request.principal, user_id=f"{request.principal.user_id}-{user}"
        )
        out.append(dataclasses.replace(request, principal=principal))
    return out


def timed(
    fn: Callable[[DecisionRequest], object],
    requests: Sequence[DecisionRequest],
    clock: Callable[[], int] = time.perf_counter_ns,
) -> list[float]:
    """Per-request latency in µs by `clock`: wall time (perf_counter) or this thread's CPU
    time (thread_time), which leaves out the time other processes held the CPU."""
    samples = []
    for request in requests:
        start = clock()
        fn(request)
        samples.append((clock() - start) / 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, statistics.fmean(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--naive-requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    pack = default_pack()
    requests = request_mix(args.requests, args.seed)
    policy_text = pack.compiled.policy_text

    def decide(r: DecisionRequest) -> object:
        return pack.decide(r.principal, r.action, r.resource, r.context)

    def naive(r: DecisionRequest) -> object:
        request = pack.translator.request(r.principal, r.action, r.resource, r.context)
        entities = str(pack.translator.entities_for(r.principal))
        return cedarpy.is_authorized(request, policy_text, entities)

    # Same answers: the naive path must allow exactly what decide() allows.
    for r in requests[:500]:
        assert (decide(r).decision.value == "allow") == naive(r).allowed  # type: ignore[attr-defined]

    timed(decide, requests[:1000])  # warm-up
    gc.collect()
    fast = timed(decide, requests)
    fast_cpu = timed(decide, requests, time.thread_time_ns)
    slow = timed(naive, requests[: args.naive_requests])
    slow_cpu = timed(naive, requests[: args.naive_requests], time.thread_time_ns)
    page = 25
    batches = []
    for i in range(0, len(requests) - page + 1, page):
        chunk = requests[i : i + page]
        start = time.perf_counter_ns()
        pack.decide_many(chunk)
        batches.append((time.perf_counter_ns() - start) / 1000 / page)

    rows = [
        ("decide, wall", summary(fast)),
        ("decide, thread CPU", summary(fast_cpu)),
        ("decide_many (pages of 25)", summary(batches)),
        ("naive, wall", summary(slow)),
        ("naive, thread CPU", summary(slow_cpu)),
    ]
    print(f"policy pack {pack.id} {pack.version} ({len(pack.rules)} rules), {pack.sha256[:12]}")
    print(f"python {platform.python_version()}, cedarpy {cedarpy_version()}, {platform.machine()}")
    print(f"mix: {len(requests)} requests, {USERS} users per role, seed {args.seed}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'':<28}{'median µs':>10}{'p99 µs':>10}{'mean µs':>10}")
    for label, (med, p99, mean) in rows:
        print(f"{label:<28}{med:>10.1f}{p99:>10.1f}{mean:>10.1f}")
    f_med, f_p99, _ = rows[0][1]
    s_med, s_p99, _ = rows[3][1]
    print(f"speed-up over naive, wall: median {s_med / f_med:.1f}x, p99 {s_p99 / f_p99:.1f}x")
    ok = f_med <= 100 and f_p99 <= 300 and s_med / f_med >= 5
    print(
        "targets (median <= 100 µs, p99 <= 300 µs, >= 5x naive), wall:", "met" if ok else "NOT met"
    )


def cedarpy_version() -> str:
    from importlib.metadata import version

    return version("cedarpy")


if __name__ == "__main__":
    main()

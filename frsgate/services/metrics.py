"""Prometheus collectors of the service layer: policy decisions and FRS dispatches.

They live on the runtime's own registry (one per process, or per test), which the HTTP layer
exposes at /metrics beside its request metrics. Labels are closed vocabularies (actions,
outcomes, provider ids), never user ids, probe ids or free text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.decisions = Counter(
            "frsgate_policy_decisions_total",
            "Policy decisions by action and outcome (allow, deny, needs_approval).",
            ["action", "decision"],
            registry=self.registry,
        )
        self.dispatches = Counter(
            "frsgate_frs_dispatches_total",
            "FRS dispatches by provider and outcome (succeeded, or the error code).",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.dispatch_seconds = Histogram(
            "frsgate_frs_dispatch_seconds",
            "Time from the logged intent to the FRS's answer, by provider.",
            ["provider"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

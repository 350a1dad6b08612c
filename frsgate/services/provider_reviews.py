"""OSDM's register of FRS providers and each provider's review history (memo 4.C.1-4.C.3, fn1).

The OSDM queue (`queues.osdm_queue`) holds the providers waiting for a review. OSDM also needs
the ones it has decided: an approved FRS it may suspend or put back under review, one it
refused, and for each the structured reviews it recorded (capabilities, terms, accuracy
evidence, demographic differentials, data handling, retention, rationale; who decided, when).

Both reads belong to OSDM's work queue, so each is decided as `queue.view` of the "osdm" queue
(the pack gives it to OSDM alone, `queue.osdm_only`) and recorded (`provider:records:view`).
No secret is read: a provider's API key stays sealed, its record carries the fingerprint only.
"""

from __future__ import annotations

from dataclasses import dataclass

from frsgate.domain import Provider
from frsgate.domain.providers import ProviderReview
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.provider_reviews"
QUEUE = "osdm"


@dataclass(frozen=True, slots=True)
class ReviewHistory:
    """One provider as OSDM reads it, with its reviews, oldest first, and who decided them."""

    provider: Provider
    reviews: tuple[ProviderReview, ...]
    names: Names


def _ask(subject: str, provider: str | None = None) -> Ask:
    return Ask(
        action=Action.queue_view,
        resource=Resource(kind=ResourceKind.queue, id=QUEUE),
        contexts=[Context(queue=QUEUE)],
        subject=subject,
        component=COMPONENT,
        provider=provider,
        details={"queue": QUEUE},
    )


def register(*, gate: Gate, caller: Caller) -> list[Provider]:
    """Every provider with its review status, by name (a decided, recorded read)."""
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.extend(sorted(uow.providers.list_all(), key=lambda p: p.name))
        return _ask("provider:all")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[Provider], list[EntryDraft]]:
        entry = ruling.act_entry(
            caller, EventTag.PROVIDER_RECORDS_VIEW, details={"queue": QUEUE, "count": len(held)}
        )
        return held, [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def review_history(*, gate: Gate, caller: Caller, provider_id: str) -> ReviewHistory:
    """One provider and OSDM's reviews of it (a decided, recorded read); 404 if unknown."""
    held: list[ReviewHistory] = []

    def ask(uow: UnitOfWork) -> Ask:
        provider = uow.providers.get(provider_id)
        reviews = tuple(uow.provider_reviews.of_provider(provider.id))
        names = Names.read(uow, [provider.reviewed_by, *(r.reviewer_id for r in reviews)])
        held.append(ReviewHistory(provider, reviews, names))
        return _ask(f"provider:{provider.id}", provider.id)

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[ReviewHistory, list[EntryDraft]]:
        found = held[0]
        entry = ruling.act_entry(
            caller,
            EventTag.PROVIDER_RECORDS_VIEW,
            details={"queue": QUEUE, "count": 1, "reviews": len(found.reviews)},
        )
        return found, [entry]

    return gate.enforce(caller, ask=ask, act=read).result

"""FRS providers with their terms (flattened into columns) and OSDM review status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frsgate.domain import Provider, ProviderTerms, ReviewStatus
from frsgate.domain.providers import AccuracyEvidence, ProviderReview, ProviderTls
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import provider_reviews, provider_secrets, providers

_TERMS_COLUMNS = (
    "match_types",
    "candidate_cap",
    "law_enforcement_use",
    "terms_ref",
    "edited_probes_allowed",
)
_TLS_COLUMNS = ("tls_verify", "tls_ca_bundle", "tls_client_cert", "tls_client_key")


class ProviderRepository(Repository[Provider]):
    label = "provider"
    mapper = EntityMapper(
        Provider, providers, external=("terms", "tls"), extra_columns=_TERMS_COLUMNS + _TLS_COLUMNS
    )
    status_column = "review_status"

    def _row(self, entity: Provider) -> dict[str, Any]:
        tls = {
            "tls_verify": entity.tls.verify,
            "tls_ca_bundle": entity.tls.ca_bundle,
            "tls_client_cert": entity.tls.client_cert,
            "tls_client_key": entity.tls.client_key,
        }
        return self.mapper.to_row(entity) | _terms_row(entity.terms) | tls

    def _load(self, row: Any) -> Provider:
        terms = ProviderTerms(
            match_types=frozenset(row["match_types"]),
            candidate_cap=row["candidate_cap"],
            law_enforcement_use=bool(row["law_enforcement_use"]),
            reference=row["terms_ref"],
            edited_probes_allowed=bool(row["edited_probes_allowed"]),
        )
        tls = ProviderTls(
            verify=bool(row["tls_verify"]),
            ca_bundle=row["tls_ca_bundle"],
            client_cert=row["tls_client_cert"],
            client_key=row["tls_client_key"],
        )
        provider: Provider = self.mapper.from_row(row, terms=terms, tls=tls)
        return provider

    def get_by_name(self, name: str) -> Provider:
        row = self.conn.execute(select(providers).where(providers.c.name == name)).mappings()
        first = row.first()
        if first is None:
            raise NotFound(f"provider {name!r} does not exist")
        return self._load(first)

    def find_by_name(self, name: str) -> Provider | None:
        first = self.conn.execute(select(providers).where(providers.c.name == name)).mappings()
        row = first.first()
        return None if row is None else self._load(row)

    def list_all(self) -> list[Provider]:
        return self._many(self._select().order_by(providers.c.name))

    def by_review_status(self, *statuses: ReviewStatus) -> list[Provider]:
        """E.g. the OSDM queue (`pending`) or the approved FRS list (memo 4.C.2)."""
        stmt = self._select().where(providers.c.review_status.in_([s.value for s in statuses]))
        return self._many(stmt.order_by(providers.c.name))


@dataclass(frozen=True, slots=True)
class SealedSecret:
    """A provider's API key as stored: sealed bytes, the key that sealed them, a fingerprint."""

    provider_id: str
    sealed: bytes
    key_ref: str
    fingerprint: str
    set_at: datetime
    set_by: str | None


class ProviderSecretRepository:
    """Providers' sealed API keys: written and read only by the code that dials a provider."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def put(self, secret: SealedSecret) -> None:
        row = {
            "provider_id": secret.provider_id, "sealed": secret.sealed,
            "key_ref": secret.key_ref, "fingerprint": secret.fingerprint,
            "set_at": secret.set_at, "set_by": secret.set_by,
        }  # fmt: skip
        self.conn.execute(
            provider_secrets.delete().where(provider_secrets.c.provider_id == secret.provider_id)
        )
        self.conn.execute(provider_secrets.insert(), row)

    def get(self, provider_id: str) -> SealedSecret | None:
        stmt = select(provider_secrets).where(provider_secrets.c.provider_id == provider_id)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            return None
        return SealedSecret(
            provider_id=row["provider_id"], sealed=bytes(row["sealed"]), key_ref=row["key_ref"],
            fingerprint=row["fingerprint"], set_at=row["set_at"], set_by=row["set_by"],
        )  # fmt: skip

    def remove(self, provider_id: str) -> None:
        self.conn.execute(
            provider_secrets.delete().where(provider_secrets.c.provider_id == provider_id)
        )


class ProviderReviewRepository:
    """OSDM's structured reviews, newest last; never updated (a new review is a new row)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def add(self, review: ProviderReview) -> ProviderReview:
        self.conn.execute(
            provider_reviews.insert(),
            {
                "id": review.id,
                "provider_id": review.provider_id,
                "decision": review.decision.value,
                "reviewer_id": review.reviewer_id,
                "decided_at": review.decided_at,
                "capabilities": review.capabilities,
                "accuracy_evidence": [
                    {"source": e.source, "reference": e.reference, "summary": e.summary}
                    for e in review.accuracy_evidence
                ],
                "demographic_differentials": review.demographic_differentials,
                "data_handling": review.data_handling,
                "retention": review.retention,
                "rationale": review.rationale,
            }
            | _terms_row(review.terms),
        )
        return review

    def of_provider(self, provider_id: str) -> list[ProviderReview]:
        stmt = (
            select(provider_reviews)
            .where(provider_reviews.c.provider_id == provider_id)
            .order_by(provider_reviews.c.decided_at, provider_reviews.c.id)
        )
        return [_review(row) for row in self.conn.execute(stmt).mappings()]


def _review(row: Any) -> ProviderReview:
    return ProviderReview(
        id=row["id"],
        provider_id=row["provider_id"],
        decision=ReviewStatus(row["decision"]),
        reviewer_id=row["reviewer_id"],
        decided_at=row["decided_at"],
        capabilities=row["capabilities"],
        terms=ProviderTerms(
            match_types=frozenset(row["match_types"]),
            candidate_cap=row["candidate_cap"],
            law_enforcement_use=bool(row["law_enforcement_use"]),
            reference=row["terms_ref"],
            edited_probes_allowed=bool(row["edited_probes_allowed"]),
        ),
        accuracy_evidence=tuple(
            AccuracyEvidence(
                source=e["source"], reference=e["reference"], summary=e.get("summary", "")
            )
            for e in row["accuracy_evidence"]
        ),
        demographic_differentials=row["demographic_differentials"],
        data_handling=row["data_handling"],
        retention=row["retention"],
        rationale=row["rationale"],
    )


def _terms_row(terms: ProviderTerms) -> dict[str, Any]:
    return {
        "match_types": sorted(terms.match_types),
        "candidate_cap": terms.candidate_cap,
        "law_enforcement_use": terms.law_enforcement_use,
        "terms_ref": terms.reference,
        "edited_probes_allowed": terms.edited_probes_allowed,
    }

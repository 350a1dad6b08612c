"""FRS providers with their terms (flattened into columns) and OSDM review status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frsgate.domain import Provider, ProviderTerms, ReviewStatus
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import providers

_TERMS_COLUMNS = (
    "match_types",
    "candidate_cap",
    "law_enforcement_use",
    "terms_ref",
    "edited_probes_allowed",
)


class ProviderRepository(Repository[Provider]):
    label = "provider"
    mapper = EntityMapper(Provider, providers, external=("terms",), extra_columns=_TERMS_COLUMNS)
    status_column = "review_status"

    def _row(self, entity: Provider) -> dict[str, Any]:
        return self.mapper.to_row(entity) | _terms_row(entity.terms)

    def _load(self, row: Any) -> Provider:
        terms = ProviderTerms(
            match_types=frozenset(row["match_types"]),
            candidate_cap=row["candidate_cap"],
            law_enforcement_use=bool(row["law_enforcement_use"]),
            reference=row["terms_ref"],
            edited_probes_allowed=bool(row["edited_probes_allowed"]),
        )
        provider: Provider = self.mapper.from_row(row, terms=terms)
        return provider

    def get_by_name(self, name: str) -> Provider:
        row = self.conn.execute(select(providers).where(providers.c.name == name)).mappings()
        first = row.first()
        if first is None:
            raise NotFound(f"provider {name!r} does not exist")
        return self._load(first)

    def list_all(self) -> list[Provider]:
        return self._many(self._select().order_by(providers.c.name))

    def by_review_status(self, *statuses: ReviewStatus) -> list[Provider]:
        """E.g. the OSDM queue (`pending`) or the approved FRS list (memo 4.C.2)."""
        stmt = self._select().where(providers.c.review_status.in_([s.value for s in statuses]))
        return self._many(stmt.order_by(providers.c.name))


def _terms_row(terms: ProviderTerms) -> dict[str, Any]:
    return {
        "match_types": sorted(terms.match_types),
        "candidate_cap": terms.candidate_cap,
        "law_enforcement_use": terms.law_enforcement_use,
        "terms_ref": terms.reference,
        "edited_probes_allowed": terms.edited_probes_allowed,
    }

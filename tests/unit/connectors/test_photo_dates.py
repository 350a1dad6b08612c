"""Gallery photo dates: the optional `photo_taken_on` of the wire protocol, the sandbox's
deterministic dates (some older than 8 years) and the connector carrying them through."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from frsgate.connectors import MatchType, ProviderTerms, SearchRequest, new_idempotency_key
from frsgate.connectors.gallery import PHOTO_DATES_BEFORE, SyntheticGallery
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.wire import SearchResponse


def _years_before(years: int) -> date:
    return PHOTO_DATES_BEFORE.replace(year=PHOTO_DATES_BEFORE.year - years)


def test_sandbox_photo_dates_are_fixed_and_spread() -> None:
    gallery = SyntheticGallery(seed=7, size=200)
    dates = [gallery.photo_taken_on(i) for i in range(200)]
    assert dates == [SyntheticGallery(seed=7, size=200).photo_taken_on(i) for i in range(200)]
    assert dates != [SyntheticGallery(seed=8, size=200).photo_taken_on(i) for i in range(200)]
    assert all(_years_before(15) <= d <= PHOTO_DATES_BEFORE for d in dates)
    older_than_8 = [d for d in dates if d < _years_before(8)]
    recent = [d for d in dates if d >= _years_before(5)]
    assert 30 <= len(older_than_8) <= 70  # about one in four
    assert 100 <= len(recent) <= 140  # about three in five


def _response(candidate: dict[str, object]) -> str:
    return json.dumps(
        {
            "protocol": "frsgate-connector/1",
            "provider": "acme",
            "database": "db",
            "match_type": "one_to_many",
            "sandbox": False,
            "candidates": [{"rank": 1, "score": 0.9, "gallery_ref": "g", "source_database": "db"}
                           | candidate],
        }
    )  # fmt: skip


def test_wire_photo_date_is_optional_and_strict() -> None:
    assert SearchResponse.model_validate_json(_response({})).candidates[0].photo_taken_on is None
    parsed = SearchResponse.model_validate_json(_response({"photo_taken_on": "2017-06-30"}))
    assert parsed.candidates[0].photo_taken_on == date(2017, 6, 30)
    for bad in ("2017-13-01", "30/06/2017", 20170630):
        with pytest.raises(ValidationError, match="photo_taken_on"):
            SearchResponse.model_validate_json(_response({"photo_taken_on": bad}))


def test_the_connector_carries_the_sandbox_photo_dates(
    sandbox_url: str, terms: ProviderTerms, probe: bytes
) -> None:
    connector = HttpConnector(sandbox_url, provider_id="sandbox", terms=terms, timeout_s=2.0)
    try:
        result = connector.search(
            SearchRequest(
                submission_id="sub-1",
                probe=probe,
                match_type=MatchType.one_to_many,
                max_candidates=20,
                idempotency_key=new_idempotency_key(),
            )
        )
    finally:
        connector.close()
    gallery = SyntheticGallery(seed=7, size=200)  # the session's sandbox (conftest)
    assert result.candidates
    for candidate in result.candidates:
        index = gallery.index_of(candidate.gallery_ref)
        assert index is not None
        assert candidate.photo_taken_on == gallery.photo_taken_on(index)

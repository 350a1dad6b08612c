"""The committed OpenAPI document of the connector protocol matches the sandbox app."""

from __future__ import annotations

import json
from pathlib import Path

from frsgate.connectors.openapi import protocol_openapi, render

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_committed_openapi_is_current() -> None:
    committed = (DOCS / "connector-openapi.json").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/connector-openapi.json is stale; regenerate it with "
        "`python -m frsgate.connectors.openapi docs/connector-openapi.json`"
    )


def test_openapi_documents_the_protocol() -> None:
    document = protocol_openapi()
    assert set(document["paths"]) == {"/v1/search", "/v1/compare", "/v1/health"}
    search = document["paths"]["/v1/search"]["post"]
    key = next(p for p in search["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is True
    assert {"200", "400", "422", "503"} <= set(search["responses"])
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_protocol_doc_names_every_endpoint_and_field() -> None:
    text = (DOCS / "connector-protocol.md").read_text(encoding="utf-8")
    schemas = json.loads(render())["components"]["schemas"]
    for path in ("POST /v1/search", "POST /v1/compare", "GET /v1/health", "Idempotency-Key"):
        assert path in text
    for name in ("SearchBody", "SearchResponse", "CompareBody", "CompareResponse"):
        for field in schemas[name]["properties"]:
            assert f"`{field}`" in text, f"{name}.{field} is not described in the protocol doc"


def test_generator_writes_the_document(tmp_path: Path) -> None:
    from frsgate.connectors.openapi import main

    target = tmp_path / "openapi.json"
    main([str(target)])
    assert target.read_text(encoding="utf-8") == render()

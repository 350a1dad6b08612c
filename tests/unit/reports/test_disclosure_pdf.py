"""The reading copy of a disclosure package: every use, candidate (pursued or not), negative
result, lead, share and partner search, the ledger summary, and the lead-only notice on every
page; long lists run over pages."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import Engine

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.reports.disclosure import VERIFY_COMMAND, render_pdf
from tests.unit.tools.disclosure_package import CASE, build_package


def _pages(data: bytes) -> list[str]:
    """Each page's text, with runs of whitespace (line breaks in table cells) as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_shows_the_whole_package(engine: Engine) -> None:
    package = build_package(engine).package
    pages = _pages(render_pdf(package))
    for number, text in enumerate(pages, 1):
        assert LEAD_ONLY_NOTICE in text, f"page {number} lacks the notice"
    assert pages[0].count(LEAD_ONLY_NOTICE) >= 2  # atop the first page and in its footer
    text = "\n".join(pages)
    assert f"Disclosure package: case {CASE}" in text
    assert "Operation Example" in text
    for use in package["uses"]:
        assert f"submission {use['submission']['id']}" in text
    for candidate in package["uses"][0]["result"]["candidates"]:  # pursued or not
        assert candidate["gallery_ref"] in text
        assert str(candidate["score"]) in text
    assert "Negative result: the FRS returned no candidates." in text
    assert "No result was received for this submission." in text
    assert "Image too dark to compare." in text  # a superseded disposition is shown too
    assert "possible_match_lead" in text
    assert "Morphological comparison (FISWG)" in text
    assert "ROI-0042-007" in text
    assert "Registered address matches the witness's account." in text
    assert "DMV record and witness statement corroborate." in text
    assert "CBP Office of Field Operations" in text
    assert "State FR system" in text
    ledger = package["ledger"]
    assert ledger["root_hash"] in text
    assert f"{len(ledger['entries'])} of {len(ledger['entries'])}" in text
    assert VERIFY_COMMAND in text
    assert "CONTAINS SANDBOX FRS RESULTS" in pages[0]
    assert "submission:dispatch:outcome" in text  # the entries table


def test_long_lists_run_over_pages_with_their_headers(engine: Engine) -> None:
    package = build_package(engine, extra_candidates=120).package
    pages = _pages(render_pdf(package))
    assert len(pages) > 4
    with_header = [p for p in pages if "Current disposition" in p and "Photo date" in p]
    assert len(with_header) >= 3  # the candidate table's header repeats on each page
    text = "\n".join(pages)
    assert "GAL-REF-0123" in text
    assert all(LEAD_ONLY_NOTICE in p for p in pages)


def test_an_empty_package_still_renders_with_the_notice() -> None:
    package = {"format": "frsgate-disclosure/1", "case": {"number": "HSI-1"}, "uses": []}
    pages = _pages(render_pdf(package))
    assert pages
    assert all(LEAD_ONLY_NOTICE in p for p in pages)
    text = "\n".join(pages)
    assert "No FRS use is recorded for this case." in text
    assert "No lead was opened." in text
    assert "CONTAINS SANDBOX" not in text


def test_the_longest_texts_the_api_accepts_still_render(engine: Engine) -> None:
    """No stored text, however long, makes a document fail to lay out (a table cell cannot
    run onto the next page): 4,000 characters everywhere a statement may be."""
    package = build_package(engine).package
    long = "word " * 800
    for use in package["uses"]:
        if use["result"]:
            for c in use["result"]["candidates"]:
                for d in c["dispositions"]:
                    d["rationale"] = long
                    d["traditional_means_compared"] = long
                for e in c["examinations"]:
                    e["limitations"] = long
        for f in use["roi_filings"]:
            f["body"] = long * 5
    for lead in package["leads"]:
        lead["summary"] = long
    reader = PdfReader(io.BytesIO(render_pdf(package)))
    assert len(reader.pages) > 1

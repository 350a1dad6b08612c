"""The oversight bench's generated store, small, on the backend under test: what the bench
measures at 10^7 must be a store the product accepts and whose reports count what was
generated. Nothing else runs the bench in CI, so a schema change that breaks its data (or
makes verify or the index check refuse it) fails here instead of on the next bench run."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))

import oversight  # noqa: E402
import oversight_data  # noqa: E402

from frsgate.ledger.index_check import check_index  # noqa: E402
from frsgate.ledger.verify import verify_ledger  # noqa: E402
from frsgate.store.engine import make_engine  # noqa: E402

SUBMISSIONS = 400
ENTRIES = 4_000


def _figures(built: Any) -> dict[str, int]:
    figures, _ = built
    return {f.key: f.value for f in figures}


def test_the_generated_store_verifies_and_its_reports_count_what_was_generated(
    database_url: str,
) -> None:
    made = oversight_data.generate(database_url, submissions=SUBMISSIONS, entries=ENTRIES)
    engine = make_engine(database_url)
    try:
        report = verify_ledger(engine, made.signer.verifier.verifier_string,
                               origin=oversight_data.ORIGIN)  # fmt: skip
        assert report.ok, report.summary()
        index = check_index(engine)
        assert index.ok, index.summary()
        with engine.connect() as conn:
            stored = {
                table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in (
                    "submissions",
                    "candidate_lists",
                    "leads",
                    "roi_entries",
                    "ledger_entries",
                )
            }
            intents = conn.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT submission_id) FROM ledger_index"
                " WHERE event = 'submission:dispatch:intent'"
            )).one()  # fmt: skip
        first = oversight_data.START
        last = first + oversight_data.YEAR - timedelta(days=1)
        annual = _figures(oversight.report("annual", engine, first, last))
    finally:
        engine.dispose()
    assert stored["submissions"] == SUBMISSIONS
    assert stored["ledger_entries"] == ENTRIES
    # Each submission is dispatched once, in its own stretch of the log.
    assert tuple(intents) == (SUBMISSIONS, SUBMISSIONS)
    assert annual["uses"] == SUBMISSIONS
    # One entry in twenty is a refused attempt, each citing one memo section.
    assert annual["refused"] + annual["held_for_approval"] == ENTRIES // 20
    # Failed uses (one in forty) keep no candidate list; leads come from the others.
    assert stored["candidate_lists"] == SUBMISSIONS - SUBMISSIONS // 40
    assert annual["leads"] == stored["leads"] > 0
    # Every use's results are in a report-of-investigation entry (memo 4.E.2).
    assert stored["roi_entries"] == stored["candidate_lists"]
    assert 0 < annual["leads_corroborated"] < annual["leads"]

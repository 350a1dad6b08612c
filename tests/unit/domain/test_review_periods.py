"""Review periods (memo 4.E.4): laid end to end from Monday 1970-01-05 00:00 UTC, named by the
date they start on; weekly periods start on Mondays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from frsgate.domain.errors import DomainError
from frsgate.domain.log_review import ReviewPeriod, containing, finished_between


def test_weekly_periods_start_on_monday_midnight_utc() -> None:
    sunday_night = datetime(2026, 1, 11, 23, 59, tzinfo=UTC)
    period = containing(sunday_night, 7)
    assert period.start == date(2026, 1, 5)
    assert period.starts_at.weekday() == 0
    assert period.ends_at == datetime(2026, 1, 12, tzinfo=UTC)
    assert containing(period.ends_at, 7) == period.following()
    assert not period.finished(sunday_night)
    assert period.finished(period.ends_at)


def test_other_lengths_count_from_the_anchor() -> None:
    assert containing(datetime(2026, 1, 7, 12, tzinfo=UTC), 1).start == date(2026, 1, 7)
    fortnight = containing(datetime(2026, 1, 7, tzinfo=UTC), 14)
    assert (fortnight.start - date(1970, 1, 5)).days % 14 == 0
    assert fortnight.start.weekday() == 0


def test_a_date_that_starts_no_period_is_refused_naming_the_right_one() -> None:
    with pytest.raises(DomainError, match="2026-01-05"):
        ReviewPeriod(date(2026, 1, 6), 7)


def test_finished_between_keeps_whole_periods_only() -> None:
    start = datetime(2026, 1, 6, tzinfo=UTC)  # a Tuesday: the week of 2026-01-05 is cut
    found = finished_between(start, start + timedelta(days=20), 7)
    assert [p.name for p in found] == ["2026-01-12", "2026-01-19"]

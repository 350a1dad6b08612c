"""Review flags on candidates: an old gallery photo, a low score, scores the FRS barely
separates; each at its boundary, and each with a sentence that names the figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frsgate.domain import Candidate, Flag, FlagCode, FlagThresholds, InvalidEntity, review_flags

SEARCHED = date(2026, 3, 1)
DEFAULTS = FlagThresholds()


def cand(rank: int, score: float, photo: date | None = None) -> Candidate:
    return Candidate(
        id=f"cand_{rank}",
        candidate_list_id="cl_1",
        rank=rank,
        score=score,
        gallery_ref=f"g-{rank}",
        source_database="mugshots",
        photo_taken_on=photo,
    )


def codes(flags: dict[str, list[Flag]], candidate_id: str) -> list[FlagCode]:
    return [f.code for f in flags[candidate_id]]


def test_defaults_are_the_documented_settings() -> None:
    assert (
        DEFAULTS.photo_age_years,
        DEFAULTS.low_score,
        DEFAULTS.close_score_margin,
        DEFAULTS.close_score_count,
    ) == (5, 0.6, 0.02, 3)


def test_every_candidate_has_an_entry_and_an_empty_list_is_empty() -> None:
    assert review_flags([], SEARCHED, DEFAULTS) == {}
    flags = review_flags([cand(1, 0.95), cand(2, 0.7)], SEARCHED, DEFAULTS)
    assert flags == {"cand_1": [], "cand_2": []}


def test_photo_old_only_past_the_number_of_years() -> None:
    exactly_five = cand(1, 0.95, date(2021, 3, 1))
    a_day_more = cand(2, 0.9, date(2021, 2, 28))
    unknown = cand(3, 0.85)
    flags = review_flags([exactly_five, a_day_more, unknown], SEARCHED, DEFAULTS)
    assert codes(flags, "cand_1") == []
    assert codes(flags, "cand_2") == [FlagCode.photo_old]
    assert codes(flags, "cand_3") == []
    assert flags["cand_2"][0].detail == (
        "The gallery photo was taken on 2021-02-28, 5 years before the search on 2026-03-01 "
        "(more than 5 years)."
    )


def test_woodruff_eight_year_old_photo_is_flagged_with_its_age() -> None:
    flags = review_flags([cand(1, 0.95, date(2015, 1, 10))], SEARCHED, DEFAULTS)
    (flag,) = flags["cand_1"]
    assert flag.code is FlagCode.photo_old
    assert "2015-01-10, 11 years before" in flag.detail


def test_photo_age_counts_from_the_search_day_also_given_as_a_time() -> None:
    searched_at = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    flags = review_flags([cand(1, 0.95, date(2021, 2, 28))], searched_at, DEFAULTS)
    assert codes(flags, "cand_1") == [FlagCode.photo_old]


def test_photo_age_on_the_29th_of_february() -> None:
    leap_search = date(2028, 2, 29)  # five years before: 2023-02-28
    flags = review_flags(
        [cand(1, 0.95, date(2023, 2, 28)), cand(2, 0.9, date(2023, 2, 27))],
        leap_search,
        DEFAULTS,
    )
    assert codes(flags, "cand_1") == []
    assert codes(flags, "cand_2") == [FlagCode.photo_old]


def test_low_score_is_strictly_below_the_threshold() -> None:
    flags = review_flags([cand(1, 0.6), cand(2, 0.5999)], SEARCHED, DEFAULTS)
    assert codes(flags, "cand_1") == []
    assert codes(flags, "cand_2") == [FlagCode.low_score]
    assert flags["cand_2"][0].detail == "The score 0.5999 is below 0.6."


def test_close_scores_need_enough_candidates_within_the_margin() -> None:
    # 0.90 is exactly 0.02 below 0.92 (within, despite binary floats); 0.8999 is not.
    three = [cand(1, 0.92), cand(2, 0.91), cand(3, 0.90), cand(4, 0.8999)]
    flags = review_flags(three, SEARCHED, DEFAULTS)
    assert [codes(flags, f"cand_{r}") for r in (1, 2, 3, 4)] == [
        [FlagCode.close_scores],
        [FlagCode.close_scores],
        [FlagCode.close_scores],
        [],
    ]
    assert flags["cand_1"][0].detail == (
        "3 candidates score within 0.02 of the top score 0.92 (0.9 to 0.92); "
        "the FRS barely separates them."
    )
    two = review_flags([cand(1, 0.92), cand(2, 0.91), cand(3, 0.8999)], SEARCHED, DEFAULTS)
    assert all(found == [] for found in two.values())


def test_flags_combine_and_follow_the_thresholds() -> None:
    strict = FlagThresholds(
        photo_age_years=1, low_score=0.95, close_score_margin=0.1, close_score_count=2
    )
    flags = review_flags([cand(1, 0.93, date(2024, 1, 1)), cand(2, 0.9)], SEARCHED, strict)
    assert codes(flags, "cand_1") == [FlagCode.photo_old, FlagCode.low_score, FlagCode.close_scores]
    assert codes(flags, "cand_2") == [FlagCode.low_score, FlagCode.close_scores]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("photo_age_years", -1),
        ("low_score", 1.5),
        ("close_score_margin", -0.01),
        ("close_score_count", 1),
    ],
)
def test_thresholds_out_of_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(InvalidEntity, match=field):
        FlagThresholds(**{field: value})  # type: ignore[arg-type]

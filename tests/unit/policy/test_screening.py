"""Justification screening (memo 4.B.3): whole words, each basis, few false alarms."""

from __future__ import annotations

import pytest

from frsgate.policy.screening import JustificationFlag as F
from frsgate.policy.screening import flagged_terms, screen_justification


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("Photographed at a protest outside the courthouse.", {F.protest}),
        ("Seen at the RALLY on Main Street", {F.protest}),
        ("Among the demonstrators at the port", {F.protest}),
        ("Identified leaving a religious service", {F.religious_service}),
        ("Attends the mosque on Friday", {F.religious_service}),
        ("Known for political activism online", {F.political_activity}),
        ("He looks foreign and matches the suspect's nationality", {F.protected_trait}),
        ("Suspect's sexual orientation was mentioned by the tipster", {F.protected_trait}),
        ("Selected because of her gender identity", {F.protected_trait}),
        ("Photographed during a protest march near a   church", {F.protest, F.religious_service}),
        ("Subject of a sit-in at the office", {F.protest}),
    ],
)
def test_flags(text: str, flags: set[F]) -> None:
    assert screen_justification(text) == frozenset(flags)


@pytest.mark.parametrize(
    "text",
    [
        "Suspect in a wire fraud scheme; still from his visa application.",
        "Victim of sex trafficking identified by a tip.",  # "sex" is an investigative term
        "Arrived in March 2021 on a forged passport.",  # the month, not a march
        "Filed a fraudulent I-130 petition.",
        "Seen at the raceway with the stolen car.",  # "race" inside a word
        "A Protestant chaplain reported the theft.",  # "protest" inside a word
        "Drove a Templeton Motors van.",
        "Rallying point for the smuggling crew was a warehouse.",  # "rally" inside a word
        "",
    ],
)
def test_no_false_alarm(text: str) -> None:
    assert screen_justification(text) == frozenset()


def test_none_is_no_justification() -> None:
    assert screen_justification(None) == frozenset()


def test_flagged_terms_shows_the_words() -> None:
    found = flagged_terms("Seen at a rally and at the synagogue")
    assert found == {F.protest: ["rally"], F.religious_service: ["synagogue"]}

"""Screening of a probe's written justification for the prohibited bases of memo 4.B.3.

Memo 4.B.3: HSI will not collect probe photos of individuals based *solely* on religious,
political or social views or activities; participation in a noncriminal organization or event
protected by the First Amendment; or race, ethnicity, gender, national origin, religion, sexual
orientation, gender identity, nationality or any individual characteristic protected by law.

A word list cannot tell "solely" from "also", so screening does not deny: a flagged
justification needs a supervisor's approval (rule `probe.justification_flagged`). The terms
match whole words and phrases only (``\\b`` boundaries, case-insensitive), so "protestant" is
not "protest", "raceway" is not "race" and "prayer" is not "pray"; plural and "-ing"/"-ed"
forms are listed where they occur in practice. Words with a common investigative sense are
left out on purpose ("sex" as in sex trafficking, "petition" as in an immigration petition,
"march" the month, "mass" as in mass casualty): the list aims at few false alarms.
"""

from __future__ import annotations

import re
from enum import StrEnum


class JustificationFlag(StrEnum):
    """Why a justification was flagged; each names the 4.B.3 basis it touches."""

    protest = "protest"  # First Amendment events: protests, rallies, demonstrations, marches
    religious_service = "religious_service"  # worship, services, places of worship
    political_activity = "political_activity"  # political or social views and activities
    protected_trait = "protected_trait"  # race, religion, national origin and the rest


_TERMS: dict[JustificationFlag, tuple[str, ...]] = {
    JustificationFlag.protest: (
        "protest",
        "protests",
        "protester",
        "protesters",
        "protestor",
        "protestors",
        "protesting",
        "rally",
        "rallies",
        "demonstration",
        "demonstrations",
        "demonstrator",
        "demonstrators",
        "marchers",
        "protest march",
        "picket",
        "picketing",
        "vigil",
        "sit-in",
        "boycott",
    ),
    JustificationFlag.religious_service: (
        "religious service",
        "religious services",
        "worship",
        "worshipper",
        "worshippers",
        "worshiping",
        "worshipping",
        "church",
        "mosque",
        "synagogue",
        "temple",
        "gurdwara",
        "congregation",
        "prayer service",
        "prayer meeting",
        "friday prayers",
        "sermon",
        "bible study",
    ),
    JustificationFlag.political_activity: (
        "political",
        "politics",
        "activist",
        "activists",
        "activism",
        "campaign event",
        "political party",
        "town hall",
        "social activity",
        "social activities",
        "social views",
        "advocacy group",
        "union meeting",
        "voter",
        "voters",
        "journalist",
        "journalists",
    ),
    JustificationFlag.protected_trait: (
        "race",
        "racial",
        "ethnicity",
        "ethnic",
        "gender",
        "national origin",
        "nationality",
        "religion",
        "religious views",
        "religious beliefs",
        "sexual orientation",
        "gay",
        "lesbian",
        "bisexual",
        "transgender",
        "gender identity",
        "disability",
        "skin color",
        "skin colour",
        "looks foreign",
        "muslim",
        "jewish",
        "hindu",
        "sikh",
        "immigrant-looking",
        "hispanic-looking",
        "accent",
    ),
}


def _compile(terms: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first so "religious service" is tried before "religious"; spaces in a phrase
    # match any run of whitespace. (?<![\w-]) / (?![\w-]) extend \b so "sit-in" and
    # "anti-protest" boundaries behave like whole words.
    alternatives = sorted(terms, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(word) for word in t.split()) for t in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


_PATTERNS: dict[JustificationFlag, re.Pattern[str]] = {
    flag: _compile(terms) for flag, terms in _TERMS.items()
}


def screen_justification(text: str | None) -> frozenset[JustificationFlag]:
    """The 4.B.3 flags raised by a justification (empty when nothing matched or no text)."""
    if not text:
        return frozenset()
    return frozenset(flag for flag, pattern in _PATTERNS.items() if pattern.search(text))


def flagged_terms(text: str) -> dict[JustificationFlag, list[str]]:
    """The words that raised each flag, for showing the user why (same matching as above)."""
    found: dict[JustificationFlag, list[str]] = {}
    for flag, pattern in _PATTERNS.items():
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits:
            found[flag] = hits
    return found

"""docs/policy-hsi-2021.md sets every rule beside the memo sentence it enforces."""

from __future__ import annotations

import re
from pathlib import Path

from frsgate.policy import default_pack

DOC = Path(__file__).resolve().parents[3] / "docs" / "policy-hsi-2021.md"


def test_every_rule_appears_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [r.id for r in default_pack().rules if f"`{r.id}`" not in text]
    assert missing == []


def test_the_doc_names_no_rule_the_pack_lacks() -> None:
    text = DOC.read_text(encoding="utf-8")
    pack = default_pack()
    known = {r.id for r in pack.rules} | {
        pack.compiled.no_grant.rule,
        pack.compiled.evaluation_error.rule,
    }
    prefixes = {r.split(".")[0] for r in known}
    named = {
        m
        for m in re.findall(r"`([a-z_]+\.[a-z_]+)`", text)
        if m.split(".")[0] in prefixes and not m.endswith((".py", ".md", ".toml", ".yaml"))
    }
    assert named - known == set()

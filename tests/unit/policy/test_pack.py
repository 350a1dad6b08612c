"""Loading packs: identity, metadata, sections from the memo, and refusals that say why."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from frsgate.policy import DEFAULT_PACK_DIR, PackInvalid, default_pack, load_pack, pack_sha256
from frsgate.policy.pack import pack_manifest


def memo_section_ids(text: str) -> list[str]:
    """Section ids from the memo's structure: numbered parts, part 4's lettered subsections
    and their numbered paragraphs, and the footnotes."""
    ids: list[str] = []
    top, letter = 0, ""
    for raw in text.splitlines():
        line = raw.strip()
        if m := re.match(r"^(\d)\. (.+)$", line):
            number, rest = int(m.group(1)), m.group(2)
            if number == top + 1 and not rest.endswith("."):  # a part heading
                top, letter = number, ""
                if top != 4:
                    ids.append(str(top))
            elif letter:
                ids.append(f"{top}.{letter}.{number}")
        elif (m := re.match(r"^([A-E])\. ", line)) and top == 4:
            letter = m.group(1)
        elif m := re.match(r"^([¹²])", line):
            ids.append({"¹": "fn1", "²": "fn2"}[m.group(1)])
    return ids


def copy_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_the_pack_sections_are_the_memo_sections() -> None:
    memo = (DEFAULT_PACK_DIR / "memo.txt").read_text(encoding="utf-8")
    derived = memo_section_ids(memo)
    assert derived[:3] == ["1", "2", "3"]
    assert {"4.A.1", "4.B.4", "4.C.4", "4.D.3", "4.E.5", "5", "fn1", "fn2"} <= set(derived)
    assert len(derived) == len(set(derived)) == 25
    # The footnotes sit where the memo prints them; pack.toml lists them last.
    assert sorted(derived) == sorted(default_pack().compiled.sections)


def test_every_rule_cites_a_memo_section_and_says_what_to_do() -> None:
    pack = default_pack()
    for rule in pack.rules:
        assert rule.section in pack.compiled.sections, rule.id
        assert rule.message.strip(), rule.id


def test_pack_metadata() -> None:
    pack = default_pack()
    assert pack.id == "hsi-2021"
    assert pack.version == "1.0.0"
    assert pack.compiled.source["document"].startswith("Use of and Access to Third-Party")
    assert re.fullmatch(r"[0-9a-f]{64}", pack.sha256)


def test_identity_is_the_sha256sum_of_the_manifest() -> None:
    lines = pack_manifest(DEFAULT_PACK_DIR).splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(names)
    assert {"pack.toml", "schema.cedarschema", "memo.txt", "scenarios.yaml"} <= set(names)
    for line in lines:
        digest, name = line.split("  ", 1)
        assert digest == hashlib.sha256((DEFAULT_PACK_DIR / name).read_bytes()).hexdigest()
    coreutils = shutil.which("sha256sum")
    if coreutils:
        listed = subprocess.run(  # the recipe the docs give auditors
            [coreutils, *names], cwd=DEFAULT_PACK_DIR, capture_output=True, check=True
        ).stdout
        assert hashlib.sha256(listed).hexdigest() == pack_sha256(DEFAULT_PACK_DIR)


def test_any_change_to_a_file_changes_the_identity(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    before = pack_sha256(folder)
    assert before == pack_sha256(DEFAULT_PACK_DIR)
    with (folder / "grants.cedar").open("a") as f:
        f.write("\n// a comment\n")
    assert pack_sha256(folder) != before
    assert load_pack(folder).sha256 == pack_sha256(folder)


def test_dotfiles_are_not_part_of_the_pack(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / ".notes").write_text("scratch")
    assert pack_sha256(folder) == pack_sha256(DEFAULT_PACK_DIR)


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_rule_without_a_section_refuses_to_load(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(
        folder,
        "results.cedar",
        '@id("lead.corroborated")\n@section("4.D.3")',
        '@id("lead.corroborated")',
    )
    with pytest.raises(PackInvalid, match=r"results\.cedar.*lead\.corroborated.*@section"):
        load_pack(folder)


def test_a_section_the_memo_does_not_have_refuses_to_load(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "results.cedar", '@section("4.D.3")', '@section("4.D.9")')
    with pytest.raises(PackInvalid, match=r"4\.D\.9.*not a section"):
        load_pack(folder)


def test_a_rule_without_an_id_or_a_message_refuses_to_load(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "results.cedar", '@id("share.authority")\n', "")
    with pytest.raises(PackInvalid, match="needs an @id"):
        load_pack(folder)
    folder = copy_pack(tmp_path / "again")
    _edit(folder, "results.cedar", '@message("Record the statute', '@note("Record the statute')
    with pytest.raises(PackInvalid, match=r"share\.authority.*@message"):
        load_pack(folder)


def test_a_duplicate_rule_id_refuses_to_load(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "results.cedar", '@id("share.authority")', '@id("lead.corroborated")')
    with pytest.raises(PackInvalid, match="used twice"):
        load_pack(folder)


def test_a_pack_that_does_not_validate_against_its_schema_says_why(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "results.cedar", "!context.share.authority_recorded", "!context.share.authority")
    with pytest.raises(PackInvalid, match=r"do not validate.*\[share\.authority\]"):
        load_pack(folder)


def test_a_schema_that_does_not_parse_says_why(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "schema.cedarschema", "entity Role;", "entity Role")
    with pytest.raises(PackInvalid, match=r"schema\.cedarschema: the schema does not parse"):
        load_pack(folder)


def test_a_schema_missing_an_action_refuses_to_load(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "schema.cedarschema", 'action "ledger.alter"', 'action "ledger.amend"')
    with pytest.raises(PackInvalid, match="does not declare every action"):
        load_pack(folder)


def test_a_policy_that_does_not_parse_names_its_file(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / "zz-broken.cedar").write_text("forbid (principal, action, resource) when { ;")
    with pytest.raises(PackInvalid, match=r"zz-broken\.cedar: the policies do not parse"):
        load_pack(folder)


def test_pack_toml_requirements(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "pack.toml", 'version = "1.0.0"', "")
    with pytest.raises(PackInvalid, match="`version` is missing"):
        load_pack(folder)
    with pytest.raises(PackInvalid, match="not a policy pack"):
        load_pack(tmp_path)


def test_a_cure_must_name_a_role_and_an_approval_kind(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    _edit(folder, "probe.cedar", '@approval("witness_probe")', '@approval("friendship")')
    with pytest.raises(PackInvalid, match="not an approval kind"):
        load_pack(folder)

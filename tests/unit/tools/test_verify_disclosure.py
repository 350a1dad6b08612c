"""The offline disclosure verifier (tools/verify_disclosure.py) against packages built on a real
ledger: it passes an intact package and fails, naming the place, on every kind of change."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from frsgate.ledger.merkle import (
    build_inclusion_proof,
    complete_levels,
    levels_source,
    root_from_leaves,
)
from frsgate.ledger.notes import CheckpointSigner
from tests.unit.tools.disclosure_package import ORIGIN, Built, build_package

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tools" / "verify_disclosure.py"


def _load_tool() -> ModuleType:
    """The script as a module, loaded from its file (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location("verify_disclosure", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


verify_disclosure = _load_tool()


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_package(engine)


def run(tmp_path: Path, package: dict[str, Any], key: str | None,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:  # fmt: skip
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    code = verify_disclosure.main([str(path), *(["--key", key] if key else [])])
    out, err = capsys.readouterr()
    return code, out, err


def entry_index(package: dict[str, Any], seq: int) -> int:
    return next(i for i, e in enumerate(package["ledger"]["entries"]) if e["seq"] == seq)


def test_an_intact_package_verifies_as_a_separate_process(built: Built, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(json.dumps(built.package), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(path), "--key", built.key],
        capture_output=True, text=True, check=False, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("OK: disclosure package for case HSI-2026-0042 verified")
    assert "ledger.public_key in the package is the same key" in out
    assert "3 FRS uses, 1 negative; 3 candidates" in out
    assert "2 results, 3 dispositions, 1 verifications, 1 examinations" in out
    assert "1 ROI filings, 1 leads, 1 corroborations, 1 lead status changes" in out
    assert "1 shares, 1 partner searches" in out
    assert len(out.splitlines()) <= 24  # one screen


def test_a_tampered_package_fails_as_a_separate_process(built: Built, tmp_path: Path) -> None:
    built.package["uses"][0]["result"]["candidates"][1]["score"] = 0.99
    path = tmp_path / "package.json"
    path.write_text(json.dumps(built.package), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(path), "--key", built.key],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "uses[0].result.candidates[1].score differs" in done.stderr
    assert done.stdout == ""


def test_the_key_from_the_package_alone_is_said_to_prove_consistency_only(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(tmp_path, built.package, None, capsys)
    assert code == 0
    assert "from the package itself" in out
    assert "consistent with itself only" in out


def test_a_package_with_only_the_given_key_verifies(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del built.package["ledger"]["public_key"]
    code, out, _ = run(tmp_path, built.package, built.key, capsys)
    assert code == 0
    assert "from --key (the package states none)" in out


def _seq_of_result(p: dict[str, Any]) -> int:
    return int(p["uses"][0]["result"]["ledger_seq"])


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(p: dict[str, Any]) -> None:
        target: Any = p
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


CASES: list[tuple[str, Change, str]] = [
    ("score", _set("uses.0.result.candidates.0.score", 0.5),
     "uses[0].result.candidates[0].score differs from the ledger entry at seq"),
    ("gallery_ref", _set("uses.0.result.candidates.2.gallery_ref", "GAL-REF-9999"),
     "uses[0].result.candidates[2].gallery_ref differs from the ledger entry at seq"),
    ("image", _set("uses.0.result.candidates.0.image_sha256", "00" * 32),
     "uses[0].result.candidates[0].image_sha256 differs"),
    ("negative", _set("uses.1.result.negative", False), "uses[1].result.negative differs"),
    ("rationale", _set("uses.0.result.candidates.0.dispositions.1.rationale", "Edited later."),
     "uses[0].result.candidates[0].dispositions[1].rationale differs"),
    ("kind", _set("uses.0.result.candidates.1.dispositions.0.kind", "possible_match_lead"),
     "uses[0].result.candidates[1].dispositions[0].kind differs"),
    ("comparison", _set("uses.0.result.candidates.0.dispositions.0.traditional_means_compared",
                        "added afterwards"),
     "dispositions[0].traditional_means_compared: the ledger entry at seq"),
    ("verification", _set("uses.0.result.candidates.0.dispositions.1.verification."
                          "verification_note", "changed"),
     "dispositions[1].verification.verification_note differs"),
    ("limitations", _set("uses.0.result.candidates.0.examinations.0.limitations", "none"),
     "examinations[0].limitations differs"),
    ("filing", _set("uses.0.roi_filings.0.body_sha256", "ee" * 32),
     "uses[0].roi_filings[0].body_sha256 differs"),
    ("lead", _set("leads.0.summary", "Identified the suspect."), "leads[0].summary differs"),
    ("corroboration", _set("leads.0.corroborations.0.obtained_by", "someone else"),
     "leads[0].corroborations[0].obtained_by differs"),
    ("corroboration kind", _set("leads.0.corroborations.0.kind", "witness_statement"),
     "leads[0].corroborations[0].kind differs"),
    ("status", _set("leads.0.status_changes.0.enforcement_note", "x"),
     "leads[0].status_changes[0].enforcement_note differs"),
    ("share", _set("shares.0.recipient", "Someone else"), "shares[0].recipient differs"),
    ("partner", _set("partner_searches.0.result", "candidates"),
     "partner_searches[0].result differs"),
    ("missing field", _set("shares.0.authority", KeyError),
     "shares[0].authority is missing; the ledger entry at seq"),
    ("no seq, corroboration", _set("leads.0.corroborations.0.ledger_seq", KeyError),
     "leads[0].corroborations[0] (corroboration) carries no ledger_seq"),
    ("no seq, result", _set("uses.1.result.ledger_seq", KeyError),
     "uses[1].result (result) carries no ledger_seq"),
    ("no seq, disposition", _set("uses.0.result.candidates.1.dispositions.0.ledger_seq", None),
     "uses[0].result.candidates[1].dispositions[0] (disposition) carries no ledger_seq"),
    ("no seq, verification", _set("uses.0.result.candidates.0.dispositions.1.verification."
                                  "ledger_seq", KeyError),
     "dispositions[1].verification (verification) carries no ledger_seq"),
    ("no seq, filing", _set("uses.0.roi_filings.0.ledger_seq", KeyError),
     "uses[0].roi_filings[0] (roi filing) carries no ledger_seq"),
    ("no seq, partner", _set("partner_searches.0.ledger_seq", KeyError),
     "partner_searches[0] (partner search) carries no ledger_seq"),
    ("unknown seq", _set("shares.0.ledger_seq", 10_000),
     "shares[0]: its ledger_seq 10000 names no entry in ledger.entries"),
    ("wrong origin", _set("ledger.origin", "other/ledger"), "ledger.origin 'other/ledger'"),
    ("wrong size", _set("ledger.tree_size", 3), "ledger.tree_size 3 is not the checkpoint's"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "named"), [(c, n) for _, c, n in CASES],
                         ids=[i for i, _, _ in CASES])  # fmt: skip
def test_each_change_to_a_record_fails_naming_it(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Change, named: str
) -> None:
    package = copy.deepcopy(built.package)
    change(package)
    code, out, err = run(tmp_path, package, built.key, capsys)
    assert code == 1, out
    assert err.startswith("FAILED: ")
    assert named in err


def test_a_removed_candidate_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del built.package["uses"][0]["result"]["candidates"][2]  # the low-score one, not pursued
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert "uses[0].result.candidates differs from the ledger entry" in err
    assert "(list length)" in err


def test_a_record_pointed_at_another_act_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The verification entry records the same disposition id; it cannot stand in for the
    # disposition's own entry, which recorded kind and rationale.
    disp = built.package["uses"][0]["result"]["candidates"][0]["dispositions"][1]
    disp["ledger_seq"] = disp["verification"]["ledger_seq"]
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert "is 'disposition:record:verify', not an act that records a disposition" in err


def test_a_result_bound_to_another_submission_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uses = built.package["uses"]
    uses[0]["submission"]["id"], uses[1]["submission"]["id"] = "s-2", "s-1"
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert "is the result of submission 's-1', not 's-2'" in err


def test_a_disposition_moved_to_another_candidate_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidates = built.package["uses"][0]["result"]["candidates"]
    candidates[2]["dispositions"].append(candidates[1]["dispositions"].pop())
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert "candidates[2].dispositions[0].candidate_id is 'cand-2'" in err


def test_an_altered_entry_text_fails_naming_its_seq(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = _seq_of_result(built.package)
    item = built.package["ledger"]["entries"][entry_index(built.package, seq)]
    item["entry"] = item["entry"].replace('"score":0.42', '"score":0.92')
    assert '"score":0.92' in item["entry"]
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert f"ledger entry seq {seq}: the entry and its inclusion proof do not lead" in err


def test_an_altered_proof_hash_fails_naming_its_seq(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = built.package["ledger"]["entries"][3]
    raw = bytearray(base64.b64decode(item["proof"]["hashes"][0]))
    raw[0] ^= 1
    item["proof"]["hashes"][0] = base64.b64encode(bytes(raw)).decode()
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert f"ledger entry seq {item['seq']}: the entry and its inclusion proof" in err


def test_a_proof_for_another_leaf_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = built.package["ledger"]["entries"]
    entries[2]["proof"], entries[3]["proof"] = entries[3]["proof"], entries[2]["proof"]
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert f"ledger entry seq {entries[2]['seq']}: proof.leaf_index" in err


def test_an_entry_listed_under_another_seq_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = built.package["ledger"]["entries"]
    entries[2]["entry"], entries[3]["entry"] = entries[3]["entry"], entries[2]["entry"]
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert f"ledger entry seq {entries[2]['seq']}: the entry's own seq is" in err


def test_an_altered_checkpoint_signature_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note: str = built.package["ledger"]["checkpoint"]
    body, _, line = note.rstrip("\n").rpartition("\n")
    name, blob = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 0x40  # inside the signature, after the 4-byte key hash
    built.package["ledger"]["checkpoint"] = f"{body}\n{name} {base64.b64encode(raw).decode()}\n"
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert f"ledger.checkpoint: the signature by {ORIGIN} does not verify" in err


def test_a_checkpoint_with_a_changed_root_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note: str = built.package["ledger"]["checkpoint"]
    lines = note.split("\n")
    lines[2] = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    built.package["ledger"]["checkpoint"] = "\n".join(lines)
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1
    assert "does not verify" in err


def test_a_wrong_key_given_fails(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN).verifier.verifier_string
    code, _, err = run(tmp_path, built.package, other, capsys)
    assert code == 1
    assert "ledger.public_key is not the key given with --key" in err


def test_a_package_re_keyed_to_match_a_wrong_key_fails_on_the_signature(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN).verifier.verifier_string
    built.package["ledger"]["public_key"] = other
    code, _, err = run(tmp_path, built.package, other, capsys)
    assert code == 1
    assert "ledger.checkpoint carries no signature by" in err


def test_a_package_re_signed_with_another_key_fails_against_the_real_key(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forger = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    body = built.package["ledger"]["checkpoint"].partition("\n\n")[0] + "\n"
    built.package["ledger"]["checkpoint"] = forger.sign_note(body)
    built.package["ledger"]["public_key"] = forger.verifier.verifier_string
    code, out, err = run(tmp_path, built.package, None, capsys)
    assert code == 0  # consistent with itself...
    assert "consistent with itself only" in out
    code, _, err = run(tmp_path, built.package, built.key, capsys)
    assert code == 1  # ...but not signed by the agency's key
    assert "ledger.public_key is not the key given with --key" in err


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("not json", "is not JSON text"),
        ("[]", "does not hold a JSON object"),
        ('{"format": "frsgate-disclosure/0"}', "is not a frsgate-disclosure/1 package"),
        ('{"format": "frsgate-disclosure/1", "uses": []}', "no ledger section"),
    ],
)
def test_unusable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, named: str
) -> None:
    path = tmp_path / "package.json"
    path.write_text(content, encoding="utf-8")
    assert verify_disclosure.main([str(path), "--key", "x+00000000+AA=="]) == 2
    assert named in capsys.readouterr().err


def test_a_malformed_key_or_a_missing_file_exits_2(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(tmp_path, built.package, "not-a-key", capsys)
    assert code == 2
    assert "--key is not a note verifier key" in err
    assert verify_disclosure.main([str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    del built.package["ledger"]["public_key"]
    code, _, err = run(tmp_path, built.package, None, capsys)
    assert code == 2
    assert "no key" in err


def test_the_rfc_9162_check_agrees_with_the_ledgers_own_proofs() -> None:
    """The script's own inclusion check accepts every proof the ledger builds, for every leaf
    of trees of 1 to 33 leaves, and refuses the same proofs for a neighbouring leaf."""
    for size in range(1, 34):
        leaves = [verify_disclosure.leaf_hash(f"entry {i}".encode()) for i in range(size)]
        source = levels_source(complete_levels(leaves))
        root = root_from_leaves(leaves)
        for index in range(size):
            proof = list(build_inclusion_proof(index, size, source).hashes)
            assert verify_disclosure.root_from_inclusion(index, size, leaves[index], proof) == root
            if size > 1:
                other = (index + 1) % size
                try:
                    got = verify_disclosure.root_from_inclusion(other, size, leaves[index], proof)
                except verify_disclosure.Failed:
                    continue
                assert got != root


def test_the_script_uses_the_standard_library_and_cryptography_only() -> None:
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    assert names - {"__future__"} <= set(sys.stdlib_module_names) | {"cryptography"}
    assert "frsgate" not in names

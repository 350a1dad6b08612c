#!/usr/bin/env python3
"""Verify an FRS Gate disclosure package ("frsgate-disclosure/1") offline.

Usage::

    python tools/verify_disclosure.py PACKAGE.json --key 'NAME+KEYHASH+BASE64KEY'

Needs Python 3.11+ and the `cryptography` package, nothing else: no FRS Gate code, no database,
no network. Everything it checks is written out below from the public specifications, so that
a defence expert or a court can read this one file and know what was checked:

1. the checkpoint (``ledger.checkpoint``) is a C2SP signed note carrying a valid Ed25519
   signature by the verifier key (c2sp.org/signed-note), and its body (c2sp.org/tlog-checkpoint)
   names the origin, tree size and root hash the package states;
2. each entry in ``ledger.entries`` hashes to a leaf (RFC 9162 §2.1.1: SHA-256(0x00 || entry
   bytes)) that its inclusion proof places at its ``seq`` under the checkpoint's root (RFC 9162
   §2.1.3.2), and the entry's own ``seq`` is that position;
3. every record of the package (results, dispositions, verifications, examinations, ROI
   filings, leads, corroborations, lead status changes, shares, partner searches) carries a
   ``ledger_seq``; the entry at that seq is in the package, is the kind of act that creates or
   changes such a record, and binds the record: for each key k of the entry's
   ``details.record``, if k ends in ``_sha256`` and the record has no key k but has k without
   that ending, the SHA-256 of the record's UTF-8 text must be the entry's value (null for
   null); otherwise the record's value must equal the entry's value, objects and lists compared
   the same way, member by member and item by item.

The key comes from ``--key`` (obtain it from the agency independently of the package) or, when
``--key`` is not given, from the package's ``ledger.public_key``, which then proves only that
the package is consistent with itself. With both, they must be the same key.

Exit status: 0 when every check holds (a one-screen summary is printed); 1 at the first check
that fails, naming the record and field, or the entry's seq; 2 when the input cannot be used
(no such file, not JSON, not this format, no usable key).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "frsgate-disclosure/1"
ED25519_TYPE = b"\x01"  # C2SP signed-note signature type of Ed25519
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space open every signature line

# The ledger events that may create or change each kind of record (frsgate-disclosure/1).
EVENTS: dict[str, frozenset[str]] = {
    "result": frozenset({"submission:dispatch:outcome"}),
    "disposition": frozenset({"disposition:record:create"}),
    "verification": frozenset({"disposition:record:verify"}),
    "examination": frozenset({"examination:record:create"}),
    "roi filing": frozenset({"roi:entry:file"}),
    "lead": frozenset({"lead:record:create"}),
    "corroboration": frozenset({"corroboration:record:create"}),
    "lead status change": frozenset({"lead:enforcement:mark", "lead:record:close"}),
    "share": frozenset({"share:record:create", "export:disclosure:run"}),
    "partner search": frozenset({"partner:search:record"}),
}


class Unusable(Exception):
    """The input cannot be verified at all (exit 2)."""


class Failed(Exception):
    """A check failed (exit 1); the message names what."""


# Keys and signed notes (c2sp.org/signed-note) ---------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_hash: bytes
    public: bytes
    text: str

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def key_hash(name: str, public: bytes) -> bytes:
    """First 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public).digest()[:4]


def parse_verifier_key(text: str, where: str) -> VerifierKey:
    """A note verifier key ``name+hex key hash+base64(0x01 || Ed25519 public key)``."""
    parts = text.strip().split("+", 2)  # base64 may itself contain '+'
    if len(parts) != 3 or not parts[0] or re.search(r"\s", parts[0]):
        raise Unusable(f"{where} is not a note verifier key (name+keyhash+base64key)")
    name, hash_hex, key_b64 = parts
    try:
        expected = bytes.fromhex(hash_hex)
        raw = base64.b64decode(key_b64, validate=True)
    except (ValueError, binascii.Error):
        raise Unusable(f"{where} has a malformed key hash or key") from None
    if len(expected) != 4 or len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise Unusable(f"{where} is not an Ed25519 note verifier key")
    public = raw[1:]
    if key_hash(name, public) != expected:
        raise Unusable(f"{where}: its key hash does not match its name and key")
    return VerifierKey(name, expected, public, text.strip())


def open_note(key: VerifierKey, note: str) -> str:
    """The body of the signed note `note` if `key` signed it; `Failed` otherwise."""
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise Failed("ledger.checkpoint is not a signed note (no blank line before signatures)")
    body += "\n"
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise Failed(f"ledger.checkpoint has a malformed signature line {line[:40]!r}")
        name, _, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if name != key.name:
            continue  # another signer, e.g. a witness's cosignature
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise Failed("ledger.checkpoint: a signature is not valid base64") from None
        if len(raw) != 4 + 64 or raw[:4] != key.key_hash:
            continue  # another key under the same name
        if not key.verify(raw[4:], body.encode()):
            raise Failed(f"ledger.checkpoint: the signature by {key.name} does not verify")
        return body
    raise Failed(
        f"ledger.checkpoint carries no signature by the key {key.name}+{key.key_hash.hex()}"
    )


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes


def parse_checkpoint(body: str) -> Checkpoint:
    """c2sp.org/tlog-checkpoint: origin line, decimal tree size, base64 root, then extensions."""
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Failed("ledger.checkpoint: the body lacks an origin, a size or a root line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not re.fullmatch(r"0|[1-9][0-9]*", size_text):
        raise Failed("ledger.checkpoint: empty origin or a size that is not a decimal number")
    root = b64(root_text, "ledger.checkpoint root")
    if len(root) != 32:
        raise Failed("ledger.checkpoint: the root is not a SHA-256 hash")
    return Checkpoint(origin, int(size_text), root)


def b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise Failed(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Failed(f"{what} is not valid base64") from None


# RFC 9162 -------------------------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: the hash of a leaf is SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: an interior node's hash is SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, step by step; `Failed` where the algorithm says to fail."""
    if leaf_index >= tree_size:  # step 1
        raise Failed(f"leaf_index {leaf_index} is not below tree_size {tree_size}")
    fn, sn = leaf_index, tree_size - 1  # step 2
    r = leaf  # step 3
    for p in path:  # step 4
        if sn == 0:  # 4a
            raise Failed("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)  # 4b.i
            while not fn & 1 and fn != 0:  # 4b.ii
                fn >>= 1
                sn >>= 1
        else:  # 4b, otherwise
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    if sn != 0:  # step 5
        raise Failed("the inclusion proof is shorter than the tree is deep")
    return r


# The package ----------------------------------------------------------------------------------


@dataclass
class Entry:
    seq: int
    body: dict[str, Any]


@dataclass
class Tally:
    uses: int = 0
    negative: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    candidates: int = 0

    def add(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


def need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise Unusable(f"{where}.{key} is missing")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise Unusable(f"{where}.{key} has the wrong type")
    return value


def load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise Unusable(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unusable(f"{path} is not JSON text: {exc}") from None
    if not isinstance(data, dict):
        raise Unusable(f"{path} does not hold a JSON object")
    if data.get("format") != FORMAT:
        raise Unusable(f"{path} is not a {FORMAT} package (format is {data.get('format')!r})")
    return data


def choose_key(ledger: dict[str, Any], given: str | None) -> tuple[VerifierKey, str]:
    stated = ledger.get("public_key")
    if stated is not None and not isinstance(stated, str):
        raise Unusable("ledger.public_key is not a string")
    if given is None:
        if stated is None:
            raise Unusable("no key: give --key, or a package with ledger.public_key")
        return (
            parse_verifier_key(stated, "ledger.public_key"),
            "from the package itself (ledger.public_key): this proves the package consistent "
            "with itself only; check the key against one obtained from the agency",
        )
    key = parse_verifier_key(given, "--key")
    if stated is None:
        return key, "from --key (the package states none)"
    try:
        stated_key = parse_verifier_key(stated, "ledger.public_key")
    except Unusable as exc:
        raise Failed(f"ledger.public_key disagrees with --key: {exc}") from None
    if (stated_key.name, stated_key.public) != (key.name, key.public):
        raise Failed("ledger.public_key is not the key given with --key")
    return key, "from --key; ledger.public_key in the package is the same key"


def check_checkpoint(ledger: dict[str, Any], key: VerifierKey) -> Checkpoint:
    note = need(ledger, "checkpoint", str, "ledger")
    cp = parse_checkpoint(open_note(key, note))
    origin = need(ledger, "origin", str, "ledger")
    size = need(ledger, "tree_size", int, "ledger")
    root = b64(need(ledger, "root_hash", str, "ledger"), "ledger.root_hash")
    if cp.origin != origin:
        raise Failed(f"ledger.origin {origin!r} is not the checkpoint's origin {cp.origin!r}")
    if cp.tree_size != size:
        raise Failed(f"ledger.tree_size {size} is not the checkpoint's size {cp.tree_size}")
    if cp.root != root:
        raise Failed("ledger.root_hash is not the checkpoint's root")
    return cp


def check_entries(ledger: dict[str, Any], cp: Checkpoint) -> dict[int, Entry]:
    items = need(ledger, "entries", list, "ledger")
    entries: dict[int, Entry] = {}
    for i, item in enumerate(items):
        where = f"ledger.entries[{i}]"
        if not isinstance(item, dict):
            raise Failed(f"{where} is not an object")
        seq = item.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise Failed(f"{where}.seq is not a non-negative integer")
        where = f"ledger entry seq {seq}"
        if seq in entries:
            raise Failed(f"{where} appears twice in ledger.entries")
        text = item.get("entry")
        if not isinstance(text, str):
            raise Failed(f"{where}: entry is not the entry's JSON text")
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            raise Failed(f"{where}: entry is not JSON") from None
        if not isinstance(body, dict):
            raise Failed(f"{where}: entry is not a JSON object")
        if not same(body.get("seq"), seq):
            raise Failed(f"{where}: the entry's own seq is {body.get('seq')!r}, not {seq}")
        proof = item.get("proof")
        if not isinstance(proof, dict):
            raise Failed(f"{where}: proof is missing")
        index, size, hashes = proof.get("leaf_index"), proof.get("tree_size"), proof.get("hashes")
        if not same(index, seq):
            raise Failed(f"{where}: proof.leaf_index is {index!r}, not {seq}")
        if not same(size, cp.tree_size):
            raise Failed(
                f"{where}: proof.tree_size is {size!r}, not the checkpoint's {cp.tree_size}"
            )
        if not isinstance(hashes, list):
            raise Failed(f"{where}: proof.hashes is not a list")
        path = [b64(h, f"{where}: proof.hashes[{j}]") for j, h in enumerate(hashes)]
        for j, h in enumerate(path):
            if len(h) != 32:
                raise Failed(f"{where}: proof.hashes[{j}] is not a SHA-256 hash")
        try:
            root = root_from_inclusion(seq, cp.tree_size, leaf_hash(text.encode("utf-8")), path)
        except Failed as exc:
            raise Failed(f"{where}: {exc}") from None
        if root != cp.root:
            raise Failed(
                f"{where}: the entry and its inclusion proof do not lead to the checkpoint's "
                "root (the entry text or a proof hash was altered)"
            )
        entries[seq] = Entry(seq, body)
    return entries


def sha256_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same(a: Any, b: Any) -> bool:
    """JSON equality where true is not 1 and 1.0 is 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def bind(record: Any, bound: Any, where: str, seq: int) -> None:
    """The binding rule: `record` (from the package) against `bound` (details.record)."""
    if isinstance(bound, dict):
        if not isinstance(record, dict):
            raise Failed(f"{where} is not an object as the ledger entry at seq {seq} records")
        for k, expected in bound.items():
            base = k[: -len("_sha256")]
            if k.endswith("_sha256") and k not in record and base and base in record:
                text = record[base]
                if expected is None:
                    if text is not None:
                        raise Failed(f"{where}.{base}: the ledger entry at seq {seq} records none")
                elif not isinstance(text, str) or not isinstance(expected, str):
                    raise Failed(f"{where}.{base} differs from the ledger entry at seq {seq}")
                elif sha256_text(text) != expected.lower():
                    raise Failed(
                        f"{where}.{base} differs from the ledger entry at seq {seq} "
                        f"(its SHA-256 is not {k})"
                    )
            elif k not in record:
                raise Failed(f"{where}.{k} is missing; the ledger entry at seq {seq} records it")
            else:
                bind(record[k], expected, f"{where}.{k}", seq)
    elif isinstance(bound, list):
        if not isinstance(record, list) or len(record) != len(bound):
            raise Failed(f"{where} differs from the ledger entry at seq {seq} (list length)")
        for i, (r, b) in enumerate(zip(record, bound, strict=True)):
            bind(r, b, f"{where}[{i}]", seq)
    elif not same(record, bound):
        raise Failed(f"{where} differs from the ledger entry at seq {seq}")


class Records:
    def __init__(self, package: dict[str, Any], entries: dict[int, Entry]) -> None:
        self.package = package
        self.entries = entries
        self.case = (
            package.get("case", {}).get("number") if isinstance(package.get("case"), dict) else None
        )
        self.tally = Tally()

    def check(self, record: Any, kind: str, where: str, parent: dict[str, Any] | None = None,
              parent_key: str | None = None) -> dict[str, Any]:  # fmt: skip
        if not isinstance(record, dict):
            raise Failed(f"{where} is not an object")
        seq = record.get("ledger_seq")
        if seq is None:
            raise Failed(f"{where} ({kind}) carries no ledger_seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise Failed(f"{where}.ledger_seq is not an integer")
        entry = self.entries.get(seq)
        if entry is None:
            raise Failed(f"{where}: its ledger_seq {seq} names no entry in ledger.entries")
        event = entry.body.get("event")
        if event not in EVENTS[kind]:
            raise Failed(
                f"{where}: the ledger entry at seq {seq} is {event!r}, not an act that "
                f"records a {kind}"
            )
        if self.case is not None and "case" in entry.body and entry.body["case"] != self.case:
            raise Failed(f"{where}: the ledger entry at seq {seq} is of another case")
        details = entry.body.get("details")
        bound = details.get("record") if isinstance(details, dict) else None
        if not isinstance(bound, dict) or not bound:
            raise Failed(f"{where}: the ledger entry at seq {seq} binds no record")
        view = record
        if parent is not None and parent_key is not None:
            # A nested record without its own id is the parent's act (a verification of a
            # disposition, a status change of a lead): compare it with the parent's id.
            if "id" not in record and "id" in parent:
                view = {"id": parent["id"], **record}
            if parent_key in view and "id" in parent and not same(view[parent_key], parent["id"]):
                raise Failed(
                    f"{where}.{parent_key} is {view[parent_key]!r} but the record sits under "
                    f"{parent['id']!r}"
                )
        bind(view, bound, where, seq)
        self.tally.add(kind)
        return record

    def run(self) -> None:
        uses = self.package.get("uses")
        if not isinstance(uses, list):
            raise Unusable("uses is missing or not a list")
        for u, use in enumerate(uses):
            self.use(use, f"uses[{u}]")
        for name, kind in (("shares", "share"), ("partner_searches", "partner search")):
            items = self.package.get(name, [])
            if not isinstance(items, list):
                raise Unusable(f"{name} is not a list")
            for i, item in enumerate(items):
                self.check(item, kind, f"{name}[{i}]")
        leads = self.package.get("leads", [])
        if not isinstance(leads, list):
            raise Unusable("leads is not a list")
        for i, lead in enumerate(leads):
            where = f"leads[{i}]"
            self.check(lead, "lead", where)
            for j, co in enumerate(self.items(lead, "corroborations", where)):
                self.check(co, "corroboration", f"{where}.corroborations[{j}]", lead, "lead_id")
            for j, change in enumerate(self.items(lead, "status_changes", where)):
                self.check(change, "lead status change", f"{where}.status_changes[{j}]", lead,
                           "lead_id")  # fmt: skip

    @staticmethod
    def items(obj: dict[str, Any], key: str, where: str) -> list[Any]:
        value = obj.get(key, [])
        if not isinstance(value, list):
            raise Failed(f"{where}.{key} is not a list")
        return value

    def use(self, use: Any, where: str) -> None:
        if not isinstance(use, dict):
            raise Failed(f"{where} is not an object")
        self.tally.uses += 1
        submission = use.get("submission")
        result = use.get("result")
        if result is not None:
            rwhere = f"{where}.result"
            self.check(result, "result", rwhere)
            entry = self.entries[result["ledger_seq"]].body
            sub_id = submission.get("id") if isinstance(submission, dict) else None
            if sub_id is not None and entry.get("submission") not in (None, sub_id):
                raise Failed(
                    f"{rwhere}: the ledger entry at seq {result['ledger_seq']} is the result of "
                    f"submission {entry.get('submission')!r}, not {sub_id!r}"
                )
            if result.get("negative") is True:
                self.tally.negative += 1
            for c, cand in enumerate(self.items(result, "candidates", rwhere)):
                cwhere = f"{rwhere}.candidates[{c}]"
                if not isinstance(cand, dict):
                    raise Failed(f"{cwhere} is not an object")
                self.tally.candidates += 1
                for d, disp in enumerate(self.items(cand, "dispositions", cwhere)):
                    dwhere = f"{cwhere}.dispositions[{d}]"
                    self.check(disp, "disposition", dwhere, cand, "candidate_id")
                    verification = disp.get("verification")
                    if verification is not None:
                        self.check(verification, "verification", f"{dwhere}.verification", disp,
                                   "disposition_id")  # fmt: skip
                for e, exam in enumerate(self.items(cand, "examinations", cwhere)):
                    self.check(exam, "examination", f"{cwhere}.examinations[{e}]", cand,
                               "candidate_id")  # fmt: skip
        for f, filing in enumerate(self.items(use, "roi_filings", where)):
            self.check(filing, "roi filing", f"{where}.roi_filings[{f}]")


def verify(path: str, given_key: str | None) -> list[str]:
    """Every check over the package at `path`; the summary lines, or `Failed` / `Unusable`."""
    package = load(path)
    ledger = package.get("ledger")
    if not isinstance(ledger, dict):
        raise Unusable("the package has no ledger section")
    key, key_source = choose_key(ledger, given_key)
    cp = check_checkpoint(ledger, key)
    entries = check_entries(ledger, cp)
    records = Records(package, entries)
    records.run()
    t = records.tally
    case = records.case if isinstance(records.case, str) else None
    of_case = sum(1 for e in entries.values() if case and e.body.get("case") == case)
    n = t.counts
    bound = sum(n.values())
    return [
        f"OK: disclosure package for case {case or '(no case number)'} verified",
        f"  key          {key.name}+{key.key_hash.hex()}",
        f"               {key_source}",
        f"  checkpoint   signature verified; origin {cp.origin}, tree size {cp.tree_size}",
        f"               root {base64.b64encode(cp.root).decode()}",
        f"  entries      {len(entries)} ledger entries, each proved included in that tree "
        f"(RFC 9162); {of_case} name the case",
        f"  uses         {t.uses} FRS uses, {t.negative} negative; {t.candidates} candidates",
        f"  records      {bound} records, each with a ledger_seq and bound to its entry:",
        f"               {n.get('result', 0)} results, {n.get('disposition', 0)} dispositions, "
        f"{n.get('verification', 0)} verifications, {n.get('examination', 0)} examinations,",
        f"               {n.get('roi filing', 0)} ROI filings, {n.get('lead', 0)} leads, "
        f"{n.get('corroboration', 0)} corroborations, "
        f"{n.get('lead status change', 0)} lead status changes,",
        f"               {n.get('share', 0)} shares, {n.get('partner search', 0)} partner searches",
        "  This shows the records above are the ones the ledger recorded, unaltered. It does not",
        "  show that the package holds every entry of the case, nor that what was recorded is",
        "  true; and every candidate remains an investigative lead, not an identification.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify an FRS Gate disclosure package offline (frsgate-disclosure/1)."
    )
    parser.add_argument("package", help="the package's JSON file")
    parser.add_argument(
        "--key", help="the ledger's note verifier key, name+keyhash+base64key (from the agency)"
    )
    args = parser.parse_args(argv)
    try:
        lines = verify(args.package, args.key)
    except Unusable as exc:
        print(f"UNUSABLE INPUT: {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

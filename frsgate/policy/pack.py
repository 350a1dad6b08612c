"""Loading a policy pack folder: its identity, its metadata, its validated and compiled rules.

A pack folder holds ``pack.toml`` (id, title, version, source document, the source's section
ids, parameters, fallback citations), ``schema.cedarschema``, one or more ``*.cedar`` files and
any other file that belongs to it (the source text, the scenario file). A pack that does not
parse, does not validate against its own schema, or has a rule without ``@id``, a ``@section``
of its source or a ``@message``, refuses to load, and the error says which file and rule.

Identity: `pack_sha256` is the SHA-256 of the pack's manifest, the text that ``sha256sum``
prints for the pack's files in byte order of their names::

    cd frsgate/policy/packs/hsi_2021 && LC_ALL=C sha256sum $(LC_ALL=C ls) | sha256sum

Cedar evaluates every policy of a set for every request, scope or not; so the compiled pack
keeps, besides the whole set, one pre-parsed set per action holding only the policies whose
action scope can match it, each scope narrowed to that one action. The decisions are the same
(a test compares them with the whole set's on every scenario); the work is a fraction.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cedarpy

from frsgate.errors import ConfigurationError
from frsgate.policy.decision import Citation, PackRef
from frsgate.policy.facts import Action, ApprovalKind, Role

PACK_TOML = "pack.toml"
SCHEMA_FILE = "schema.cedarschema"
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class PackInvalid(ConfigurationError):
    """A policy pack refused to load; the message names the file, the rule and the problem."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy of a pack, as its annotations describe it.

    `actions` is None when the policy's scope matches every action. `cure` is the role whose
    approval lifts the rule and `approval` the kind of that approval (curable forbids only).
    """

    id: str
    effect: str
    section: str
    message: str
    file: str
    actions: frozenset[str] | None
    cure: str | None = None
    approval: str | None = None

    @property
    def curable(self) -> bool:
        return self.cure is not None

    def citation(self) -> Citation:
        return Citation(rule=self.id, section=self.section, message=self.message)

    def applies_to(self, action: str) -> bool:
        return self.actions is None or action in self.actions


@dataclass(frozen=True, slots=True)
class CompiledPack:
    """Everything parsed once from a pack folder; `frsgate.policy.engine.PolicyPack` wraps it."""

    folder: Path
    ref: PackRef
    title: str
    source: dict[str, str]
    sections: dict[str, str]
    parameters: dict[str, Any]
    rules: tuple[Rule, ...]
    no_grant: Citation
    evaluation_error: Citation
    schema: cedarpy.Schema
    policy_text: str
    policy_set: cedarpy.PolicySet
    action_sets: dict[str, cedarpy.PolicySet]
    # action -> roles some grant gives it, when the pack's shape lets the engine tell whether an
    # approval would cure a refusal without a second evaluation (see `_grant_roles`); else None.
    grant_roles: dict[str, frozenset[str]] | None


def pack_files(folder: Path) -> list[Path]:
    """The files that make up a pack, in canonical order (byte order of their names).

    Top-level regular files only; names starting with a dot are not part of a pack.
    """
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: p.name.encode("utf-8"))


def pack_manifest(folder: Path) -> str:
    """One line per file, ``<sha256 hex>  <name>``, exactly as ``sha256sum`` prints it."""
    return "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in pack_files(folder)
    )


def pack_sha256(folder: Path) -> str:
    """The pack's identity: SHA-256 of its manifest (see the module docstring)."""
    return hashlib.sha256(pack_manifest(folder).encode("utf-8")).hexdigest()


def _require_str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PackInvalid(f"{where}: `{key}` is missing or empty; it must be a non-empty string")
    return value


def _fallback(meta: dict[str, Any], name: str, where: str, sections: dict[str, str]) -> Citation:
    table = meta.get("fallback", {}).get(name)
    if not isinstance(table, dict):
        raise PackInvalid(f"{where}: [fallback.{name}] is missing (rule, section, message)")
    citation = Citation(
        rule=_require_str(table, "rule", f"{where} [fallback.{name}]"),
        section=_require_str(table, "section", f"{where} [fallback.{name}]"),
        message=_require_str(table, "message", f"{where} [fallback.{name}]"),
    )
    if citation.section not in sections:
        raise PackInvalid(
            f"{where} [fallback.{name}]: section {citation.section!r} is not in [sections]"
        )
    return citation


def _action_scope(est: dict[str, Any]) -> frozenset[str] | None:
    scope = est["action"]
    if scope["op"] == "All":
        return None
    if scope["op"] == "==" or (scope["op"] == "in" and "entity" in scope):
        # The pack's schema declares no action groups, so `in Action::"x"` is `== Action::"x"`.
        return frozenset([scope["entity"]["id"]])
    if scope["op"] == "in" and "entities" in scope:
        return frozenset(e["id"] for e in scope["entities"])
    # `action in Action::"group"` would need the action hierarchy, which the pack does not use.
    raise PackInvalid(f"unsupported action scope {scope!r}: list the actions explicitly")


def _rule_from_est(est: dict[str, Any], file: str, sections: dict[str, str]) -> Rule:
    notes: dict[str, str] = est.get("annotations", {})
    rule_id = notes.get("id", "")
    where = f"{file}: {est['effect']} policy {rule_id or '(no @id)'}"
    if not rule_id:
        raise PackInvalid(f"{where}: every rule needs an @id annotation")
    section = notes.get("section", "")
    if section not in sections:
        raise PackInvalid(
            f"{where}: @section({section!r}) is not a section of the source "
            f"(known: {', '.join(sections)})"
        )
    message = notes.get("message", "")
    if not message.strip():
        raise PackInvalid(f"{where}: @message is missing; say what the user must do")
    cure, approval = notes.get("cure"), notes.get("approval")
    if cure is not None or approval is not None:
        if est["effect"] != "forbid":
            raise PackInvalid(f"{where}: only a forbid can be cured by an approval")
        if cure not in {r.value for r in Role}:
            raise PackInvalid(f"{where}: @cure({cure!r}) is not a role")
        if approval not in {k.value for k in ApprovalKind}:
            raise PackInvalid(f"{where}: @approval({approval!r}) is not an approval kind")
    return Rule(
        id=rule_id,
        effect=est["effect"],
        section=section,
        message=message,
        file=file,
        actions=_action_scope(est),
        cure=cure,
        approval=approval,
    )


def _grant_roles(rules: list[Rule], ests: dict[str, Any]) -> dict[str, frozenset[str]] | None:
    """For each action, the roles a grant gives it — or None if that does not settle whether
    approvals would cure a refusal.

    It settles it when (a) every grant is unconditional and scoped ``principal in Role::"r"``
    (so whether a grant applies depends on the roles alone) and (b) approvals are read only in
    the ``unless`` of curable forbids (so granting them lifts those rules and nothing else).
    Then a refusal by curable rules alone needs approval iff one of the user's roles has a
    grant for the act.
    """
    roles: dict[str, set[str]] = {a.value: set() for a in Action}
    for rule in rules:
        est = ests[rule.id]
        if rule.effect == "permit":
            scope = est["principal"]
            if est["conditions"] or scope["op"] != "in" or "entity" not in scope:
                return None
            if scope["entity"]["type"] != "Role":
                return None
            for action in roles:
                if rule.applies_to(action):
                    roles[action].add(scope["entity"]["id"])
        for condition in est["conditions"]:
            # `context.approvals` read as an attribute (a string "approvals" is not a read).
            reads_approvals = '"attr": "approvals"' in json.dumps(condition["body"])
            if reads_approvals and not (rule.curable and condition["kind"] == "unless"):
                return None
    return {action: frozenset(r) for action, r in roles.items()}


def _position(policy_id: str) -> int:
    digits = policy_id.removeprefix("policy")
    return int(digits) if digits.isdigit() else 0


def _scoped_to(est: dict[str, Any], action: str) -> dict[str, Any]:
    """`est` with its action scope narrowed to `action`, for the set of that action alone.

    Within a set only ever asked about `action`, ``action in [A, B, ...]`` and
    ``action == A`` decide alike; Cedar checks the equality several times faster.
    """
    return {**est, "action": {"op": "==", "entity": {"type": "Action", "id": action}}}


def _policy_set_of(ests: dict[str, Any]) -> cedarpy.PolicySet:
    doc = {"staticPolicies": ests, "templates": {}, "templateLinks": []}
    return cedarpy.PolicySet.from_json_str(json.dumps(doc))


def _check_actions_in_schema(schema: cedarpy.Schema, where: str) -> None:
    probe = "\n".join(
        f'permit (principal, action == Action::"{a.value}", resource);' for a in Action
    )
    result = cedarpy.validate_policies(probe, schema)
    if not result.validation_passed:
        missing = "; ".join(str(e) for e in result.errors)
        raise PackInvalid(f"{where}: the schema does not declare every action: {missing}")


def compile_pack(folder: Path) -> CompiledPack:
    """Read, validate and compile a pack folder. Raises `PackInvalid` saying why it refused."""
    folder = folder.resolve()
    if not (folder / PACK_TOML).is_file():
        raise PackInvalid(f"{folder}: not a policy pack (no {PACK_TOML})")
    where = str(folder / PACK_TOML)
    try:
        meta = tomllib.loads((folder / PACK_TOML).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackInvalid(f"{where}: not valid TOML: {exc}") from exc
    pack_id = _require_str(meta, "id", where)
    if not _PACK_ID.match(pack_id):
        raise PackInvalid(f"{where}: id {pack_id!r} must be lower-case letters, digits, . _ -")
    title = _require_str(meta, "title", where)
    version = _require_str(meta, "version", where)
    source = meta.get("source")
    if not isinstance(source, dict):
        raise PackInvalid(f"{where}: [source] is missing (document, ...)")
    _require_str(source, "document", f"{where} [source]")
    sections = meta.get("sections")
    if not isinstance(sections, dict) or not sections:
        raise PackInvalid(f"{where}: [sections] must list the source's section ids")
    parameters = meta.get("parameters", {})
    no_grant = _fallback(meta, "no_grant", where, sections)
    evaluation_error = _fallback(meta, "evaluation_error", where, sections)

    schema_path = folder / SCHEMA_FILE
    if not schema_path.is_file():
        raise PackInvalid(f"{folder}: no {SCHEMA_FILE}")
    try:
        schema = cedarpy.Schema.from_str(schema_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PackInvalid(f"{schema_path}: the schema does not parse: {exc}") from exc
    _check_actions_in_schema(schema, str(schema_path))

    cedar_files = [p for p in pack_files(folder) if p.suffix == ".cedar"]
    if not cedar_files:
        raise PackInvalid(f"{folder}: no *.cedar policy files")
    rules: list[Rule] = []
    ests: dict[str, Any] = {}
    texts: list[str] = []
    for path in cedar_files:
        text = path.read_text(encoding="utf-8")
        try:
            doc = json.loads(cedarpy.policies_to_json_str(text))
        except ValueError as exc:
            raise PackInvalid(f"{path}: the policies do not parse: {exc}") from exc
        if doc.get("templates"):
            raise PackInvalid(f"{path}: templates are not supported in a policy pack")
        # Cedar names surface-syntax policies policy0, policy1, ... in file order.
        in_order = sorted(doc["staticPolicies"].items(), key=lambda kv: _position(kv[0]))
        for _, est in in_order:
            rule = _rule_from_est(est, path.name, sections)
            if rule.id in ests:
                raise PackInvalid(f"{path}: @id({rule.id!r}) is used twice in the pack")
            rules.append(rule)
            ests[rule.id] = est
        texts.append(text)
    policy_text = "\n".join(texts)
    validation = cedarpy.validate_policies(policy_text, schema)
    if not validation.validation_passed:
        names = validation.id_annotations_by_policy_id
        problems = "; ".join(
            f"[{names.get(e.policy_id, e.policy_id)}] {e.error}" for e in validation.errors
        )
        raise PackInvalid(f"{folder}: the policies do not validate against the schema: {problems}")

    action_sets = {
        action.value: _policy_set_of(
            {
                r.id: _scoped_to(ests[r.id], action.value)
                for r in rules
                if r.applies_to(action.value)
            }
        )
        for action in Action
    }
    return CompiledPack(
        folder=folder,
        ref=PackRef(id=pack_id, version=version, sha256=pack_sha256(folder)),
        title=title,
        source={k: str(v) for k, v in source.items()},
        sections={str(k): str(v) for k, v in sections.items()},
        parameters=dict(parameters),
        rules=tuple(rules),
        no_grant=no_grant,
        evaluation_error=evaluation_error,
        schema=schema,
        policy_text=policy_text,
        policy_set=_policy_set_of(ests),
        action_sets=action_sets,
        grant_roles=_grant_roles(rules, ests),
    )

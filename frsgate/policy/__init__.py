"""Policy as code: loads Cedar policy packs and returns decisions that cite the memo.

Public API (everything else in the package is internal):

- `default_pack() -> PolicyPack` — the shipped HSI 2021 pack, loaded once per process;
  `load_pack(folder) -> PolicyPack` loads another folder (raises `PackInvalid` saying why not).
- `PolicyPack.decide(principal, action, resource, context=Context()) -> Decision`;
  `PolicyPack.decide_many(requests: Sequence[DecisionRequest]) -> list[Decision]`;
  `PolicyPack.ref` (`PackRef(id, version, sha256)`), `PolicyPack.rules`.
- `Decision(decision: Outcome, citations: tuple[Citation, ...], pack: PackRef,
  approver_role: str | None, approvals: tuple[str, ...])`, `Decision.to_dict()` (DESIGN contract).
- `PolicyRegistry`: several loaded packs by `(id, sha256)` and the active one.
- The request model in `frsgate.policy.facts` (`Principal`, `Action`, `Resource`, `Context`, ...)
  and `frsgate.policy.screening.screen_justification(text)` for memo 4.B.3 flags.
"""

from frsgate.policy.decision import Citation, Decision, Outcome, PackRef
from frsgate.policy.engine import DEFAULT_PACK_DIR, PolicyPack, default_pack, load_pack
from frsgate.policy.pack import PackInvalid, Rule, pack_sha256
from frsgate.policy.registry import PolicyRegistry

__all__ = [
    "DEFAULT_PACK_DIR",
    "Citation",
    "Decision",
    "Outcome",
    "PackInvalid",
    "PackRef",
    "PolicyPack",
    "PolicyRegistry",
    "Rule",
    "default_pack",
    "load_pack",
    "pack_sha256",
]

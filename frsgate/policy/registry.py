"""A registry of loaded policy packs, and which one is active.

Several versions of a pack may be loaded at once (the active one, a proposed one awaiting IGP
approval, an older one whose ledger entries are being explained). A pack is known by its
identity `(id, sha256)`; the registry never guesses by id alone which version is meant.
Activation itself (the `policy_pack.activate` decision by an IGP approver and its ledger entry)
is done by the services layer, which then tells the registry with `activate`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from frsgate.errors import ConfigurationError, NotFound
from frsgate.policy.decision import PackRef
from frsgate.policy.engine import PolicyPack, load_pack


class PolicyRegistry:
    """Loaded packs by identity, and the active one. Thread-safe."""

    def __init__(self) -> None:
        self._packs: dict[tuple[str, str], PolicyPack] = {}
        self._active: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def add(self, pack: PolicyPack) -> PackRef:
        """Hold `pack` (idempotent for the same identity) and return its identity."""
        with self._lock:
            self._packs.setdefault((pack.id, pack.sha256), pack)
        return pack.ref

    def load(self, folder: Path | str) -> PackRef:
        """Load the pack in `folder` (raises `PackInvalid`) and hold it."""
        return self.add(load_pack(folder))

    def get(self, pack_id: str, sha256: str) -> PolicyPack:
        """The pack with this identity. Raises `NotFound` naming the identities held."""
        pack = self._packs.get((pack_id, sha256))
        if pack is None:
            held = ", ".join(f"{i}@{h[:12]}" for i, h in sorted(self._packs)) or "none"
            raise NotFound(f"policy pack {pack_id}@{sha256[:12]} is not loaded (loaded: {held})")
        return pack

    def refs(self) -> list[PackRef]:
        """Identities of every pack held, sorted by id then version."""
        return sorted((p.ref for p in self._packs.values()), key=lambda r: (r.id, r.version))

    def activate(self, pack_id: str, sha256: str) -> PackRef:
        """Make the held pack with this identity the active one (after the approved ledger
        entry is durable). Raises `NotFound` if it is not held."""
        pack = self.get(pack_id, sha256)
        with self._lock:
            self._active = (pack.id, pack.sha256)
        return pack.ref

    def is_active(self, pack_id: str, sha256: str) -> bool:
        return self._active == (pack_id, sha256)

    @property
    def active_ref(self) -> PackRef | None:
        return None if self._active is None else self._packs[self._active].ref

    @property
    def active(self) -> PolicyPack:
        """The active pack. Raises `ConfigurationError` when none is active (fail closed:
        without an active pack nothing is decided, so nothing is allowed)."""
        key = self._active
        if key is None:
            raise ConfigurationError(
                "no policy pack is active; load one and activate it with an IGP approval"
            )
        return self._packs[key]

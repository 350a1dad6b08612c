"""The vault's key life-cycle: rotating the key-encryption key, and shredding images at the end
of their retention.

**KEK rotation** (`frsgate vault rotate-kek`, service stopped: a running service seals new
images with the KEK it loaded). A new KEK is written beside the current one
(`keys/vault-kek.bin.next`, 0600); every sealed object — probe images, candidate images,
providers' API keys — is re-sealed under it (`vault.rewrap`: a fresh data key, the same
associated data), in batches, each batch one transaction that replaces a row only if it still
holds the bytes that were read. Every object is then opened under the new KEK and counted; only
if all open does the new KEK replace the old (a rename: the old key is gone) and the rotation is
recorded on the ledger (`vault:kek:rotate`, with the counts). An interrupted rotation resumes
where it stopped (objects already under the new KEK are skipped), and the service refuses to
start while one is unfinished, since it could not open half of the objects.

**Crypto-shredding** (`frsgate vault shred`, at FRSGATE_PROBE_RETENTION_DAYS): each probe
image older than the retention period — and the candidate images of the searches made with
it — is deleted with its wrapped data key; the probe becomes `purged` (its metadata and
SHA-256 stay, so the ledger, which never held the image, still verifies) and the act is
recorded (`probe:image:shred`). A backup made before still holds the wrapped data key, under the
KEK of that time; once that KEK is rotated out, no copy anywhere can open the image.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, and_, select, update

from frsgate.config import Settings
from frsgate.errors import ConfigurationError, FrsGateError
from frsgate.keyfiles import write_private_file
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.notes import load_or_create_signing_key
from frsgate.services.connections import api_key_aad
from frsgate.store.schema.core import (
    candidate_images,
    candidate_lists,
    candidates,
    probe_images,
    probes,
    provider_secrets,
    submissions,
)
from frsgate.store.unit import unit_of_work
from frsgate.vault import (
    KeyEncryptionKey,
    SealedBlob,
    candidate_aad,
    load_or_create_kek,
    open_sealed,
    probe_aad,
    rewrap,
)
from frsgate.vault.crypto import KEY_BYTES, VaultIntegrityError

COMPONENT = "services.vault_keys"
BATCH = 200


class RotationFailed(FrsGateError):
    """Objects did not all open under the new KEK: the old KEK is kept, nothing is lost."""


@dataclass(frozen=True, slots=True)
class _Sealed:
    """One table of sealed objects: its key column and how its associated data is made."""

    table: Table
    key: str
    aad: Callable[[str], bytes]
    key_ref: Callable[[KeyEncryptionKey], str]


SEALED = (
    _Sealed(probe_images, "probe_id", probe_aad, lambda k: k.kek_id_hex),
    _Sealed(candidate_images, "candidate_id", candidate_aad, lambda k: k.kek_id_hex),
    _Sealed(provider_secrets, "provider_id", api_key_aad, lambda k: f"kek:{k.kek_id_hex}"),
)


def pending_kek_path(settings: Settings) -> Path:
    return settings.vault_kek_path.with_name(settings.vault_kek_path.name + ".next")


def require_no_pending_rotation(settings: Settings) -> None:
    """Refuse to run with half the objects under a KEK this process would not load."""
    if pending_kek_path(settings).exists():
        raise ConfigurationError(
            f"a key-encryption key rotation is unfinished ({pending_kek_path(settings)} exists); "
            "run `frsgate vault rotate-kek` again to finish it before starting the service"
        )


@dataclass(slots=True)
class KekRotation:
    old_kek_id: str
    new_kek_id: str
    rewrapped: dict[str, int] = field(default_factory=dict)
    already: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.opened.values())


def _rows(conn: Connection, sealed: _Sealed, after: str | None) -> list[tuple[str, bytes]]:
    key = sealed.table.c[sealed.key]
    stmt = select(key, sealed.table.c.sealed).order_by(key).limit(BATCH)
    if after is not None:
        stmt = stmt.where(key > after)
    return [(str(k), bytes(b)) for k, b in conn.execute(stmt)]


def _batches(engine: Engine, sealed: _Sealed) -> Iterator[list[tuple[str, bytes]]]:
    after: str | None = None
    while True:
        with engine.connect() as conn:
            rows = _rows(conn, sealed, after)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def rotate_kek(
    settings: Settings, engine: Engine, *, progress: Callable[[str, int], None] | None = None
) -> KekRotation:
    """Re-seal every object under a new KEK and retire the old one (module docstring)."""
    old = load_or_create_kek(settings.vault_kek_path, create=False)
    pending = pending_kek_path(settings)
    if not pending.exists():
        write_private_file(pending, os.urandom(KEY_BYTES))
    new = load_or_create_kek(pending, create=False)
    report = KekRotation(old.kek_id_hex, new.kek_id_hex)
    for sealed in SEALED:
        name = sealed.table.name
        report.rewrapped[name] = report.already[name] = 0
        for rows in _batches(engine, sealed):
            with unit_of_work(engine) as uow:
                for key, raw in rows:
                    blob = SealedBlob.from_bytes(raw)
                    if blob.kek_id == new.kek_id:
                        report.already[name] += 1
                        continue
                    moved = rewrap(blob, old_kek=old, new_kek=new, associated_data=sealed.aad(key))
                    done = uow.conn.execute(
                        update(sealed.table)
                        .where(and_(sealed.table.c[sealed.key] == key,
                                    sealed.table.c.sealed == raw))
                        .values(sealed=moved.to_bytes(), key_ref=sealed.key_ref(new))
                    )  # fmt: skip
                    if done.rowcount != 1:
                        raise RotationFailed(
                            f"{name} {key} changed during the rotation; stop the service and run "
                            "`frsgate vault rotate-kek` again"
                        )
                    report.rewrapped[name] += 1
            if progress is not None:
                progress(name, report.rewrapped[name] + report.already[name])
    # Count: every object opens under the new KEK, or the old KEK stays.
    for sealed in SEALED:
        name = sealed.table.name
        report.opened[name] = 0
        for rows in _batches(engine, sealed):
            for key, raw in rows:
                try:
                    open_sealed(SealedBlob.from_bytes(raw), kek=new,
                                associated_data=sealed.aad(key))  # fmt: skip
                except VaultIntegrityError as exc:
                    raise RotationFailed(
                        f"{name} {key} does not open under the new key-encryption key ({exc}); "
                        f"the old key is kept at {settings.vault_kek_path}"
                    ) from None
                report.opened[name] += 1
    _record(settings, engine, EntryDraft(
        event=EventTag.VAULT_KEK_ROTATE, actor=Actor.system(), outcome=Outcome.SUCCEEDED,
        subject="vault:kek", component=COMPONENT, source="cli",
        details={"retired_kek_id": old.kek_id_hex, "new_kek_id": new.kek_id_hex,
                 "resealed": _counts(report.rewrapped), "opened": _counts(report.opened)},
    ))  # fmt: skip
    os.replace(pending, settings.vault_kek_path)
    return report


# The ledger refuses keys that name image content or secrets ("probe_images"): counts are
# recorded under names that say they are counts.
_COUNT_NAMES = {
    "probe_images": "probe_image_count",
    "candidate_images": "candidate_image_count",
    "provider_secrets": "provider_key_count",
}


def _counts(by_table: dict[str, int]) -> dict[str, int]:
    return {_COUNT_NAMES[t]: n for t, n in by_table.items()}


def _record(settings: Settings, engine: Engine, entry: EntryDraft) -> None:
    signer = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
        ledger.append(entry)


@dataclass(slots=True)
class Shredded:
    cutoff: datetime
    probes: int = 0
    candidate_images: int = 0
    candidate_lists: int = 0


def shred_expired(settings: Settings, engine: Engine, *, now: datetime) -> Shredded:
    """Shred the images of probes older than the retention period (module docstring)."""
    days = settings.probe_retention_days
    if days <= 0:
        raise ConfigurationError(
            "FRSGATE_PROBE_RETENTION_DAYS is 0 (images are kept); set the agency's retention "
            "period in days to shred the images older than it"
        )
    cutoff = now - timedelta(days=days)
    report = Shredded(cutoff)
    signer = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
        while True:
            with unit_of_work(engine) as uow:
                expired = uow.conn.execute(
                    select(probes.c.id, probes.c.sha256)
                    .join(probe_images, probe_images.c.probe_id == probes.c.id)
                    .where(probes.c.created_at < cutoff)
                    .order_by(probes.c.created_at, probes.c.id)
                    .limit(BATCH)
                ).all()
                if not expired:
                    break
                entries = [_shred_probe(uow.conn, str(pid), str(sha), now, report)
                           for pid, sha in expired]  # fmt: skip
                ledger.append_in(uow.conn, entries)
    return report


def _shred_probe(conn: Connection, probe_id: str, sha256: str, now: datetime,
                 report: Shredded) -> EntryDraft:  # fmt: skip
    """Delete one probe's image and its searches' candidate images; mark them purged."""
    conn.execute(probe_images.delete().where(probe_images.c.probe_id == probe_id))
    conn.execute(
        update(probes).where(probes.c.id == probe_id).values(status="purged", purged_at=now)
    )
    lists = (
        select(candidate_lists.c.id)
        .join(submissions, submissions.c.id == candidate_lists.c.submission_id)
        .where(submissions.c.probe_id == probe_id)
    )
    list_ids = [str(i) for i in conn.execute(lists).scalars()]
    images = 0
    if list_ids:
        gone = conn.execute(
            candidate_images.delete().where(
                candidate_images.c.candidate_id.in_(
                    select(candidates.c.id).where(candidates.c.candidate_list_id.in_(list_ids))
                )
            )
        )
        images = gone.rowcount
        conn.execute(
            update(candidate_lists).where(candidate_lists.c.id.in_(list_ids))
            .values(status="purged", purged_at=now)
        )  # fmt: skip
    report.probes += 1
    report.candidate_images += images
    report.candidate_lists += len(list_ids)
    return EntryDraft(
        event=EventTag.PROBE_IMAGE_SHRED, actor=Actor.system(), outcome=Outcome.SUCCEEDED,
        subject=f"probe:{probe_id}", component=COMPONENT, source="system",
        details={"probe_sha256": sha256, "candidate_list_ids": list_ids,
                 "candidate_image_count": images, "reason": "retention period ended"},
    )  # fmt: skip

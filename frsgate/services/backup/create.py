"""Taking a backup: `frsgate backup`.

Records `system:backup:run` on the ledger before the snapshot is taken, so the snapshot holds
the record of its own making; takes the snapshot (`sqlite` or `postgres`); signs a checkpoint at
the snapshot's ledger size; and writes the archive with its manifest (`archive`), the keys only
when `with_keys` is given. A snapshot that fails is recorded as a failed backup.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from frsgate import __version__
from frsgate.config import Settings
from frsgate.errors import FrsGateError, StoreError, ValidationFailed
from frsgate.keyfiles import read_private_file
from frsgate.ledger import Actor, EventTag, Ledger, Outcome
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    load_or_create_signing_key,
    sign_checkpoint,
)
from frsgate.services.backup.archive import (
    COMPONENT,
    FORMAT,
    FORMAT_VERSION,
    KEY_MEMBERS,
    POSTGRES_MEMBER,
    SQLITE_MEMBER,
    LedgerState,
    Progress,
    create_private,
    key_files,
    sha256_file,
    write_archive,
)
from frsgate.services.backup.postgres import snapshot_postgres
from frsgate.services.backup.sqlite import snapshot_sqlite
from frsgate.services.gate import draft
from frsgate.store.engine import make_engine
from frsgate.store.migrate import current_revision
from frsgate.vault import load_or_create_kek


@dataclass
class BackupReport:
    archive: Path
    archive_sha256: str
    backend: str
    schema_revision: str
    ledger: LedgerState
    backup_seq: int
    keys_included: bool
    not_included: list[str]
    seconds: float


def backup(
    settings: Settings,
    out: Path,
    *,
    with_keys: bool = False,
    source: str = "cli",
    progress: Progress | None = None,
) -> BackupReport:
    """Write a backup archive of the installation to `out` (created 0600, never overwritten)."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    out = out.absolute()
    if out.exists():
        raise ValidationFailed(f"{out} already exists; a backup never overwrites a file")
    if not out.parent.is_dir():
        raise ValidationFailed(f"{out.parent} is not a directory")
    signer = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    kek = load_or_create_kek(settings.vault_kek_path, create=False)
    keys: dict[str, bytes] = {}
    if with_keys:
        for member, path in key_files(settings).items():
            if path.exists():
                keys[member] = read_private_file(path)
    engine = make_engine(settings.effective_database_url, create=False)
    work = Path(tempfile.mkdtemp(prefix=".frsgate-backup-", dir=out.parent))  # 0700
    fd = create_private(out)
    finished = False
    try:
        backend = engine.dialect.name
        revision = current_revision(engine)
        if revision is None:
            raise StoreError("the database has no FRS Gate schema; run `frsgate init`")
        with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
            # Recorded before the snapshot, so the snapshot holds the record of its making.
            seq = ledger.append(
                draft(
                    Actor.system(), EventTag.SYSTEM_BACKUP_RUN, subject="system:backup",
                    component=COMPONENT, source=source,
                    details={"backend": backend, "schema_revision": revision,
                             "keys_included": with_keys, "archive": out.name},
                )
            )  # fmt: skip
        say(f"recorded the backup as ledger entry {seq}; taking the snapshot")
        schema: str | None = None
        try:
            if backend == "sqlite":
                member = SQLITE_MEMBER
                state, revision = snapshot_sqlite(engine, work / member)
            else:
                member = POSTGRES_MEMBER
                state, revision, schema = snapshot_postgres(engine, work / member)
        except FrsGateError as exc:
            _record_failure(settings, engine, signer, seq, exc.message, source)
            raise
        if state.size <= seq:  # pragma: no cover - the append was durable before the copy
            raise StoreError(f"the snapshot (size {state.size}) lacks the backup's entry {seq}")
        signed = sign_checkpoint(signer, Checkpoint(settings.ledger_origin, state.size, state.root))
        members: dict[str, dict[str, Any]] = {
            member: {"sha256": sha256_file(work / member), "bytes": (work / member).stat().st_size}
        }
        for name, data in keys.items():
            members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        not_included = [
            f"{name} ({what})" for name, what in KEY_MEMBERS.items() if name not in keys
        ]
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "frsgate_version": __version__,
            "backend": backend,
            "postgres_schema": schema,
            "schema_revision": revision,
            "ledger": {
                "origin": settings.ledger_origin,
                "size": state.size,
                "root": state.root_b64,
                "checkpoint": signed.note,
                "verifier": signer.verifier.verifier_string,
                "backup_entry_seq": seq,
            },
            "kek_id": kek.kek_id_hex,
            "keys_included": bool(keys),
            "members": members,
            "not_included": not_included,
        }
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            write_archive(handle, manifest, member, work / member, keys)
        finished = True
    finally:
        if fd >= 0:
            os.close(fd)
        shutil.rmtree(work, ignore_errors=True)
        engine.dispose()
        if not finished:
            out.unlink(missing_ok=True)
    return BackupReport(
        archive=out,
        archive_sha256=sha256_file(out),
        backend=backend,
        schema_revision=revision,
        ledger=state,
        backup_seq=seq,
        keys_included=bool(keys),
        not_included=not_included,
        seconds=time.monotonic() - started,
    )


def _record_failure(
    settings: Settings, engine: Engine, signer: CheckpointSigner, seq: int, why: str, source: str
) -> None:
    """The ledger says the backup it recorded at `seq` was not written (best effort: the
    failure itself is what the operator sees)."""
    try:
        with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
            ledger.append(
                draft(
                    Actor.system(), EventTag.SYSTEM_BACKUP_RUN, subject="system:backup",
                    component=COMPONENT, source=source, outcome=Outcome.FAILED,
                    details={"started_at_seq": seq, "reason": why[:500]},
                )
            )  # fmt: skip
    except FrsGateError:
        pass

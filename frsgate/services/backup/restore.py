"""Restoring a backup and verifying it: `frsgate restore`.

Reads the archive checked against its manifest (`archive`) and checks it against the target
(`checks`) before it touches anything; nothing is created before every check has passed. It then
restores (`sqlite`: the backup API into the database file; `postgres`: `pg_restore
--single-transaction` into the schema) with the keys the home lacks, checks that the restored
ledger's head is the manifest's signed checkpoint and verifies the whole ledger against it (or
against a checkpoint the operator saved earlier), and only then records `system:restore:run` on
the restored ledger. A restored ledger that does not verify is left for inspection, unrecorded.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

from frsgate.config import Settings
from frsgate.errors import FrsGateError
from frsgate.keyfiles import write_private_file
from frsgate.ledger import Actor, EventTag, Ledger, Outcome
from frsgate.ledger.merkle import InvalidProof, b64encode
from frsgate.ledger.notes import NoteVerifier, load_or_create_signing_key, open_checkpoint
from frsgate.ledger.verify import VerifyReport, verify_ledger
from frsgate.services.backup.archive import (
    COMPONENT,
    Archive,
    LedgerState,
    Progress,
    archived_member,
    extract,
    key_files,
    read_archive,
    refuse,
)
from frsgate.services.backup.checks import check_compatible, check_empty
from frsgate.services.backup.postgres import restore_postgres
from frsgate.services.backup.sqlite import restore_sqlite, sqlite_target
from frsgate.services.gate import draft
from frsgate.store.engine import make_engine, normalize_url
from frsgate.store.migrate import current_revision


class RestoreFailed(FrsGateError):
    """The restore ran but the restored ledger does not verify."""


_NOT_SERVED = (
    "the restored database is left as it is for inspection and no restore was recorded: "
    "do not serve it"
)


@dataclass
class RestoreReport:
    backend: str
    schema_revision: str
    restored: LedgerState
    verification: VerifyReport
    restore_seq: int
    keys_written: list[str] = field(default_factory=list)
    seconds: float = 0.0


def restore(
    settings: Settings,
    archive_path: Path,
    *,
    force: bool = False,
    trusted_checkpoint: str | None = None,
    source: str = "cli",
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore a backup archive into the configured database (and keys, when the archive has
    them and the home lacks them), verify the restored ledger, and record the restore."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    archive = read_archive(archive_path.absolute())
    url = settings.effective_database_url
    backend = "sqlite" if normalize_url(url).drivername.startswith("sqlite") else "postgresql"
    # Nothing is created before every check has passed: a SQLite file that does not exist is
    # an empty target, opened (and created) only to restore into.
    missing = backend == "sqlite" and not sqlite_target(url).exists()
    engine = None if missing else make_engine(url, create=False)
    try:
        verifier = check_compatible(archive, settings, backend, engine)
        check_empty(archive, engine, force=force)
        if trusted_checkpoint is not None:
            try:
                saved = open_checkpoint(verifier, trusted_checkpoint, origin=settings.ledger_origin)
            except InvalidProof as exc:
                raise refuse(
                    archive.path, f"the --checkpoint note does not verify: {exc}"
                ) from None
            if saved.tree_size > int(archive.ledger["size"]):
                raise refuse(
                    archive.path,
                    f"the --checkpoint is of ledger size {saved.tree_size}, later than the "
                    f"backup's {archive.ledger['size']}: the backup cannot contain it",
                )
        say("archive and target checked; restoring")
        settings.require_home_writable()
        if engine is None:
            engine = make_engine(url)
        work = Path(tempfile.mkdtemp(prefix=".frsgate-restore-", dir=settings.home))  # 0700
        try:
            member = archive.database_member
            extract(archive, member, work / member)
            if archive.backend == "sqlite":
                restore_sqlite(engine, work / member)
            else:
                restore_postgres(engine, work / member, work, force=force)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        written: list[str] = []
        for name, file in key_files(settings).items():
            if name in archive.key_members and not file.exists():
                write_private_file(file, archived_member(archive, name))
                written.append(str(file))
        return _verify_and_record(
            settings, engine, archive, verifier, trusted_checkpoint, written, source, started
        )
    finally:
        if engine is not None:
            engine.dispose()


def _verify_and_record(
    settings: Settings,
    engine: Engine,
    archive: Archive,
    verifier: NoteVerifier,
    trusted_checkpoint: str | None,
    written: list[str],
    source: str,
    started: float,
) -> RestoreReport:
    ledger_meta = archive.ledger
    with engine.connect() as conn:
        size, root = conn.execute(text("SELECT size, root FROM ledger_head WHERE id = 1")).one()
    restored = LedgerState(int(size), bytes(root))
    signed = open_checkpoint(
        verifier, str(ledger_meta["checkpoint"]), origin=settings.ledger_origin
    )
    if (restored.size, restored.root) != (signed.tree_size, signed.root):
        raise RestoreFailed(
            f"the restored ledger has size {restored.size} and root {restored.root_b64}, but the "
            f"backup's signed checkpoint says size {signed.tree_size} and root "
            f"{b64encode(signed.root)}; {_NOT_SERVED}"
        )
    from frsgate.services.ledger_keys import key_history

    # The installation's key is the backup's (checked before restoring); its history, restored
    # with it, verifies checkpoints signed before a rotation.
    report = verify_ledger(
        engine,
        key_history(settings),
        trusted_checkpoint=trusted_checkpoint or signed.note,
        origin=settings.ledger_origin,
    )
    if not report.ok:
        raise RestoreFailed(f"the restored {report.summary()}; {_NOT_SERVED}")
    signer = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    revision = current_revision(engine) or ""
    with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
        seq = ledger.append(
            draft(
                Actor.system(), EventTag.SYSTEM_RESTORE_RUN, subject="system:restore",
                component=COMPONENT, source=source, outcome=Outcome.SUCCEEDED,
                details={"archive": archive.path.name, "archive_sha256": archive.sha256,
                         "backend": archive.backend, "schema_revision": revision,
                         "backup_created_at": str(archive.manifest.get("created_at", "")),
                         "restored_size": restored.size, "restored_root": restored.root_b64,
                         "keys_restored": len(written)},
            )
        )  # fmt: skip
        ledger.checkpoint()
    return RestoreReport(
        backend=archive.backend,
        schema_revision=revision,
        restored=restored,
        verification=report,
        restore_seq=seq,
        keys_written=written,
        seconds=time.monotonic() - started,
    )

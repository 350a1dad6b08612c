"""Backup and restore of an installation's database, with the keys only when asked for.

A backup is one tar archive, created 0600, holding `manifest.json` and the database:

- SQLite: `database.sqlite3`, a copy made with SQLite's online backup API (a consistent
  snapshot of the database and its WAL while the service keeps running);
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom` of the configured schema, taken in a
  snapshot exported from the transaction that read the ledger's head, so the head in the
  manifest is exactly the head in the dump.

The keys under FRSGATE_HOME/keys (the ledger signing key, the vault's key-encryption key, the
local token key) are not in the database and not in a backup unless `with_keys` is given; the
manifest lists what the archive does not contain. The manifest names the backend, the schema
revision (Alembic), the ledger's size and root at the snapshot with a checkpoint signed at that
size, the ledger's verifier string, the KEK's public id and the SHA-256 of every member.

Restore checks the archive against its manifest and the target before it touches anything
(format, backend, schema revision, ledger origin, member hashes, the keys, an empty target),
and refuses naming what is wrong. It then restores (SQLite's backup API into the database file;
`pg_restore --single-transaction` into the schema), checks that the restored ledger's head is
the signed checkpoint of the manifest and verifies the whole ledger against it (or against a
checkpoint the operator saved earlier), and only then records its own ledger entry.

A backup records `system:backup:run` before its snapshot is taken, so the snapshot holds the
record of its own making; a restore records `system:restore:run` on the restored ledger.
Database passwords go to pg_dump and pg_restore in their environment, never on a command line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from frsgate import __version__
from frsgate.config import Settings
from frsgate.errors import ConfigurationError, FrsGateError, StoreError, ValidationFailed
from frsgate.keyfiles import read_private_file, write_private_file
from frsgate.ledger import Actor, EventTag, Ledger, Outcome
from frsgate.ledger.merkle import InvalidProof, b64encode
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    NoteVerifier,
    load_or_create_signing_key,
    open_checkpoint,
    sign_checkpoint,
)
from frsgate.ledger.verify import VerifyReport, verify_ledger
from frsgate.services.gate import draft
from frsgate.store.engine import (
    PRIVATE_FILE_MODE,
    make_engine,
    normalize_url,
    prepare_sqlite_files,
)
from frsgate.store.migrate import current_revision, head_revision
from frsgate.vault import KeyEncryptionKey, load_or_create_kek

COMPONENT = "services.backup"
FORMAT = "frsgate-backup"
FORMAT_VERSION = 1  # a new major number is refused by an older restore
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
KEY_MEMBERS = {
    "keys/ledger-ed25519.pem": "the ledger signing key",
    "keys/vault-kek.bin": "the vault key-encryption key",
    "keys/token-ed25519.pem": "the local token-issuer key",
}
_CHUNK = 1 << 20

Progress = Callable[[str], None]


class RestoreRefused(ValidationFailed):
    """The archive or the target is not fit for a restore; nothing was changed."""


class RestoreFailed(FrsGateError):
    """The restore ran but the restored ledger does not verify."""


_NOT_SERVED = (
    "the restored database is left as it is for inspection and no restore was recorded: "
    "do not serve it"
)


@dataclass(frozen=True)
class LedgerState:
    size: int
    root: bytes

    @property
    def root_b64(self) -> str:
        return b64encode(self.root)


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


@dataclass
class RestoreReport:
    backend: str
    schema_revision: str
    restored: LedgerState
    verification: VerifyReport
    restore_seq: int
    keys_written: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _key_files(settings: Settings) -> dict[str, Path]:
    return {
        "keys/ledger-ed25519.pem": settings.ledger_key_path,
        "keys/vault-kek.bin": settings.vault_kek_path,
        "keys/token-ed25519.pem": settings.token_key_path,
        # The retired ledger keys (after `frsgate ledger rotate-key`): what verifies the
        # checkpoints they signed.
        "keys/ledger-key-history.txt": settings.keys_dir / "ledger-key-history.txt",
    }


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore without the password, and their environment with it
    (a password on a command line is visible to every user of the host in `ps`)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(argv: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise ConfigurationError(
            f"{argv[0]} is not installed or not on PATH; {what} needs the PostgreSQL client tools"
        )
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        raise StoreError(f"{argv[0]} failed ({what}): {'; '.join(lines[:5]) or done.returncode}")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def postgres_schema(engine: Engine) -> str:
    """The schema FRS Gate's tables live in: the first schema of the connection's search_path
    (FRSGATE_DATABASE_URL may set it with `options=-csearch_path=...`), existing or not."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar()
        if current:
            return str(current)
        path = str(conn.execute(text("SHOW search_path")).scalar() or "")
    for part in path.split(","):
        name = part.strip()
        if name and name != '"$user"':
            return name[1:-1].replace('""', '"') if name.startswith('"') else name
    raise ConfigurationError(
        "the PostgreSQL connection has no schema in its search_path; set one in "
        "FRSGATE_DATABASE_URL (options=-csearch_path=NAME)"
    )


# Backup ---------------------------------------------------------------------------------------


def _create_private(path: Path) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        raise ValidationFailed(f"{path} already exists; a backup never overwrites a file") from None
    except OSError as exc:
        raise ValidationFailed(f"cannot create {path}: {exc.strerror or exc}") from None


def _snapshot_sqlite(engine: Engine, target: Path) -> tuple[LedgerState, str]:
    """Copy the live database into `target` with SQLite's online backup API; the ledger head
    and schema revision are read from the copy, so they are the snapshot's own."""
    source_file = engine.url.database
    if not source_file:
        raise ConfigurationError("the SQLite database has no file name")
    os.close(_create_private(target))
    # Read-only source: the backup API reads one consistent snapshot (WAL included) in one
    # read transaction, so writers carry on and the copy is as of one commit.
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(copy)  # all pages in one step: one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        size, root = copy.execute("SELECT size, root FROM ledger_head WHERE id = 1").fetchone()
        (revision,) = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        copy.close()
        source.close()
    return LedgerState(int(size), bytes(root)), str(revision)


def _snapshot_postgres(engine: Engine, target: Path) -> tuple[LedgerState, str, str]:
    """pg_dump of the configured schema in the snapshot of the transaction that read the
    ledger head: the manifest's head is the dump's head, whatever commits meanwhile."""
    schema = postgres_schema(engine)
    url, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar())
            size, root = conn.execute(text("SELECT size, root FROM ledger_head WHERE id = 1")).one()
            revision = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
            # The exported snapshot lives as long as this transaction: dump inside it.
            _run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--schema={schema}",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={url}",
                ],
                env,
                "backup",
            )
    target.chmod(PRIVATE_FILE_MODE)
    return LedgerState(int(size), bytes(root)), revision, schema


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
        for member, path in _key_files(settings).items():
            if path.exists():
                keys[member] = read_private_file(path)
    engine = make_engine(settings.effective_database_url, create=False)
    work = Path(tempfile.mkdtemp(prefix=".frsgate-backup-", dir=out.parent))  # 0700
    fd = _create_private(out)
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
                state, revision = _snapshot_sqlite(engine, work / member)
            else:
                member = POSTGRES_MEMBER
                state, revision, schema = _snapshot_postgres(engine, work / member)
        except FrsGateError as exc:
            _record_failure(settings, engine, signer, seq, exc.message, source)
            raise
        if state.size <= seq:  # pragma: no cover - the append was durable before the copy
            raise StoreError(f"the snapshot (size {state.size}) lacks the backup's entry {seq}")
        signed = sign_checkpoint(signer, Checkpoint(settings.ledger_origin, state.size, state.root))
        members: dict[str, dict[str, Any]] = {
            member: {"sha256": _sha256_file(work / member), "bytes": (work / member).stat().st_size}
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
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, MANIFEST, manifest_bytes)
                with (work / member).open("rb") as dump:
                    tar.addfile(_info(member, (work / member).stat().st_size), dump)
                for name, blob in keys.items():
                    _add_bytes(tar, name, blob)
            handle.flush()
            os.fsync(handle.fileno())
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
        archive_sha256=_sha256_file(out),
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


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = PRIVATE_FILE_MODE
    info.mtime = int(time.time())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


# Restore --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """A backup archive whose manifest has been read and every member checked against it."""

    path: Path
    sha256: str
    manifest: dict[str, Any]

    @property
    def backend(self) -> str:
        return str(self.manifest["backend"])

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.backend == "sqlite" else POSTGRES_MEMBER

    @property
    def ledger(self) -> dict[str, Any]:
        return dict(self.manifest["ledger"])

    @property
    def key_members(self) -> list[str]:
        return [name for name in self.manifest["members"] if name in KEY_MEMBERS]


def _refuse(archive: Path, why: str) -> RestoreRefused:
    return RestoreRefused(f"{archive}: {why}; nothing was restored")


def read_archive(path: Path) -> Archive:
    """Open a backup archive, read its manifest and check every member's SHA-256 against it,
    without extracting anything; refuse naming the first thing that is wrong."""
    if not path.is_file():
        raise _refuse(path, "no such file")
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise _refuse(path, f"not a backup archive ({exc})") from None
    with tar:
        names = tar.getnames()
        if MANIFEST not in names:
            raise _refuse(path, f"the archive has no {MANIFEST}")
        manifest = _load_manifest(path, tar)
        expected: dict[str, Any] = manifest["members"]
        seen: set[str] = set()
        for info in tar.getmembers():
            if info.name == MANIFEST:
                continue
            if info.name not in expected or info.name in seen or not info.isreg():
                raise _refuse(path, f"unexpected archive member {info.name!r}")
            seen.add(info.name)
            handle = tar.extractfile(info)
            assert handle is not None  # a regular file
            digest = hashlib.sha256()
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
            want = str(expected[info.name]["sha256"])
            if digest.hexdigest() != want:
                raise _refuse(
                    path,
                    f"archive member {info.name} has SHA-256 {digest.hexdigest()} but the "
                    f"manifest records {want}: the archive was altered or damaged",
                )
        missing = sorted(set(expected) - seen)
        if missing:
            raise _refuse(path, f"archive member(s) {', '.join(missing)} missing")
    return Archive(path=path, sha256=_sha256_file(path), manifest=manifest)


def _load_manifest(path: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    handle = tar.extractfile(MANIFEST)
    if handle is None:
        raise _refuse(path, f"{MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read())
    except ValueError:
        raise _refuse(path, f"{MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(path, f"{MANIFEST} is not an FRS Gate backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _refuse(
            path,
            f"backup format version {manifest.get('format_version')!r} is not "
            f"{FORMAT_VERSION}, the one this FRS Gate reads",
        )
    for key in ("backend", "schema_revision", "ledger", "members", "kek_id"):
        if key not in manifest:
            raise _refuse(path, f"{MANIFEST} lacks {key!r}")
    if manifest["backend"] not in ("sqlite", "postgresql"):
        raise _refuse(path, f"unknown backend {manifest['backend']!r} in {MANIFEST}")
    database = SQLITE_MEMBER if manifest["backend"] == "sqlite" else POSTGRES_MEMBER
    if database not in manifest["members"]:
        raise _refuse(path, f"{MANIFEST} lists no {database}")
    return dict(manifest)


def _check_compatible(
    archive: Archive, settings: Settings, backend: str, engine: Engine | None
) -> NoteVerifier:
    """Refuse an archive this installation cannot take: another backend, another schema
    revision, another ledger origin, or keys that are not the archive's. `engine` is None for
    a SQLite database file that does not exist yet."""
    path, manifest = archive.path, archive.manifest
    if archive.backend != backend:
        raise _refuse(
            path,
            f"the backup is of a {archive.backend} database but FRSGATE_DATABASE_URL names a "
            f"{backend} one",
        )
    head = head_revision()
    if manifest["schema_revision"] != head:
        raise _refuse(
            path,
            f"the backup's schema revision is {manifest['schema_revision']!r} but this FRS Gate "
            f"{__version__} has schema revision {head!r}; restore it with the release that made "
            "it (then upgrade with `frsgate init`)",
        )
    ledger = archive.ledger
    if ledger.get("origin") != settings.ledger_origin:
        raise _refuse(
            path,
            f"the backup's ledger origin is {ledger.get('origin')!r} but FRSGATE_LEDGER_ORIGIN "
            f"is {settings.ledger_origin!r}",
        )
    try:
        verifier = NoteVerifier.parse(str(ledger["verifier"]))
        open_checkpoint(verifier, str(ledger["checkpoint"]), origin=settings.ledger_origin)
    except (InvalidProof, ValidationFailed, KeyError) as exc:
        raise _refuse(path, f"the manifest's checkpoint does not verify: {exc}") from None
    if engine is not None and backend == "postgresql":
        target = postgres_schema(engine)
        if manifest.get("postgres_schema") != target:
            raise _refuse(
                path,
                f"the backup is of PostgreSQL schema {manifest.get('postgres_schema')!r} but "
                f"FRSGATE_DATABASE_URL's search_path names schema {target!r}; restore into a "
                "database whose search_path names the backup's schema",
            )
    _check_keys(archive, settings, verifier)
    return verifier


def _check_keys(archive: Archive, settings: Settings, verifier: NoteVerifier) -> None:
    """The installation's keys must be the archive's: present in the home (restored from their
    own backup) or in the archive, and never two different ones."""
    path = archive.path
    ledger_key, kek_path = settings.ledger_key_path, settings.vault_kek_path
    in_archive = set(archive.key_members)
    for member, file in _key_files(settings).items():
        if file.exists() and member in in_archive:
            # Never replace a key: only the same key may be "restored" over it.
            wanted = _archived_member(archive, member)
            if read_private_file(file) != wanted:
                raise _refuse(
                    path,
                    f"{file} exists and is not the key in the archive ({member}); move it away "
                    "first if the archive's key is the right one",
                )
    if not ledger_key.exists() and "keys/ledger-ed25519.pem" not in in_archive:
        raise _refuse(
            path,
            f"the ledger signing key {ledger_key} is missing and the backup does not contain "
            "the keys; restore the keys folder from its own backup first (docs/deploy.md, Keys)",
        )
    if not kek_path.exists() and "keys/vault-kek.bin" not in in_archive:
        raise _refuse(
            path,
            f"the vault key-encryption key {kek_path} is missing and the backup does not "
            "contain the keys; restore the keys folder from its own backup first "
            "(docs/deploy.md, Keys)",
        )
    _check_archived_keys(archive, settings, verifier)
    if ledger_key.exists():
        have = load_or_create_signing_key(
            ledger_key, name=settings.ledger_origin, create=False
        ).verifier.verifier_string
        if have != verifier.verifier_string:
            raise _refuse(
                path,
                f"the ledger signing key {ledger_key} ({have}) is not the key that signed the "
                f"backup's checkpoints ({verifier.verifier_string})",
            )
    if kek_path.exists():
        kek_id = load_or_create_kek(kek_path, create=False).kek_id_hex
        if kek_id != archive.manifest["kek_id"]:
            raise _refuse(
                path,
                f"the vault key-encryption key {kek_path} (id {kek_id}) is not the one the "
                f"backup's sealed images need (id {archive.manifest['kek_id']})",
            )


def _check_archived_keys(archive: Archive, settings: Settings, verifier: NoteVerifier) -> None:
    """Keys in the archive must be the ones its manifest names: the ledger key the one that
    signed its checkpoint, the KEK the one its sealed images need."""
    members = archive.key_members
    if "keys/ledger-ed25519.pem" in members:
        pem = _archived_member(archive, "keys/ledger-ed25519.pem")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PrivateKey) or (
            CheckpointSigner(key, settings.ledger_origin).verifier.verifier_string
            != verifier.verifier_string
        ):
            raise _refuse(
                archive.path,
                "the archive's keys/ledger-ed25519.pem is not the key that signed its checkpoint",
            )
    if "keys/vault-kek.bin" in members:
        try:
            kek_id = KeyEncryptionKey(_archived_member(archive, "keys/vault-kek.bin")).kek_id_hex
        except ConfigurationError:
            kek_id = "(not a key)"
        if kek_id != archive.manifest["kek_id"]:
            raise _refuse(
                archive.path,
                f"the archive's keys/vault-kek.bin (id {kek_id}) is not the key-encryption key "
                f"its manifest names (id {archive.manifest['kek_id']})",
            )


def _archived_member(archive: Archive, member: str) -> bytes:
    with tarfile.open(archive.path, mode="r:") as tar:
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read()


def _sqlite_contents(database: Path) -> list[str]:
    if not database.exists() or database.stat().st_size == 0:
        return []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def _postgres_contents(engine: Engine, schema: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "ORDER BY c.relname"
            ),
            {"schema": schema},
        ).all()
    return [str(r[0]) for r in rows]


def _ledger_size_of(engine: Engine) -> int | None:
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT size FROM ledger_head WHERE id = 1")).scalar()
    except Exception:  # only to describe the target: a target without the table is fine
        return None
    return None if value is None else int(value)


def _check_empty(archive: Archive, engine: Engine | None, *, force: bool) -> None:
    if engine is None:
        return  # a SQLite file not created yet
    if engine.dialect.name == "sqlite":
        database = Path(str(engine.url.database))
        tables = _sqlite_contents(database)
        where = f"database file {database}"
    else:
        schema = postgres_schema(engine)
        tables = _postgres_contents(engine, schema)
        where = f"PostgreSQL schema {schema!r}"
    if not tables or force:
        return
    size = _ledger_size_of(engine)
    ledger = f" and a ledger of {size} entries" if size is not None else ""
    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
    raise _refuse(
        archive.path,
        f"the target {where} is not empty: it holds {len(tables)} tables ({shown}){ledger}; "
        "restore only into an empty database, or pass --force to replace everything in it",
    )


def _extract(archive: Archive, member: str, target: Path) -> None:
    with tarfile.open(archive.path, mode="r:") as tar:
        handle = tar.extractfile(member)
        assert handle is not None
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(handle, out, _CHUNK)
    if _sha256_file(target) != archive.manifest["members"][member]["sha256"]:
        raise _refuse(archive.path, f"archive member {member} changed while it was read")


def _restore_sqlite(engine: Engine, extracted: Path) -> None:
    database = Path(str(engine.url.database))
    engine.dispose()  # no pooled connection of ours may hold the file during the copy
    prepare_sqlite_files(database)  # created 0600 if absent
    source = sqlite3.connect(f"file:{extracted}?mode=ro", uri=True)
    target = sqlite3.connect(database)
    try:
        target.execute("PRAGMA busy_timeout=30000")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _restore_postgres(engine: Engine, extracted: Path, work: Path, *, force: bool) -> None:
    schema = postgres_schema(engine)
    with engine.begin() as conn:
        if force:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_quote_ident(schema)} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote_ident(schema)}"))
    engine.dispose()
    url, env = _libpq(engine.url)
    # The schema exists already (created above, or the operator's empty one): leave its own
    # CREATE SCHEMA and COMMENT out of the restore list.
    listing = subprocess.run(  # noqa: S603
        ["pg_restore", "--list", str(extracted)],  # noqa: S607
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listing.returncode != 0:
        raise StoreError(f"pg_restore cannot read the dump: {listing.stderr.strip()}")
    kept = [
        line
        for line in listing.stdout.splitlines()
        if not (" SCHEMA - " in line or " COMMENT - SCHEMA " in line)
    ]
    use_list = work / "restore.list"
    use_list.write_text("\n".join(kept) + "\n")
    _run_tool(
        [
            "pg_restore",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--use-list={use_list}",
            f"--dbname={url}",
            str(extracted),
        ],
        env,
        "restore",
    )


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
    missing = backend == "sqlite" and not _sqlite_target(url).exists()
    engine = None if missing else make_engine(url, create=False)
    try:
        verifier = _check_compatible(archive, settings, backend, engine)
        _check_empty(archive, engine, force=force)
        if trusted_checkpoint is not None:
            try:
                saved = open_checkpoint(verifier, trusted_checkpoint, origin=settings.ledger_origin)
            except InvalidProof as exc:
                raise _refuse(
                    archive.path, f"the --checkpoint note does not verify: {exc}"
                ) from None
            if saved.tree_size > int(archive.ledger["size"]):
                raise _refuse(
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
            _extract(archive, member, work / member)
            if archive.backend == "sqlite":
                _restore_sqlite(engine, work / member)
            else:
                _restore_postgres(engine, work / member, work, force=force)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        written: list[str] = []
        for name, file in _key_files(settings).items():
            if name in archive.key_members and not file.exists():
                write_private_file(file, _archived_member(archive, name))
                written.append(str(file))
        return _verify_and_record(
            settings, engine, archive, verifier, trusted_checkpoint, written, source, started
        )
    finally:
        if engine is not None:
            engine.dispose()


def _sqlite_target(url: str) -> Path:
    database = normalize_url(url).database
    if not database or database == ":memory:":
        raise ConfigurationError("FRSGATE_DATABASE_URL names no SQLite database file")
    return Path(database)


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

"""The checks a restore makes before it touches anything: is this archive for this target?

Refuses, naming what is wrong, an archive of another backend, schema revision or ledger origin,
a manifest whose checkpoint does not verify, a PostgreSQL target whose search_path names another
schema, keys that are not the archive's (in the home or in the archive, and never two different
ones), and a target that is not empty unless `--force` is given.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from frsgate import __version__
from frsgate.config import Settings
from frsgate.errors import ConfigurationError, ValidationFailed
from frsgate.keyfiles import read_private_file
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import (
    CheckpointSigner,
    NoteVerifier,
    load_or_create_signing_key,
    open_checkpoint,
)
from frsgate.services.backup.archive import Archive, archived_member, key_files, refuse
from frsgate.services.backup.postgres import postgres_contents, postgres_schema
from frsgate.services.backup.sqlite import sqlite_contents
from frsgate.store.migrate import head_revision
from frsgate.vault import KeyEncryptionKey, load_or_create_kek


def check_compatible(
    archive: Archive, settings: Settings, backend: str, engine: Engine | None
) -> NoteVerifier:
    """Refuse an archive this installation cannot take: another backend, another schema
    revision, another ledger origin, or keys that are not the archive's. `engine` is None for
    a SQLite database file that does not exist yet."""
    path, manifest = archive.path, archive.manifest
    if archive.backend != backend:
        raise refuse(
            path,
            f"the backup is of a {archive.backend} database but FRSGATE_DATABASE_URL names a "
            f"{backend} one",
        )
    head = head_revision()
    if manifest["schema_revision"] != head:
        raise refuse(
            path,
            f"the backup's schema revision is {manifest['schema_revision']!r} but this FRS Gate "
            f"{__version__} has schema revision {head!r}; restore it with the release that made "
            "it (then upgrade with `frsgate init`)",
        )
    ledger = archive.ledger
    if ledger.get("origin") != settings.ledger_origin:
        raise refuse(
            path,
            f"the backup's ledger origin is {ledger.get('origin')!r} but FRSGATE_LEDGER_ORIGIN "
            f"is {settings.ledger_origin!r}",
        )
    try:
        verifier = NoteVerifier.parse(str(ledger["verifier"]))
        open_checkpoint(verifier, str(ledger["checkpoint"]), origin=settings.ledger_origin)
    except (InvalidProof, ValidationFailed, KeyError) as exc:
        raise refuse(path, f"the manifest's checkpoint does not verify: {exc}") from None
    if engine is not None and backend == "postgresql":
        target = postgres_schema(engine)
        if manifest.get("postgres_schema") != target:
            raise refuse(
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
    for member, file in key_files(settings).items():
        if file.exists() and member in in_archive:
            # Never replace a key: only the same key may be "restored" over it.
            wanted = archived_member(archive, member)
            if read_private_file(file) != wanted:
                raise refuse(
                    path,
                    f"{file} exists and is not the key in the archive ({member}); move it away "
                    "first if the archive's key is the right one",
                )
    if not ledger_key.exists() and "keys/ledger-ed25519.pem" not in in_archive:
        raise refuse(
            path,
            f"the ledger signing key {ledger_key} is missing and the backup does not contain "
            "the keys; restore the keys folder from its own backup first (docs/deploy.md, Keys)",
        )
    if not kek_path.exists() and "keys/vault-kek.bin" not in in_archive:
        raise refuse(
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
            raise refuse(
                path,
                f"the ledger signing key {ledger_key} ({have}) is not the key that signed the "
                f"backup's checkpoints ({verifier.verifier_string})",
            )
    if kek_path.exists():
        kek_id = load_or_create_kek(kek_path, create=False).kek_id_hex
        if kek_id != archive.manifest["kek_id"]:
            raise refuse(
                path,
                f"the vault key-encryption key {kek_path} (id {kek_id}) is not the one the "
                f"backup's sealed images need (id {archive.manifest['kek_id']})",
            )


def _check_archived_keys(archive: Archive, settings: Settings, verifier: NoteVerifier) -> None:
    """Keys in the archive must be the ones its manifest names: the ledger key the one that
    signed its checkpoint, the KEK the one its sealed images need."""
    members = archive.key_members
    if "keys/ledger-ed25519.pem" in members:
        pem = archived_member(archive, "keys/ledger-ed25519.pem")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PrivateKey) or (
            CheckpointSigner(key, settings.ledger_origin).verifier.verifier_string
            != verifier.verifier_string
        ):
            raise refuse(
                archive.path,
                "the archive's keys/ledger-ed25519.pem is not the key that signed its checkpoint",
            )
    if "keys/vault-kek.bin" in members:
        try:
            kek_id = KeyEncryptionKey(archived_member(archive, "keys/vault-kek.bin")).kek_id_hex
        except ConfigurationError:
            kek_id = "(not a key)"
        if kek_id != archive.manifest["kek_id"]:
            raise refuse(
                archive.path,
                f"the archive's keys/vault-kek.bin (id {kek_id}) is not the key-encryption key "
                f"its manifest names (id {archive.manifest['kek_id']})",
            )


def _ledger_size_of(engine: Engine) -> int | None:
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT size FROM ledger_head WHERE id = 1")).scalar()
    except Exception:  # only to describe the target: a target without the table is fine
        return None
    return None if value is None else int(value)


def check_empty(archive: Archive, engine: Engine | None, *, force: bool) -> None:
    if engine is None:
        return  # a SQLite file not created yet
    if engine.dialect.name == "sqlite":
        database = Path(str(engine.url.database))
        tables = sqlite_contents(database)
        where = f"database file {database}"
    else:
        schema = postgres_schema(engine)
        tables = postgres_contents(engine, schema)
        where = f"PostgreSQL schema {schema!r}"
    if not tables or force:
        return
    size = _ledger_size_of(engine)
    ledger = f" and a ledger of {size} entries" if size is not None else ""
    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
    raise refuse(
        archive.path,
        f"the target {where} is not empty: it holds {len(tables)} tables ({shown}){ledger}; "
        "restore only into an empty database, or pass --force to replace everything in it",
    )

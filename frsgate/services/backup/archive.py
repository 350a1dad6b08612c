"""The backup archive's format: its members, writing it, and reading it back checked.

One tar archive (PAX), created 0600 and never over an existing file, holding `manifest.json`,
the database (`database.sqlite3` or `database.pgdump`) and, only when asked for, the key files.
`read_archive` refuses a broken archive naming the first thing wrong (not a tar, no or a foreign
manifest, another format version, a member missing, unexpected or with another SHA-256) before
anything is extracted. Also here: what backup and restore share (the ledger state a manifest
records, the key files of a home, the ledger component name).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from frsgate.config import Settings
from frsgate.errors import ValidationFailed
from frsgate.ledger.merkle import b64encode
from frsgate.store.engine import PRIVATE_FILE_MODE

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
CHUNK = 1 << 20

Progress = Callable[[str], None]


class RestoreRefused(ValidationFailed):
    """The archive or the target is not fit for a restore; nothing was changed."""


@dataclass(frozen=True)
class LedgerState:
    size: int
    root: bytes

    @property
    def root_b64(self) -> str:
        return b64encode(self.root)


def key_files(settings: Settings) -> dict[str, Path]:
    return {
        "keys/ledger-ed25519.pem": settings.ledger_key_path,
        "keys/vault-kek.bin": settings.vault_kek_path,
        "keys/token-ed25519.pem": settings.token_key_path,
        # The retired ledger keys (after `frsgate ledger rotate-key`): what verifies the
        # checkpoints they signed.
        "keys/ledger-key-history.txt": settings.keys_dir / "ledger-key-history.txt",
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Writing --------------------------------------------------------------------------------------


def create_private(path: Path) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        raise ValidationFailed(f"{path} already exists; a backup never overwrites a file") from None
    except OSError as exc:
        raise ValidationFailed(f"cannot create {path}: {exc.strerror or exc}") from None


def write_archive(
    handle: IO[bytes],
    manifest: dict[str, Any],
    member: str,
    database: Path,
    keys: dict[str, bytes],
) -> None:
    """Write the archive into `handle` (the 0600 file `create_private` made) and sync it: the
    manifest first, then the database file as `member`, then the keys."""
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, MANIFEST, manifest_bytes)
        with database.open("rb") as dump:
            tar.addfile(_info(member, database.stat().st_size), dump)
        for name, blob in keys.items():
            _add_bytes(tar, name, blob)
    handle.flush()
    os.fsync(handle.fileno())


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = PRIVATE_FILE_MODE
    info.mtime = int(time.time())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


# Reading --------------------------------------------------------------------------------------


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


def refuse(archive: Path, why: str) -> RestoreRefused:
    return RestoreRefused(f"{archive}: {why}; nothing was restored")


def read_archive(path: Path) -> Archive:
    """Open a backup archive, read its manifest and check every member's SHA-256 against it,
    without extracting anything; refuse naming the first thing that is wrong."""
    if not path.is_file():
        raise refuse(path, "no such file")
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise refuse(path, f"not a backup archive ({exc})") from None
    with tar:
        names = tar.getnames()
        if MANIFEST not in names:
            raise refuse(path, f"the archive has no {MANIFEST}")
        manifest = _load_manifest(path, tar)
        expected: dict[str, Any] = manifest["members"]
        seen: set[str] = set()
        for info in tar.getmembers():
            if info.name == MANIFEST:
                continue
            if info.name not in expected or info.name in seen or not info.isreg():
                raise refuse(path, f"unexpected archive member {info.name!r}")
            seen.add(info.name)
            handle = tar.extractfile(info)
            assert handle is not None  # a regular file
            digest = hashlib.sha256()
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
            want = str(expected[info.name]["sha256"])
            if digest.hexdigest() != want:
                raise refuse(
                    path,
                    f"archive member {info.name} has SHA-256 {digest.hexdigest()} but the "
                    f"manifest records {want}: the archive was altered or damaged",
                )
        missing = sorted(set(expected) - seen)
        if missing:
            raise refuse(path, f"archive member(s) {', '.join(missing)} missing")
    return Archive(path=path, sha256=sha256_file(path), manifest=manifest)


def _load_manifest(path: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    handle = tar.extractfile(MANIFEST)
    if handle is None:
        raise refuse(path, f"{MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read())
    except ValueError:
        raise refuse(path, f"{MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise refuse(path, f"{MANIFEST} is not an FRS Gate backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise refuse(
            path,
            f"backup format version {manifest.get('format_version')!r} is not "
            f"{FORMAT_VERSION}, the one this FRS Gate reads",
        )
    for key in ("backend", "schema_revision", "ledger", "members", "kek_id"):
        if key not in manifest:
            raise refuse(path, f"{MANIFEST} lacks {key!r}")
    if manifest["backend"] not in ("sqlite", "postgresql"):
        raise refuse(path, f"unknown backend {manifest['backend']!r} in {MANIFEST}")
    database = SQLITE_MEMBER if manifest["backend"] == "sqlite" else POSTGRES_MEMBER
    if database not in manifest["members"]:
        raise refuse(path, f"{MANIFEST} lists no {database}")
    return dict(manifest)


def archived_member(archive: Archive, member: str) -> bytes:
    with tarfile.open(archive.path, mode="r:") as tar:
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read()


def extract(archive: Archive, member: str, target: Path) -> None:
    with tarfile.open(archive.path, mode="r:") as tar:
        handle = tar.extractfile(member)
        assert handle is not None
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(handle, out, CHUNK)
    if sha256_file(target) != archive.manifest["members"][member]["sha256"]:
        raise refuse(archive.path, f"archive member {member} changed while it was read")

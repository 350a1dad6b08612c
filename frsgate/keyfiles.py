"""Private key files: created with 0600 permissions atomically, refused when others can read them.

Used for every key FRS Gate keeps under FRSGATE_HOME (ledger signing key, vault key-encryption
key, local token-issuer key). Key material is never logged; errors name the file, not its bytes.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.errors import ConfigurationError


def write_private_file(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 holding `data`; never overwrite an existing file.

    The bytes go to a temporary file first (fsynced), which is then hard-linked into place:
    `os.link` fails if the name exists, so two processes creating the same key at once can
    never replace one another's key (a replaced key would orphan what was signed or sealed
    with it). The loser gets `FileExistsError` and should load the winner's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name itself must survive a crash
    finally:
        os.close(directory)


def read_private_file(path: Path) -> bytes:
    """Read a key file, refusing one that group or others may read or write."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} is missing; run `frsgate init`") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"key file {path} has permissions {stat.filemode(mode)}; it must be 0600 "
            f"(chmod 600 {path})"
        )
    return path.read_bytes()


def load_or_create_ed25519_key(path: Path, *, create: bool = True) -> Ed25519PrivateKey:
    """Load the Ed25519 private key at `path` (PEM, PKCS#8); create it when absent and allowed."""
    if not path.exists():
        if not create:
            raise ConfigurationError(f"key file {path} is missing; run `frsgate init`")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            write_private_file(path, pem)
        except FileExistsError:
            return load_or_create_ed25519_key(path, create=False)  # another process won
        return key
    data = read_private_file(path)
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise ConfigurationError(f"key file {path} is not a PEM private key") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(f"key file {path} is not an Ed25519 key")
    return loaded

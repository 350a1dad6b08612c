"""`frsgate backup` and `frsgate restore` on a running demo installation with submissions, on
the backend under test (SQLite, or PostgreSQL with FRSGATE_TEST_DATABASE_URL).

A restore goes into a fresh home and a fresh database (on PostgreSQL a new database whose
search_path names the same schema), and the restored ledger must verify against a checkpoint
saved before the backup. Broken archives and occupied targets are refused naming why, with
nothing changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import Gateway
from helpers import probe_for_result, submission_body
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from frsgate.cli.main import app
from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.store.engine import make_engine

PG_URL = os.environ.get("FRSGATE_TEST_DATABASE_URL", "")


@dataclass
class Installation:
    home: Path
    url: str

    def env(self) -> dict[str, str]:
        return {
            "FRSGATE_HOME": str(self.home),
            "FRSGATE_DATABASE_URL": self.url,
            "FRSGATE_SANDBOX_FRS": "false",
        }

    def run(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), env=self.env())
        return result.exit_code, result.stdout, result.stderr

    def scalar(self, sql: str) -> object:
        engine = make_engine(self.url, check=False, create=False)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def ids(self, sql: str) -> set[str]:
        engine = make_engine(self.url, check=False, create=False)
        try:
            with engine.connect() as conn:
                return {str(row[0]) for row in conn.execute(text(sql))}
        finally:
            engine.dispose()

    def entries(self) -> list[dict[str, object]]:
        engine = make_engine(self.url, check=False, create=False)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT entry FROM ledger_entries ORDER BY seq"))
                return [json.loads(bytes(row[0])) for row in rows]
        finally:
            engine.dispose()


def _source(gateway: Gateway) -> Installation:
    return Installation(home=gateway.settings.home, url=gateway.settings.effective_database_url)


@pytest.fixture
def fresh(tmp_path: Path, database_url: str) -> Iterator[Installation]:
    """An empty installation to restore into: a new home, and a new database (SQLite: a file
    in the home not yet created; PostgreSQL: a new database with the source's schema name)."""
    home = tmp_path / "restored-home"
    if not PG_URL:
        yield Installation(home=home, url=f"sqlite:///{home / 'frsgate.sqlite3'}")
        return
    name = f"r_{uuid.uuid4().hex[:12]}"
    server = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = make_url(database_url).set(database=name)
    try:
        yield Installation(home=home, url=target.render_as_string(hide_password=False))
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


def _submit(gateway: Gateway, count: int) -> list[str]:
    ids = []
    with gateway.client("alice") as alice:
        for _ in range(count):
            probe = probe_for_result(alice, negative=False)
            sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
            assert sub.status_code == 201, sub.text
            ids.append(sub.json()["submission"]["id"])
    return ids


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest: dict[str, Any] = json.loads(handle.read())
    return manifest


def _copy_keys(source: Path, home: Path) -> None:
    """The keys restored from their own backup, as the deployment guide says."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copytree(source / "keys", home / "keys")


def test_round_trip_restores_a_ledger_that_verifies(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    submissions = _submit(gateway, 2)
    source = _source(gateway)
    before = tmp_path / "before.note"
    code, _, err = source.run("ledger", "checkpoint", "--output", str(before))
    assert code == 0, err
    _submit(gateway, 1)  # the log grows between the saved checkpoint and the backup

    archive = tmp_path / "backups" / "frsgate.tar"
    archive.parent.mkdir()
    code, out, err = source.run("backup", "--out", str(archive))
    assert code == 0, err
    assert _mode(archive) == 0o600
    manifest = _manifest(archive)
    ledger = manifest["ledger"]
    assert manifest["keys_included"] is False
    assert any("vault-kek.bin" in item for item in manifest["not_included"])
    assert "NOT in this archive" in out
    assert "keys/vault-kek.bin" in out
    assert f"ledger size {ledger['size']}, root {ledger['root']}" in out
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", *manifest["members"]])
        assert not [n for n in tar.getnames() if n.startswith("keys/")]
    # The backup recorded itself before its snapshot: the snapshot holds the entry.
    recorded = source.entries()
    backup_entry = recorded[int(ledger["backup_entry_seq"])]
    assert backup_entry["event"] == "system:backup:run"
    assert backup_entry["actor"] == {"id": "system", "role": "system"}
    assert int(ledger["size"]) > int(ledger["backup_entry_seq"])
    assert not list(archive.parent.glob(".frsgate-backup-*"))  # the work folder is gone

    _copy_keys(source.home, fresh.home)
    code, out, err = fresh.run("restore", str(archive), "--checkpoint", str(before))
    assert code == 0, err + out
    assert f"ledger size {ledger['size']}, root {ledger['root']}" in out
    assert "ledger OK" in out

    code, out, err = fresh.run("ledger", "verify", "--no-witness", "--checkpoint", str(before))
    assert code == 0, err
    assert "ledger OK" in out
    restored = fresh.entries()
    assert restored[int(ledger["backup_entry_seq"])] == backup_entry
    assert restored[-1]["event"] == "system:restore:run"
    assert len(restored) == int(ledger["size"]) + 1
    assert set(submissions) <= fresh.ids("SELECT id FROM submissions")
    if not PG_URL:
        assert _mode(fresh.home / "frsgate.sqlite3") == 0o600


def test_with_keys_restores_the_keys_into_an_empty_home(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    _submit(gateway, 1)
    source = _source(gateway)
    archive = tmp_path / "with-keys.tar"
    code, out, err = source.run("backup", "--out", str(archive), "--with-keys")
    assert code == 0, err
    assert "warning: --with-keys" in err
    assert _mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"keys/ledger-ed25519.pem", "keys/vault-kek.bin"} <= set(names)

    code, out, err = fresh.run("restore", str(archive))
    assert code == 0, err + out
    for key in ("ledger-ed25519.pem", "vault-kek.bin"):
        restored_key = fresh.home / "keys" / key
        assert _mode(restored_key) == 0o600
        assert restored_key.read_bytes() == (source.home / "keys" / key).read_bytes()
    code, out, err = fresh.run("ledger", "verify", "--no-witness")
    assert code == 0, err


def test_a_backup_taken_while_requests_run_is_consistent(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    _submit(gateway, 1)
    source = _source(gateway)
    stop = threading.Event()
    failures: list[str] = []

    def traffic() -> None:
        try:
            while not stop.is_set():
                _submit(gateway, 1)
        except Exception as exc:  # reported below: a thread's failure must fail the test
            failures.append(repr(exc))

    workers = [threading.Thread(target=traffic) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        archives = []
        for n in range(3):
            archive = tmp_path / f"busy-{n}.tar"
            code, _, err = source.run("backup", "--out", str(archive))
            assert code == 0, err
            archives.append(archive)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert not failures, failures
    archive = archives[-1]
    size = int(_manifest(archive)["ledger"]["size"])
    assert size < int(str(source.scalar("SELECT size FROM ledger_head")))

    _copy_keys(source.home, fresh.home)
    code, out, err = fresh.run("restore", str(archive))
    assert code == 0, err + out
    # Each act and its ledger entry were committed together, and the snapshot is of one
    # moment: every submission restored has its entry, and every entry its submission.
    created = {
        str(e["submission"])
        for e in fresh.entries()
        if e["event"] == "submission:record:create" and e.get("submission")
    }
    assert created, "no submission was recorded"
    assert fresh.ids("SELECT id FROM submissions") == created


def _rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> None:
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for info in src.getmembers():
            handle = src.extractfile(info)
            assert handle is not None
            data = change(info.name, handle.read())
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def _flip_last_byte(name: str, data: bytes) -> bytes:
    if name.startswith("database."):
        return data[:-1] + bytes([data[-1] ^ 1])
    return data


def _older_schema(name: str, data: bytes) -> bytes:
    if name == "manifest.json":
        manifest = json.loads(data)
        manifest["schema_revision"] = "0001"
        return json.dumps(manifest).encode()
    return data


def _assert_untouched(target: Installation) -> None:
    if not PG_URL:
        assert not (target.home / "frsgate.sqlite3").exists()
        return
    assert target.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") in (
        0,
        None,
    )


def test_broken_archives_and_occupied_targets_are_refused_naming_why(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    source = _source(gateway)
    archive = tmp_path / "good.tar"
    code, _, err = source.run("backup", "--out", str(archive))
    assert code == 0, err
    _copy_keys(source.home, fresh.home)

    tampered = tmp_path / "tampered.tar"
    _rewrite(archive, tampered, _flip_last_byte)
    code, _, err = fresh.run("restore", str(tampered))
    assert code == 2
    assert "archive member database." in err
    assert "the archive was altered or damaged" in err
    assert "nothing was restored" in err
    _assert_untouched(fresh)

    older = tmp_path / "older.tar"
    _rewrite(archive, older, _older_schema)
    code, _, err = fresh.run("restore", str(older))
    assert code == 2
    assert "schema revision is '0001'" in err
    _assert_untouched(fresh)

    later = tmp_path / "later.note"
    _submit(gateway, 1)
    code, _, err = source.run("ledger", "checkpoint", "--output", str(later))
    assert code == 0, err
    code, _, err = fresh.run("restore", str(archive), "--checkpoint", str(later))
    assert code == 2
    assert "later than the backup's" in err
    _assert_untouched(fresh)

    other = Installation(home=tmp_path / "other-home", url=fresh.url)
    load_or_create_ed25519_key(other.home / "keys" / "ledger-ed25519.pem")
    shutil.copy2(source.home / "keys" / "vault-kek.bin", other.home / "keys" / "vault-kek.bin")
    code, _, err = other.run("restore", str(archive))
    assert code == 2
    assert "is not the key that signed the backup's checkpoints" in err
    _assert_untouched(fresh)

    code, _, err = fresh.run("restore", str(tmp_path / "absent.tar"))
    assert code == 2
    assert "no such file" in err

    # The running installation's own database is not empty: refused, then replaced with --force.
    size_before = source.scalar("SELECT size FROM ledger_head")
    code, _, err = source.run("restore", str(archive))
    assert code == 2
    assert "is not empty" in err
    assert "--force" in err
    assert f"a ledger of {size_before} entries" in err
    assert source.scalar("SELECT size FROM ledger_head") == size_before

    code, _, err = source.run("backup", "--out", str(archive))
    assert code == 2
    assert "already exists" in err


def test_a_restore_without_the_keys_is_refused_naming_them(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    source = _source(gateway)
    archive = tmp_path / "no-keys.tar"
    code, _, err = source.run("backup", "--out", str(archive))
    assert code == 0, err
    code, _, err = fresh.run("restore", str(archive))
    assert code == 2
    assert "ledger signing key" in err
    assert "does not contain the keys" in err
    _assert_untouched(fresh)
    assert not fresh.home.exists()  # nothing created before the checks pass


def _alter_an_entry(data: bytes, tmp: Path) -> bytes:
    """Rewrite one ledger entry inside the SQLite snapshot (as someone who edits the archive
    and its manifest's hashes would)."""
    copy = tmp / "edit.sqlite3"
    copy.write_bytes(data)
    conn = sqlite3.connect(copy)
    try:
        (entry,) = conn.execute("SELECT entry FROM ledger_entries WHERE seq = 3").fetchone()
        changed = bytes(entry).replace(b'"system"', b'"sysadm"', 1)
        assert changed != bytes(entry)
        conn.execute("UPDATE ledger_entries SET entry = ? WHERE seq = 3", (changed,))
        conn.commit()
    finally:
        conn.close()
    return copy.read_bytes()


@pytest.mark.skipif(bool(PG_URL), reason="edits the SQLite snapshot inside the archive")
def test_a_restored_ledger_that_does_not_verify_fails_the_restore(
    gateway: Gateway, fresh: Installation, tmp_path: Path
) -> None:
    source = _source(gateway)
    archive = tmp_path / "good.tar"
    code, _, err = source.run("backup", "--out", str(archive))
    assert code == 0, err
    _copy_keys(source.home, fresh.home)

    def forge(name: str, data: bytes) -> bytes:
        if name == "database.sqlite3":
            forged[name] = _alter_an_entry(data, tmp_path)
            return forged[name]
        return data  # the manifest is rewritten below, once the member's new hash is known

    forged: dict[str, bytes] = {}
    edited = tmp_path / "edited.tar"
    _rewrite(archive, edited, forge)
    manifest = _manifest(edited)
    digest = hashlib.sha256(forged["database.sqlite3"]).hexdigest()
    manifest["members"]["database.sqlite3"]["sha256"] = digest
    forged_manifest = json.dumps(manifest).encode()
    final = tmp_path / "forged.tar"
    _rewrite(edited, final, lambda n, d: forged_manifest if n == "manifest.json" else d)

    code, out, err = fresh.run("restore", str(final))
    assert code == 1, err + out
    assert "ledger verification FAILED at seq 3" in err
    assert "no restore was recorded" in err
    assert not any(e["event"] == "system:restore:run" for e in fresh.entries())


@pytest.mark.postgres_only
def test_a_backup_that_cannot_run_pg_dump_says_so_and_is_recorded_as_failed(
    gateway: Gateway, tmp_path: Path
) -> None:
    source = _source(gateway)
    archive = tmp_path / "never.tar"
    result = CliRunner().invoke(
        app, ["backup", "--out", str(archive)], env={**source.env(), "PATH": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "pg_dump is not installed or not on PATH" in result.stderr
    assert not archive.exists()
    assert not list(tmp_path.glob(".frsgate-backup-*"))
    started, failed = source.entries()[-2:]
    assert started["event"] == failed["event"] == "system:backup:run"
    assert failed["outcome"] == "failed"
    assert failed["details"]["started_at_seq"] == started["seq"]  # type: ignore[index]

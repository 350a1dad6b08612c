"""The vault's key life-cycle over a stored graph: a KEK rotation re-seals every probe image,
candidate image and provider API key (counted: none lost), resumes after an interruption,
keeps the old key when an object does not open; shredding at the end of retention destroys the
images (and their data keys) while the ledger still verifies, and once the KEK is rotated a copy
of a shredded image kept in an old backup opens no more."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import store_graph
from pydantic import SecretStr
from sqlalchemy import Engine, select, update

from frsgate.config import Settings, load_settings
from frsgate.errors import ConfigurationError
from frsgate.keyfiles import write_private_file
from frsgate.ledger.notes import load_or_create_signing_key
from frsgate.ledger.verify import verify_ledger
from frsgate.services.connections import api_key_aad, seal_api_key
from frsgate.services.vault_keys import (
    RotationFailed,
    pending_kek_path,
    require_no_pending_rotation,
    rotate_kek,
    shred_expired,
)
from frsgate.store.schema.core import candidate_images, probe_images, probes
from frsgate.store.schema.ledger import ledger_entries
from frsgate.store.unit import unit_of_work
from frsgate.vault import (
    KeyEncryptionKey,
    SealedBlob,
    candidate_aad,
    load_or_create_kek,
    open_sealed,
    probe_aad,
    rewrap,
    seal,
)
from frsgate.vault.crypto import KEY_BYTES, VaultIntegrityError

GRAPHS = 5


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Settings:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_PROBE_RETENTION_DAYS", "30")
    found = load_settings()
    found.require_home_writable()
    load_or_create_signing_key(found.ledger_key_path, name=found.ledger_origin)
    load_or_create_kek(found.vault_kek_path)
    return found


@pytest.fixture
def stored(engine: Engine, settings: Settings) -> list[store_graph.Graph]:
    """Five graphs whose images and API keys are really sealed under the installation's KEK."""
    kek = load_or_create_kek(settings.vault_kek_path, create=False)
    graphs = [store_graph.build(str(n)) for n in range(GRAPHS)]
    with unit_of_work(engine) as uow:
        for g in graphs:
            store_graph.store(uow, g)
            probe_blob = seal(b"probe %s" % g.probe2.id.encode(), kek=kek,
                              associated_data=probe_aad(g.probe2.id))  # fmt: skip
            uow.conn.execute(
                update(probe_images).where(probe_images.c.probe_id == g.probe2.id)
                .values(sealed=probe_blob.to_bytes(), key_ref=kek.kek_id_hex)
            )  # fmt: skip
            cand = g.candidate_image.candidate_id
            cand_blob = seal(b"cand", kek=kek, associated_data=candidate_aad(cand))
            uow.conn.execute(
                update(candidate_images).where(candidate_images.c.candidate_id == cand)
                .values(sealed=cand_blob.to_bytes(), key_ref=kek.kek_id_hex)
            )  # fmt: skip
            secret = seal_api_key(kek, g.provider.id, SecretStr(f"key-{g.provider.id}"),
                                  at=datetime.now(UTC), by=None)  # fmt: skip
            uow.provider_secrets.put(secret)
    return graphs


def _all_open(engine: Engine, kek: KeyEncryptionKey) -> dict[str, int]:
    opened = {"probe_images": 0, "candidate_images": 0, "provider_secrets": 0}
    with engine.connect() as conn:
        for pid, raw in conn.execute(select(probe_images.c.probe_id, probe_images.c.sealed)):
            open_sealed(SealedBlob.from_bytes(bytes(raw)), kek=kek, associated_data=probe_aad(pid))
            opened["probe_images"] += 1
        for cid, raw in conn.execute(
            select(candidate_images.c.candidate_id, candidate_images.c.sealed)
        ):
            open_sealed(SealedBlob.from_bytes(bytes(raw)), kek=kek,
                        associated_data=candidate_aad(cid))  # fmt: skip
            opened["candidate_images"] += 1
    with unit_of_work(engine) as uow:
        for g_provider in uow.providers.list_all():
            found = uow.provider_secrets.get(g_provider.id)
            if found is not None:
                open_sealed(SealedBlob.from_bytes(found.sealed), kek=kek,
                            associated_data=api_key_aad(found.provider_id))  # fmt: skip
                opened["provider_secrets"] += 1
    return opened


def _entries(engine: Engine, event: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ledger_entries.c.entry).order_by(ledger_entries.c.seq))
        found = [json.loads(bytes(r)) for r in rows.scalars()]
    return [e for e in found if e["event"] == event]


def test_a_rotation_reseals_every_object_and_retires_the_old_key(
    engine: Engine, settings: Settings, stored: list[store_graph.Graph]
) -> None:
    old = load_or_create_kek(settings.vault_kek_path, create=False)
    assert _all_open(engine, old) == {
        "probe_images": GRAPHS, "candidate_images": GRAPHS, "provider_secrets": GRAPHS,
    }  # fmt: skip
    done = rotate_kek(settings, engine)
    new = load_or_create_kek(settings.vault_kek_path, create=False)
    assert new != old
    assert (done.old_kek_id, done.new_kek_id) == (old.kek_id_hex, new.kek_id_hex)
    assert done.opened == _all_open(engine, new) == {
        "probe_images": GRAPHS, "candidate_images": GRAPHS, "provider_secrets": GRAPHS,
    }  # fmt: skip
    assert done.rewrapped == done.opened
    with pytest.raises(VaultIntegrityError):
        _all_open(engine, old)
    assert not pending_kek_path(settings).exists()
    [entry] = _entries(engine, "vault:kek:rotate")
    counts = {"probe_image_count": GRAPHS, "candidate_image_count": GRAPHS,
              "provider_key_count": GRAPHS}  # fmt: skip
    assert entry["details"] == {
        "retired_kek_id": old.kek_id_hex, "new_kek_id": new.kek_id_hex,
        "resealed": counts, "opened": counts,
    }  # fmt: skip
    with engine.connect() as conn:
        refs = set(conn.execute(select(probe_images.c.key_ref)).scalars())
    assert refs == {new.kek_id_hex}


def test_an_interrupted_rotation_blocks_start_up_and_resumes(
    engine: Engine, settings: Settings, stored: list[store_graph.Graph]
) -> None:
    old = load_or_create_kek(settings.vault_kek_path, create=False)
    write_private_file(pending_kek_path(settings), os.urandom(KEY_BYTES))
    new = load_or_create_kek(pending_kek_path(settings), create=False)
    # As if the last run stopped after two probe images.
    with engine.begin() as conn:
        for g in stored[:2]:
            raw = conn.execute(select(probe_images.c.sealed).where(
                probe_images.c.probe_id == g.probe2.id)).scalar_one()  # fmt: skip
            moved = rewrap(SealedBlob.from_bytes(bytes(raw)), old_kek=old, new_kek=new,
                           associated_data=probe_aad(g.probe2.id))  # fmt: skip
            conn.execute(update(probe_images).where(probe_images.c.probe_id == g.probe2.id)
                         .values(sealed=moved.to_bytes()))  # fmt: skip
    with pytest.raises(ConfigurationError, match="rotation is unfinished"):
        require_no_pending_rotation(settings)
    done = rotate_kek(settings, engine)
    assert done.already["probe_images"] == 2
    assert done.rewrapped["probe_images"] == GRAPHS - 2
    assert _all_open(engine, new)["probe_images"] == GRAPHS
    require_no_pending_rotation(settings)


def test_an_object_that_does_not_open_keeps_the_old_key(
    engine: Engine, settings: Settings, stored: list[store_graph.Graph]
) -> None:
    before = settings.vault_kek_path.read_bytes()
    victim = stored[3].candidate_image.candidate_id
    with engine.begin() as conn:
        raw = bytearray(conn.execute(select(candidate_images.c.sealed).where(
            candidate_images.c.candidate_id == victim)).scalar_one())  # fmt: skip
        raw[-1] ^= 1
        conn.execute(update(candidate_images).where(candidate_images.c.candidate_id == victim)
                     .values(sealed=bytes(raw)))  # fmt: skip
    with pytest.raises((RotationFailed, VaultIntegrityError)):
        rotate_kek(settings, engine)
    assert settings.vault_kek_path.read_bytes() == before
    assert pending_kek_path(settings).exists()  # the service refuses to start: look first
    assert _entries(engine, "vault:kek:rotate") == []


def test_shredding_at_retention_end_destroys_the_images_and_the_ledger_verifies(
    engine: Engine, settings: Settings, stored: list[store_graph.Graph]
) -> None:
    kek = load_or_create_kek(settings.vault_kek_path, create=False)
    victim = stored[0].probe2
    with engine.connect() as conn:
        backup_copy = bytes(conn.execute(select(probe_images.c.sealed).where(
            probe_images.c.probe_id == victim.id)).scalar_one())  # fmt: skip
    assert victim.created_at is not None
    # Nothing is older than 30 days the day after the probes were made.
    early = shred_expired(settings, engine, now=victim.created_at + timedelta(days=1))
    assert early.probes == 0
    done = shred_expired(settings, engine, now=victim.created_at + timedelta(days=31))
    assert done.probes == GRAPHS
    with engine.connect() as conn:
        assert conn.execute(select(probe_images)).all() == []
        statuses = set(conn.execute(select(probes.c.status).where(
            probes.c.id.in_([g.probe2.id for g in stored]))).scalars())  # fmt: skip
        assert statuses == {"purged"}
    shredded = _entries(engine, "probe:image:shred")
    assert sorted(e["subject"] for e in shredded) == sorted(f"probe:{g.probe2.id}" for g in stored)
    assert {e["details"]["probe_sha256"] for e in shredded} == {g.probe2.sha256 for g in stored}
    signer = load_or_create_signing_key(settings.ledger_key_path, name=settings.ledger_origin,
                                        create=False)  # fmt: skip
    assert verify_ledger(engine, signer.verifier, parallel=False).ok
    # The copy a backup made before still opens under the KEK of its time ...
    opened = open_sealed(SealedBlob.from_bytes(backup_copy), kek=kek,
                         associated_data=probe_aad(victim.id))  # fmt: skip
    assert opened.startswith(b"probe")
    # ... until that KEK is rotated out: then no key this installation holds opens it.
    rotate_kek(settings, engine)
    current = load_or_create_kek(settings.vault_kek_path, create=False)
    with pytest.raises(VaultIntegrityError):
        open_sealed(SealedBlob.from_bytes(backup_copy), kek=current,
                    associated_data=probe_aad(victim.id))  # fmt: skip


def test_shredding_needs_a_retention_period(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRSGATE_PROBE_RETENTION_DAYS", "0")
    with pytest.raises(ConfigurationError, match="FRSGATE_PROBE_RETENTION_DAYS is 0"):
        shred_expired(load_settings(), engine, now=datetime.now(UTC))

"""Submitting the ledger's checkpoints to witnesses, and asking a witness what it cosigned.

After the service issues a checkpoint it sends it to each configured witness with a
consistency proof from the size that witness last cosigned (c2sp.org/tlog-witness
`add-checkpoint`). A witness that answers with another size (409, `text/x.tlog.size`) is asked
again from that size, once. A cosignature that verifies with the witness's key is added to the
stored checkpoint's note, so `GET /api/v1/ledger/checkpoint` hands auditors the cosigned note.
A witness that refuses or cannot be reached is logged and tried again with the next checkpoint;
the service keeps serving (the record is intact; only its outside attestation is late), and
`frsgate ledger verify` names any witness whose view the log no longer matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from sqlalchemy import desc, select, update

from frsgate.config import Settings
from frsgate.errors import FrsGateError
from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.ledger.cosignature import CosignatureVerifier, Cosigner, add_signature_lines
from frsgate.ledger.log import Ledger
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import SignedCheckpoint
from frsgate.ledger.witnessed import Witnessed
from frsgate.store.schema.ledger import ledger_checkpoints
from frsgate.witness.core import SIZE_TYPE

log = logging.getLogger(__name__)
RECENT_CHECKPOINTS = 64  # where to look for the size a witness last cosigned


class WitnessRefused(FrsGateError):
    """A witness did not cosign a checkpoint (its answer says why)."""


@dataclass(frozen=True, slots=True)
class WitnessClient:
    """One witness: where it listens and the key its cosignatures verify with."""

    url: str
    verifier: CosignatureVerifier
    timeout: float = 5.0

    @property
    def name(self) -> str:
        return self.verifier.name

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url.rstrip("/"), timeout=self.timeout)

    def add_checkpoint(self, old: int, proof: list[bytes], note: str) -> httpx.Response:
        import base64

        lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
        body = "\n".join(lines) + "\n\n" + note
        with self._client() as client:
            return client.post("/add-checkpoint", content=body.encode())

    def latest(self, origin: str) -> Witnessed:
        """This witness's latest cosigned checkpoint of `origin`, or why it cannot be had."""
        try:
            with self._client() as client:
                answer = client.get(f"/latest?origin={quote(origin, safe='')}")
        except httpx.HTTPError as exc:
            return Witnessed(self.verifier, None, f"unreachable at {self.url} ({exc})")
        if answer.status_code == 404:
            return Witnessed(self.verifier, None, "it has cosigned no checkpoint of this log")
        if answer.status_code != 200:
            return Witnessed(
                self.verifier, None, f"answered {answer.status_code}: {answer.text.strip()}"
            )
        return Witnessed(self.verifier, answer.text)


WITNESS_KEY_FILE = "witness-ed25519.pem"


def beside_witness_name(settings: Settings) -> str:
    """The name of the witness `frsgate serve` runs beside the service."""
    return f"{settings.ledger_origin.split('/')[0]}/witness"


def configured_witnesses(settings: Settings) -> list[WitnessClient]:
    """FRSGATE_WITNESSES, or, when it is empty, the witness run beside the service (if its
    key exists: `frsgate serve` creates it)."""
    found = []
    for item in filter(None, (part.strip() for part in settings.witnesses.split(","))):
        url, _, verifier = item.partition(" ")
        found.append(WitnessClient(url, CosignatureVerifier.parse(verifier.strip())))
    if found or not settings.witness_beside:
        return found
    key_path = settings.witness_home / "keys" / WITNESS_KEY_FILE
    if not key_path.exists():
        return []
    cosigner = Cosigner(
        load_or_create_ed25519_key(key_path, create=False), beside_witness_name(settings)
    )
    return [WitnessClient(f"http://127.0.0.1:{settings.witness_port}", cosigner.verifier)]


def _cosigned_size(ledger: Ledger, witness: CosignatureVerifier) -> int:
    """The size of the newest stored checkpoint this witness cosigned (0 if none recent)."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note)
            .order_by(desc(ledger_checkpoints.c.tree_size))
            .limit(RECENT_CHECKPOINTS)
        ).all()
    for size, note in rows:
        try:
            witness.timestamp_in(note)
        except InvalidProof:
            continue
        return int(size)
    return 0


def witness_checkpoint(ledger: Ledger, signed: SignedCheckpoint, witness: WitnessClient) -> str:
    """Have `witness` cosign `signed`; store and return its cosignature line."""
    size = signed.tree_size
    old = min(_cosigned_size(ledger, witness.verifier), size)
    for _ in range(2):
        proof = list(ledger.consistency_proof(old, size).hashes) if 0 < old < size else []
        try:
            answer = witness.add_checkpoint(old, proof, signed.note)
        except httpx.HTTPError as exc:
            raise WitnessRefused(f"witness {witness.name} is unreachable ({exc})") from None
        if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
            SIZE_TYPE
        ):
            theirs = answer.text.strip()
            if not theirs.isdigit():
                raise WitnessRefused(f"witness {witness.name} sent a malformed size")
            old = int(theirs)
            if old > size:
                raise WitnessRefused(
                    f"witness {witness.name} has cosigned {old} entries of this log, more than "
                    f"the {size} it holds: entries were removed — run `frsgate ledger verify`"
                )
            continue
        if answer.status_code != 200:
            raise WitnessRefused(
                f"witness {witness.name} refused the checkpoint at size {size} "
                f"({answer.status_code}: {answer.text.strip()})"
            )
        cosigned = add_signature_lines(signed.note, answer.text)
        try:
            witness.verifier.timestamp_in(cosigned)
        except InvalidProof as exc:
            raise WitnessRefused(f"witness {witness.name} sent a bad cosignature ({exc})") from None
        with ledger.engine.begin() as conn:
            stored = conn.execute(
                select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.tree_size == size)
            ).scalar_one_or_none()
            if stored is not None:
                conn.execute(
                    update(ledger_checkpoints)
                    .where(ledger_checkpoints.c.tree_size == size)
                    .values(note=add_signature_lines(stored, answer.text))
                )
        return answer.text
    raise WitnessRefused(f"witness {witness.name} kept answering with another size")


def witness_latest(ledger: Ledger, witnesses: list[WitnessClient]) -> None:
    """Bring every witness up to the latest stored checkpoint; log (never raise) a refusal.
    Called by the service after each periodic checkpoint."""
    latest = ledger.latest_checkpoint()
    if latest is None:
        return
    for witness in witnesses:
        try:
            witness.verifier.timestamp_in(latest.note)
            continue  # already cosigned
        except InvalidProof:
            pass
        try:
            witness_checkpoint(ledger, latest, witness)
        except (WitnessRefused, FrsGateError) as exc:
            log.warning("checkpoint at size %d not witnessed: %s", latest.tree_size, exc)

"""FRS providers administered for real (memo 4.C): an administrator registers an http provider
with a sealed API key and TLS settings, OSDM reviews it with a structured record, the
connectivity check and an agent's search go through the connector with that key and TLS, OSDM
suspends it and approves it again. The sandbox FRS stands in for the provider, as a separate
process (`frsgate sandbox-frs`) demanding an API key, or serving https with a self-signed
certificate. Over HTTP and through `frsgate providers ...`."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness import Gateway
from helpers import exigent_body, post_probe, submission_body
from images import astronaut_jpeg
from processes import CLI, free_port
from typer.testing import CliRunner

from frsgate.cli.providers import app as providers_cli

KEY = "sbx-key-5f1c0a9e7d3b42c8a6e1"
WRONG = "sbx-key-wrong-000000000000"
EVIDENCE = {
    "source": "NIST FRTE 1:N",
    "reference": "NIST IR 8271 (2024 draft), table 12",
    "summary": "FNIR 0.3% at rank 1 on mugshot galleries",
}


def _terms(**over: Any) -> dict[str, Any]:
    terms = {
        "match_types": ["one_to_many", "one_to_one"],
        "candidate_cap": 20,
        "law_enforcement_use": True,
        "terms_ref": "contract HSHQDC-26-C-0042, schedule B",
    }
    terms.update(over)
    return terms


def approval(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision": "approved",
        "capabilities": "1:N and 1:1 search of a mugshot gallery",
        "terms": _terms(candidate_cap=10),
        "accuracy_evidence": [EVIDENCE],
        "demographic_differentials": "NIST FRTE demographic annex: FMR ratio under 2 across groups",
        "data_handling": "probes deleted after the search; no training on probes",
        "retention": "search logs kept 30 days",
        "rationale": "meets the accuracy bar; terms permit law-enforcement use",
    }
    body.update(over)
    return body


@contextlib.contextmanager
def sandbox_process(tmp_path: Path, *args: str, scheme: str = "http") -> Iterator[str]:
    """`frsgate sandbox-frs` in its own process on a free port, until the block ends."""
    port = free_port()
    log = tmp_path / f"sandbox-{port}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*CLI, "sandbox-frs", "--port", str(port), "--gallery-size", "50", *args],
            stdout=sink, stderr=subprocess.STDOUT, text=True,
            env={k: v for k, v in os.environ.items() if k != "FRSGATE_SANDBOX_FRS_API_KEY"},
        )  # fmt: skip
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"sandbox-frs exited early:\n{log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/v1/health", timeout=1, verify=False)
                break  # any answer (401 included) means it listens
            if time.monotonic() > deadline:
                pytest.fail(f"sandbox-frs did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def keyed_sandbox(tmp_path: Path) -> Iterator[str]:
    key_file = tmp_path / "sandbox.key"
    key_file.write_text(KEY + "\n")
    with sandbox_process(tmp_path, "--api-key-file", str(key_file)) as url:
        yield url


@pytest.fixture
def cli_env(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reaches the gateway's own installation."""
    monkeypatch.setenv("FRSGATE_HOME", str(gateway.settings.home))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", gateway.settings.effective_database_url)
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(providers_cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def register(gateway: Gateway, url: str, name: str = "acme", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "base_url": url, "terms": _terms()}
    body.update(over)
    with gateway.client("ada") as ada:
        made = ada.post("/api/v1/admin/providers", json=body)
    assert made.status_code == 201, made.text
    provider: dict[str, Any] = made.json()
    return provider


def review(gateway: Gateway, provider_id: str, body: dict[str, Any]) -> httpx.Response:
    with gateway.client("olga") as olga:
        return olga.post(f"/api/v1/providers/{provider_id}/review", json=body)


def ledger_text(gateway: Gateway) -> str:
    """The whole ledger as `frsgate ledger export` writes it."""
    from frsgate.cli.ledger import app as ledger_cli

    result = CliRunner().invoke(ledger_cli, ["export"])
    assert result.exit_code == 0, result.output
    return result.output


def events(gateway: Gateway, event: str, provider: str | None = None) -> list[dict[str, Any]]:
    """The entries of `event` (about `provider`, by id, when given)."""
    ledger = gateway.runtime.ledger
    found = [json.loads(e) for e in ledger.entries(0, ledger.size())]
    return [
        e for e in found
        if e["event"] == event and (provider is None or e.get("provider") == provider)
    ]  # fmt: skip


def search(gateway: Gateway, provider: str, **over: Any) -> httpx.Response:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        return alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], provider=provider, **over)
        )


def test_a_provider_with_an_api_key_is_registered_reviewed_checked_and_used(
    gateway: Gateway,
    keyed_sandbox: str,
    cli_env: None,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    made = register(gateway, keyed_sandbox, api_key=KEY)
    answers.append(json.dumps(made))
    assert made["api_key_fingerprint"] == hashlib.sha256(KEY.encode()).hexdigest()[:16]
    assert made["review_status"] == "unreviewed"
    assert made["tls"]["verify"] is True
    [created] = events(gateway, "provider:record:create", made["id"])
    assert created["details"]["after"]["api_key_fingerprint"] == made["api_key_fingerprint"]
    assert created["details"]["before"] is None
    assert created["actor"]["id"] == gateway.users["ada"]

    # Not yet approved: an ordinary search is refused (memo 4.C.1).
    refused = search(gateway, "acme")
    assert refused.status_code == 403, refused.text
    assert "provider.unreviewed" in {c["rule"] for c in refused.json()["decision"]["citations"]}

    # OSDM's approval must carry the whole record: each missing part is named.
    for missing in ("data_handling", "retention", "capabilities", "demographic_differentials"):
        incomplete = review(gateway, made["id"], approval(**{missing: ""}))
        assert incomplete.status_code == 422, incomplete.text
        assert missing in incomplete.json()["message"]
    no_evidence = review(gateway, made["id"], approval(accuracy_evidence=[]))
    assert no_evidence.status_code == 422
    assert "accuracy_evidence" in no_evidence.json()["message"]
    no_terms = review(gateway, made["id"], {k: v for k, v in approval().items() if k != "terms"})
    assert no_terms.status_code == 422
    assert "terms" in no_terms.json()["message"]
    approved = review(gateway, made["id"], approval())
    assert approved.status_code == 200, approved.text
    answers.append(approved.text)
    assert approved.json()["review_status"] == "approved"
    assert approved.json()["candidate_cap"] == 10  # the terms OSDM accepted now bind
    assert approved.json()["review"]["accuracy_evidence"] == [EVIDENCE]
    [decided] = events(gateway, "provider:review:decide", made["id"])
    assert decided["details"]["before"]["review_status"] == "unreviewed"
    assert decided["details"]["after"]["review_status"] == "approved"
    assert decided["details"]["review"]["rationale"].startswith("meets")

    # The check goes through the connector, with the key: over HTTP and from the command line.
    with gateway.client("ada") as ada:
        checked = ada.post("/api/v1/admin/providers/acme/check")
        answers.append(checked.text)
        shown = ada.get("/api/v1/admin/providers/acme")
        answers.append(shown.text)
        answers.append(ada.get("/api/v1/admin/providers").text)
    assert checked.status_code == 200, checked.text
    assert checked.json()["ok"] is True, checked.json()
    assert [r["decision"] for r in shown.json()["reviews"]] == ["approved"]
    assert "ok: acme" in cli("check", "acme", "--as", "ada")
    checks = events(gateway, "provider:health:check")
    assert [c["outcome"] for c in checks] == ["succeeded", "succeeded"]
    assert checks[1]["source"] == "cli"

    # An agent's 1:N search reaches the provider with the key.
    done = search(gateway, "acme")
    assert done.status_code == 201, done.text
    answers.append(done.text)
    assert done.json()["submission"]["status"] == "completed"

    # A wrong key: the check fails, naming why, and a dispatch fails, without the key.
    (Path(gateway.settings.home) / "wrong.key").write_text(WRONG)
    rotated = cli("set-key", "acme", "--as", "ada", "--api-key-file",
                  str(Path(gateway.settings.home) / "wrong.key"))  # fmt: skip
    assert hashlib.sha256(WRONG.encode()).hexdigest()[:16] in rotated
    [key_set] = events(gateway, "provider:credential:set")
    assert key_set["details"]["before"]["api_key_fingerprint"] == made["api_key_fingerprint"]
    failed = cli("check", "acme", "--as", "ada", code=1)
    assert "fail: acme" in failed
    assert "401" in failed
    assert events(gateway, "provider:health:check")[-1]["outcome"] == "failed"
    broken = search(gateway, "acme")
    answers.append(broken.text)
    assert broken.json()["submission"]["status"] == "failed", broken.text
    assert "401" in ledger_text(gateway)

    # Set right again over HTTP: it works again (a changed key gets a new connector).
    with gateway.client("ada") as ada:
        reset = ada.post("/api/v1/admin/providers/acme/api-key", json={"api_key": KEY})
    assert reset.status_code == 200, reset.text
    answers.append(reset.text)
    assert search(gateway, "acme").json()["submission"]["status"] == "completed"

    # The key is nowhere: not on the ledger, in an answer, a log line, the output, or a repr.
    connector = gateway.runtime.connectors.connector(_provider(gateway, "acme"))
    seen = "\n".join(
        [ledger_text(gateway), *answers, caplog.text, *capsys.readouterr(), repr(connector),
         repr(_provider(gateway, "acme")), cli("show", "acme", "--as", "ada", "--json")]
    )  # fmt: skip
    for secret in (KEY, WRONG):
        assert secret not in seen


def _provider(gateway: Gateway, name: str) -> Any:
    from frsgate.store.unit import read_only

    with read_only(gateway.runtime.engine) as uow:
        return uow.providers.get_by_name(name)


def test_suspension_refuses_every_use_until_osdm_approves_again(
    gateway: Gateway, cli_env: None
) -> None:
    made = register(gateway, gateway.sandbox_url)
    assert review(gateway, made["id"], approval()).status_code == 200
    assert search(gateway, "acme").status_code == 201

    out = cli("suspend", "acme", "--as", "olga", "--rationale", "vendor breach under review")
    assert "acme: suspended" in out
    [suspended] = events(gateway, "provider:review:suspend")
    assert suspended["details"]["after"]["review_status"] == "suspended"
    assert suspended["source"] == "cli"
    for body in (
        {"provider": "acme"},
        exigent_body("x", "acme", "kidnapping in progress") | {"provider": "acme"},
    ):
        with gateway.client("alice") as alice:
            probe = post_probe(alice, astronaut_jpeg()).json()
            body = {**body, "probe_id": probe["id"]}
            denied = alice.post("/api/v1/submissions", json=submission_body(**body))
        assert denied.status_code == 403, denied.text
        rules = {c["rule"] for c in denied.json()["decision"]["citations"]}
        assert "provider.suspended" in rules

    # Approved again, with the full record, from a file; then usable again.
    record = Path(gateway.settings.home) / "review.json"
    record.write_text(json.dumps(approval(rationale="breach closed; re-audited")))
    assert "acme: approved" in cli("review", "acme", "--as", "olga", "--record", str(record))
    assert search(gateway, "acme").status_code == 201
    # A re-review takes it off the approved list until decided.
    assert (
        review(gateway, made["id"], {"decision": "pending", "rationale": "new terms"}).json()[
            "review_status"
        ]
        == "pending"
    )
    shown = json.loads(cli("show", "acme", "--as", "ada", "--json"))
    assert [r["decision"] for r in shown["reviews"]] == ["approved", "suspended", "approved"]
    assert shown["review_status"] == "pending"


def test_only_an_administrator_registers_and_reads_providers(
    gateway: Gateway, cli_env: None
) -> None:
    body = {"name": "rogue", "base_url": gateway.sandbox_url, "terms": _terms()}
    for user, rule in (("alice", "duty.provider_manage"), ("otto", "opr.read_only"),
                       ("olga", "duty.provider_manage")):  # fmt: skip
        with gateway.client(user) as client:
            refused = client.post("/api/v1/admin/providers", json=body)
            listed = client.get("/api/v1/admin/providers")
        assert refused.status_code == 403, refused.text
        assert rule in {c["rule"] for c in refused.json()["decision"]["citations"]}
        assert listed.status_code == 403
    denials = [
        e for e in events(gateway, "policy:decision:evaluate")
        if e["details"]["action"] == "provider.manage" and e["outcome"] == "denied"
    ]  # fmt: skip
    assert len(denials) == 6
    result = CliRunner().invoke(
        providers_cli, ["add", "rogue", "--as", "alice", "--url", gateway.sandbox_url,
                        "--match-type", "one_to_many", "--candidate-cap", "5",
                        "--terms-ref", "t", "--law-enforcement-use"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Only an administrator" in result.output
    with gateway.client("ada") as ada:
        assert ada.get("/api/v1/admin/providers/rogue").status_code == 404
    # An administrator's read is on the ledger.
    assert "sandbox kind=sandbox" in cli("list", "--as", "ada")
    [viewed] = events(gateway, "provider:records:view")
    assert viewed["actor"]["id"] == gateway.users["ada"]


def test_what_registration_refuses_is_named(
    gateway: Gateway, tmp_path: Path, cli_env: None
) -> None:
    url = gateway.sandbox_url
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"terms": _terms(match_types=["one_to_few"])},
            "valid: one_to_one, two_photo, one_to_many",
        ),
        ({"base_url": "ftp://frs.example"}, "base_url"),
        ({"base_url": "https://user:pw@frs.example"}, "user name or password"),
        ({"tls": {"ca_bundle": str(tmp_path / "missing.pem")}}, "tls.ca_bundle"),
        ({"tls": {"client_key": str(tmp_path / "k.pem")}}, "client_key"),
        ({"api_key": "short"}, "api_key"),
        ({"api_key": "has a space in the middle"}, "api_key"),
        ({"name": "bad name!"}, "name"),
    ]
    with gateway.client("ada") as ada:
        for over, named in cases:
            body = {"name": "acme", "base_url": url, "terms": _terms(), **over}
            response = ada.post("/api/v1/admin/providers", json=body)
            assert response.status_code == 422, (over, response.text)
            assert named in response.json()["message"], (over, response.text)
            assert "has a space" not in response.text
        assert (
            ada.post(
                "/api/v1/admin/providers", json={"name": "acme", "base_url": url, "terms": _terms()}
            ).status_code
            == 201
        )
        again = ada.post("/api/v1/admin/providers",
                         json={"name": "acme", "base_url": url, "terms": _terms()})  # fmt: skip
        assert again.status_code == 409
        assert (
            ada.patch("/api/v1/admin/providers/nobody", json={"base_url": url}).status_code == 404
        )
        moved = ada.patch("/api/v1/admin/providers/acme", json={"base_url": url + "/"})
        assert moved.status_code == 200, moved.text
    [updated] = events(gateway, "provider:record:update")
    assert updated["details"]["before"]["base_url"] == url
    assert not events(gateway, "provider:credential:set")


def _self_signed(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "FRS test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return paths


def test_tls_is_verified_against_the_providers_ca_bundle(
    gateway: Gateway, tmp_path: Path, cli_env: None
) -> None:
    ca, cert, key = _self_signed(tmp_path)
    with sandbox_process(tmp_path, "--tls-cert-file", str(cert), "--tls-key-file", str(key),
                         scheme="https") as url:  # fmt: skip
        register(gateway, url)
        with gateway.client("ada") as ada:
            untrusted = ada.post("/api/v1/admin/providers/acme/check").json()
            assert untrusted["ok"] is False
            assert "TLS certificate verification failed" in untrusted["reason"]
            trusted = ada.patch("/api/v1/admin/providers/acme",
                                json={"tls": {"ca_bundle": str(ca)}})  # fmt: skip
            assert trusted.status_code == 200, trusted.text
            assert trusted.json()["tls"]["ca_bundle"] == str(ca)
            ok = ada.post("/api/v1/admin/providers/acme/check").json()
            assert ok["ok"] is True, ok
        # From the command line: verification turned off on purpose is recorded, and works.
        assert "tls_verify=off" in cli("update", "acme", "--as", "ada", "--no-verify")
        assert "ok: acme" in cli("check", "acme", "--as", "ada")
    updates = events(gateway, "provider:record:update")
    assert updates[0]["details"]["after"]["tls"]["ca_bundle"] == str(ca)
    assert updates[1]["details"]["after"]["tls"]["verify"] is False


def test_a_new_origin_drops_the_stored_api_key(gateway: Gateway) -> None:
    """A stored key is never sent where it was not given: pointing the provider at another
    host drops it (an administrator who cannot read the key cannot harvest it by moving the
    provider to a server of their own); a new path on the same origin keeps it."""
    made = register(gateway, "https://frs.vendor.example/v1", api_key=KEY)
    fingerprint = made["api_key_fingerprint"]
    with gateway.client("ada") as ada:
        same = ada.patch("/api/v1/admin/providers/acme",
                         json={"base_url": "https://frs.vendor.example:443/v2"})  # fmt: skip
        assert same.status_code == 200, same.text
        assert same.json()["api_key_fingerprint"] == fingerprint
        moved = ada.patch("/api/v1/admin/providers/acme",
                          json={"base_url": "https://collector.example/v2"})  # fmt: skip
        assert moved.status_code == 200, moved.text
        assert moved.json()["api_key_fingerprint"] is None
    from frsgate.store.unit import read_only

    with read_only(gateway.runtime.engine) as uow:
        assert uow.provider_secrets.get(made["id"]) is None
    updates = events(gateway, "provider:record:update", made["id"])
    assert [u["details"]["api_key_dropped"] for u in updates] == [False, True]
    assert updates[1]["details"]["before"]["api_key_fingerprint"] == fingerprint
    assert updates[1]["details"]["after"]["api_key_fingerprint"] is None

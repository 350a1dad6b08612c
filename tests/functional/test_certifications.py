"""PALMS certifications imported from the training system (memo 4.A.3), over HTTP and from the
command line, on the real app: a good import lets the agent use an FRS; a malformed file is
refused naming line and field, the refusal cited on the ledger and nothing imported; importing
again changes nothing; nobody imports their own certification; a certification that lapses
blocks use at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Gateway, running_gateway
from helpers import post_probe, submission_body
from images import astronaut_jpeg
from typer.testing import CliRunner

from frsgate.cli.main import app as cli_app
from frsgate.services.certifications import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS
from frsgate.store.unit import read_only

IMPORT = "/api/v1/admin/certifications/import"
LIST = "/api/v1/admin/certifications"
HEADER = "username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on"
CSV = {"Content-Type": "text/csv"}


def _day(gateway: Gateway, days_ago: int) -> str:
    return (gateway.runtime.gate.now() - timedelta(days=days_ago)).date().isoformat()


def _row(gateway: Gateway, username: str, days_ago: int = 10, **cells: str) -> str:
    on = _day(gateway, days_ago)
    values = {"username": username, "course_id": "ICE-FRS-101", "completed_on": on,
              "best_practices_attested_on": on, "safeguards_attested_on": on}  # fmt: skip
    values.update(cells)
    return ",".join(values.values())


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _import(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post(IMPORT, content=data, headers=CSV)


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _certifications(gateway: Gateway, username: str) -> int:
    with read_only(gateway.runtime.engine) as uow:
        return len(uow.certifications.of_user(uow.users.get_by_username(username).id))


def _cited(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _probe_refused_for_certification(client: httpx.Client) -> None:
    refused = post_probe(client, astronaut_jpeg())
    assert refused.status_code == 403, refused.text
    assert "certification.current" in _cited(refused)


def test_an_import_over_http_lets_the_agent_use_an_frs(gateway: Gateway) -> None:
    with gateway.client("aaron") as aaron:  # his only certification lapsed
        _probe_refused_for_certification(aaron)
    before = gateway.runtime.ledger.size()
    data = _csv(_row(gateway, "aaron", 20), _row(gateway, "erin", 5, safeguards_attested_on=""))
    with gateway.client("ada") as ada:
        response = _import(ada, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["new"], body["unchanged"]) == (2, 2, 0)
    aaron_cert, erin_cert = body["certifications"]
    assert aaron_cert["username"] == "aaron"
    assert aaron_cert["current"] is True
    # Current for the configured period (365 days) after its latest date.
    completed = datetime.fromisoformat(aaron_cert["training_completed_at"])
    assert datetime.fromisoformat(aaron_cert["expires_at"]) == completed + timedelta(days=365)
    assert erin_cert["current"] is False
    assert erin_cert["missing"] == ["safeguards attestation not made (memo 4.A.3)"]

    entries = _entries(gateway, before)
    assert [e["event"] for e in entries] == [
        "policy:decision:evaluate", "certification:import:run",
        "certification:record:create", "certification:record:create",
    ]  # fmt: skip
    decision, run, *created = entries
    assert decision["outcome"] == "allowed"
    assert decision["details"]["action"] == "certification.record"
    assert run["details"]["sha256"] == body["sha256"] == __import__("hashlib").sha256(
        data).hexdigest()  # fmt: skip
    assert (run["details"]["rows"], run["details"]["new"]) == (2, 2)
    assert run["actor"]["id"] == gateway.users["ada"]
    assert created[0]["details"]["before"] is None
    assert created[0]["details"]["after"]["training_completed_at"] == aaron_cert[
        "training_completed_at"]  # fmt: skip
    assert created[1]["details"]["after"]["safeguards_attested_at"] is None

    # The next act reads the new certification: no restart.
    with gateway.client("aaron") as aaron:
        probe = post_probe(aaron, astronaut_jpeg())
        assert probe.status_code == 201, probe.text
        submitted = aaron.post("/api/v1/submissions", json=submission_body(probe.json()["id"]))
        assert submitted.status_code == 201, submitted.text


def test_importing_the_same_file_again_changes_nothing(gateway: Gateway) -> None:
    first = _csv(_row(gateway, "aaron", 20), _row(gateway, "erin", 3))
    with gateway.client("ada") as ada:
        assert _import(ada, first).json()["new"] == 2
        counts = (_certifications(gateway, "aaron"), _certifications(gateway, "erin"))
        again = _import(ada, first)
        assert again.status_code == 200, again.text
        assert (again.json()["new"], again.json()["unchanged"]) == (0, 2)
        assert again.json()["certifications"] == []
        assert (_certifications(gateway, "aaron"), _certifications(gateway, "erin")) == counts
        # With a BOM, CRLF and one row new: only that row is recorded.
        later = ("\ufeff" + first.decode().replace("\n", "\r\n")).encode() + _row(
            gateway, "sam", 2).encode() + b"\r\n"  # fmt: skip
        third = _import(ada, later).json()
        assert (third["rows"], third["new"], third["unchanged"]) == (3, 1, 2)
        assert [c["username"] for c in third["certifications"]] == ["sam"]
    assert (_certifications(gateway, "aaron"), _certifications(gateway, "erin")) == counts


def _malformed(gateway: Gateway) -> list[tuple[str, bytes, str]]:
    good = _row(gateway, "aaron", 20)
    fat = ",".join([HEADER, "palms_reference"])
    return [
        ("unknown username", _csv(good, _row(gateway, "nobody")), "line 3, username: no user"),
        ("unknown course", _csv(good, _row(gateway, "erin", course_id="ICE-FRS-999")),
         "line 3, course_id: 'ICE-FRS-999' is not an IGP-approved course id"),
        ("bad date", _csv(good, _row(gateway, "erin", completed_on="2026-02-30")),
         "line 3, completed_on: '2026-02-30'"),
        ("future date", _csv(good, _row(gateway, "erin", best_practices_attested_on=_day(
            gateway, -2))), "line 3, best_practices_attested_on: "),
        ("missing column", _csv(good.rsplit(",", 1)[0], header=HEADER.rsplit(",", 1)[0]),
         "line 1, header: missing column safeguards_attested_on"),
        ("duplicate row", _csv(good, _row(gateway, "erin"), good),
         "line 4, row: duplicate of line 2"),
        ("too many rows", _csv(*[good.replace("aaron", f"u{i}")
                                 for i in range(MAX_IMPORT_ROWS + 1)]),
         f"line {MAX_IMPORT_ROWS + 2}, row: more than {MAX_IMPORT_ROWS} rows"),
        # Over the import's limit, under the 256 KiB every such request body is held to.
        ("too large", _csv(*[f"{good.replace('aaron', f'u{i}')},{'r' * 220}"
                             for i in range(930)], header=fat), ", file: the file is "),
        ("not UTF-8", _csv(good, "\xe9rin" + good[5:]).replace(b"\xc3\xa9", b"\xe9"),
         "line 3, file: not UTF-8"),
        ("control character", _csv(good, "er\x00in" + good[5:]), "line 3, username: holds"),
    ]  # fmt: skip


def test_a_malformed_file_is_refused_naming_line_and_field_and_only_the_refusal_is_recorded(
    gateway: Gateway,
) -> None:
    counts = _certifications(gateway, "aaron")
    with gateway.client("ada") as ada:
        for name, data, expected in _malformed(gateway):
            assert len(data) <= MAX_IMPORT_BYTES or name == "too large"
            before = gateway.runtime.ledger.size()
            response = _import(ada, data)
            assert response.status_code == 422, (name, response.text)
            body = response.json()
            assert body["error"] == "ValidationFailed"
            assert any(p.startswith(expected) or expected in p for p in body["problems"]), (
                name, body)  # fmt: skip
            assert expected in body["message"] or body["message"].count("line ") >= 1, name
            # The refusal is a decision: cited, and on the ledger with the lines at fault.
            assert _cited(response) == {"certification.import_well_formed"}, name
            [decision] = _entries(gateway, before)
            assert decision["outcome"] == "denied"
            assert decision["citations"] == body["decision"]["citations"]
            assert decision["details"]["problem_count"] >= 1
            assert any(expected in p for p in decision["details"]["problems"]) or (
                decision["details"]["problem_count"] > len(decision["details"]["problems"])
            ), name
        before = gateway.runtime.ledger.size()
        too_large = _import(ada, b"x" * (256 * 1024 + 1))  # refused before it is read
        assert too_large.status_code == 413
        wrong_type = ada.post(IMPORT, content=_csv(_row(gateway, "aaron")),
                              headers={"Content-Type": "application/json"})  # fmt: skip
        assert wrong_type.status_code == 422
        assert "Content-Type" in wrong_type.json()["message"]
    # Refused before they were read: no decision was asked for.
    assert gateway.runtime.ledger.size() == before
    assert _certifications(gateway, "aaron") == counts
    with gateway.client("aaron") as aaron:  # the good row of each file was not recorded
        _probe_refused_for_certification(aaron)


def test_nobody_imports_their_own_certification(gateway: Gateway) -> None:
    before = gateway.runtime.ledger.size()
    data = _csv(_row(gateway, "aaron"), _row(gateway, "ada"))
    with gateway.client("ada") as ada:
        refused = _import(ada, data)
    assert refused.status_code == 403, refused.text
    assert _cited(refused) == {"certification.not_own"}
    [decision] = _entries(gateway, before)  # the refusal, and nothing else
    assert decision["event"] == "policy:decision:evaluate"
    assert decision["outcome"] == "denied"
    assert decision["citations"] == refused.json()["decision"]["citations"]
    assert decision["details"]["sha256"] == __import__("hashlib").sha256(data).hexdigest()
    assert _certifications(gateway, "ada") == 0
    with gateway.client("aaron") as aaron:  # aaron's row was not recorded either
        _probe_refused_for_certification(aaron)


def test_only_an_administrator_imports_or_reads_certifications(gateway: Gateway) -> None:
    for username in ("alice", "sam", "ivan", "otto"):
        before = gateway.runtime.ledger.size()
        with gateway.client(username) as client:
            # Usernames unknown or not: the pack refuses before any is looked up.
            for response in (_import(client, _csv(_row(gateway, "nobody"))), client.get(LIST)):
                assert response.status_code == 403, (username, response.text)
                assert "duty.certification_record" in _cited(response)
        decisions = _entries(gateway, before)
        assert [d["outcome"] for d in decisions] == ["denied", "denied"]
        assert all(d["details"]["action"] == "certification.record" for d in decisions)


def test_reading_the_certifications_on_file(gateway: Gateway) -> None:
    with gateway.client("ada") as ada:
        everyone = ada.get(LIST)
        assert everyone.status_code == 200, everyone.text
        names = [c["username"] for c in everyone.json()["certifications"]]
        assert names == sorted(names)
        assert {"alice", "aaron"} <= set(names)
        before = gateway.runtime.ledger.size()
        one = ada.get(LIST, params={"username": "aaron"}).json()["certifications"]
        [lapsed] = one
        assert lapsed["current"] is False
        assert "expired" in lapsed["missing"][0]
        read = _entries(gateway, before)
        assert [e["event"] for e in read] == ["policy:decision:evaluate",
                                              "certification:records:view"]  # fmt: skip
        assert read[1]["details"] == {"username": "aaron", "count": 1}
        missing = ada.get(LIST, params={"username": "nobody"})
        assert missing.status_code == 404
        assert "nobody" in missing.json()["message"]


@contextmanager
def _later(gateway: Gateway, days: int) -> Iterator[None]:
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(days=days)
    try:
        yield
    finally:
        gate.clock = real


def test_a_lapse_blocks_use_at_once(tmp_path: Path, database_url: str, sandbox_url: str) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, certification_valid_days=30
    ) as gw:
        with gw.client("ada") as ada:
            imported = _import(ada, _csv(_row(gw, "aaron", 10)))
        assert imported.status_code == 200, imported.text
        [cert] = imported.json()["certifications"]
        expires = datetime.fromisoformat(cert["expires_at"])
        assert expires == datetime.fromisoformat(cert["safeguards_attested_at"]) + timedelta(30)
        with gw.client("aaron") as aaron:
            assert post_probe(aaron, astronaut_jpeg()).status_code == 201
            with _later(gw, 19):  # one day before it lapses
                assert post_probe(aaron, astronaut_jpeg()).status_code == 201
            with _later(gw, 21):  # the same running gateway, the next probe
                _probe_refused_for_certification(aaron)
                with gw.client("ada") as ada:
                    [listed] = ada.get(LIST, params={"username": "aaron"}).json()[
                        "certifications"][:1]  # fmt: skip
                assert listed["current"] is False
                assert listed["missing"] == [
                    f"certification expired at {expires.isoformat()} (memo 4.A.3)"]  # fmt: skip


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """The command line configured for the gateway's installation."""
    monkeypatch.setenv("FRSGATE_HOME", str(gateway.settings.home))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", gateway.settings.effective_database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    return gateway


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_certifications_commands(cli: Gateway, tmp_path: Path) -> None:
    good = tmp_path / "palms.csv"
    good.write_bytes(_csv(_row(cli, "aaron", 20)))
    code, out, err = _run("certifications", "import", str(good), "--as", "ada")
    assert code == 0, (out, err)
    assert "1 rows, 1 new, 0 unchanged" in out
    assert "aaron" in out
    run = [e for e in _entries(cli) if e["event"] == "certification:import:run"]
    assert run[-1]["source"] == "cli"
    assert run[-1]["actor"]["id"] == cli.users["ada"]
    with cli.client("aaron") as aaron:  # the running gateway reads it at once
        assert post_probe(aaron, astronaut_jpeg()).status_code == 201
    code, out, _ = _run("certifications", "import", str(good), "--as", "ada")
    assert code == 0
    assert "0 new, 1 unchanged" in out

    code, out, _ = _run("certifications", "list", "aaron", "--as", "ada", "--json")
    assert code == 0
    listed = json.loads(out)["certifications"]
    assert [c["current"] for c in listed] == [True, False]  # newest first; the demo's lapsed
    code, out, _ = _run("certifications", "list", "--as", "ada")
    assert code == 0
    assert "aaron" in out
    assert "alice" in out

    before = cli.runtime.ledger.size()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(_row(cli, "erin"), _row(cli, "erin", course_id="X-1")))
    for args, words in [
        (("import", str(bad), "--as", "ada"), ("line 3, course_id", "nothing imported")),
        (("import", str(tmp_path / "absent.csv"), "--as", "ada"), ("absent.csv",)),
        (("import", str(good), "--as", "alice"), ("denied by policy", "4.A.3")),
        (("import", str(good), "--as", "nobody"), ("--as 'nobody'",)),
        (("list", "--as", "otto"), ("denied by policy",)),
        (("list", "nobody", "--as", "ada"), ("nobody",)),
    ]:
        code, out, err = _run("certifications", *args)
        assert code == 2, (args, out, err)
        [line] = err.strip().splitlines()
        assert all(w in line for w in words), (args, line)
    # The three refusals the pack decided (the malformed file among them) are on the ledger.
    assert [e["outcome"] for e in _entries(cli, before)] == ["denied", "denied", "denied"]

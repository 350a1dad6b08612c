"""No dispatch failure is a 500: whatever a connector (or the request built for it) raises once
the intent is on the ledger, the use ends `failed` with a failed outcome entry that names the
exception's type and nothing of its text; only BaseException (KeyboardInterrupt) escapes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from images import astronaut_jpeg, astronaut_png
from pydantic import BaseModel, Field

from frsgate.api.app import create_app
from frsgate.config import load_settings
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.protocol import SearchRequest
from frsgate.connectors.serve import serve_in_thread
from frsgate.domain import SubmissionStatus
from frsgate.ledger import Actor
from frsgate.services.bootstrap import (
    DEMO_CASE,
    DEMO_FRS_PROGRAM_CODE,
    DEMO_PROGRAM,
    SANDBOX_PROVIDER,
    initialize,
)
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import issue_local_token
from frsgate.store.unit import read_only, unit_of_work

# Put in every exception's text: it must reach neither the ledger nor the submission's record.
SECRET = "api_key=s3cr3t-value"


class _Strict(BaseModel):
    size: int = Field(ge=1)


def _validation_error() -> Any:
    # A genuine pydantic ValidationError, of the kind a connector's own models raise.
    return _Strict.model_validate({"size": SECRET})


def _raise(exc: BaseException) -> Callable[[], Any]:
    def act() -> Any:
        raise exc

    return act


def _use_connector(monkeypatch: pytest.MonkeyPatch, act: Callable[[], Any]) -> None:
    """Make the demo providers' connector (an `HttpConnector`, on the sandbox) do `act` instead
    of calling the FRS: patched on the class, so however the runtime builds and pools it."""

    def search(self: HttpConnector, request: SearchRequest) -> Any:
        return act()

    def compare(self: HttpConnector, a: bytes, b: bytes, *, idempotency_key: str) -> Any:
        return act()

    monkeypatch.setattr(HttpConnector, "search", search)
    monkeypatch.setattr(HttpConnector, "compare", compare)


@dataclass
class Served:
    runtime: Runtime
    url: str
    token: str

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    settings = load_settings(
        home=tmp_path / "home",
        database_url=database_url,
        sandbox_frs=False,
        checkpoint_interval_seconds=0,
    )
    initialize(settings, demo=True)
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        with read_only(runtime.engine) as uow:
            alice = next(u for u in uow.users.list_all() if u.username == "alice")
        with serve_in_thread(create_app(runtime)) as url:
            yield Served(runtime, url, issue_local_token(settings, alice.id))


def _post_probe(client: httpx.Client, image: bytes, media_type: str) -> str:
    form = {
        "case": DEMO_CASE,
        "subject_role": "suspect",
        "capture_source": "recorded_video_still",
        "lawful_basis": "still from CCTV footage obtained by subpoena 2026-114",
        "traditional_means": "records checks and canvass of the port workers; no identification",
        "attestation": "true",
        "justification": "suspect seen loading undeclared goods at the port on 2026-10-02",
        "program_code": DEMO_PROGRAM,
    }
    response = client.post(
        "/api/v1/probes", data=form, files={"image": ("probe", image, media_type)}
    )
    assert response.status_code == 201, response.text
    probe_id: str = response.json()["id"]
    return probe_id


def _submit(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post(
        "/api/v1/submissions",
        json={
            "provider": SANDBOX_PROVIDER,
            "match_type": "one_to_many",
            "program_code": DEMO_FRS_PROGRAM_CODE,
            "justification": "identify the suspect loading undeclared goods",
            **body,
        },
    )


def _entries(runtime: Runtime, submission_id: str) -> list[dict[str, Any]]:
    entries = [json.loads(e) for e in runtime.ledger.entries(0, runtime.ledger.size())]
    return [e for e in entries if e.get("submission") == submission_id]


def _assert_failed_on_record(runtime: Runtime, submission_id: str, type_name: str) -> None:
    with read_only(runtime.engine) as uow:
        stored = uow.submissions.get(submission_id)
    assert stored.status is SubmissionStatus.failed
    assert stored.status_reason is not None
    assert stored.status_reason.startswith("dispatch_error")
    entries = _entries(runtime, submission_id)
    events = [e["event"] for e in entries]
    assert "submission:dispatch:intent" in events
    outcome = [e for e in entries if e["event"] == "submission:dispatch:outcome"][-1]
    assert outcome["outcome"] == "failed"
    assert outcome["details"]["error"] == "dispatch_error"
    assert type_name in outcome["details"]["message"]
    assert SECRET not in json.dumps(entries)
    assert SECRET not in stored.status_reason


def _wrong_type() -> Any:
    return {"candidates": []}


FAULTS: list[tuple[str, Callable[[], Any], str]] = [
    ("runtime error", _raise(RuntimeError(f"boom {SECRET}")), "RuntimeError"),
    ("value error", _raise(ValueError(f"bad value {SECRET}")), "ValueError"),
    ("pydantic validation error", _validation_error, "ValidationError"),
    ("not a result", _wrong_type, "TypeError"),
]


@pytest.mark.parametrize(("label", "act", "type_name"), FAULTS, ids=[f[0] for f in FAULTS])
def test_search_fault_ends_failed_on_the_ledger(
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    label: str,
    act: Callable[[], Any],
    type_name: str,
) -> None:
    with served.client() as client:
        probe_id = _post_probe(client, astronaut_jpeg(), "image/jpeg")
        _use_connector(monkeypatch, act)
        response = _submit(client, probe_id=probe_id)
    assert response.status_code == 201, (label, response.text)
    sub = response.json()["submission"]
    assert sub["status"] == "failed", (label, sub)
    assert SECRET not in response.text
    _assert_failed_on_record(served.runtime, sub["id"], type_name)


def test_compare_fault_ends_failed_on_the_ledger(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served.client() as client:
        first = _post_probe(client, astronaut_jpeg(), "image/jpeg")
        second = _post_probe(client, astronaut_png(), "image/png")
        _use_connector(monkeypatch, _raise(RuntimeError(f"boom {SECRET}")))
        response = _submit(client, probe_id=first, match_type="two_photo", second_probe_id=second)
    assert response.status_code == 201, response.text
    assert response.json()["submission"]["status"] == "failed"
    _assert_failed_on_record(served.runtime, response.json()["submission"]["id"], "RuntimeError")


def test_connector_that_cannot_be_built_ends_failed(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: HttpConnector, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"cannot build the connector {SECRET}")

    with served.client() as client:
        probe_id = _post_probe(client, astronaut_jpeg(), "image/jpeg")
        monkeypatch.setattr(HttpConnector, "__init__", broken)
        response = _submit(client, probe_id=probe_id)
    assert response.status_code == 201, response.text
    _assert_failed_on_record(served.runtime, response.json()["submission"]["id"], "RuntimeError")


def _back_to_approved(runtime: Runtime, submission_id: str) -> None:
    # As if a supervisor had just approved it: `dispatch` takes it from there.
    with unit_of_work(runtime.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(
            table.update()
            .where(table.c.id == submission_id)
            .values(status=SubmissionStatus.approved.value)
        )


def test_dispatch_of_an_approved_submission_ends_failed(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = served.runtime
    with served.client() as client:
        probe_id = _post_probe(client, astronaut_jpeg(), "image/jpeg")
        _use_connector(monkeypatch, _raise(RuntimeError("first")))
        sub_id = _submit(client, probe_id=probe_id).json()["submission"]["id"]
    _back_to_approved(runtime, sub_id)
    _use_connector(monkeypatch, _raise(RuntimeError(f"boom {SECRET}")))

    result = runtime.dispatcher.dispatch(Actor.system(), sub_id)

    assert result.submission.status is SubmissionStatus.failed
    assert result.candidate_list is None
    assert result.error is not None
    assert SECRET not in result.error
    _assert_failed_on_record(runtime, sub_id, "RuntimeError")


def test_keyboard_interrupt_still_propagates(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = served.runtime
    with served.client() as client:
        probe_id = _post_probe(client, astronaut_jpeg(), "image/jpeg")
        _use_connector(monkeypatch, _raise(RuntimeError("first")))
        sub_id = _submit(client, probe_id=probe_id).json()["submission"]["id"]
    _back_to_approved(runtime, sub_id)
    _use_connector(monkeypatch, _raise(KeyboardInterrupt()))
    size = runtime.ledger.size()

    with pytest.raises(KeyboardInterrupt):
        runtime.dispatcher.dispatch(Actor.system(), sub_id)

    # Left as a crash leaves it: `dispatching` with its intent, for start-up recovery.
    with read_only(runtime.engine) as uow:
        assert uow.submissions.get(sub_id).status is SubmissionStatus.dispatching
    added = [json.loads(e)["event"] for e in runtime.ledger.entries(size, runtime.ledger.size())]
    assert added == ["submission:dispatch:intent"]

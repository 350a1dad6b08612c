"""The pieces of a running FRS Gate that functional tests share: the gateway under test, the
sandbox FRS beside it, and their settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI

from frsgate.api.app import create_app
from frsgate.config import Settings, load_settings
from frsgate.connectors.sandbox import SandboxFaults, with_faults
from frsgate.connectors.serve import serve_in_thread
from frsgate.services.bootstrap import initialize
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import issue_local_token
from frsgate.store.unit import unit_of_work


@dataclass
class Gateway:
    url: str
    settings: Settings
    runtime: Runtime
    users: dict[str, str]  # username -> user id
    sandbox_url: str

    def client(self, username: str) -> httpx.Client:
        token = issue_local_token(self.settings, self.users[username])
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def console(self, username: str) -> Console:
        """A browser-like client signed in to the web console as `username` (the demo
        sign-in), with the session's CSRF token for its forms."""
        client = httpx.Client(base_url=self.url, timeout=30)
        page = client.get("/console/sign-in")
        assert page.status_code == 200, page.text
        token = csrf_of(page.text)
        answer = client.post(
            "/console/sign-in", data={"username": username, "csrf": token, "next": "/console/"}
        )
        assert answer.status_code == 303, answer.text
        home = client.get("/console/")
        assert home.status_code == 200, home.text
        return Console(client=client, csrf=csrf_of(home.text))


CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a console page's forms carry."""
    found = CSRF_INPUT.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Console:
    """A signed-in console session: `post` adds the session's CSRF token to each form."""

    client: httpx.Client
    csrf: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={**(data or {}), "csrf": self.csrf}, **kwargs)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gateway_settings(home: Path, database_url: str, sandbox_url: str, **extra: Any) -> Settings:
    port = urlparse(sandbox_url).port
    assert port is not None
    return load_settings(
        home=home,
        database_url=database_url,
        sandbox_frs=False,
        sandbox_frs_port=port,
        checkpoint_interval_seconds=0,
        frs_timeout_seconds=2.0,
        **extra,
    )


@dataclass
class Sandbox:
    url: str
    app: FastAPI

    def inject(self, spec: str) -> None:
        """Make the running sandbox misbehave (see SandboxFaults.parse); "" restores it."""
        with_faults(self.app, SandboxFaults.parse(spec))


@contextmanager
def running_gateway(
    home: Path, database_url: str, sandbox_url: str, **extra: Any
) -> Iterator[Gateway]:
    """A demo-initialized gateway serving on a free port until the block ends."""
    settings = gateway_settings(home, database_url, sandbox_url, **extra)
    initialize(settings, demo=True)
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        with unit_of_work(runtime.engine) as uow:
            users = {u.username: u.id for u in uow.users.list_all()}
        app = create_app(runtime)
        with serve_in_thread(app) as url:
            yield Gateway(
                url=url, settings=settings, runtime=runtime, users=users, sandbox_url=sandbox_url
            )

"""`frsgate providers ...`: FRS providers from the command line (see frsgate.cli.acting).

Each command acts as the user `--as` names and is decided by the pack exactly like the same
act over HTTP: `add`, `list`, `show`, `update`, `set-key` and `check` as `provider.manage`
(an administrator), `review` and `suspend` as `provider.review` (OSDM). An API key is read from
a file (`--api-key-file`) or an environment variable (`--api-key-env`), never taken as an
argument, which would sit in the shell's history and in `ps`. An error is one line on stderr
and exit status 2; a failed `check` exits 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import Provider, ReviewStatus
from frsgate.domain.errors import DomainError
from frsgate.domain.providers import AccuracyEvidence, ProviderTls
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import providers, queues

app = typer.Typer(help="Administration: FRS providers.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The provider's name.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--api-key-file", help="A file holding the API key (one line).",
                 show_default=False),
]  # fmt: skip
KeyEnvOption = Annotated[
    str | None,
    typer.Option("--api-key-env", help="The environment variable holding the API key.",
                 show_default=False),
]  # fmt: skip
CaOption = Annotated[
    Path | None, typer.Option("--ca-bundle", help="CA bundle (PEM) to verify the provider with.")
]
CertOption = Annotated[
    Path | None, typer.Option("--client-cert", help="Client certificate (PEM) for mutual TLS.")
]
KeyOption = Annotated[
    Path | None, typer.Option("--client-key", help="The client certificate's private key (PEM).")
]


@contextmanager
def _errors() -> Iterator[None]:
    """One line for every deliberate error, the domain's included."""
    with one_line_errors():
        try:
            yield
        except DomainError as exc:
            raise ValidationFailed(exc.message) from None


def _api_key(key_file: Path | None, key_env: str | None) -> SecretStr | None:
    if key_file is not None and key_env is not None:
        raise ValidationFailed("give --api-key-file or --api-key-env, not both")
    if key_file is not None:
        try:
            value = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValidationFailed(
                f"--api-key-file {key_file}: cannot be read ({exc.strerror or exc})"
            ) from None
        if not value:
            raise ValidationFailed(f"--api-key-file {key_file}: is empty")
        return SecretStr(value)
    if key_env is not None:
        value = os.environ.get(key_env, "").strip()
        if not value:
            raise ValidationFailed(f"--api-key-env {key_env}: the variable is unset or empty")
        return SecretStr(value)
    return None


def _path(value: Path | None) -> str | None:
    return str(value.resolve()) if value is not None else None


def _line(p: Provider) -> str:
    return " ".join(
        [
            p.name,
            f"kind={p.kind.value}",
            f"url={p.base_url or '-'}",
            f"review={p.review_status.value}",
            f"key={p.api_key_fingerprint or '-'}",
            f"tls_verify={'on' if p.tls.verify else 'off'}",
            f"match_types={','.join(sorted(p.terms.match_types))}",
            f"cap={p.terms.candidate_cap}",
        ]
    )


@app.command("list")
def list_providers(as_user: AsOption, as_json: JsonOption = False) -> None:
    """Every provider, one line each."""
    with _errors(), acting(as_user, Action.provider_manage) as (runtime, caller):
        found = providers.list_providers(runtime.gate, caller)
    if as_json:
        typer.echo(json.dumps({"providers": [providers.provider_json(p) for p in found]},
                              indent=2))  # fmt: skip
        return
    for provider in found:
        typer.echo(_line(provider))


@app.command("show")
def show(name: NameArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One provider and OSDM's reviews of it."""
    with _errors(), acting(as_user, Action.provider_manage) as (runtime, caller):
        found = providers.show(runtime.gate, caller, name=name)
    if as_json:
        body = providers.provider_json(found.provider)
        body["reviews"] = [providers.review_json(r) for r in found.reviews]
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(_line(found.provider))
    for review in found.reviews:
        typer.echo(
            f"  review {review.decided_at.isoformat()} {review.decision.value} "
            f"by {review.reviewer_id}: {review.rationale}"
        )


@app.command("add")
def add(
    name: NameArg,
    as_user: AsOption,
    url: Annotated[str, typer.Option("--url", help="Base URL (https; http only to loopback).")],
    match_type: Annotated[
        list[str], typer.Option("--match-type", help="A match type the terms allow (repeat).")
    ],
    candidate_cap: Annotated[int, typer.Option("--candidate-cap", help="Most candidates.")],
    terms_ref: Annotated[str, typer.Option("--terms-ref", help="Where the terms are kept.")],
    law_enforcement_use: Annotated[
        bool,
        typer.Option(
            "--law-enforcement-use/--no-law-enforcement-use",
            help="The vendor's terms permit law-enforcement use.",
        ),
    ] = False,
    edited_probes_allowed: Annotated[
        bool, typer.Option("--edited-probes-allowed", help="The terms accept edited probes.")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify the provider's certificate.")
    ] = True,
    ca_bundle: CaOption = None,
    client_cert: CertOption = None,
    client_key: KeyOption = None,
    api_key_file: KeyFileOption = None,
    api_key_env: KeyEnvOption = None,
) -> None:
    """Register an http provider with the vendor's stated terms (unreviewed until OSDM)."""
    with _errors():
        api_key = _api_key(api_key_file, api_key_env)
        terms = providers.stated_terms(
            match_types=match_type, candidate_cap=candidate_cap,
            law_enforcement_use=law_enforcement_use, edited_probes_allowed=edited_probes_allowed,
            terms_ref=terms_ref,
        )  # fmt: skip
        tls = ProviderTls(verify=verify, ca_bundle=_path(ca_bundle),
                          client_cert=_path(client_cert), client_key=_path(client_key))  # fmt: skip
        with acting(as_user, Action.provider_manage) as (runtime, caller):
            made = providers.register(
                runtime.gate, caller, kek=runtime.kek, settings=runtime.settings, name=name,
                base_url=url, tls=tls, terms=terms, api_key=api_key,
            )  # fmt: skip
    typer.echo(f"registered {_line(made)} id={made.id}")


@app.command("update")
def update(
    name: NameArg,
    as_user: AsOption,
    url: Annotated[str | None, typer.Option("--url", help="A new base URL.")] = None,
    verify: Annotated[
        bool | None,
        typer.Option("--verify/--no-verify", help="Verify the certificate (sets the TLS anew)."),
    ] = None,
    ca_bundle: CaOption = None,
    client_cert: CertOption = None,
    client_key: KeyOption = None,
) -> None:
    """Change the URL, or the TLS settings (given TLS options replace all of them)."""
    tls_given = verify is not None or any(
        v is not None for v in (ca_bundle, client_cert, client_key)
    )
    with _errors():
        if url is None and not tls_given:
            raise ValidationFailed("name --url or TLS options (--verify, --ca-bundle, ...)")
        tls = (
            ProviderTls(verify=True if verify is None else verify, ca_bundle=_path(ca_bundle),
                        client_cert=_path(client_cert), client_key=_path(client_key))
            if tls_given else None
        )  # fmt: skip
        with acting(as_user, Action.provider_manage) as (runtime, caller):
            changed = providers.update(
                runtime.gate, caller, settings=runtime.settings, name=name, base_url=url, tls=tls
            )
    typer.echo(f"updated {_line(changed)}")


@app.command("set-key")
def set_key(
    name: NameArg,
    as_user: AsOption,
    api_key_file: KeyFileOption = None,
    api_key_env: KeyEnvOption = None,
) -> None:
    """Set or rotate the provider's API key (sealed; the ledger shows its fingerprint)."""
    with _errors():
        api_key = _api_key(api_key_file, api_key_env)
        if api_key is None:
            raise ValidationFailed("give --api-key-file PATH or --api-key-env VAR")
        with acting(as_user, Action.provider_manage) as (runtime, caller):
            changed = providers.set_api_key(
                runtime.gate, caller, kek=runtime.kek, name=name, api_key=api_key
            )
    typer.echo(f"api key set for {changed.name}: fingerprint {changed.api_key_fingerprint}")


@app.command("check")
def check(name: NameArg, as_user: AsOption) -> None:
    """Call the provider's health route through its connector; exit 1 when it fails."""
    with _errors(), acting(as_user, Action.provider_manage) as (runtime, caller):
        result = providers.check(runtime.gate, caller, connectors=runtime.connectors, name=name)
    if result.ok:
        typer.echo(f"ok: {name}: {result.reason} (database {result.database or '-'})")
        return
    typer.secho(f"fail: {name}: {result.reason}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _statement(
    record: dict[str, Any], decision: str | None, rationale: str | None
) -> queues.ReviewStatement:
    """A review statement from a JSON record (the HTTP body's structured fields), with
    --decision and --rationale over it."""
    known = {
        "decision", "rationale", "capabilities", "terms", "accuracy_evidence",
        "demographic_differentials", "data_handling", "retention",
    }  # fmt: skip
    unknown = sorted(set(record) - known)
    if unknown:
        raise ValidationFailed(f"review record: unknown field(s) {', '.join(unknown)}")
    decision = decision or record.get("decision")
    rationale = rationale or record.get("rationale")
    if not decision:
        raise ValidationFailed("decision: is required (--decision or in the record)")
    if not rationale:
        raise ValidationFailed("rationale: is required (--rationale or in the record)")
    try:
        status = ReviewStatus(decision)
    except ValueError:
        raise ValidationFailed(
            f"decision: {decision!r} is not one of approved, not_approved, suspended, pending"
        ) from None
    terms = record.get("terms")
    try:
        stated = (
            providers.stated_terms(
                match_types=list(terms["match_types"]),
                candidate_cap=int(terms["candidate_cap"]),
                law_enforcement_use=bool(terms["law_enforcement_use"]),
                edited_probes_allowed=bool(terms.get("edited_probes_allowed", False)),
                terms_ref=str(terms["terms_ref"]),
            )
            if terms is not None
            else None
        )
        evidence = tuple(
            AccuracyEvidence(source=e["source"], reference=e["reference"],
                             summary=e.get("summary", ""))
            for e in record.get("accuracy_evidence", [])
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"review record: a field is missing or malformed ({exc})") from None
    return queues.ReviewStatement(
        decision=status, rationale=rationale, capabilities=record.get("capabilities", ""),
        terms=stated, accuracy_evidence=evidence,
        demographic_differentials=record.get("demographic_differentials", ""),
        data_handling=record.get("data_handling", ""), retention=record.get("retention", ""),
    )  # fmt: skip


def _decide(as_user: str, name: str, statement: queues.ReviewStatement) -> None:
    with acting(as_user, Action.provider_review) as (runtime, caller):
        decided = queues.decide_provider_review(
            gate=runtime.gate, caller=caller, name=name, statement=statement
        )
    review = f" (review {decided.review.id})" if decided.review is not None else ""
    typer.echo(f"{decided.provider.name}: {decided.provider.review_status.value}{review}")


@app.command("review")
def review(
    name: NameArg,
    as_user: AsOption,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="A JSON file with the structured review (the fields of "
            "POST /api/v1/providers/{id}/review: capabilities, terms, "
            "accuracy_evidence, demographic_differentials, data_handling, retention, "
            "rationale, decision).",
        ),
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="approved, not_approved, suspended or pending."),
    ] = None,
    rationale: Annotated[str | None, typer.Option("--rationale", help="Why.")] = None,
) -> None:
    """OSDM's structured review of an FRS (decided as provider.review)."""
    with _errors():
        body: dict[str, Any] = {}
        if record is not None:
            try:
                body = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValidationFailed(
                    f"--record {record}: not a readable JSON file ({exc})"
                ) from None
            if not isinstance(body, dict):
                raise ValidationFailed(f"--record {record}: must hold a JSON object")
        _decide(as_user, name, _statement(body, decision, rationale))


@app.command("suspend")
def suspend(
    name: NameArg,
    as_user: AsOption,
    rationale: Annotated[str, typer.Option("--rationale", help="Why the FRS is suspended.")],
) -> None:
    """OSDM takes an FRS out of use at once, exigent use included, until it approves it again."""
    with _errors():
        _decide(as_user, name, _statement({}, ReviewStatus.suspended.value, rationale))

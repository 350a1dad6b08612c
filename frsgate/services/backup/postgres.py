"""Backup and restore on PostgreSQL: pg_dump and pg_restore of the configured schema.

The backup runs `pg_dump --format=custom` in a snapshot exported from the transaction that read
the ledger's head, so the head in the manifest is exactly the head in the dump; the restore runs
`pg_restore --single-transaction` into the schema. Database passwords go to both tools in their
environment, never on a command line. Also here: the schema FRS Gate's tables live in, and what
it holds, for the check that the target is empty.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from frsgate.errors import ConfigurationError, StoreError
from frsgate.services.backup.archive import LedgerState
from frsgate.store.engine import PRIVATE_FILE_MODE


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore without the password, and their environment with it
    (a password on a command line is visible to every user of the host in `ps`)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(argv: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise ConfigurationError(
            f"{argv[0]} is not installed or not on PATH; {what} needs the PostgreSQL client tools"
        )
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        raise StoreError(f"{argv[0]} failed ({what}): {'; '.join(lines[:5]) or done.returncode}")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def postgres_schema(engine: Engine) -> str:
    """The schema FRS Gate's tables live in: the first schema of the connection's search_path
    (FRSGATE_DATABASE_URL may set it with `options=-csearch_path=...`), existing or not."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar()
        if current:
            return str(current)
        path = str(conn.execute(text("SHOW search_path")).scalar() or "")
    for part in path.split(","):
        name = part.strip()
        if name and name != '"$user"':
            return name[1:-1].replace('""', '"') if name.startswith('"') else name
    raise ConfigurationError(
        "the PostgreSQL connection has no schema in its search_path; set one in "
        "FRSGATE_DATABASE_URL (options=-csearch_path=NAME)"
    )


def snapshot_postgres(engine: Engine, target: Path) -> tuple[LedgerState, str, str]:
    """pg_dump of the configured schema in the snapshot of the transaction that read the
    ledger head: the manifest's head is the dump's head, whatever commits meanwhile."""
    schema = postgres_schema(engine)
    url, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar())
            size, root = conn.execute(text("SELECT size, root FROM ledger_head WHERE id = 1")).one()
            revision = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
            # The exported snapshot lives as long as this transaction: dump inside it.
            _run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--schema={schema}",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={url}",
                ],
                env,
                "backup",
            )
    target.chmod(PRIVATE_FILE_MODE)
    return LedgerState(int(size), bytes(root)), revision, schema


def postgres_contents(engine: Engine, schema: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "ORDER BY c.relname"
            ),
            {"schema": schema},
        ).all()
    return [str(r[0]) for r in rows]


def restore_postgres(engine: Engine, extracted: Path, work: Path, *, force: bool) -> None:
    schema = postgres_schema(engine)
    with engine.begin() as conn:
        if force:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_quote_ident(schema)} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote_ident(schema)}"))
    engine.dispose()
    url, env = _libpq(engine.url)
    # The schema exists already (created above, or the operator's empty one): leave its own
    # CREATE SCHEMA and COMMENT out of the restore list.
    listing = subprocess.run(  # noqa: S603
        ["pg_restore", "--list", str(extracted)],  # noqa: S607
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listing.returncode != 0:
        raise StoreError(f"pg_restore cannot read the dump: {listing.stderr.strip()}")
    kept = [
        line
        for line in listing.stdout.splitlines()
        if not (" SCHEMA - " in line or " COMMENT - SCHEMA " in line)
    ]
    use_list = work / "restore.list"
    use_list.write_text("\n".join(kept) + "\n")
    _run_tool(
        [
            "pg_restore",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--use-list={use_list}",
            f"--dbname={url}",
            str(extracted),
        ],
        env,
        "restore",
    )

"""Backup and restore of an installation's database, with the keys only when asked for.

A backup is one tar archive, created 0600, holding `manifest.json` and the database:

- SQLite: `database.sqlite3`, a copy made with SQLite's online backup API (a consistent
  snapshot of the database and its WAL while the service keeps running);
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom` of the configured schema, taken in a
  snapshot exported from the transaction that read the ledger's head, so the head in the
  manifest is exactly the head in the dump.

The keys under FRSGATE_HOME/keys (the ledger signing key, the vault's key-encryption key, the
local token key) are not in the database and not in a backup unless `with_keys` is given; the
manifest lists what the archive does not contain. The manifest names the backend, the schema
revision (Alembic), the ledger's size and root at the snapshot with a checkpoint signed at that
size, the ledger's verifier string, the KEK's public id and the SHA-256 of every member.

Restore checks the archive against its manifest and the target before it touches anything
(format, backend, schema revision, ledger origin, member hashes, the keys, an empty target),
and refuses naming what is wrong. It then restores (SQLite's backup API into the database file;
`pg_restore --single-transaction` into the schema), checks that the restored ledger's head is
the signed checkpoint of the manifest and verifies the whole ledger against it (or against a
checkpoint the operator saved earlier), and only then records its own ledger entry.

A backup records `system:backup:run` before its snapshot is taken, so the snapshot holds the
record of its own making; a restore records `system:restore:run` on the restored ledger.
Database passwords go to pg_dump and pg_restore in their environment, never on a command line.

The modules: `create` takes a backup (`backup`), `restore` restores and verifies one
(`restore`, `RestoreFailed`); `archive` is the archive's format, writing and reading it
(`RestoreRefused` for a broken one); `checks` are the restore's checks of an archive against its
target; `sqlite` and `postgres` are the two backends' snapshot and restore. Callers import the
module they use; the package itself imports none of them, so that its modules, which import one
another, form no import cycle through it.
"""

"""A national-scale store for the oversight bench: people, cases, submissions and a ledger.

`generate(url, submissions=S, entries=E)` fills an empty database (SQLite or PostgreSQL) at
head with what years of use leave behind, written in bulk (it is setup, not what is measured):

- offices of agents under front-line supervisors, one OPR and one IGP account;
- cases (a twentieth of the submissions), each with a lead supervisor and three agents, a
  tenth of them closed, with violation codes drawn from a handful of crime categories;
- four approved providers; an FRS program code;
- S probes and S submissions spread over one year, mostly completed, 2 % exigent (each with
  its post-hoc approval, a few decided late or still pending), a few witness probes, the three
  match types; some users far busier than their peers;
- E ledger entries over the same year: each submission's probe creation, decision, dispatch
  intent and outcome, then reads of candidates and case records and refusals (5 %, citing
  memo sections) up to E. Entries are real canonical entries with their index rows, every
  complete subtree hash, the head and signed checkpoints, so `frsgate ledger verify` and
  `verify --index` pass on the result.

Entries are built from a few thousand drafts (actor, case, event) with `seq` and `time` spliced
in, as the appender does; they are streamed in chunks of 2^16 so memory stays flat at 10^7.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from frsgate.ledger import Actor, Citation, EntryDraft, EventTag, Outcome, PolicyRef
from frsgate.ledger.entry import canonical_entry, format_time
from frsgate.ledger.index import rows_of
from frsgate.ledger.merkle import fold, leaf_hash, node_hash
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint
from frsgate.ledger.rollup import backfill
from frsgate.store.engine import is_sqlite, make_engine
from frsgate.store.migrate import upgrade

CHUNK_BITS = 16
CHUNK = 1 << CHUNK_BITS
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
YEAR = timedelta(days=364)
CATEGORIES = ["8 USC 1324", "18 USC 2252", "21 USC 841", "18 USC 1591", "18 USC 1956"]
SECTIONS = [("purpose.case_assignment", "4.B.1"), ("probe.witness_approval", "4.B.2"),
            ("provider.approved", "4.C.1"), ("purpose.case_open", "4.B.1"),
            ("training.current", "4.A.2")]  # fmt: skip
PROVIDERS = ["prov-a", "prov-b", "prov-c", "prov-d"]
MATCH_TYPES = ["one_to_many", "one_to_many", "one_to_many", "one_to_one", "two_photo"]
ORIGIN = "bench.frsgate/ledger"
POLICY = PolicyRef("hsi-2021", "ab" * 32)


@dataclass(frozen=True, slots=True)
class Generated:
    url: str
    submissions: int
    entries: int
    users: int
    cases: int
    signer: CheckpointSigner


def _at(fraction: float) -> datetime:
    return START + YEAR * fraction


def _bulk(
    engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write rows as fast as the backend takes them: one transaction of executemany on SQLite
    (synchronous off: setup only), COPY on PostgreSQL."""
    raw = engine.raw_connection()
    try:
        if is_sqlite(engine):
            con: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
            con.execute("PRAGMA synchronous=OFF")
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cur = con.cursor()
            cur.execute("BEGIN")
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append([_sqlite_value(v) for v in row])
                if len(batch) >= 50_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
            cur.execute("COMMIT")
            return
        with (
            raw.cursor() as pcur,
            pcur.copy(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value: Any) -> Any:
    # What the store's UtcDateTime writes on SQLite: naive UTC in SQLAlchemy's text form.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def generate(url: str, *, submissions: int, entries: int, seed: int = 7) -> Generated:
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        upgrade(engine)
        people = _people(engine, submissions)
        cases = _cases(engine, submissions, people, rng)
        _providers(engine)
        _submissions(engine, submissions, people, cases, rng)
        signer = _ledger(engine, entries, submissions, people, cases, rng)
    finally:
        engine.dispose()
    return Generated(url, submissions, entries, len(people.agents), len(cases), signer)


@dataclass(frozen=True, slots=True)
class _People:
    agents: list[str]
    supervisors: list[str]
    boss_of: dict[str, str]


def _people(engine: Engine, submissions: int) -> _People:
    n_agents = max(40, submissions // 400)
    n_sup = max(4, n_agents // 10)
    supervisors = [f"sup-{i:05d}" for i in range(n_sup)]
    agents = [f"agt-{i:06d}" for i in range(n_agents)]
    boss_of = {a: supervisors[i % n_sup] for i, a in enumerate(agents)}
    created = _at(0) - timedelta(days=30)
    rows: list[tuple[Any, ...]] = []
    roles: list[tuple[str, str]] = []
    for uid in ["chief", *supervisors]:
        boss = None if uid == "chief" else "chief"
        rows.append(
            (uid, uid, uid.title(), "active", boss, "HQ" if boss is None else None, created)
        )
        roles.append((uid, "supervisor"))
    for i, uid in enumerate(agents):
        sup = boss_of[uid]
        rows.append((uid, uid, uid.title(), "active", sup, f"Office {i % 20:02d}", created))
        roles.append((uid, "agent"))
    for uid, role in (("opr-1", "opr"), ("igp-1", "igp")):
        rows.append((uid, uid, uid.upper(), "active", None, "HQ", created))
        roles.append((uid, role))
    # Offices follow the supervisor: an office's agents share a front-line supervisor.
    _bulk(engine, "users",
          ("id", "username", "display_name", "status", "supervisor_id", "office", "created_at"),
          rows)  # fmt: skip
    _bulk(engine, "user_roles", ("user_id", "role"), roles)
    return _People(agents, supervisors, boss_of)


def _cases(
    engine: Engine, submissions: int, people: _People, rng: random.Random
) -> list[tuple[str, str, str]]:
    n = max(20, submissions // 20)
    cases: list[tuple[str, str, str]] = []  # (id, number, lead supervisor)
    rows, sups, assigned = [], [], []
    for i in range(n):
        cid, number = f"case-{i:07d}", f"HSI-{2024 + i % 2}-{i:07d}"
        agents = [people.agents[(i * 3 + k) % len(people.agents)] for k in range(3)]
        lead = people.boss_of[agents[0]]
        closed = i % 10 == 9
        rows.append((cid, number, f"Case {i}", "8 USC 1357", f'["{CATEGORIES[i % 5]}"]', True,
                     "closed" if closed else "open", lead, agents[0], _at(0),
                     _at(0.9) if closed else None))  # fmt: skip
        sups.append((cid, lead, 0))
        assigned.extend((cid, a, k) for k, a in enumerate(agents))
        cases.append((cid, number, lead))
    _bulk(engine, "cases",
          ("id", "number", "title", "statutory_authority", "violation_codes",
           "under_hsi_authority", "status", "supervisor_id", "opened_by", "created_at",
           "closed_at"), rows)  # fmt: skip
    _bulk(engine, "case_supervisors", ("case_id", "user_id", "position"), sups)
    _bulk(engine, "case_assignments", ("case_id", "user_id", "position"), assigned)
    del rng
    return cases


def _providers(engine: Engine) -> None:
    rows = [
        (p, f"Provider {p[-1].upper()}", "sandbox", '["one_to_many", "one_to_one", "two_photo"]',
         50, True, "terms", "approved", _at(0) - timedelta(days=60))
        for p in PROVIDERS
    ]  # fmt: skip
    _bulk(engine, "providers",
          ("id", "name", "kind", "match_types", "candidate_cap", "law_enforcement_use",
           "terms_ref", "review_status", "created_at"), rows)  # fmt: skip
    _bulk(engine, "frs_program_codes",
          ("code", "description", "established_by", "valid_from", "created_at"),
          [("FRS-HSI-01", "HSI FRS use", "osdm", _at(0) - timedelta(days=90), _at(0))])  # fmt: skip


def _submitter(i: int, people: _People, case_agents: Sequence[str]) -> str:
    # One agent in fifty of each office is far busier than their peers: a tenth of all use.
    if i % 10 == 0:
        return people.agents[(i // 10) % max(1, len(people.agents) // 50) * 50]
    return case_agents[i % 3]


def _submissions(engine: Engine, n: int, people: _People, cases: list[tuple[str, str, str]],
                 rng: random.Random) -> None:  # fmt: skip
    probes: list[tuple[Any, ...]] = []
    subs: list[tuple[Any, ...]] = []
    approvals: list[tuple[Any, ...]] = []
    sha = "ab" * 32
    for i in range(n):
        case_idx = rng.randrange(len(cases))
        cid, _, lead = cases[case_idx]
        agents = [people.agents[(case_idx * 3 + k) % len(people.agents)] for k in range(3)]
        who = _submitter(i, people, agents)
        at = _at(i / n)
        role = "witness" if i % 97 == 0 else ("victim" if i % 13 == 0 else "suspect")
        pid, sid = f"prb-{i:08d}", f"sub-{i:08d}"
        probes.append((pid, cid, who, role, "booking_photo", "lawful", "records checked",
                       True, "suspect in case", "none", "image/jpeg", 640, 480, sha, sha,
                       "active", at))  # fmt: skip
        exigent = i % 50 == 7
        status = "completed" if i % 40 else "failed"
        subs.append((sid, cid, pid, PROVIDERS[i % 4], MATCH_TYPES[i % 5], "FRS-HSI-01",
                     "identify the suspect", who, status, exigent,
                     "imminent threat" if exigent else None, 1, at, at, at, at))  # fmt: skip
        if exigent:
            deadline = at + timedelta(hours=72)
            # A few post-hoc approvals came late; a few are still waiting.
            late, waiting = i % 350 == 7, i % 550 == 7
            decided = (
                None
                if waiting
                else deadline + (timedelta(days=2) if late else -timedelta(hours=20))
            )
            approvals.append((f"apr-{i:08d}", "exigent_provider", "submission", sid, cid, who,
                              lead, "exigent use", "pending" if waiting else "approved",
                              None if waiting else lead, at, deadline, decided))  # fmt: skip
    _bulk(engine, "probes",
          ("id", "case_id", "submitted_by", "subject_role", "capture_source", "lawful_basis",
           "traditional_means", "attestation", "justification", "image_edit", "media_type",
           "width", "height", "original_sha256", "sha256", "status", "created_at"),
          probes)  # fmt: skip
    _bulk(engine, "submissions",
          ("id", "case_id", "probe_id", "provider_id", "match_type", "program_code",
           "justification", "requested_by", "status", "exigent", "exigent_reason", "attempts",
           "created_at", "decided_at", "dispatched_at", "finished_at"), subs)  # fmt: skip
    _bulk(engine, "approvals",
          ("id", "kind", "subject_kind", "subject_id", "case_id", "requester_id",
           "assigned_to", "reason", "status", "approver_id", "requested_at", "deadline",
           "decided_at"), approvals)  # fmt: skip


def _drafts(
    people: _People, cases: list[tuple[str, str, str]], rng: random.Random
) -> list[EntryDraft]:
    """A few thousand drafts across events, actors and cases; entries cycle through them."""
    out: list[EntryDraft] = []
    per_submission = [
        (EventTag.PROBE_RECORD_CREATE, Outcome.SUCCEEDED),
        (EventTag.SUBMISSION_RECORD_CREATE, Outcome.ALLOWED),
        (EventTag.SUBMISSION_DISPATCH_INTENT, Outcome.ALLOWED),
        (EventTag.SUBMISSION_DISPATCH_OUTCOME, Outcome.SUCCEEDED),
    ]
    reads = [(EventTag.CANDIDATES_LIST_VIEW, Outcome.ALLOWED),
             (EventTag.CASE_RECORDS_VIEW, Outcome.ALLOWED),
             (EventTag.PROBE_IMAGE_VIEW, Outcome.ALLOWED),
             (EventTag.SUBMISSION_RECORD_VIEW, Outcome.ALLOWED)]  # fmt: skip
    for k in range(4096):
        _, number, _ = cases[rng.randrange(len(cases))]
        agent = people.agents[rng.randrange(len(people.agents))]
        sub = f"sub-{rng.randrange(10**8):08d}"
        event, outcome = (per_submission + reads)[k % 8]
        citations: list[Citation] = []
        if k % 20 == 0:  # 5 % refusals, citing the memo sections that refused them
            event, outcome = EventTag.SUBMISSION_RECORD_CREATE, Outcome.DENIED
            rule, section = SECTIONS[(k // 20) % len(SECTIONS)]
            citations = [Citation(rule, section, "refused by the pack")]
        out.append(EntryDraft(
            event=event, actor=Actor(agent, "agent"), outcome=outcome,
            subject=f"submission:{sub}", component="services.submit", source="10.0.0.1",
            case=number, submission=sub, provider=PROVIDERS[k % 4],
            policy=POLICY if outcome in (Outcome.ALLOWED, Outcome.DENIED) else None,
            citations=citations,
            details={"match_type": MATCH_TYPES[k % 5],
                     "probe_sha256": hashlib.sha256(b"%d" % k).hexdigest()},
        ))  # fmt: skip
    return out


def _entries(
    drafts: list[EntryDraft], total: int
) -> Iterator[tuple[int, bytes, bytes, Any, list[Any]]]:
    step = YEAR / max(1, total)
    for seq in range(total):
        draft = drafts[seq % len(drafts)]
        time = format_time(START + step * seq)
        data = canonical_entry(draft, seq=seq, time=time)
        row, refusals = rows_of(draft.body, seq, time)
        yield seq, data, leaf_hash(data), row, refusals


def _ledger(engine: Engine, total: int, submissions: int, people: _People,
            cases: list[tuple[str, str, str]], rng: random.Random) -> CheckpointSigner:  # fmt: skip
    """Stream `total` entries into the ledger tables with their index rows and every complete
    subtree hash, chunk by chunk; then the upper levels, the head and checkpoints."""
    drafts = _drafts(people, cases, rng)
    chunk_roots: list[bytes] = []
    tail: list[list[bytes]] = []  # the last, partial chunk's levels
    stream = _entries(drafts, total)
    for start in range(0, total, CHUNK):
        end = min(start + CHUNK, total)
        rows = [next(stream) for _ in range(start, end)]
        _bulk(engine, "ledger_entries", ("seq", "entry", "leaf_hash"),
              ((s, d, h) for s, d, h, _, _ in rows))  # fmt: skip
        _bulk(engine, "ledger_index",
              ("seq", "at", "event", "outcome", "actor_id", "actor_role", "subject",
               "case_number", "submission_id", "provider_id", "program_code"),
              (r for _, _, _, r, _ in rows))  # fmt: skip
        _bulk(engine, "ledger_refusals", ("seq", "ordinal", "rule", "section"),
              (x for *_, refs in rows for x in refs))  # fmt: skip
        levels = [[h for _, _, h, _, _ in rows]]
        nodes: list[tuple[int, int, bytes]] = []
        while len(levels[-1]) > 1:
            below = levels[-1]
            here = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            base = start >> len(levels)
            nodes.extend((len(levels), base + i, h) for i, h in enumerate(here))
            levels.append(here)
        _bulk(engine, "ledger_nodes", ("level", "idx", "hash"), nodes)
        if end - start == CHUNK:
            chunk_roots.append(levels[CHUNK_BITS][0])
        else:
            tail = levels
    # Above the chunks: levels CHUNK_BITS+1 ... over the full chunks' roots.
    upper = [chunk_roots]
    nodes = []
    while len(upper[-1]) > 1:
        below = upper[-1]
        here = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        nodes.extend((CHUNK_BITS + len(upper), i, h) for i, h in enumerate(here))
        upper.append(here)
    _bulk(engine, "ledger_nodes", ("level", "idx", "hash"), nodes)

    def node(level: int, idx: int) -> bytes:
        if level >= CHUNK_BITS:
            return upper[level - CHUNK_BITS][idx]
        full = len(chunk_roots) << CHUNK_BITS
        return tail[level][idx - (full >> level)]

    def root(n: int) -> bytes:
        keys, at = [], 0
        for level in range(n.bit_length() - 1, -1, -1):
            if n & (1 << level):
                keys.append(node(level, at >> level))
                at += 1 << level
        return fold(keys)

    signer = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    frontier = []
    at = 0
    for level in range(total.bit_length() - 1, -1, -1):
        if total & (1 << level):
            frontier.append(node(level, at >> level))
            at += 1 << level
    _bulk(engine, "ledger_head", ("id", "size", "root", "frontier"),
          [(1, total, root(total), b"".join(frontier))])  # fmt: skip
    checkpoints: list[tuple[int, bytes, str, datetime]] = []
    # At whole chunks (whose roots are above) and at the head, as a year of checkpoints leaves.
    for k, n in enumerate([*(total * k // 8 // CHUNK * CHUNK for k in range(1, 8)), total]):
        if n and (not checkpoints or checkpoints[-1][0] != n):
            signed = sign_checkpoint(signer, Checkpoint(ORIGIN, n, root(n)))
            checkpoints.append((n, signed.root, signed.note, _at((k + 1) / 8)))
    _bulk(engine, "ledger_checkpoints", ("tree_size", "root", "note", "created_at"), checkpoints)
    # The daily roll-ups the appender keeps beside the index, filled as revision 0011 does.
    with engine.begin() as conn:
        backfill(conn)
    if is_sqlite(engine):
        # What a running service's checkpoints leave: the write-ahead log folded into the
        # database, not a 500 MB WAL every first read must search.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    return signer

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
- what the uses returned: a candidate list per completed use (candidates for most, none or a
  comparison score for the rest), and for one in twenty with candidates a disposition, an
  investigative lead (some corroborated, a few relied on) and its report-of-investigation entry;
- E ledger entries over the same year, E / S of them per submission in its own stretch of the
  log: its probe's creation, the decision, the dispatch intent (the use the reports count, once
  per submission) and outcome, then reads of its candidates, case records, probe and record,
  and one entry in twenty a refused attempt on the same case citing a memo section. Entries
  are real canonical entries with their index rows, every complete subtree hash, the head and
  signed checkpoints, so `frsgate ledger verify` and `verify --index` pass on the result.

Each entry is built from a draft of its own (actor, case, submission, provider, event), with
`seq` and `time` spliced in as the appender does, and the drafts agree with the submissions
table (same case, submitter, provider and match type). Nothing is random: a submission's case
is a fixed scatter of its number. Entries are streamed in chunks of 2^16, so memory stays flat
at 10^7.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from frsgate.ledger import Actor, Citation, EntryDraft, EventTag, Outcome, PolicyRef
from frsgate.ledger.entry import canonical_entry, format_time
from frsgate.ledger.index import rows_of
from frsgate.ledger.merkle import fold, leaf_hash, node_hash
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint
from frsgate.ledger.rollup import backfill, fill_tallies
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


def generate(url: str, *, submissions: int, entries: int) -> Generated:
    engine = make_engine(url)
    try:
        upgrade(engine)
        people = _people(engine, submissions)
        cases = _cases(engine, submissions, people)
        _providers(engine)
        _submissions(engine, submissions, people, cases)
        signer = _ledger(engine, entries, submissions, people, cases)
        analyze(engine)
    finally:
        engine.dispose()
    return Generated(url, submissions, entries, len(people.agents), len(cases), signer)


@dataclass(frozen=True, slots=True)
class _People:
    agents: list[str]
    supervisors: list[str]
    boss_of: dict[str, str]


def analyze(engine: Engine) -> None:
    """On PostgreSQL, the planner's statistics of every table of the store, as autovacuum
    gathers them on a running server (off on some machines; a bulk load leaves none)."""
    if is_sqlite(engine):
        return
    with engine.begin() as conn:
        names = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ).scalars()
        for name in sorted(names):
            conn.exec_driver_sql(f'ANALYZE "{name}"')


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


def _cases(engine: Engine, submissions: int, people: _People) -> list[tuple[str, str, str]]:
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


def _submissions(
    engine: Engine, n: int, people: _People, cases: list[tuple[str, str, str]]
) -> None:
    probes: list[tuple[Any, ...]] = []
    subs: list[tuple[Any, ...]] = []
    approvals: list[tuple[Any, ...]] = []
    sha = "ab" * 32
    for i in range(n):
        case_idx = _case_of(i, len(cases))
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
    _results(engine, n, people, cases)


def _results(engine: Engine, n: int, people: _People, cases: list[tuple[str, str, str]]) -> None:
    """What the completed uses returned and what came of it: a candidate list for each (a
    comparison score for a two-photo check; three candidates for six in seven of the others,
    none for the rest), a reviewer's disposition and an investigative lead for one use in
    twenty that returned candidates (half corroborated, a tenth of those relied on). Every
    result goes into a report-of-investigation entry (memo 4.E.2): the lead's (filed for three
    in four), or the use's (filed for all but one in two hundred)."""
    lists: list[tuple[Any, ...]] = []
    found: list[tuple[Any, ...]] = []
    decided: list[tuple[Any, ...]] = []
    opened: list[tuple[Any, ...]] = []
    corroborated: list[tuple[Any, ...]] = []
    reports: list[tuple[Any, ...]] = []
    for i in range(n):
        if not i % 40:  # failed: the FRS returned nothing to keep
            continue
        case_idx = _case_of(i, len(cases))
        cid = cases[case_idx][0]
        agents = [people.agents[(case_idx * 3 + k) % len(people.agents)] for k in range(3)]
        who, at, match = _submitter(i, people, agents), _at(i / n), MATCH_TYPES[i % 5]
        sid, lid = f"sub-{i:08d}", f"cl-{i:08d}"
        got = at + timedelta(minutes=1)
        score = 0.91 if match == "two_photo" else None
        lists.append((lid, sid, PROVIDERS[i % 4], match, "bench gallery", score, True, None,
                      "reviewed", got, who, got + timedelta(hours=2)))  # fmt: skip
        if i % 20 != 3 or score is not None or i % 7 == 5:
            # Every result of a use in a case goes into the case's report of investigation
            # (memo 4.E.2); one in two hundred is still a draft past the deadline.
            filed = i % 200 != 17
            reports.append((f"roi-{i:08d}", cid, sid, lid, None, who, "FRS use and its results",
                            "filed" if filed else "draft", got + timedelta(hours=4),
                            got + timedelta(days=1) if filed else None,
                            who if filed else None))  # fmt: skip
        if score is not None or i % 7 == 5:  # a two-photo score, or a negative answer
            continue
        for rank in range(1, 4):
            found.append((f"cand-{i:08d}-{rank}", lid, rank, 0.9 - rank / 10, f"g-{i}-{rank}",
                          "bench gallery", "image/jpeg"))  # fmt: skip
        if i % 20 != 3:
            continue
        did, leid = f"disp-{i:08d}", f"lead-{i:08d}"
        when = got + timedelta(hours=3)
        decided.append((did, f"cand-{i:08d}-1", who, "possible_match_lead",
                        "features consistent; a lead only", when))  # fmt: skip
        status, corr_at, basis_at = "investigative_lead", None, None
        if i % 40 == 3:
            status, corr_at = "corroborated", when + timedelta(days=3)
            corroborated.append((f"corr-{i:08d}", leid, who, "fingerprint", "IDENT",
                                 "ten-print match", "IDENT", True, corr_at))  # fmt: skip
            if i % 400 == 3:
                status, basis_at = "enforcement_basis", corr_at + timedelta(days=1)
        opened.append((leid, cid, sid, f"cand-{i:08d}-1", did, who, "possible match",
                       status, when, corr_at, basis_at,
                       who if basis_at else None))  # fmt: skip
        filed = i % 80 != 23
        reports.append((f"roi-{i:08d}", cid, sid, lid, leid, who, "FRS use and its lead",
                        "filed" if filed else "draft", when + timedelta(hours=1),
                        when + timedelta(days=1) if filed else None,
                        who if filed else None))  # fmt: skip
    _bulk(engine, "candidate_lists",
          ("id", "submission_id", "provider_id", "match_type", "database", "comparison_score",
           "sandbox", "provider_notice", "status", "received_at", "reviewed_by",
           "reviewed_at"), lists)  # fmt: skip
    _bulk(engine, "candidates",
          ("id", "candidate_list_id", "rank", "score", "gallery_ref", "source_database",
           "media_type"), found)  # fmt: skip
    _bulk(engine, "dispositions",
          ("id", "candidate_id", "decided_by", "kind", "rationale", "created_at"),
          decided)  # fmt: skip
    _bulk(engine, "leads",
          ("id", "case_id", "submission_id", "candidate_id", "disposition_id", "opened_by",
           "summary", "status", "created_at", "corroborated_at", "enforcement_basis_at",
           "enforcement_marked_by"), opened)  # fmt: skip
    _bulk(engine, "corroborations",
          ("id", "lead_id", "recorded_by", "kind", "source", "description", "obtained_by",
           "independent_of_frs", "created_at"), corroborated)  # fmt: skip
    _bulk(engine, "roi_entries",
          ("id", "case_id", "submission_id", "candidate_list_id", "lead_id", "author_id",
           "body", "status", "created_at", "filed_at", "filed_by"), reports)  # fmt: skip


def _case_of(i: int, n_cases: int) -> int:
    # Submission i's case: a fixed scatter over the cases (Knuth's multiplicative hash), so the
    # submissions table and the ledger agree without keeping a million choices in memory.
    return (i * 2654435761) % (1 << 32) % n_cases


def _block(i: int, submissions: int, total: int) -> int:
    """The first seq of submission i's entries: the log's seqs split evenly over submissions."""
    return i * total // submissions


READS = (EventTag.CANDIDATES_LIST_VIEW, EventTag.CASE_RECORDS_VIEW, EventTag.PROBE_IMAGE_VIEW,
         EventTag.SUBMISSION_RECORD_VIEW)  # fmt: skip


def _draft(seq: int, i: int, position: int, people: _People,
           cases: list[tuple[str, str, str]]) -> EntryDraft:  # fmt: skip
    """The entry at `seq`, the `position`-th of submission i's block: the use itself
    (probe, decision, dispatch intent and outcome, as the gateway writes them), then reads of
    what it returned, and one entry in twenty a refused attempt on the same case."""
    case_idx = _case_of(i, len(cases))
    _, number, _ = cases[case_idx]
    agents = [people.agents[(case_idx * 3 + k) % len(people.agents)] for k in range(3)]
    who = _submitter(i, people, agents)
    sub, provider, match = f"sub-{i:08d}", PROVIDERS[i % 4], MATCH_TYPES[i % 5]
    details: dict[str, Any] = {"match_type": match}
    citations: list[Citation] = []
    policy: PolicyRef | None = None
    subject = f"submission:{sub}"
    submission: str | None = sub
    if position == 0:
        event, outcome = EventTag.PROBE_RECORD_CREATE, Outcome.SUCCEEDED
        subject = f"probe:prb-{i:08d}"
        details = {"probe_sha256": hashlib.sha256(b"%d" % i).hexdigest()}
    elif position == 1:
        event, outcome, policy = EventTag.POLICY_DECISION_EVALUATE, Outcome.ALLOWED, POLICY
        details = {"action": "submission.create", "decision": "allow", "match_type": match}
    elif position == 2:
        event, outcome, policy = EventTag.SUBMISSION_DISPATCH_INTENT, Outcome.ALLOWED, POLICY
        # What `services.dispatch.intent_draft` says of the use (the use roll-ups read it).
        details = {"match_type": match, "exigent": i % 50 == 7, "requested_by": who}
    elif position == 3:
        event = EventTag.SUBMISSION_DISPATCH_OUTCOME
        outcome = Outcome.SUCCEEDED if i % 40 else Outcome.FAILED
        details = _outcome_details(i, match) if i % 40 else {"error": "provider_error"}
    elif seq % 20 == 19:  # 5 % refusals: another agent of the case tries, the pack refuses
        event, outcome, policy = EventTag.POLICY_DECISION_EVALUATE, Outcome.DENIED, POLICY
        rule, section = SECTIONS[(seq // 20) % len(SECTIONS)]
        citations = [Citation(rule, section, "refused by the pack")]
        who, subject, submission = agents[(i + 1) % 3], f"case:case-{case_idx:07d}", None
        details = {"action": "submission.create", "decision": "deny", "match_type": match}
    else:
        event, outcome = READS[position % len(READS)], Outcome.ALLOWED
        policy = POLICY
    return EntryDraft(
        event=event, actor=Actor(who, "agent"), outcome=outcome, subject=subject,
        component="services.submit", source="10.0.0.1", case=number, submission=submission,
        provider=provider, program_code="FRS-HSI-01" if position in (1, 2) else None,
        policy=policy, citations=citations, details=details,
    )  # fmt: skip


def _outcome_details(i: int, match: str) -> dict[str, Any]:
    """What `services.dispatch` writes of a completed use, as `_results` stores it: a
    comparison score for a two-photo check, else three candidates or none (negative)."""
    score = 0.91 if match == "two_photo" else None
    size = 0 if score is not None or i % 7 == 5 else 3
    return {"candidate_list": f"cl-{i:08d}", "match_type": match, "list_size": size,
            "negative": size == 0 and score is None, "comparison_score": score}  # fmt: skip


def _entries(
    people: _People, cases: list[tuple[str, str, str]], submissions: int, total: int
) -> Iterator[tuple[int, bytes, bytes, Any, list[Any]]]:
    """Every entry of the log in seq order, each built from its own draft (as the appender
    writes it: the draft's canonical bytes with `seq` and `time` spliced in)."""
    step = YEAR / max(1, total)
    i, first, following = 0, 0, _block(1, submissions, total)
    for seq in range(total):
        while seq >= following and i + 1 < submissions:
            i, first = i + 1, following
            following = _block(i + 1, submissions, total)
        draft = _draft(seq, i, seq - first, people, cases)
        time = format_time(START + step * seq)
        data = canonical_entry(draft, seq=seq, time=time)
        row, refusals = rows_of(draft.body, seq, time)
        yield seq, data, leaf_hash(data), row, refusals


def _ledger(engine: Engine, total: int, submissions: int, people: _People,
            cases: list[tuple[str, str, str]]) -> CheckpointSigner:  # fmt: skip
    """Stream `total` entries into the ledger tables with their index rows and every complete
    subtree hash, chunk by chunk; then the upper levels, the head and checkpoints."""
    chunk_roots: list[bytes] = []
    tail: list[list[bytes]] = []  # the last, partial chunk's levels
    stream = _entries(people, cases, submissions, total)
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
    # The roll-ups the appender keeps beside the index, filled as revisions 0011 and 0012 do.
    with engine.begin() as conn:
        backfill(conn)
        fill_tallies(conn, total)
    if is_sqlite(engine):
        # What a running service's checkpoints leave: the write-ahead log folded into the
        # database, not a 500 MB WAL every first read must search.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    return signer

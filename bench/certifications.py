"""Benchmark of the PALMS certification import (memo 4.A.3): one training-system export of N rows
imported into a demo store, then the same file again.

The first import decides the act once, records N certifications and N + 1 ledger entries in one
transaction; the peer beside it is the re-import of the same file, which reads every user's
certifications and records nothing but its decision and run entry: the difference is the cost
of recording. Both run through `services.certifications.import_certifications`, as the CLI and
the upload route do.

    python bench/certifications.py [--rows 2000] [--database-url URL]

Figures go to BENCHMARKS.md, section "Administration".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from frsgate.config import load_settings
from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.policy.facts import Action
from frsgate.services import admin, certifications
from frsgate.services.administration import operator
from frsgate.services.bootstrap import initialize
from frsgate.services.certifications import CertificationRules
from frsgate.services.runtime import Runtime

HEADER = "username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(home=Path(home), database_url=args.database_url,
                                 checkpoint_interval_seconds=0)  # fmt: skip
        initialize(settings, demo=True)
        with Runtime.open(settings, periodic_checkpoints=False) as runtime:
            gate = runtime.gate
            names = [f"bench{i:05d}" for i in range(args.rows)]
            for name in names:
                admin.create_user(gate, Actor.system(), username=name, display_name=name,
                                  roles=[Role.agent])  # fmt: skip
            day = (gate.now() - timedelta(days=3)).date().isoformat()
            data = HEADER + "".join(f"{n},ICE-FRS-101,{day},{day},{day}\n" for n in names)
            caller = operator(gate, "ada", Action.certification_record)
            rules = CertificationRules.from_settings(settings)
            timings = []
            for _ in range(2):
                start = time.perf_counter()
                result = certifications.import_certifications(gate, caller, data.encode(),
                                                              rules=rules)  # fmt: skip
                timings.append((time.perf_counter() - start, len(result.new)))
    (first, new), (again, unchanged_new) = timings
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{backend}: {args.rows} rows, {len(data.encode()) / 1024:.0f} KiB")
    print(f"  first import   {first:6.2f} s  ({new} new, {first / args.rows * 1000:.2f} ms/row)")
    print(f"  re-import      {again:6.2f} s  ({unchanged_new} new)   ratio {first / again:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark of probe intake: validate, count faces, re-encode, seal, store one ~200 KB JPEG.

Each run does what the intake service does for one probe: `validate_and_reencode` (signature,
header, decode, one face, metadata-free re-encode), `seal` under a fresh data key with the probe
id as associated data, and one INSERT committed on SQLite with WAL and synchronous=FULL (via
`make_engine`, so the commit is fsynced). Printed beside it, the peer: the bare cost of Pillow
decoding and re-encoding the same bytes, which is the floor any re-encoding intake pays.

    python bench/intake.py [--runs 60] [--kb 200]

Target (tracker): median intake <= 50 ms. Figures go to BENCHMARKS.md, section "Intake".
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, insert

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from frsgate.store.engine import make_engine  # noqa: E402
from frsgate.vault import (  # noqa: E402
    ImageLimits,
    KeyEncryptionKey,
    default_detector,
    probe_aad,
    seal,
    validate_and_reencode,
)
from tests.images import jpeg_of_size  # noqa: E402

TARGET_MEDIAN_MS = 50.0
Sample = tuple[list[float], list[float]]

bench_metadata = MetaData()
# Shaped like the store's probe_images table, without its foreign key to a probe row.
sealed_probes = Table(
    "bench_sealed_probes",
    bench_metadata,
    Column("probe_id", String(36), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("key_ref", String(128), nullable=False),
    Column("sha256", String(64), nullable=False),
)


def interleaved(stages: list[Callable[[], object]], runs: int, warmup: int = 5) -> list[Sample]:
    """Run every stage once per round, in turn, so background load hits them all alike.

    Returns per-stage (wall ms, CPU ms) samples; CPU time (all threads of this process) is far
    less sensitive than wall time to other processes sharing the machine.
    """
    for _ in range(warmup):
        for fn in stages:
            fn()
    samples: list[Sample] = [([], []) for _ in stages]
    for _ in range(runs):
        for fn, (wall, cpu) in zip(stages, samples, strict=True):
            cpu_start = time.process_time_ns()
            start = time.perf_counter_ns()
            fn()
            wall.append((time.perf_counter_ns() - start) / 1e6)
            cpu.append((time.process_time_ns() - cpu_start) / 1e6)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--kb", type=int, default=200, help="approximate probe size in KB")
    args = parser.parse_args()
    if args.runs < 50:
        parser.error("--runs must be at least 50 for a meaningful p95")

    probe = jpeg_of_size(args.kb * 1000)
    with Image.open(io.BytesIO(probe)) as image:
        size = image.size
    limits = ImageLimits()
    kek = KeyEncryptionKey.generate()
    detector = default_detector()

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        bench_metadata.create_all(engine)

        def intake() -> None:
            probe_id = str(uuid.uuid4())
            clean = validate_and_reencode(probe, limits=limits, detector=detector)
            blob = seal(clean.data, kek=kek, associated_data=probe_aad(probe_id))
            with engine.begin() as conn:
                conn.execute(
                    insert(sealed_probes).values(
                        probe_id=probe_id,
                        sealed=blob.to_bytes(),
                        key_ref=kek.kek_id_hex,
                        sha256=clean.sha256,
                    )
                )

        clean = validate_and_reencode(probe, limits=limits, detector=detector)

        def validate_only() -> None:
            validate_and_reencode(probe, limits=limits, detector=detector)

        def faces_only() -> None:
            with Image.open(io.BytesIO(probe)) as image:
                image.load()
                detector.detect(image, min_face_pixels=limits.min_face_pixels)

        def seal_only() -> None:
            seal(clean.data, kek=kek, associated_data=probe_aad("bench"))

        stored = seal(clean.data, kek=kek, associated_data=probe_aad("bench")).to_bytes()

        def insert_only() -> None:
            with engine.begin() as conn:
                conn.execute(
                    insert(sealed_probes).values(
                        probe_id=str(uuid.uuid4()),
                        sealed=stored,
                        key_ref=kek.kek_id_hex,
                        sha256=clean.sha256,
                    )
                )

        def pillow_peer() -> None:
            with Image.open(io.BytesIO(probe)) as image:
                image.load()
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=92)

        names = [
            "intake (validate+faces+re-encode+seal+INSERT)",
            "peer: Pillow decode+encode, same bytes",
            "  of which validate_and_reencode",
            "  of which decode+face detection",
            "  of which seal (AES-256-GCM, fresh key)",
            "  of which INSERT + fsynced commit",
        ]
        load_before = os.getloadavg()[0]
        samples = interleaved(
            [intake, pillow_peer, validate_only, faces_only, seal_only, insert_only], args.runs
        )
        load_after = os.getloadavg()[0]
        engine.dispose()

    print(
        f"probe: {len(probe)} bytes JPEG, {size[0]}x{size[1]}; runs: {args.runs} (interleaved); "
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load_before:.1f} before "
        f"and {load_after:.1f} after"
    )
    header = f"{'stage':<48} {'wall median':>11} {'wall p95':>9} {'CPU median':>11} {'CPU p95':>8}"
    print(header)
    for name, (wall, cpu) in zip(names, samples, strict=True):
        print(
            f"{name:<48} {statistics.median(wall):>11.2f} {p95(wall):>9.2f} "
            f"{statistics.median(cpu):>11.2f} {p95(cpu):>8.2f}"
        )
    median = statistics.median(samples[0][0])
    peer = statistics.median(samples[1][0])
    verdict = "meets" if median <= TARGET_MEDIAN_MS else "MISSES"
    print(
        f"intake wall median {median:.2f} ms = {median / peer:.1f}x the bare Pillow round trip; "
        f"{verdict} the {TARGET_MEDIAN_MS:.0f} ms target (times in ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

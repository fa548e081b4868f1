#!/usr/bin/python3
"""make bench: VMBus between two partitions on QEMU, in guest counter ticks
under -icount shift=0 (every instruction takes 1 ns of virtual time, so the
numbers count work done, the same on every host). The root runs the vsp's
sink service, a child examples/throughput: it streams 4000-byte packets
through 32 KiB rings, then times 64-byte round trips. Doorbells (a hypercall
on one side, a virtual interrupt on the other) are counted by the child, sent
and received: both sides poll before they sleep (bh_channel_wait), so while
they keep each other busy none is rung. The rows are tests/bench/report.py's."""

import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402

ICOUNT = ["-icount", "shift=0,sleep=off"]
PATTERN = re.compile(r"throughput: (\d+) x (\d+) B in (\d+) ticks, sink (\d+) B, (\d+) bells; "
                     r"(\d+) trips of 64 B in (\d+) ticks, (\d+) bells; (\d+) Hz")
DOORBELL_GOAL = 0.01


def main():
    count, size, pings = 2000, 4000, 200
    for gic in (3, 2):
        with tempfile.TemporaryDirectory() as tmp:
            extra = systems.build_system(
                tmp, [systems.Partition("root", "vsp", [0], root=True),
                      systems.Partition("rt0", "throughput", [1],
                                        bootargs=f"tp.count={count} tp.size={size} "
                                                 f"tp.pings={pings}")],
                gic=gic, channels=[systems.Channel("sink", "root", "rt0")])
            args = harness.qemu_args(harness.machine(gic), smp=4, kernel=harness.bulkhead_bin(),
                                     extra=extra) + ICOUNT
            r = harness.qemu_numbers(args, PATTERN, "throughput")
        n, sz, ticks, counted, bells, trips, trip_ticks, trip_bells, hz = r
        if counted != n * sz:
            raise SystemExit(f"the sink counted {counted} bytes, {n * sz} were sent")
        report.header(f"VMBus on QEMU, GICv{gic}: root vsp sink, child throughput, "
                      f"counter ticks at {hz} Hz (-icount shift=0)")
        per = bells / n
        report.row(f"doorbells per packet, stream of {n} x {sz} B", f"{per:.4f}", "-",
                   f"{bells} rung", f"< {DOORBELL_GOAL}", per < DOORBELL_GOAL)
        report.row("stream, ticks per packet", f"{ticks / n:.0f}", "-",
                   f"{n * sz / ticks:.1f} B/tick", "-", None)
        report.row(f"round trip of 64 B, ticks ({trips} trips)", f"{trip_ticks / trips:.0f}", "-",
                   f"{trip_bells / trips:.2f} bells", "-", None)

if __name__ == "__main__":
    main()

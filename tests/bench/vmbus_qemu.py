#!/usr/bin/python3
"""make bench: VMBus between two partitions on QEMU, in guest counter ticks
under -icount shift=0 (every instruction takes 1 ns of virtual time, so the
numbers count work done, the same on every host). The root runs the vsp's
sink service, a child examples/throughput: it streams 4000-byte packets
through 32 KiB rings, then times 64-byte round trips (a doorbell each way,
two hypercalls and two virtual interrupts)."""

import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import systems  # noqa: E402

ICOUNT = ["-icount", "shift=0,sleep=off"]
PATTERN = re.compile(r"throughput: (\d+) x (\d+) bytes in (\d+) ticks, sink counted (\d+) bytes, "
                     r"(\d+) doorbells; (\d+) round trips of 64 bytes in (\d+) ticks; "
                     r"counter (\d+) Hz")


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
        n, sz, ticks, counted, bells, trips, trip_ticks, hz = r
        if counted != n * sz:
            raise SystemExit(f"the sink counted {counted} bytes, {n * sz} were sent")
        print(f"\nVMBus on QEMU, GICv{gic}, counter ticks at {hz} Hz (-icount shift=0)")
        print(f"{'stream':24} {n} x {sz} B in {ticks} ticks: "
              f"{n * sz / ticks:8.2f} bytes/tick, {ticks / n:8.0f} ticks/packet")
        print(f"{'doorbells (stream)':24} {bells} for {n} packets: {bells / n:.3f} per packet")
        print(f"{'round trip, 64 B':24} {trip_ticks / trips:8.0f} ticks")


if __name__ == "__main__":
    main()

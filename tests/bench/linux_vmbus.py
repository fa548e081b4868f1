#!/usr/bin/python3
"""make bench: a raw VMBus channel between Linux and bare metal, on QEMU
under -icount shift=0 (one instruction = 1 ns of virtual time, so the
figures count work done and barely move between hosts or runs).

One system: rt0 runs the SDK's vsp (bare metal), the provider of two
channels: `echo` to the Linux root, where `vmbus-cat -p` (bulkhead.ko's
/dev/vmbus/echo, a blocking read and a write per packet) times 64-byte
round trips, and `sink` to rt1, where the SDK's throughput client times the
same round trips bare metal to bare metal: the reference, from the same run.
The rows are tests/bench/report.py's."""

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
TRIPS = 2000
LINUX_TRIPS = re.compile(r"vmbus-cat: (\d+) round trips of 64 bytes in (\d+) us")
BARE_TRIPS = re.compile(r"throughput: \d+ x \d+ B in \d+ ticks, sink \d+ B, \d+ bells; "
                        r"(\d+) trips of 64 B in (\d+) ticks, (\d+) bells; (\d+) Hz")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        extra = systems.build_system(
            tmp,
            [systems.LinuxPartition("root", [0], pa=0x50000000, root=True),
             systems.Partition("rt0", "vsp", [1]),
             systems.Partition("rt1", "throughput", [2],
                               bootargs=f"tp.count=1 tp.size=64 tp.pings={TRIPS}")],
            gic=3, image_start=0x68000000,
            channels=[systems.Channel("echo", "rt0", "root", irq=10, consumer_ipa=0x70000000),
                      systems.Channel("sink", "rt0", "rt1", irq=11)])
        args = harness.qemu_args(harness.machine(3), smp=4, kernel=harness.bulkhead_bin(),
                                 extra=extra) + ICOUNT
        log = os.path.join(tmp, "console.log")
        vm = harness.Qemu(args, log, "bench: raw VMBus channel, Linux <-> bare metal",
                          timeout=600)
        try:
            bare = [int(x) for x in vm.expect_regex(BARE_TRIPS).groups()]
            vm.expect("[root] bulkhead-linux: partition root ready")
            vm.send("\x1d0")
            vm.expect("[hv] console input goes to root")
            vm.send(f"vmbus-cat -p {TRIPS} -s 64 echo\r")
            linux = [int(x) for x in vm.expect_regex(LINUX_TRIPS).groups()]
        finally:
            vm.close()
    trips, trip_ticks, _bells, hz = bare
    bare_us = trip_ticks / trips * 1e6 / hz
    linux_us = linux[1] / linux[0]
    report.header("Raw VMBus channel on QEMU, GICv3, virtual time (-icount shift=0): "
                  "64-byte round trips to the bare-metal vsp's echo")
    report.row(f"Linux root <-> bare metal, us per trip ({TRIPS})", f"{linux_us:.1f}",
               f"{bare_us:.1f}", f"{1e6 / linux_us:,.0f}/s", "-", None)
    print(f"  (reference: bare metal <-> bare metal over the same vsp, {1e6 / bare_us:,.0f}/s; "
          "Linux pays a read and a write system call per trip)")


if __name__ == "__main__":
    main()

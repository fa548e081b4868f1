#!/usr/bin/python3
"""make bench: virtual timer interrupt latency, native at EL1 vs in a Bulkhead partition.

The same bare-metal guest (tests/guests/irqtest, test=latency) arms the EL1
virtual timer 1 ms ahead 1000 times and measures, in virtual counter ticks,
how late its handler runs. QEMU runs with -icount shift=0,sleep=off, so the
counter advances with executed instructions and the numbers repeat exactly
from run to run; they count work, not wall time (62.5 MHz counter: 1 tick =
16 ns of guest time at QEMU's nominal rate).
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import systems  # noqa: E402

ICOUNT = ["-icount", "shift=0,sleep=off"]
PATTERN = re.compile(r"irqtest: latency samples=(\d+) min=(\d+) avg=(\d+) max=(\d+) ticks")


def run(args, timeout=300):
    res = subprocess.run([harness.QEMU] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True, timeout=timeout, check=False)
    return res.stdout


def measure(args):
    """Runs QEMU until the latency line appears (the guest then powers off)."""
    return harness.qemu_numbers(args, PATTERN, "latency")


def main():
    for gic in (3, 2):
        native = os.path.join(harness.BUILD, "guests", "irqtest-latency-native", "irqtest.bin")
        nat = measure(harness.qemu_args(f"virt,gic-version={gic}", smp=1, kernel=native)
                      + ICOUNT)
        with tempfile.TemporaryDirectory() as tmp:
            extra = systems.build_system(tmp, [systems.Partition(
                "root", "irqtest", [0], root=True, bootargs="test=latency samples=1000")],
                gic=gic)
            hyp = measure(harness.qemu_args(harness.machine(gic), smp=4,
                                            kernel=harness.bulkhead_bin(), extra=extra)
                          + ICOUNT)
        print(f"\nvirtual timer latency, GICv{gic}, 1000 samples, counter ticks "
              "(-icount shift=0)")
        print(f"{'':12} {'min':>8} {'avg':>8} {'max':>8}")
        print(f"{'native EL1':12} {nat[1]:8} {nat[2]:8} {nat[3]:8}")
        print(f"{'Bulkhead':12} {hyp[1]:8} {hyp[2]:8} {hyp[3]:8}")
        ratio = hyp[2] / nat[2] if nat[2] else float("inf")
        print(f"{'ratio':12} {'':8} {ratio:8.2f}")


if __name__ == "__main__":
    main()

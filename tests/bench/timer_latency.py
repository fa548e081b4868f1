#!/usr/bin/python3
"""make bench: the interrupt and exit path, in instructions that repeat exactly.

QEMU runs with -icount shift=0,sleep=off: the counter advances with executed
instructions (62.5 MHz counter, 1 instruction = 1 ns: 1 tick = 16
instructions), so the numbers count work, not wall time.

  - Virtual timer latency: the same bare-metal guest (tests/guests/irqtest,
    test=latency) arms the EL1 virtual timer 1 ms ahead N times and measures
    in counter ticks how late its handler runs: natively at EL1 (the
    reference) and as Bulkhead's root partition.
  - Exit costs (irqtest test=costs, as the root, whose BH_HVC_VCPU_STATS reads
    the PMU counter Bulkhead keeps for its own EL2 instructions): a null
    hypercall, emulated MMIO reads, an IPI between two vCPUs, a kick, and the
    EL2 instructions of each timer interrupt.
"""

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
INSNS_PER_TICK = 16
LATENCY = re.compile(r"irqtest: latency samples=(\d+) min=(\d+) avg=(\d+) max=(\d+) ticks")
COST = re.compile(r"irqtest: cost (\S+) n=(\d+) ticks=(\d+) exits=(\d+) el2=(\d+)")
DONE = re.compile(r"irqtest: costs done")
VUART = 0x09000000
N = 1000


def costs_run(gic):
    """Boots the costs system; returns the latency line's numbers and {what: (n, ticks,
    exits, el2)} from the cost lines."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = systems.build_system(tmp, [systems.Partition(
            "root", "irqtest", [0, 1], root=True, vuart=VUART,
            bootargs=f"test=costs n={N} vuart=0x{VUART:x}")], gic=gic)
        args = harness.qemu_args(harness.machine(gic), smp=4, kernel=harness.bulkhead_bin(),
                                 extra=extra) + ICOUNT
        lines = harness.qemu_lines(args, DONE, "costs")
    latency = None
    costs = {}
    for line in lines:
        m = LATENCY.search(line)
        if m:
            latency = [int(x) for x in m.groups()]
        m = COST.search(line)
        if m:
            costs[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    if latency is None or "hvc" not in costs:
        raise SystemExit("costs: missing lines:\n" + "".join(lines[-20:]))
    return latency, costs


def main():
    for gic in (3, 2):
        native = os.path.join(harness.BUILD, "guests", "irqtest-latency-native", "irqtest.bin")
        nat = harness.qemu_numbers(harness.qemu_args(f"virt,gic-version={gic}", smp=1,
                                                     kernel=native) + ICOUNT, LATENCY, "latency")
        lat, costs = costs_run(gic)

        def per_op(what, count=None):
            """(instructions, exits, EL2 instructions) per operation, the one
            BH_HVC_VCPU_STATS call in each sample taken off as a null hypercall."""
            n, ticks, exits, el2 = costs[what]
            hn, hticks, _, hel2 = costs["hvc"]
            hvc_insns = hticks * INSNS_PER_TICK / (hn + 1)
            hvc_el2 = hel2 / (hn + 1)
            count = count or n
            if what == "hvc":
                return hvc_insns, (exits - 1) / n, hvc_el2
            return ((ticks * INSNS_PER_TICK - hvc_insns) / count, (exits - 1) / count,
                    (el2 - hvc_el2) / count)

        report.header(f"Interrupts and exits, GICv{gic} (-icount shift=0: instructions "
                      f"repeat exactly; {N} of each; 1 tick = {INSNS_PER_TICK} instructions)")
        report.row("virtual timer latency, ticks (avg)", lat[2], f"native {nat[2]}",
                   f"+{lat[2] - nat[2]}", "<= +6", lat[2] - nat[2] <= 6)
        report.row("  min / max, ticks", f"{lat[1]} / {lat[3]}", f"{nat[1]} / {nat[3]}", "-",
                   "-", True)
        _, exits, el2 = per_op("timer")
        report.row("  EL2 instructions per timer interrupt", f"{el2:.0f}", "Bao 199",
                   f"{exits:.2f} exits", "-", True)
        insns, exits, el2 = per_op("hvc")
        report.row("null hypercall round trip, instructions", f"{insns:.0f}", "-",
                   f"EL2 {el2:.0f}", "<= 250", insns <= 250)
        for what, name in (("gicd", "MMIO read GICD_IIDR, instructions"),
                           ("vuart", "MMIO read vuart UARTFR, instructions")):
            insns, exits, el2 = per_op(what)
            report.row(name, f"{insns:.0f}", "-", f"EL2 {el2:.0f}", "<= 300", insns <= 300)
        _, _, send = per_op("sgi-send")
        _, exits, trip = per_op("ipi-round-trip")
        # vCPU 0's EL2 work in a round trip is one SGI sent and one taken: one IPI's.
        report.row("IPI between vCPUs, EL2 instructions", f"{trip:.0f}", "-",
                   f"send {send:.0f}", "<= 800", trip <= 800)
        report.row("  kick (the receiving side), EL2 instr.", f"{trip - send:.0f}", "-",
                   f"{exits:.2f} exits", "-", True)


if __name__ == "__main__":
    main()

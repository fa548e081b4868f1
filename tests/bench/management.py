#!/usr/bin/python3
"""make bench: from `bhctl restart` to the child's ready marker, for a
bare-metal and a Linux child, on QEMU under -icount shift=0 (one instruction
= 1 ns of virtual time, so the figures count work done, not host speed).

A Linux root (CPU0) manages rt0, an SDK program (tests/guests/integ_child,
CPU1, idle in WFI between its 100 Hz ticks), and lx, a Linux child (CPU2),
each with an integration channel. bhmgrd is off (bulkhead.manage=off): no
policy acts, nothing polls but bhctl. Ready is the child's HELLO on its
integration channel in a new session: `bhctl restart --wait` prints the time
from just before its RESTART call to the module's timestamp of that HELLO.
The reference, from the same run: the child started from stopped
(`bhctl stop`, then `bhctl start --wait`), which is the same boot without
the stop the restart includes. Each figure is RUNS runs, min and median.
The rows are tests/bench/report.py's.

    management.py [--runs N]
"""

import argparse
import os
import re
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402

ICOUNT = ["-icount", "shift=0,sleep=off"]
ESCAPE = "\x1d"  # Ctrl-]
RINGS = (0x2000, 0x2000)
IMAGES = 0x68000000
ROOT_READY = "[root] bulkhead-linux: partition root ready"
# The children's own markers, which come after their HELLO: a run waits for
# them, so the next one restarts a child that finished booting.
MARKERS = {"rt0": "[rt0] integ_child rt0: wall clock",
           "lx": "[lx] bulkhead-linux: partition lx ready"}
# bhctl's line, or its failure (which ends the run at once, not at the deadline).
READY = re.compile(r"\[root\] (?:(\w+): ready in (\d+\.\d+) ms \(HELLO: ([^)]*)\)|(Failed .*))")
# The hypervisor's part: zeroing the child's memory and copying its images.
LOADED = r"\[hv\] partition {}: starting vCPU 0 .* loaded in (\d+\.\d+) ms"


def bench_system(tmp):
    return systems.build_system(
        tmp,
        [systems.LinuxPartition("root", [0], pa=0x50000000, root=True,
                                bootargs="quiet bulkhead.manage=off"),
         systems.Partition("rt0", "integ_child", [1], pa=0x41000000),
         systems.LinuxPartition("lx", [2], pa=0x60000000, mem=128 << 20, bootargs="quiet")],
        gic=3, image_start=IMAGES,
        channels=[systems.Channel("lx-integ", "root", "lx", irq=10, interface="integration",
                                  rings=RINGS, pa=0x4B000000, provider_ipa=0x70000000,
                                  consumer_ipa=0x70000000),
                  systems.Channel("rt0-integ", "root", "rt0", irq=11, interface="integration",
                                  rings=RINGS, pa=0x4B010000, provider_ipa=0x70010000)])


def sh(vm, line):
    """Gives the console input to the root and types a command line."""
    vm.send(ESCAPE + "0")
    vm.expect("[hv] console input goes to root")
    vm.send(line + "\r")


def seen(vm, text, n):
    """Waits until `text` has appeared `n` times in all."""
    while vm.count(text) < n:
        vm.expect(text)


def timed(vm, name, line):
    """Runs a `bhctl ... --wait` line for `name`; returns its milliseconds, the
    hypervisor's load's and the child's HELLO once the child's own marker has
    followed."""
    markers = vm.count(MARKERS[name])
    loads = len(re.findall(LOADED.format(name), vm.output))
    sh(vm, line)
    m = vm.expect_regex(READY)
    if m.group(1) != name:
        vm.fail(f"{line}: {m.group(4) or 'ready line for ' + m.group(1)}")
    load = re.findall(LOADED.format(name), vm.output)  # printed before the ready line
    if len(load) != loads + 1:
        vm.fail(f"{line}: {len(load) - loads} loads of {name}")
    seen(vm, MARKERS[name], markers + 1)
    return float(m.group(2)), float(load[-1]), m.group(3)


def figures(values):
    """The minimum and the median."""
    return min(values), statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        args = harness.qemu_args(harness.machine(3), smp=4, kernel=harness.bulkhead_bin(),
                                 extra=bench_system(tmp)) + ICOUNT
        os.makedirs(harness.LOG_DIR, exist_ok=True)
        log = os.path.join(harness.LOG_DIR, "bench-management.log")
        vm = harness.Qemu(args, log, "bench: bhctl restart to ready", timeout=1800)
        try:
            vm.expect_all([ROOT_READY, MARKERS["rt0"], MARKERS["lx"]])
            for name in ("rt0", "lx"):
                restart = [timed(vm, name, f"bhctl restart --wait {name}")
                           for _ in range(opts.runs)]
                start = []
                for _ in range(opts.runs):
                    sh(vm, f"bhctl stop {name} && echo {name}' 'stopped")
                    vm.expect(f"[root] {name} stopped")
                    start.append(timed(vm, name, f"bhctl start --wait {name}"))
                results[name] = (restart, start)
        finally:
            vm.close()
    report.header("Restart to ready on QEMU, GICv3, virtual time (-icount shift=0): "
                  f"bhctl restart --wait, {opts.runs} runs, min / median")
    for name, what in (("rt0", "bare-metal SDK child"), ("lx", "Linux child, 1 CPU")):
        restart, start = results[name]
        r_min, r_med = figures([run[0] for run in restart])
        s_min, s_med = figures([run[0] for run in start])
        load_restart = statistics.median(run[1] for run in restart)
        load_start = statistics.median(run[1] for run in start)
        report.row(f"{what}, ms, min", f"{r_min:.2f}", f"{s_min:.2f}",
                   f"{r_min - s_min:+.2f}", "-", None)
        report.row(f"{what}, ms, median", f"{r_med:.2f}", f"{s_med:.2f}",
                   f"{r_med - s_med:+.2f}", "-", None)
        report.row("  of which the hypervisor's load, ms, median", f"{load_restart:.2f}",
                   f"{load_start:.2f}", f"{load_restart - load_start:+.2f}", "-", None)
        print(f"  ({name}: {restart[0][2]}; every run, restart: "
              + " ".join(f"{run[0]:.2f}" for run in restart) + "; start: "
              + " ".join(f"{run[0]:.2f}" for run in start) + ")")
    print("  (reference: bhctl stop, then bhctl start --wait from stopped; ready = the child's "
          "HELLO on its\n  integration channel, timed by the root's module)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""make bench: Debian's kernel from power-on to its initramfs ready marker,
native (QEMU -kernel at EL1) vs as the root partition under Bulkhead: the
same kernel, initramfs and command line, 2 CPUs and 256 MiB each. Wall time,
the median of 5 runs each (native and partition runs alternate, so a change
in the host's load hits both); it depends on the host, so read the ratio.

Each run is split into phases by console lines: the hypervisor's partition
summary (hypervisor boot done), its "starting vCPU 0" (partition loaded),
the kernel's first earlycon line and the ready marker; QEMU's CPU time is
printed too (it counts work, not waiting for a host core). Run twice: on a
quiet machine and beside `stress-ng --cpu 2` (loaded), where every CPU that
QEMU runs busy instead of asleep costs a host core. One more run under
-icount gives the hypervisor's boot and load work as exact instruction counts
(its console lines print the counter).

    linux_boot.py [--runs N] [--only quiet|loaded]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402

# The partition's command line (systems.linux_guest_dts) and native's are the
# same string, earlycon included: the kernel prints its first line at once.
VUART = 0x9000000
BOOTARGS = f"console=ttyAMA0 earlycon=pl011,{VUART:#x} bulkhead.partition=root quiet"
GOAL = 1.10
TIMEOUT = 120
ICOUNT = ["-icount", "shift=0,sleep=off"]
# Under -icount shift=0 the counter advances one nanosecond per instruction:
# the hypervisor's own lines give its boot and load work as exact counts.
LOADED = re.compile(r"starting vCPU 0 .* loaded in (\d+\.\d+) ms")
BOOTED = re.compile(r"boot complete, counter at (\d+\.\d+) ms")

# Console lines that end a phase, in order; the first that contains the text counts.
EVENTS = (
    ("hyp", "[hv] partition 0: "),           # hypervisor booted, partition laid out
    ("load", "starting vCPU 0 on"),          # memory zeroed, images copied
    ("kernel", "Booting Linux on physical"),  # the kernel's first line
    ("marker", "bulkhead-linux: partition "),
)


def cpu_seconds(pid):
    """CPU time QEMU's threads have used so far (the scheduler's exact count)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # a thread that just ended
    return total / 1e9


def run_once(args):
    """Seconds from QEMU's start to each event seen: wall time under the event's
    name, QEMU's CPU time under name + "_cpu"."""
    seen = {}
    start = time.monotonic()
    proc = subprocess.Popen([harness.QEMU] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            errors="replace")
    try:
        deadline = start + TIMEOUT
        for line in proc.stdout:
            now = time.monotonic()
            for name, text in EVENTS:
                if name not in seen and text in line:
                    seen[name] = now - start
                    seen[name + "_cpu"] = cpu_seconds(proc.pid)
            if "marker" in seen or now > deadline:
                break
    finally:
        proc.kill()
        proc.wait()
    if "marker" not in seen:
        raise SystemExit(f"no ready marker from {' '.join(args)}")
    return seen


def hypervisor_instructions(hyp):
    """Millions of instructions for the partition load and the whole boot (-icount)."""
    seen = {}
    start = time.monotonic()
    proc = subprocess.Popen([harness.QEMU] + hyp + ICOUNT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            errors="replace")
    try:
        for line in proc.stdout:
            for name, pattern in (("load", LOADED), ("boot", BOOTED)):
                match = pattern.search(line)
                if match:
                    seen[name] = float(match.group(1))
            if len(seen) == 2 or time.monotonic() - start > TIMEOUT:
                break
    finally:
        proc.kill()
        proc.wait()
    if len(seen) != 2:
        raise SystemExit("no load time or boot complete line under -icount")
    return seen["load"], seen["boot"]


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def phases(runs, start, end):
    """The median of end - start (start None: QEMU's start)."""
    return statistics.median(r[end] - (r[start] if start else 0.0) for r in runs)


def print_rows(label, nat, hyp, counts):
    report.header(f"Linux boot to the initramfs marker, {label}: wall seconds, median of "
                  f"{len(nat)}, 2 CPUs, 256 MiB, same command line")
    total_n, total_h = median(nat, "marker"), median(hyp, "marker")
    ratio = total_h / total_n
    report.row("QEMU start to marker, partition vs native", f"{total_h:.2f}", f"{total_n:.2f}",
               f"{ratio:.2f}x", f"<= {GOAL:.2f}x", ratio <= GOAL)
    pre_n, pre_h = median(nat, "kernel"), median(hyp, "kernel")
    report.row("  QEMU start to the kernel's first line", f"{pre_h:.2f}", f"{pre_n:.2f}",
               f"{pre_h - pre_n:+.2f} s", "-", None)
    report.row("    hypervisor boot (to partition layout)", f"{median(hyp, 'hyp'):.2f}", "-",
               "-", "-", None)
    report.row("    partition load (zero, copy images)", f"{phases(hyp, 'hyp', 'load'):.2f}",
               "-", "-", "-", None)
    report.row("    the same two, M instructions (-icount)", f"{counts[1]:.1f}", "-",
               f"load {counts[0]:.1f}", "-", None)
    report.row("    vCPU 0 start to the kernel's first line",
               f"{phases(hyp, 'load', 'kernel'):.2f}", "-", "-", "-", None)
    k_n, k_h = phases(nat, "kernel", "marker"), phases(hyp, "kernel", "marker")
    report.row("  kernel's first line to marker", f"{k_h:.2f}", f"{k_n:.2f}",
               f"{k_h / k_n:.2f}x", "-", None)
    # CPU time counts work, not waiting for a host core: steadier on a busy host.
    cpu_n, cpu_h = median(nat, "marker_cpu"), median(hyp, "marker_cpu")
    report.row("QEMU CPU seconds to marker (all threads)", f"{cpu_h:.2f}", f"{cpu_n:.2f}",
               f"{cpu_h / cpu_n:.2f}x", "-", None)


def measure(native, hyp, runs):
    nat, par = [], []
    for _ in range(runs):
        nat.append(run_once(native))
        par.append(run_once(hyp))
    return nat, par


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("quiet", "loaded"))
    opts = parser.parse_args()

    kernel = systems.linux_kernel()
    initrd = systems.linux_initramfs()
    native = harness.qemu_args("virt,gic-version=3", smp=2, mem="256M", kernel=kernel,
                               extra=["-initrd", initrd, "-append", BOOTARGS])
    with tempfile.TemporaryDirectory() as tmp:
        extra = systems.build_system(tmp, [systems.LinuxPartition(
            "root", [0, 1], pa=0x50000000, root=True, bootargs="quiet")],
            gic=3, image_start=0x68000000)
        hyp = harness.qemu_args(harness.machine(3), smp=2, kernel=harness.bulkhead_bin(),
                                extra=extra)
        counts = hypervisor_instructions(hyp)
        if opts.only != "loaded":
            print_rows("quiet machine", *measure(native, hyp, opts.runs), counts)
        if opts.only != "quiet":
            stress = shutil.which("stress-ng")
            if stress is None:
                raise SystemExit("stress-ng not found (scripts/deps.sh bench installs it)")
            load = subprocess.Popen([stress, "--cpu", "2", "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(1)
                print_rows("beside stress-ng --cpu 2", *measure(native, hyp, opts.runs), counts)
            finally:
                load.terminate()
                load.wait()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""make bench: Debian's kernel from power-on to its initramfs ready marker,
native (QEMU -kernel at EL1) vs as the root partition under Bulkhead (the
same kernel and initramfs, 2 CPUs and 256 MiB each). Wall time, the median
of 3 runs; it depends on the host, so read the ratio."""

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import systems  # noqa: E402

MARKER = "bulkhead-linux: partition "


def time_to_marker(args):
    start = time.monotonic()
    proc = subprocess.Popen([harness.QEMU] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            errors="replace")
    try:
        for line in proc.stdout:
            if MARKER in line:
                return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    raise SystemExit("no ready marker")


def main():
    kernel = systems.linux_kernel()
    initrd = systems.linux_initramfs()
    native = harness.qemu_args("virt,gic-version=3", smp=2, mem="256M", kernel=kernel,
                               extra=["-initrd", initrd, "-append",
                                      "console=ttyAMA0 quiet bulkhead.partition=native"])
    with tempfile.TemporaryDirectory() as tmp:
        extra = systems.build_system(tmp, [systems.LinuxPartition(
            "root", [0, 1], pa=0x50000000, root=True, bootargs="quiet")],
            gic=3, image_start=0x68000000)
        hyp = harness.qemu_args(harness.machine(3), smp=2, kernel=harness.bulkhead_bin(),
                                extra=extra)
        n = [time_to_marker(native) for _ in range(3)]
        b = [time_to_marker(hyp) for _ in range(3)]
    print("\nLinux boot to the initramfs marker, wall seconds (median of 3), 2 CPUs, 256 MiB")
    print(f"{'native EL1':12} {statistics.median(n):8.2f}")
    print(f"{'Bulkhead':12} {statistics.median(b):8.2f}")
    print(f"{'ratio':12} {statistics.median(b) / statistics.median(n):8.2f}")


if __name__ == "__main__":
    main()
